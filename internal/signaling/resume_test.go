package signaling

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/protocol"
)

func newToken(t *testing.T) string {
	t.Helper()
	tok, err := protocol.NewRoomID(rand.Reader) // same form: 128 random bits
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func resumeJoin(roomID, token string, keep, polite bool) protocol.Message {
	m := protocol.Join(roomID, true)
	m.Resume, m.Keep, m.Polite = token, keep, polite
	return m
}

// resumablePair seats a (impolite) and b (polite) with resume tokens.
func (s *testServer) resumablePair(t *testing.T) (a, b *client, roomID, tokA, tokB string) {
	t.Helper()
	roomID, tokA, tokB = newRoom(t), newToken(t), newToken(t)
	a, b = s.dial(t, nil), s.dial(t, nil)
	a.send(resumeJoin(roomID, tokA, false, false))
	a.expect(protocol.TypeWelcome)
	b.send(resumeJoin(roomID, tokB, false, false))
	if w := b.expect(protocol.TypeWelcome); !w.Peer || !w.Polite || w.Resumed {
		t.Fatalf("b's welcome %+v", w)
	}
	a.expect(protocol.TypePeerJoined)
	return a, b, roomID, tokA, tokB
}

func TestDroppedSocketResumesItsSeat(t *testing.T) {
	s := start(t, func(c *config.Config) { c.ResumeGrace = time.Minute })
	a, b, roomID, _, tokB := s.resumablePair(t)
	_ = b.ws.Close()
	if m := a.expect(protocol.TypePeerReconnecting); m.GraceMs != 60000 {
		t.Fatalf("peer-reconnecting %+v, want graceMs 60000", m)
	}
	// Nobody else can take the held seat.
	c := s.dial(t, nil)
	c.send(protocol.Join(roomID, true))
	c.expectError(protocol.CodeRoomFull)

	b2 := s.dial(t, nil)
	b2.send(resumeJoin(roomID, tokB, true, true))
	if w := b2.expect(protocol.TypeWelcome); !w.Peer || !w.Polite || !w.Resumed {
		t.Fatalf("resumed welcome %+v, want peer, polite, resumed", w)
	}
	if j := a.expect(protocol.TypePeerJoined); j.Polite || !j.Resumed {
		t.Fatalf("peer-joined %+v, want impolite, resumed", j)
	}
	// Relaying works both ways again.
	b2.send(protocol.Message{Type: protocol.TypeOffer, SDP: "v=0 again"})
	if m := a.expect(protocol.TypeOffer); m.SDP != "v=0 again" {
		t.Fatalf("relayed %+v", m)
	}
	a.send(protocol.Message{Type: protocol.TypeAnswer, SDP: "v=0 answer"})
	b2.expect(protocol.TypeAnswer)
}

func TestReloadTakesTheSeatFromTheOldSocket(t *testing.T) {
	s := start(t, func(c *config.Config) { c.ResumeGrace = time.Minute })
	a, b, roomID, _, tokB := s.resumablePair(t)
	// The reloaded page joins while the old socket still looks alive.
	b2 := s.dial(t, nil)
	b2.send(resumeJoin(roomID, tokB, false, false))
	b.expectError(protocol.CodeReplaced)
	b.expectClose(protocol.ClosePolicy, string(protocol.CodeReplaced))
	if w := b2.expect(protocol.TypeWelcome); !w.Peer || w.Resumed {
		t.Fatalf("welcome after reload %+v, want a new pair", w)
	}
	if j := a.expect(protocol.TypePeerJoined); j.Resumed {
		t.Fatalf("peer-joined %+v, want a new pair", j)
	}
	// The old socket ending told a nothing more: its next message is from b2.
	b2.send(protocol.Message{Type: protocol.TypeOffer, SDP: "v=0 new"})
	if m := a.expect(protocol.TypeOffer); m.SDP != "v=0 new" {
		t.Fatalf("a got %+v", m)
	}
}

func TestMessagesForAReplacedPairAreDropped(t *testing.T) {
	s := start(t, func(c *config.Config) { c.ResumeGrace = time.Minute })
	roomID, tokB := newRoom(t), newToken(t)
	a, b := s.dial(t, nil), s.dial(t, nil)
	a.send(protocol.Join(roomID, true))
	a.expect(protocol.TypeWelcome)
	b.send(resumeJoin(roomID, tokB, false, false))
	old := b.expect(protocol.TypeWelcome).Pair
	if j := a.expect(protocol.TypePeerJoined); j.Pair != old || old == 0 {
		t.Fatalf("peer-joined pair %d, welcome's %d: want the same, not 0", j.Pair, old)
	}
	b2 := s.dial(t, nil)
	b2.send(resumeJoin(roomID, tokB, false, false)) // b reloads
	b.expectError(protocol.CodeReplaced)
	cur := b2.expect(protocol.TypeWelcome).Pair
	if cur == old {
		t.Fatal("a new pair kept the old pair's number")
	}
	// a's old connection's offer crosses b2's join: it must not reach b2. The next one, for the pair a
	// now knows, does; so does one without a pair (clients that do not give it).
	a.send(protocol.Message{Type: protocol.TypeOffer, SDP: "v=0 stale", Pair: old})
	a.send(protocol.Message{Type: protocol.TypeOffer, SDP: "v=0 current", Pair: cur})
	a.send(protocol.Message{Type: protocol.TypeOffer, SDP: "v=0 any"})
	for _, want := range []string{"v=0 current", "v=0 any"} {
		if m := b2.expect(protocol.TypeOffer); m.SDP != want || m.Pair != 0 {
			t.Fatalf("b2 got %+v, want %q without a pair", m, want)
		}
	}
}

func TestHeldSeatExpiresIntoPeerLeft(t *testing.T) {
	s := start(t, func(c *config.Config) { c.ResumeGrace = 100 * time.Millisecond })
	a, b, roomID, _, _ := s.resumablePair(t)
	_ = b.ws.Close()
	a.expect(protocol.TypePeerReconnecting)
	if m := a.expect(protocol.TypePeerLeft); m.Reason != protocol.ReasonDisconnected {
		t.Fatalf("peer-left %+v", m)
	}
	c := s.dial(t, nil)
	c.send(protocol.Join(roomID, true))
	if w := c.expect(protocol.TypeWelcome); !w.Peer {
		t.Fatal("the freed seat was not free")
	}
	_ = a.ws.Close()
	_ = c.ws.Close()
	waitFor(t, "rooms freed", func() bool { return s.h.Rooms() == 0 })
}

func TestJoiningBesideAHeldSeatSaysThePeerIsReconnecting(t *testing.T) {
	s := start(t, func(c *config.Config) { c.ResumeGrace = time.Minute })
	a, b, roomID, tokA, _ := s.resumablePair(t)
	_ = b.ws.Close()
	a.expect(protocol.TypePeerReconnecting)
	_ = a.ws.Close()
	a2 := s.dial(t, nil)
	a2.send(resumeJoin(roomID, tokA, false, false)) // a reloaded while b is away
	if w := a2.expect(protocol.TypeWelcome); w.Peer {
		t.Fatalf("welcome %+v, want alone", w)
	}
	if m := a2.expect(protocol.TypePeerReconnecting); m.GraceMs <= 0 || m.GraceMs > 60000 {
		t.Fatalf("peer-reconnecting %+v, want what is left of b's minute", m)
	}
}

func TestRoomReformsAfterServerRestart(t *testing.T) {
	s := start(t, func(c *config.Config) { c.ResumeGrace = time.Minute })
	roomID, tokA, tokB := newRoom(t), newToken(t), newToken(t)
	a, b := s.dial(t, nil), s.dial(t, nil)
	a.send(resumeJoin(roomID, tokA, true, false))
	if w := a.expect(protocol.TypeWelcome); w.Peer {
		t.Fatalf("first welcome %+v", w)
	}
	b.send(resumeJoin(roomID, tokB, true, true))
	if w := b.expect(protocol.TypeWelcome); !w.Peer || !w.Polite || !w.Resumed {
		t.Fatalf("second welcome %+v, want the pair resumed with b polite", w)
	}
	if j := a.expect(protocol.TypePeerJoined); j.Polite || !j.Resumed {
		t.Fatalf("peer-joined %+v, want resumed with a impolite", j)
	}
}

func TestHangupIsImmediateEvenWithAToken(t *testing.T) {
	s := start(t, func(c *config.Config) { c.ResumeGrace = time.Minute })
	a, b, _, _, _ := s.resumablePair(t)
	b.send(protocol.Message{Type: protocol.TypeLeave})
	if m := a.expect(protocol.TypePeerLeft); m.Reason != protocol.ReasonHangup {
		t.Fatalf("peer-left %+v", m)
	}
}

func TestShutdownHoldsNoSeats(t *testing.T) {
	s := start(t, func(c *config.Config) { c.ResumeGrace = time.Minute })
	s.resumablePair(t)
	if err := s.h.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s.h.Rooms() != 0 {
		t.Fatalf("%d rooms left after shutdown", s.h.Rooms())
	}
}

func TestPageGoingAwayIsHeldBriefly(t *testing.T) {
	s := start(t, func(c *config.Config) { c.ResumeGrace = time.Minute })
	a, b, _, _, _ := s.resumablePair(t)
	_ = b.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), time.Now().Add(time.Second))
	if m := a.expect(protocol.TypePeerReconnecting); m.GraceMs != int(unloadGrace.Milliseconds()) {
		t.Fatalf("peer-reconnecting %+v, want graceMs %d", m, unloadGrace.Milliseconds())
	}
}
