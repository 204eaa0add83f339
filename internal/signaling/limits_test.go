package signaling

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/protocol"
)

// from returns a handshake header that makes the server (trusting 127.0.0.1 as a proxy) count the
// connection for addr.
func from(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }

func trustLoopback(c *config.Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
}

func TestMessageFloodIsDroppedAndHurtsNobodyElse(t *testing.T) {
	s := start(t, func(c *config.Config) { c.MsgRate, c.MsgBurst = 5, 10 })
	flooder := s.dial(t, nil)
	a, b, _ := s.pair(t)

	// Bounded flood: 200 pings at once. The first 10 (the burst) are answered, then one rate-limited
	// error, and the rest are dropped without an answer each.
	for range 200 {
		flooder.send(protocol.Message{Type: protocol.TypePing})
	}
	// Once the budget has refilled a little, a leave before join marks the end: its not-joined error
	// comes after every answer to the flood.
	time.Sleep(1100 * time.Millisecond)
	flooder.send(protocol.Message{Type: protocol.TypeLeave})
	pongs, limited := 0, 0
	for {
		m, err := flooder.next()
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == protocol.TypeError && m.Code == protocol.CodeNotJoined {
			break
		}
		switch {
		case m.Type == protocol.TypePong:
			pongs++
		case m.Type == protocol.TypeError && m.Code == protocol.CodeRateLimited:
			limited++
		default:
			t.Fatalf("flooder got %+v", m)
		}
	}
	if pongs < 10 || pongs > 20 || limited < 1 || limited > 3 {
		t.Fatalf("flooder got %d pongs and %d rate-limited errors; want about 10 and 1", pongs, limited)
	}
	// The pair in another room relays as usual meanwhile.
	a.send(protocol.Message{Type: protocol.TypeOffer, SDP: "v=0"})
	b.expect(protocol.TypeOffer)
	// The flooder's connection stays open.
	flooder.alive()
	if got := s.obs.snapshot().rejected[protocol.CodeRateLimited]; got != limited {
		t.Errorf("observer counted %d rate-limited, want %d", got, limited)
	}
}

func TestConnectionsPerAddressAreCapped(t *testing.T) {
	s := start(t, func(c *config.Config) { trustLoopback(c); c.MaxConnsPerIP = 2 })
	first := s.dial(t, from("198.51.100.7"))
	s.dial(t, from("198.51.100.7"))
	url := "ws" + strings.TrimPrefix(s.URL, "http")
	_, resp, err := websocket.DefaultDialer.Dial(url, from("198.51.100.7"))
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third connection from one address: %v, %v; want HTTP 429", err, resp)
	}
	var body struct{ Code string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Code != string(protocol.CodeTooManyConnections) {
		t.Fatalf("429 body code %q (%v), want %s", body.Code, err, protocol.CodeTooManyConnections)
	}
	// Another address is not affected; a closed connection frees its place.
	s.dial(t, from("198.51.100.8")).alive()
	_ = first.ws.Close()
	waitFor(t, "the closed connection's place", func() bool {
		ws, _, err := websocket.DefaultDialer.Dial(url, from("198.51.100.7"))
		if err == nil {
			_ = ws.Close()
		}
		return err == nil
	})
}

func TestNewRoomsPerAddressAreLimited(t *testing.T) {
	s := start(t, func(c *config.Config) { trustLoopback(c); c.RoomRate, c.RoomBurst = 1, 2 })
	var opened []string
	for range 2 {
		c := s.dial(t, from("203.0.113.5"))
		id := newRoom(t)
		c.send(protocol.Join(id, true))
		c.expect(protocol.TypeWelcome)
		opened = append(opened, id)
	}
	c := s.dial(t, from("203.0.113.5"))
	c.send(protocol.Join(newRoom(t), true))
	c.expectError(protocol.CodeTooManyRooms)
	c.expectClose(protocol.ClosePolicy, string(protocol.CodeTooManyRooms))
	// Joining a room that exists is not opening one.
	c = s.dial(t, from("203.0.113.5"))
	c.send(protocol.Join(opened[0], true))
	if w := c.expect(protocol.TypeWelcome); !w.Peer {
		t.Fatalf("welcome %+v, want the room's peer", w)
	}
	// Another address opens rooms as usual.
	c = s.dial(t, from("203.0.113.6"))
	c.send(protocol.Join(newRoom(t), true))
	c.expect(protocol.TypeWelcome)
}

// Right after a start, joins with keep re-form the rooms of calls that went on through a restart without
// counting as new rooms; after that window keep is only a client's word and opens no room past the limit.
func TestKeepJoinsCountAsNewRoomsAfterTheRestartWindow(t *testing.T) {
	s := start(t, func(c *config.Config) { trustLoopback(c); c.RoomRate, c.RoomBurst = 1, 1 })
	keepJoin := func() *client {
		c := s.dial(t, from("203.0.113.5"))
		c.send(resumeJoin(newRoom(t), newRoom(t), true, false))
		return c
	}
	for range 3 { // beyond the burst of 1: a restart re-forms every call at once
		keepJoin().expect(protocol.TypeWelcome)
	}
	s.h.keepUntil.Store(time.Now().UnixNano())
	keepJoin().expect(protocol.TypeWelcome) // the burst, untouched by the joins above
	keepJoin().expectError(protocol.CodeTooManyRooms)
}
