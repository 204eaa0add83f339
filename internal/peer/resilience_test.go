package peer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/maju-call/maju/internal/protocol"
)

// Reconnecting signaling, resuming a pair, ICE restarts answered by a polite peer, and the data
// channel's ack and bye, against the scripted server. Two Peers through the real server, and a network
// cut, are in internal/integration (resilience_*_test.go).

func resumedWelcome(polite bool) protocol.Message {
	return protocol.Message{Type: protocol.TypeWelcome, Room: testRoom, Peer: true, Polite: polite, Resumed: true}
}

// impoliteCall joins as the impolite side of a pair with a remote and connects the call. It returns
// the peer's join message too.
func impoliteCall(ctx context.Context, t *testing.T, fs *fakeServer) (*Peer, *fakeConn, protocol.Message, *remote) {
	t.Helper()
	res := joinAsync(ctx, t, Options{URL: fs.url, Room: testRoom, Logger: testLogger(t, "p"), LoopbackOnly: true})
	fc, join := fs.acceptJoin(ctx)
	fc.send(welcome(true, false))
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	p := r.p
	t.Cleanup(func() { _ = p.Close() })

	rem := newRemote(t)
	others, relayDone := rem.relay(fc)
	t.Cleanup(relayDone)
	offer := nextOfType(ctx, t, others, protocol.TypeOffer)
	rem.answer(ctx, fc, offer.SDP)
	if err := p.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	rem.waitOpen(ctx)
	return p, fc, join, rem
}

// nextChannel returns the next data-channel message the remote receives, as a JSON object.
func (r *remote) nextChannel(ctx context.Context) map[string]any {
	r.t.Helper()
	select {
	case m := <-r.msgs:
		var v map[string]any
		if err := json.Unmarshal(m.Data, &v); err != nil {
			r.t.Fatalf("remote: got %q: %v", m.Data, err)
		}
		return v
	case <-ctx.Done():
		r.t.Fatal("remote: no data-channel message")
	}
	return nil
}

func (r *remote) expectAck(ctx context.Context, id string) {
	r.t.Helper()
	if m := r.nextChannel(ctx); m["type"] != ackType || m["id"] != id {
		r.t.Fatalf("remote: got %v, want the ack of %s", m, id)
	}
}

func (r *remote) sendText(text string) {
	r.t.Helper()
	if err := r.dc.SendText(text); err != nil {
		r.t.Fatal(err)
	}
}

func receive(ctx context.Context, t *testing.T, p *Peer) ChatMessage {
	t.Helper()
	select {
	case m := <-p.Chat():
		return m
	case <-ctx.Done():
		t.Fatal("no chat message")
	}
	return ChatMessage{}
}

