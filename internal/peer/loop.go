package peer

import (
	"fmt"
	"slices"
	"time"

	"github.com/maju-call/maju/internal/protocol"
	"github.com/pion/webrtc/v4"
)

// session is one PeerConnection, for one pairing with one other person. Only the owner loop touches it.
type session struct {
	gen    uint64 // tells this session's pion events from a closed one's
	pc     *webrtc.PeerConnection
	dc     *webrtc.DataChannel
	gate   *gate // pion's callbacks deliver through it; shut before pc is closed
	polite bool

	pending     []webrtc.ICECandidateInit // remote candidates waiting for the remote description
	ignoreOffer bool                      // the last remote offer collided with ours and was ignored

	state     webrtc.PeerConnectionState // the last state reported as an event
	dcOpen    bool
	announced bool // EventConnected was emitted

	started  time.Time // when both people were in the room, for the call-report's setup time
	reported bool      // the call-report of this attempt was sent

	// ICE restarts (restart.go).
	toLoop       func(pcEvent) // hands an event to the owner loop through the gate
	timer        *time.Timer   // the disconnected grace, then the next restart attempt; nil when idle
	timerSeq     uint64        // tells the current timer's event from a stopped one's
	wasConnected bool          // it was connected once: losing that is EventReconnecting
	down         bool          // EventReconnecting was emitted, EventReconnected not yet
	attempts     int           // restarts offered since the connection was lost or signaling came back
	remoteUfrag  string        // the other side's ICE username fragment
	restarts     int           // times it changed: ICE restarts on this PeerConnection
}

// pcEventType names what a pion callback reported.
type pcEventType int

const (
	pcNegotiationNeeded pcEventType = iota + 1
	pcLocalCandidate                // cand nil: gathering is complete
	pcStateChange                   // read the state from the PeerConnection: pion reports changes out of order
	pcChatOpen
	pcChatClose
	pcChatReceived // id was delivered (or was a duplicate): acknowledge it
	pcChatAcked    // the other person acknowledged our message id
	pcBye          // the other person hung up
	pcTimer        // the session's timer fired (seq)
)

// pcEvent is a pion callback's (or a session timer's) report to the owner loop.
type pcEvent struct {
	gen  uint64
	typ  pcEventType
	cand *webrtc.ICECandidate
	id   string // pcChatReceived, pcChatAcked
	seq  uint64 // pcTimer
}

// run is the owner loop: the only goroutine that uses the PeerConnection and writes to the WebSocket.
func (p *Peer) run(welcome protocol.Message) {
	defer p.stop()
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	p.onWelcome(welcome)
	for !p.stopping {
		select {
		case in := <-p.sigIn:
			// After leave only the close matters (and an error explaining it): a welcome still on its
			// way must not start a pairing.
			if in.ws == p.ws && (!p.hangingUp || in.m.Type == protocol.TypeError) {
				p.handleSignal(in.m)
			}
		case end := <-p.sigEnd:
			p.signalingEnded(end.ws, end.err)
		case res := <-p.dialed:
			p.onDialed(res)
		case ev := <-p.pcIn:
			if p.cur != nil && ev.gen == p.cur.gen {
				p.handlePC(ev)
			}
		case a := <-p.actions:
			a.res <- a.fn()
		case <-p.refreshDue:
			p.sendSignal(protocol.ICERefreshMessage())
		case <-ping.C:
			p.sendSignal(protocol.Message{Type: protocol.TypePing})
		case <-p.closing:
			return
		}
	}
}

// stop ends the session and the signaling connection, waits for every goroutine and closes the outputs.
func (p *Peer) stop() {
	p.endLife() // ends a redial
	if p.refresh != nil {
		p.refresh.Stop()
	}
	p.endSession()
	if p.ws != nil {
		p.ws.close() // ends the reader's ReadMessage if it is still running
	}
	close(p.quit)
	p.wg.Wait() // the readers, the redial and the RTCP readers
	p.emit(Event{Type: EventClosed, Err: p.err})
	// Every session's gate is shut, so no pion callback sends on these any more.
	close(p.events)
	close(p.chat)
	close(p.tracks)
	close(p.done)
}

