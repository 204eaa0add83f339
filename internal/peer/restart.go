package peer

import (
	"fmt"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/maju-call/maju/internal/protocol"
)

// Repairing a PeerConnection in place: ICE restarts when the connection is lost, and the repair of a
// pair that resumed after a signaling drop. Everything here runs on the owner loop.
//
// Only the impolite side offers a restart (a polite Go peer cannot roll back an offer of its own, so
// it must never make one); the polite side waits for that offer, which pion applies as an ICE restart
// (new remote credentials) in SetRemoteDescription. A restart needs signaling: while it is down, or the
// other person is away, nothing is offered, and resumeSession does it when both are back.

const (
	// defaultICEGrace is how long a disconnected PeerConnection may recover on its own (pion goes
	// disconnected after 5 s without an answer from the other side, and back to connected when answers
	// come again) before ICE restarts.
	defaultICEGrace = 2 * time.Second
	// defaultRestartRetry is the wait after a restart offer before trying again if the connection is
	// still down; it doubles with each attempt up to maxRestartRetry.
	defaultRestartRetry = 2 * time.Second
	maxRestartRetry     = 30 * time.Second
	// maxRestarts bounds the restarts offered in a row (about 3 minutes with the defaults); signaling
	// coming back starts a new series.
	maxRestarts = 8
)

// watchState follows s's connection state: disconnected past the grace, or failed, means the
// connection is lost; connected again ends the repair.
func (p *Peer) watchState(s *session, state webrtc.PeerConnectionState) {
	switch state {
	case webrtc.PeerConnectionStateConnected:
		p.stopTimer(s)
		s.wasConnected, s.attempts = true, 0
		if s.down {
			s.down = false
			p.emit(Event{Type: EventReconnected})
		}
	case webrtc.PeerConnectionStateDisconnected:
		if s.timer == nil {
			p.armTimer(s, defaultICEGrace)
		}
	case webrtc.PeerConnectionStateFailed:
		if s.attempts > 0 && s.timer != nil {
			return // a restart is under way; its retry timer decides what next
		}
		p.stopTimer(s)
		p.connectionLost(s)
	}
}

// timerFired: the disconnected grace ended, or a restart did not connect in time.
func (p *Peer) timerFired(s *session) {
	if s.pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
		p.connectionLost(s)
	}
}

// connectionLost restarts ICE, or (polite, or signaling down) waits for what will restart it.
func (p *Peer) connectionLost(s *session) {
	if !s.down && s.wasConnected {
		s.down = true
		p.emit(Event{Type: EventReconnecting})
	}
	switch {
	case s.polite:
		p.log.Debug("connection lost: waiting for the other side's ICE restart")
		return
	case !p.canSignal():
		p.log.Debug("connection lost: ICE restarts when signaling is back")
		return
	case s.attempts >= maxRestarts:
		p.log.Warn("connection lost: giving up ICE restarts until signaling reconnects", "attempts", s.attempts)
		return
	}
	s.attempts++
	p.log.Info("connection lost: restarting ICE", "attempt", s.attempts)
	if err := p.offerRestart(s); err != nil {
		p.log.Warn("ICE restart", "err", err)
	}
	p.armTimer(s, p.restartDelay(s.attempts))
}

// resumeSession keeps the current PeerConnection for a pair that resumed (docs/protocol.md): one left
// with an unanswered offer sends it again, and one that is not connected restarts ICE.
func (p *Peer) resumeSession(polite bool) {
	s := p.cur
	s.polite = polite // the role it had, as the server remembers it
	s.attempts = 0
	p.stopTimer(s)
	p.log.Debug("pair resumed", "state", s.pc.ConnectionState(), "signaling", s.pc.SignalingState())
	if s.pc.ConnectionState() == webrtc.PeerConnectionStateConnected {
		if s.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
			p.resendOffer(s)
		}
		return
	}
	p.connectionLost(s)
}

// offerRestart offers an ICE restart (impolite side only). With an offer of ours still unanswered
// (its answer was lost while signaling was down) that offer is sent again instead: pion cannot roll it
// back, and once it is answered a restart can follow.
func (p *Peer) offerRestart(s *session) error {
	if s.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		p.resendOffer(s)
		return nil
	}
	offer, err := s.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		return fmt.Errorf("peer: ICE restart offer: %w", err)
	}
	if err := s.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("peer: ICE restart offer: %w", err)
	}
	p.log.Debug("sending an ICE restart offer")
	p.sendSignal(protocol.Message{Type: protocol.TypeOffer, SDP: offer.SDP})
	return nil
}

// resendOffer sends our unanswered offer again, with the candidates gathered since.
func (p *Peer) resendOffer(s *session) {
	if d := s.pc.LocalDescription(); d != nil && d.Type == webrtc.SDPTypeOffer {
		p.log.Debug("sending our unanswered offer again")
		p.sendSignal(protocol.Message{Type: protocol.TypeOffer, SDP: d.SDP})
	}
}

// noteRemoteUfrag keeps the other side's ICE username fragment from a description just applied; a
// change is an ICE restart (either side's: the answerer of a restart changes its credentials too).
func (p *Peer) noteRemoteUfrag(s *session, sdp string) {
	u := iceUfrag(sdp)
	if u == "" {
		return
	}
	if s.remoteUfrag != "" && u != s.remoteUfrag {
		s.restarts++
		p.log.Debug("ICE restarted", "restarts", s.restarts)
	}
	s.remoteUfrag = u
}

// iceUfrag returns the first a=ice-ufrag of a session description ("" if none). maju's descriptions
// bundle every m-line on one transport, so the first is the one.
func iceUfrag(sdp string) string {
	for line := range strings.Lines(sdp) {
		if u, ok := strings.CutPrefix(line, "a=ice-ufrag:"); ok {
			return strings.TrimRight(u, "\r\n")
		}
	}
	return ""
}

// armTimer makes s's timer fire in d (replacing any other); its event reaches the owner loop through
// the session's gate, so it never outlives the session.
func (p *Peer) armTimer(s *session, d time.Duration) {
	p.stopTimer(s)
	seq := s.timerSeq
	s.timer = time.AfterFunc(d, func() { s.toLoop(pcEvent{typ: pcTimer, seq: seq}) })
}

// stopTimer stops s's timer; an event it already sent is ignored (its seq is old).
func (p *Peer) stopTimer(s *session) {
	s.timerSeq++
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

// restartDelay is the wait after the n-th restart offer (n ≥ 1) before the next.
func (p *Peer) restartDelay(n int) time.Duration {
	d := defaultRestartRetry
	for ; n > 1 && d < maxRestartRetry; n-- {
		d *= 2
	}
	return min(d, maxRestartRetry)
}