func status(ctx context.Context, t *testing.T, p *Peer) Status {
	t.Helper()
	st, err := p.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// eventsUntil reads p's events until one of type typ and returns all of them.
func eventsUntil(ctx context.Context, t *testing.T, p *Peer, typ EventType) []Event {
	t.Helper()
	var evs []Event
	for {
		select {
		case ev, ok := <-p.Events():
			if !ok {
				t.Fatalf("peer stopped while waiting for %v (after %v)", typ, evs)
			}
			evs = append(evs, ev)
			if ev.Type == typ {
				return evs
			}
		case <-ctx.Done():
			t.Fatalf("no %v event (got %v)", typ, evs)
		}
	}
}

// TestSignalingDropKeepsTheCall: the signaling connection drops during a call. Chat goes on meanwhile
// (delivered once, acknowledged every time), the peer reconnects with its resume token and keep, the
// resumed pair keeps its PeerConnection, and the other person's bye ends the call at once (the
// server's peer-left that follows is not reported again).
func TestSignalingDropKeepsTheCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	fs := newFakeServer(t, nil)
	p, fc, join, rem := impoliteCall(ctx, t, fs)
	if join.Keep {
		t.Fatal("first join with keep")
	}

	_ = fc.ws.Close() // dropped, without a close frame
	if ev := waitEvent(ctx, t, p, EventSignalingLost); ev.Err == nil {
		t.Fatal("signaling lost without a reason")
	}
	want := ChatMessage{ID: "r1", Text: "still there?", Time: time.UnixMilli(1700000000000)}
	data, _ := EncodeChat(want)
	rem.sendText(string(data))
	if got := receive(ctx, t, p); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	rem.expectAck(ctx, want.ID)
	rem.sendText(string(data)) // sent again (its ack was lost): acknowledged again, not delivered twice
	rem.expectAck(ctx, want.ID)
	select {
	case m := <-p.Chat(): // the ack comes after the delivery decision, so a duplicate would be here
		t.Fatalf("a repeated message was delivered again: %+v", m)
	default:
	}
	sent, err := p.SendChat("yes")
	if err != nil {
		t.Fatalf("chat while signaling is down: %v", err)
	}
	if got := rem.receiveChat(ctx); got != sent {
		t.Fatalf("remote got %+v, want %+v", got, sent)
	}
	rem.sendText(encodeAck(sent.ID))
	if ev := waitEvent(ctx, t, p, EventDelivered); ev.ChatID != sent.ID {
		t.Fatalf("delivered %q, want %q", ev.ChatID, sent.ID)
	}

	fc2, join2 := fs.acceptJoin(ctx)
	if join2.Resume != join.Resume || !join2.Keep || join2.Polite {
		t.Fatalf("rejoin %+v, want the same resume token (%s), keep, impolite", join2, join.Resume)
	}
	fc2.send(resumedWelcome(false))
	if ev := waitEvent(ctx, t, p, EventSignalingBack); !ev.Resumed {
		t.Fatal("signaling back, not resumed")
	}
	if st := status(ctx, t, p); st.PeerConnection != 1 || !st.Signaling || st.ICERestarts != 0 ||
		st.State != webrtc.PeerConnectionStateConnected {
		t.Fatalf("status after resuming %+v, want the first PeerConnection, connected, no restart", st)
	}

	rem.sendText(byeMessage)
	if ev := waitEvent(ctx, t, p, EventPeerLeft); ev.Reason != protocol.ReasonHangup {
		t.Fatalf("peer-left after bye: reason %q", ev.Reason)
	}
	if p.Connected() {
		t.Fatal("still connected after bye")
	}
	fc2.send(protocol.Message{Type: protocol.TypePeerLeft, Reason: protocol.ReasonHangup})
	fc2.send(protocol.Message{Type: protocol.TypePeerJoined, Polite: false}) // someone new
	for _, ev := range eventsUntil(ctx, t, p, EventPaired) {
		if ev.Type == EventPeerLeft {
			t.Fatal("peer-left reported twice")
		}
	}
	if st := status(ctx, t, p); st.PeerConnection != 2 {
		t.Fatalf("status %+v, want a second PeerConnection for the new pair", st)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	offers := 0
	for m := range fc2.in {
		if m.Type == protocol.TypeOffer {
			offers++
		}
	}
	if offers != 1 {
		t.Fatalf("%d offers on the second connection, want 1 (the new pair's; the resumed pair needed none)", offers)
	}
}

// TestReconnectBackoffAndFinalRefusal: shutting-down (close 1012) means reconnect, after 0.5 s ± 50 %,
// then twice that after a refused attempt; a peer without a PeerConnection rejoins without keep; a
// final refusal (replaced) stops the peer.
func TestReconnectBackoffAndFinalRefusal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var (
		refuse   atomic.Int32
		mu       sync.Mutex
		attempts []time.Time
	)
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		attempts = append(attempts, time.Now())
		mu.Unlock()
		if refuse.Add(-1) >= 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"code":"server-full","message":"full"}`))
			return false
		}
		return true
	})
	res := joinAsync(ctx, t, Options{URL: fs.url, Room: testRoom, Logger: testLogger(t, "p"), LoopbackOnly: true})
	fc, join := fs.acceptJoin(ctx)
	fc.send(welcome(false, false))
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	p := r.p
	defer p.Close()

	refuse.Store(1)
	dropped := time.Now()
	fc.send(protocol.ErrorMessage(protocol.Errorf(protocol.CodeShuttingDown, "The server is restarting.")))
	_ = fc.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(protocol.CloseServiceRestart, "shutting-down"))
	ev := waitEvent(ctx, t, p, EventSignalingLost)
	var perr *protocol.Error
	if !errors.As(ev.Err, &perr) || perr.Code != protocol.CodeShuttingDown {
		t.Fatalf("signaling lost with %v, want %s", ev.Err, protocol.CodeShuttingDown)
	}
	fc2, join2 := fs.acceptJoin(ctx)
	if join2.Resume != join.Resume || join2.Keep {
		t.Fatalf("rejoin %+v, want the resume token without keep (no PeerConnection)", join2)
	}
	mu.Lock()
	times := attempts
	mu.Unlock()
	if len(times) != 3 {
		t.Fatalf("%d connections, want 3 (join, refused, accepted)", len(times))
	}
	// Lower bounds are the backoff's; the upper ones leave room for a busy machine.
	const slack = time.Second
	if d := times[1].Sub(dropped); d < redialMin/2 || d > redialMin*3/2+slack {
		t.Errorf("first attempt %v after the drop, want 0.25–0.75 s", d)
	}
	if d := times[2].Sub(times[1]); d < redialMin || d > 3*redialMin+slack {
		t.Errorf("second attempt %v after the first, want 0.5–1.5 s", d)
	}
	fc2.send(welcome(false, false))
	if ev := waitEvent(ctx, t, p, EventSignalingBack); ev.Resumed {
		t.Fatal("alone, but resumed")
	}

	fc2.send(protocol.ErrorMessage(protocol.Errorf(protocol.CodeReplaced, "This call continued in another window.")))
	_ = fc2.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(protocol.ClosePolicy, "replaced"))
	ev = waitEvent(ctx, t, p, EventClosed)
	if !errors.As(ev.Err, &perr) || perr.Code != protocol.CodeReplaced {
		t.Fatalf("closed with %v, want %s", ev.Err, protocol.CodeReplaced)
	}
	<-p.Done()
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) != 3 {
		t.Fatalf("%d connections, want no attempt after replaced", len(attempts))
	}
}

// TestResumeResendsUnansweredOffer: signaling drops before the answer to the first offer came; the
// resumed peer sends the same offer again, the call connects on its first PeerConnection, and Hangup
// says bye on the chat channel before leave.
func TestResumeResendsUnansweredOffer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	fs := newFakeServer(t, nil)
	p, fc := joinFake(ctx, t, fs, welcome(true, false))
	rem := newRemote(t)
	others, relayDone := rem.relay(fc)
	offer := nextOfType(ctx, t, others, protocol.TypeOffer)

	_ = fc.ws.Close()
	relayDone()
	waitEvent(ctx, t, p, EventSignalingLost)
	fc2, join2 := fs.acceptJoin(ctx)
	if !join2.Keep || join2.Polite {
		t.Fatalf("rejoin %+v, want keep, impolite", join2)
	}
	others2, relay2Done := rem.relay(fc2)
	defer relay2Done()
	defer func() { _ = fc2.ws.Close() }()
	fc2.send(resumedWelcome(false))
	again := nextOfType(ctx, t, others2, protocol.TypeOffer)
	if iceUfrag(again.SDP) != iceUfrag(offer.SDP) || iceUfrag(offer.SDP) == "" {
		t.Fatalf("offer sent after resuming has ufrag %q, want the unanswered one's (%q)", iceUfrag(again.SDP), iceUfrag(offer.SDP))
	}
	rem.answer(ctx, fc2, again.SDP)
	if err := p.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	rem.waitOpen(ctx)
	if st := status(ctx, t, p); st.PeerConnection != 1 {
		t.Fatalf("status %+v, want the first PeerConnection", st)
	}

	hung := make(chan error, 1)
	go func() { hung <- p.Hangup(ctx) }()
	if m := rem.nextChannel(ctx); m["type"] != byeType {
		t.Fatalf("remote got %v, want bye", m)
	}
	nextOfType(ctx, t, others2, protocol.TypeLeave)
	_ = fc2.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	if err := <-hung; err != nil {
		t.Fatalf("hangup: %v", err)
	}
}

// TestPoliteAnswersICERestart: the polite peer never offers, not even RestartICE, but applies the other
// side's ICE restart on the same PeerConnection, and chat goes on over the same channel.
func TestPoliteAnswersICERestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	fs := newFakeServer(t, nil)
	p, fc := joinFake(ctx, t, fs, welcome(false, false))
	rem := newRemote(t)
	others, relayDone := rem.relay(fc)
	defer relayDone()
	defer func() { _ = fc.ws.Close() }()
	fc.send(protocol.Message{Type: protocol.TypePeerJoined, Polite: true})

	offer, err := rem.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rem.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	fc.send(protocol.Message{Type: protocol.TypeOffer, SDP: offer.SDP})
	answer := nextOfType(ctx, t, others, protocol.TypeAnswer)
	rem.setRemote(webrtc.SDPTypeAnswer, answer.SDP)
	rem.sendCandidates(ctx, fc)
	if err := p.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	rem.waitOpen(ctx)
	if err := p.RestartICE(ctx); !errors.Is(err, ErrPolite) {
		t.Fatalf("RestartICE when polite: %v, want ErrPolite", err)
	}

	restart, err := rem.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := rem.pc.SetLocalDescription(restart); err != nil {
		t.Fatal(err)
	}
	<-webrtc.GatheringCompletePromise(rem.pc) // not trickled: the offer carries the new candidates
	fc.send(protocol.Message{Type: protocol.TypeOffer, SDP: rem.pc.LocalDescription().SDP})
	answer2 := nextOfType(ctx, t, others, protocol.TypeAnswer)
	if iceUfrag(answer2.SDP) == iceUfrag(answer.SDP) {
		t.Fatal("the answer to an ICE restart kept the old credentials")
	}
	rem.setRemote(webrtc.SDPTypeAnswer, answer2.SDP)
	waitStatus(ctx, t, p, "restarted and connected", func(st Status) bool {
		return st.ICERestarts == 1 && st.State == webrtc.PeerConnectionStateConnected
	})
	if st := status(ctx, t, p); st.PeerConnection != 1 || st.RemoteUfrag != iceUfrag(restart.SDP) ||
		st.LocalUfrag != iceUfrag(answer2.SDP) {
		t.Fatalf("status %+v, want the first PeerConnection with the restart's credentials", st)
	}
	sent, err := p.SendChat("after the restart")
	if err != nil {
		t.Fatal(err)
	}
	if got := rem.receiveChat(ctx); got != sent {
		t.Fatalf("remote got %+v, want %+v", got, sent)
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for m := range others {
		if m.Type == protocol.TypeOffer {
			t.Error("the polite peer offered")
		}
	}
}

// waitStatus polls p's status until ok accepts it.
func waitStatus(ctx context.Context, t *testing.T, p *Peer, what string, ok func(Status) bool) {
	t.Helper()
	for {
		st := status(ctx, t, p)
		if ok(st) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("not %s: %+v", what, st)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestDecodeChannel(t *testing.T) {
	for _, tt := range []struct {
		in      string
		typ, id string
		err     bool
	}{
		{`{"type":"ack","id":"m1"}`, ackType, "m1", false},
		{`{"type":"bye"}`, byeType, "", false},
		{`{"type":"chat","id":"m1","text":"hi","ts":1}`, chatType, "", false},
		{`{"type":"typing"}`, "", "", false},
		{`{"type":"ack"}`, "", "", true},
		{`{"type":"ack","id":""}`, "", "", true},
		{`{"type":"ack","id":5}`, "", "", true},
		{`[]`, "", "", true},
	} {
		m, err := decodeChannel([]byte(tt.in))
		if m.typ != tt.typ || m.id != tt.id || (err != nil) != tt.err {
			t.Errorf("%s: got %q %q %v, want %q %q error %t", tt.in, m.typ, m.id, err, tt.typ, tt.id, tt.err)
		}
	}
	if got := encodeAck("m1"); got != `{"type":"ack","id":"m1"}` {
		t.Errorf("encodeAck: %s", got)
	}
}

func TestSeenIDsForgetsTheOldest(t *testing.T) {
	var s seenIDs
	for i := range maxSeenIDs + 1 {
		s.add(string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if s.has("a0s") || !s.has("b1ns") || len(s.ids) != maxSeenIDs {
		t.Fatalf("has first %t, second %t, size %d", s.has("a0s"), s.has("b1ns"), len(s.ids))
	}
}

func TestIceUfragAndRestartDelay(t *testing.T) {
	if u := iceUfrag("v=0\r\nm=audio 9 UDP 0\r\na=ice-ufrag:abcd\r\na=ice-pwd:x\r\na=ice-ufrag:efgh\r\n"); u != "abcd" {
		t.Errorf("iceUfrag = %q", u)
	}
	p := &Peer{}
	for n, want := range map[int]time.Duration{1: 2 * time.Second, 2: 4 * time.Second, 5: 30 * time.Second, 50: 30 * time.Second} {
		if got := p.restartDelay(n); got != want {
			t.Errorf("restartDelay(%d) = %v, want %v", n, got, want)
		}
	}
	for range 100 {
		if d := jitter(time.Second); d < time.Second/2 || d > 3*time.Second/2 {
			t.Fatalf("jitter(1s) = %v", d)
		}
	}
}