func (p *Peer) handleSignal(m protocol.Message) {
	switch m.Type {
	case protocol.TypeWelcome:
		p.onWelcome(m)
	case protocol.TypePeerJoined:
		p.peerHere, p.pair = true, m.Pair
		if m.Resumed && p.cur != nil {
			p.emit(Event{Type: EventPeerBack})
			p.resumeSession(m.Polite)
		} else {
			p.startSession(m.Polite)
		}
	case protocol.TypePeerReconnecting:
		p.peerHere = false
		p.emit(Event{Type: EventPeerReconnecting, Grace: time.Duration(m.GraceMs) * time.Millisecond})
	case protocol.TypePeerLeft:
		p.peerHere = false
		if p.cur == nil && p.byeEnded {
			return // the bye already ended this pairing and said so
		}
		p.endSession()
		p.emit(Event{Type: EventPeerLeft, Reason: m.Reason})
	case protocol.TypeOffer:
		p.handleOffer(m.SDP)
	case protocol.TypeAnswer:
		p.handleAnswer(m.SDP)
	case protocol.TypeCandidate:
		p.handleRemoteCandidate(m.Candidate)
	case protocol.TypeError:
		err := &protocol.Error{Code: m.Code, Text: m.Text}
		p.lastError = err
		if !m.Code.Fatal() { // a fatal one is reported after the close that follows it
			p.log.Warn("server error", "err", err)
			p.emit(Event{Type: EventError, Err: err})
		}
	case protocol.TypeICEServers:
		p.applyServerICE(m)
		p.emit(Event{Type: EventICEServers})
	case protocol.TypePong:
	default:
		p.log.Warn("ignoring an unexpected message", "type", m.Type)
	}
}

// onWelcome takes the seat: the first welcome (from Join) or one after reconnecting. A resumed pair
// keeps its PeerConnection; a new pair starts one. Alone after joining with keep, the peer keeps its
// PeerConnection and waits: the other person is reconnecting too, and peer-joined will say whether the
// pair resumes.
func (p *Peer) onWelcome(m protocol.Message) {
	if p.joined {
		p.log.Warn("ignoring a second welcome")
		return
	}
	p.joined, p.backoff = true, redialMin
	p.applyServerICE(m)
	if p.lost {
		p.lost = false
		p.emit(Event{Type: EventSignalingBack, Resumed: m.Resumed})
	}
	p.peerHere = m.Peer
	if m.Peer {
		p.pair = m.Pair
	}
	switch {
	case !m.Peer:
	case m.Resumed && p.cur != nil:
		p.resumeSession(m.Polite)
	default:
		p.startSession(m.Polite)
	}
}

// startSession creates the PeerConnection for a new pairing: the negotiated chat channel, the local
// tracks, and (impolite) receive-only transceivers for the kinds it does not send, so that a polite
// peer that cannot offer can still attach its tracks to the answer. Impolite, it offers at once.
func (p *Peer) startSession(polite bool) {
	p.endSession() // a leftover PeerConnection (peer-left never came, or a kept one) belongs to the previous pairing
	p.byeEnded = false
	p.emit(Event{Type: EventPaired, Polite: polite})
	s, err := p.newSession(polite)
	if err != nil {
		p.log.Error("cannot create the peer connection", "err", err)
		p.emit(Event{Type: EventError, Err: err})
		return
	}
	p.cur = s
	p.log.Debug("peer connection created", "gen", s.gen, "polite", polite)
	if !polite {
		p.makeOffer()
	}
}

