package main

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maju-call/maju/internal/protocol"
	"github.com/maju-call/maju/internal/server"
)

// BenchmarkCodecOffer is the server's per-message CPU outside the network: decode a 200-byte offer and
// encode it again for the other seat.
//
//	go test -run '^$' -bench CodecOffer -benchmem ./bench/signaling
func BenchmarkCodecOffer(b *testing.B) {
	msg := appendOffer(nil, 1, 2, 3, 4, 200)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		m, err := protocol.Decode(msg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := protocol.Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRelayOffer relays 200-byte offers through an in-process server from one seat to the other
// and waits for each to arrive: one op is one relayed message, client work included. Compare ns/op and
// allocs/op before and after a change to internal/signaling.
//
//	go test -run '^$' -bench RelayOffer -benchmem -count 5 ./bench/signaling
func BenchmarkRelayOffer(b *testing.B) {
	cfg := benchConfig(b, 2) // offers back to back: far above the default -msg-rate
	srv := server.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	wsURL := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"

	var raw [16]byte
	_, _ = rand.Read(raw[:])
	room := base64.RawURLEncoding.EncodeToString(raw[:])
	join := func() *websocket.Conn {
		ws, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"v":1,"type":"join","room":"`+room+`"}`)); err != nil {
			b.Fatal(err)
		}
		return ws
	}
	a := join()
	defer a.Close()
	waitFor(b, a, protocol.TypeWelcome)
	peer := join()
	defer peer.Close()
	waitFor(b, peer, protocol.TypeWelcome)
	waitFor(b, a, protocol.TypePeerJoined)

	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	seq := 0
	for b.Loop() {
		buf = appendOffer(buf[:0], seq, 0, 0, 1, 200)
		seq++
		if err := a.WriteMessage(websocket.TextMessage, buf); err != nil {
			b.Fatal(err)
		}
		_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := peer.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}

func waitFor(b *testing.B, ws *websocket.Conn, typ protocol.Type) {
	b.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := ws.ReadMessage()
	if err != nil {
		b.Fatal(err)
	}
	if m, err := protocol.Decode(data); err != nil || m.Type != typ {
		b.Fatalf("got %s, want %s", data, typ)
	}
}
