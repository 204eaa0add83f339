package peer

import (
	"errors"
	"fmt"
	"net"
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
}

// pcEventType names what a pion callback reported.
type pcEventType int

const (
	pcNegotiationNeeded pcEventType = iota + 1
	pcLocalCandidate                // cand nil: gathering is complete
	pcStateChange                   // read the state from the PeerConnection: pion reports changes out of order
	pcChatOpen
	pcChatClose
)

// pcEvent is a pion callback's report to the owner loop.
type pcEvent struct {
	gen  uint64
	typ  pcEventType
	cand *webrtc.ICECandidate
}

// run is the owner loop: the only goroutine that uses the PeerConnection and writes to the WebSocket.
func (p *Peer) run(welcome protocol.Message) {
	defer p.stop()
	p.setServerICE(welcome)
	if welcome.Peer {
		p.startSession(welcome.Polite)
	}
	for {
		select {
		case m := <-p.sigIn:
			p.handleSignal(m)
		case err := <-p.readErr:
			p.err = closeError(err, p.lastError, p.hangingUp)
			if p.err != nil {
				p.log.Info("signaling ended", "err", p.err)
			}
			return
		case ev := <-p.pcIn:
			if p.cur != nil && ev.gen == p.cur.gen {
				p.handlePC(ev)
			}
		case a := <-p.actions:
			a.res <- a.fn()
		case <-p.refreshDue:
			p.sendSignal(protocol.ICERefreshMessage())
		case <-p.closing:
			return
		}
	}
}

// stop ends the session and the signaling connection, waits for every goroutine and closes the outputs.
func (p *Peer) stop() {
	if p.refresh != nil {
		p.refresh.Stop()
	}
	p.endSession()
	p.ws.close() // ends the reader's ReadMessage if it is still running
	close(p.quit)
	p.wg.Wait() // the reader and the RTCP readers
	p.emit(Event{Type: EventClosed, Err: p.err})
	// Every session's gate is shut, so no pion callback sends on these any more.
	close(p.events)
	close(p.chat)
	close(p.tracks)
	close(p.done)
}

func (p *Peer) handleSignal(m protocol.Message) {
	switch m.Type {
	case protocol.TypePeerJoined:
		p.startSession(m.Polite)
	case protocol.TypePeerLeft:
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
		if !m.Code.Fatal() { // a fatal one is reported by EventClosed, after the close that follows it
			p.log.Warn("server error", "err", err)
			p.emit(Event{Type: EventError, Err: err})
		}
	case protocol.TypeICEServers:
		p.setServerICE(m)
		if p.cur != nil {
			if err := p.cur.pc.SetConfiguration(p.pcConfig()); err != nil {
				p.log.Warn("cannot update the ICE servers", "err", err)
			}
		}
		p.emit(Event{Type: EventICEServers})
	case protocol.TypePong:
	default:
		p.log.Warn("ignoring an unexpected message", "type", m.Type)
	}
}

// startSession creates the PeerConnection for a new pairing: the negotiated chat channel, the local
// tracks, and (impolite) receive-only transceivers for the kinds it does not send, so that a polite
// peer that cannot offer can still attach its tracks to the answer. Impolite, it offers at once.
func (p *Peer) startSession(polite bool) {
	p.endSession() // a leftover PeerConnection (peer-left never came) belongs to the previous pairing
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

	negotiated, id, ordered := true, uint16(ChatChannel), true
	s.dc, err = pc.CreateDataChannel(ChatLabel, &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id, Ordered: &ordered})
	if err != nil {
		return fail(fmt.Errorf("peer: create chat channel: %w", err))
	}
	s.dc.OnOpen(func() { toLoop(pcEvent{typ: pcChatOpen}) })
	s.dc.OnClose(func() { toLoop(pcEvent{typ: pcChatClose}) })
	s.dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		if !msg.IsString {
			p.log.Debug("ignoring a binary chat message")
			return
		}
		cm, ok, err := DecodeChat(msg.Data)
		if err != nil {
			p.log.Debug("ignoring an invalid chat message", "err", err)
		}
		if ok {
			deliver(s.gate, p.chat, cm)
		}
	})

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
	s.gate.shut() // release pion callbacks blocked on a full channel before pion waits for them
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
	case pcChatOpen:
		s.dcOpen = true
		p.updateConnected()
	case pcChatClose:
		s.dcOpen = false
		p.updateConnected()
	}
}

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
	if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		p.log.Error("set remote offer", "err", err)
		return
	}
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

// sendSignal sends a message to the server. A failed write means the connection is broken; the reader
// sees that too and the peer stops, so the error is only logged.
func (p *Peer) sendSignal(m protocol.Message) {
	if err := p.ws.send(m); err != nil && !errors.Is(err, net.ErrClosed) {
		p.log.Warn("signaling write failed", "err", err)
	}
}