func (p *Peer) newSession(polite bool) (*session, error) {
	pc, err := p.api.NewPeerConnection(p.pcConfig())
	if err != nil {
		return nil, fmt.Errorf("peer: new peer connection: %w", err)
	}
	p.gen++
	s := &session{gen: p.gen, pc: pc, gate: newGate(), polite: polite, state: webrtc.PeerConnectionStateNew,
		started: time.Now()}
	fail := func(err error) (*session, error) {
		s.gate.shut()
		_ = pc.GracefulClose()
		return nil, err
	}
	toLoop := func(ev pcEvent) {
		ev.gen = s.gen
		deliver(s.gate, p.pcIn, ev)
	}
	s.toLoop = toLoop

	negotiated, id, ordered := true, uint16(ChatChannel), true
	s.dc, err = pc.CreateDataChannel(ChatLabel, &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id, Ordered: &ordered})
	if err != nil {
		return fail(fmt.Errorf("peer: create chat channel: %w", err))
	}
	s.dc.OnOpen(func() { toLoop(pcEvent{typ: pcChatOpen}) })
	s.dc.OnClose(func() { toLoop(pcEvent{typ: pcChatClose}) })
	s.dc.OnMessage(func(msg webrtc.DataChannelMessage) { p.onChannelMessage(s, msg) })

	sent := map[webrtc.RTPCodecType]bool{}
	for _, t := range p.opts.Tracks {
		sender, err := pc.AddTrack(t)
		if err != nil {
			return fail(fmt.Errorf("peer: add track %s: %w", t.ID(), err))
		}
		sent[t.Kind()] = true
		// Reading RTCP lets the interceptors (NACK, reports) work; it ends when the sender stops.
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			buf := make([]byte, 1500)
			for {
				if _, _, err := sender.Read(buf); err != nil {
					return
				}
			}
		}()
	}
	if !polite {
		for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
			if sent[kind] {
				continue
			}
			_, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
			if err != nil {
				return fail(fmt.Errorf("peer: add %s transceiver: %w", kind, err))
			}
		}
	}

	pc.OnNegotiationNeeded(func() { toLoop(pcEvent{typ: pcNegotiationNeeded}) })
	pc.OnICECandidate(func(c *webrtc.ICECandidate) { toLoop(pcEvent{typ: pcLocalCandidate, cand: c}) })
	pc.OnConnectionStateChange(func(webrtc.PeerConnectionState) { toLoop(pcEvent{typ: pcStateChange}) })
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		p.log.Debug("remote track", "kind", t.Kind(), "codec", t.Codec().MimeType)
		deliver(s.gate, p.tracks, t)
	})
	return s, nil
}

// setServerICE keeps the ICE servers of a welcome or ice-servers message and schedules the next
// ice-refresh at 80% of their lifetime or 2 s before its end, as docs/protocol.md asks.
func (p *Peer) setServerICE(m protocol.Message) {
	p.serverICE = p.serverICE[:0]
	for _, s := range m.ICEServers {
		p.serverICE = append(p.serverICE, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	if m.ICETTL <= 0 {
		return
	}
	ttl := time.Duration(m.ICETTL) * time.Second
	due := max(min(ttl*8/10, ttl-2*time.Second), time.Second)
	if p.refresh == nil {
		p.refresh = time.AfterFunc(due, func() {
			select {
			case p.refreshDue <- struct{}{}:
			default:
			}
		})
		return
	}
	p.refresh.Reset(due)
}

// applyServerICE keeps the servers of a welcome or ice-servers message and gives them to the live
// PeerConnection, for its next allocations (ICE restarts).
func (p *Peer) applyServerICE(m protocol.Message) {
	p.setServerICE(m)
	if p.cur == nil {
		return
	}
	if err := p.cur.pc.SetConfiguration(p.pcConfig()); err != nil {
		p.log.Warn("cannot update the ICE servers", "err", err)
	}
}

// pcConfig is the configuration of a new PeerConnection, and of the live one when servers change.
func (p *Peer) pcConfig() webrtc.Configuration {
	c := webrtc.Configuration{ICEServers: append(slices.Clone(p.serverICE), p.opts.ICEServers...)}
	if p.opts.RelayOnly {
		c.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	return c
}

// endSession closes the current PeerConnection, if any, and waits for pion's goroutines.
func (p *Peer) endSession() {
	s := p.cur
	if s == nil {
		return
	}
	p.cur = nil
	p.setConnected(false)
	p.stopTimer(s)
	s.gate.shut() // release pion callbacks and timers blocked on a full channel before pion waits for them
	if err := s.pc.GracefulClose(); err != nil {
		p.log.Debug("closing the peer connection", "err", err)
	}
	p.log.Debug("peer connection closed", "gen", s.gen)
}

func (p *Peer) handlePC(ev pcEvent) {
	s := p.cur
	switch ev.typ {
	case pcNegotiationNeeded:
		switch {
		case s.polite:
			// A polite Go peer cannot roll back, so it never offers; the impolite side's offers carry
			// transceivers for both kinds, which covers its tracks.
			p.log.Debug("negotiation needed, polite: waiting for an offer")
		case s.pc.SignalingState() != webrtc.SignalingStateStable:
			// pion checks again, and fires again if still needed, when the state returns to stable.
		default:
			p.makeOffer()
		}
	case pcLocalCandidate:
		m := protocol.Message{Type: protocol.TypeCandidate}
		if ev.cand != nil {
			c := ev.cand.ToJSON()
			m.Candidate = &protocol.Candidate{
				Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex,
				UsernameFragment: c.UsernameFragment,
			}
		} // else null: end of candidates
		p.sendSignal(m)
	case pcStateChange:
		state := s.pc.ConnectionState()
		if state == s.state {
			return
		}
		s.state = state
		p.emit(Event{Type: EventConnectionState, State: state})
		if state == webrtc.PeerConnectionStateConnected {
			p.reportConnected(s)
		} else if state == webrtc.PeerConnectionStateFailed {
			p.report(s, protocol.CallReport{Outcome: protocol.OutcomeFailed, Reason: protocol.FailureICE})
		}
		p.updateConnected()
		p.watchState(s, state)
	case pcChatOpen:
		s.dcOpen = true
		p.updateConnected()
	case pcChatClose:
		s.dcOpen = false
		p.updateConnected()
	case pcChatReceived:
		if err := s.dc.SendText(encodeAck(ev.id)); err != nil {
			p.log.Debug("cannot acknowledge a chat message", "err", err)
		}
	case pcChatAcked:
		p.emit(Event{Type: EventDelivered, ChatID: ev.id})
	case pcBye:
		p.log.Debug("the other person said bye")
		p.endSession()
		p.byeEnded = true
		p.emit(Event{Type: EventPeerLeft, Reason: protocol.ReasonHangup})
	case pcTimer:
		if ev.seq == s.timerSeq {
			s.timer = nil
			p.timerFired(s)
		}
	}
}

// onChannelMessage handles a message on s's chat channel; it runs on pion's reader goroutine for the
// channel, one message at a time. A chat message is delivered once (a repeated id only acknowledged
// again) and acknowledged once delivered; the owner loop sends the acks and handles ack and bye.
func (p *Peer) onChannelMessage(s *session, msg webrtc.DataChannelMessage) {
	if !msg.IsString {
		p.log.Debug("ignoring a binary chat message")
		return
	}
	cm, err := decodeChannel(msg.Data)
	if err != nil {
		p.log.Debug("ignoring an invalid chat message", "err", err)
		return
	}
	switch cm.typ {
	case chatType:
		id := cm.chat.ID
		if !p.seen.has(id) {
			if !deliver(s.gate, p.chat, cm.chat) {
				return // the session closed: unacknowledged, so it comes again on the next channel
			}
			p.seen.add(id)
		}
		s.toLoop(pcEvent{typ: pcChatReceived, id: id})
	case ackType:
		s.toLoop(pcEvent{typ: pcChatAcked, id: cm.id})
	case byeType:
		s.toLoop(pcEvent{typ: pcBye})
	}
}

// sayBye tells the other person on the chat channel that this peer hangs up, and waits a little for
// the message to be acknowledged by their SCTP stack: closing the PeerConnection aborts the
// association, which would drop it.
func (p *Peer) sayBye() {
	s := p.cur
	if s == nil || !s.dcOpen {
		return
	}
	if err := s.dc.SendText(byeMessage); err != nil {
		p.log.Debug("cannot say bye", "err", err)
		return
	}
	for deadline := time.Now().Add(byeWait); s.dc.BufferedAmount() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// byeWait bounds how long Hangup waits for the bye to get through.
const byeWait = 300 * time.Millisecond

// reportConnected sends the call-report of a connection that reached connected, with its path.
func (p *Peer) reportConnected(s *session) {
	path, err := sessionPath(s)
	if err != nil || s.reported {
		return // no selected pair yet is rare at connected; the attempt then goes unreported
	}
	r := protocol.CallReport{Outcome: protocol.OutcomeConnected, Path: protocol.PathDirect,
		SetupMs: min(int(time.Since(s.started).Milliseconds()), protocol.MaxSetupMs)}
	if path.Relayed {
		r.Path = protocol.PathRelayed
		if path.LocalType == webrtc.ICECandidateTypeRelay.String() {
			r.Transport = path.Protocol
		}
	}
	p.report(s, r)
}

// report sends the first call-report of an attempt (docs/protocol.md: one per attempt).
func (p *Peer) report(s *session, r protocol.CallReport) {
	if s.reported {
		return
	}
	s.reported = true
	p.sendSignal(protocol.Message{Type: protocol.TypeCallReport, Report: r})
}

func (p *Peer) updateConnected() {
	s := p.cur
	c := s.state == webrtc.PeerConnectionStateConnected && s.dcOpen
	if c && !s.announced {
		s.announced = true
		p.emit(Event{Type: EventConnected})
	}
	p.setConnected(c)
}

// makeOffer creates an offer, sets it and sends it. Only the impolite side calls it, in stable state.
func (p *Peer) makeOffer() {
	pc := p.cur.pc
	offer, err := pc.CreateOffer(nil)
	p.setLocalAndSend(pc, protocol.TypeOffer, offer, err)
}

// setLocalAndSend applies a description just created (unless creating it failed, err) and sends it to
// the other seat.
func (p *Peer) setLocalAndSend(pc *webrtc.PeerConnection, typ protocol.Type, desc webrtc.SessionDescription, err error) {
	if err == nil {
		err = pc.SetLocalDescription(desc)
	}
	if err != nil {
		p.log.Error("local "+string(typ), "err", err)
		return
	}
	p.log.Debug("sending " + string(typ))
	p.sendSignal(protocol.Message{Type: typ, SDP: desc.SDP})
}

// handleOffer applies a remote offer and answers it; the impolite side ignores an offer that collides
// with its own (perfect negotiation: the polite side rolls back and answers ours instead).
func (p *Peer) handleOffer(sdp string) {
	s := p.cur
	if s == nil {
		p.log.Debug("ignoring an offer: nobody to talk to")
		return
	}
	if s.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		// Glare. Only the impolite side can be here (a polite Go peer never offers): it keeps its offer.
		s.ignoreOffer = true
		p.log.Debug("ignoring a colliding offer", "polite", s.polite)
		return
	}
	s.ignoreOffer = false
	// An offer with new ICE credentials restarts ICE: pion notices and restarts its agent here.
	if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		p.log.Error("set remote offer", "err", err)
		return
	}
	p.noteRemoteUfrag(s, sdp)
	p.addPendingCandidates()
	answer, err := s.pc.CreateAnswer(nil)
	p.setLocalAndSend(s.pc, protocol.TypeAnswer, answer, err)
}

func (p *Peer) handleAnswer(sdp string) {
	s := p.cur
	if s == nil || s.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
		p.log.Debug("ignoring an answer: no offer of ours is pending")
		return
	}
	if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		p.log.Error("set remote answer", "err", err)
		return
	}
	p.noteRemoteUfrag(s, sdp)
	p.addPendingCandidates()
}

// handleRemoteCandidate adds a remote candidate, or keeps it until there is a remote description. An
// empty candidate string (one m-line's end, as Firefox sends) and null (the end of all) need nothing
// from pion.
func (p *Peer) handleRemoteCandidate(c *protocol.Candidate) {
	s := p.cur
	if s == nil || c == nil || c.Candidate == "" {
		return
	}
	init := webrtc.ICECandidateInit{
		Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment,
	}
	if s.pc.RemoteDescription() == nil {
		if len(s.pending) >= maxPendingCandidates {
			p.log.Warn("too many early candidates: dropping one")
			return
		}
		s.pending = append(s.pending, init)
		return
	}
	p.addCandidate(init)
}

func (p *Peer) addPendingCandidates() {
	s := p.cur
	pending := s.pending
	s.pending = nil
	for _, c := range pending {
		p.addCandidate(c)
	}
}

func (p *Peer) addCandidate(c webrtc.ICECandidateInit) {
	if err := p.cur.pc.AddICECandidate(c); err != nil && !p.cur.ignoreOffer {
		p.log.Warn("add remote candidate", "err", err)
	}
}
