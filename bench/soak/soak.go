package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maju-call/maju/bench/internal/cli"
	"github.com/maju-call/maju/internal/protocol"
)

// soak is one run's clients and what they found.
type soak struct {
	o       options
	wsURL   string
	dialers []*websocket.Dialer
	dialSem chan struct{}
	nextID  atomic.Int64 // person ids

	// churn ends when the churn phase is over (no new action starts) or the run's context ends.
	churn context.Context
	stop  context.CancelFunc

	socksMu sync.Mutex
	socks   map[*sock]struct{} // every socket whose reader runs
	readers sync.WaitGroup

	st *stats
}

func newSoak(ctx context.Context, o options, wsURL string, st *stats) *soak {
	s := &soak{o: o, wsURL: wsURL, dialSem: make(chan struct{}, o.dialConc), socks: make(map[*sock]struct{}), st: st}
	s.churn, s.stop = context.WithCancel(ctx)
	mk := func(src net.IP) *websocket.Dialer {
		nd := &net.Dialer{Timeout: 10 * time.Second}
		if src != nil {
			nd.LocalAddr = &net.TCPAddr{IP: src}
		}
		return &websocket.Dialer{NetDialContext: nd.DialContext, HandshakeTimeout: 10 * time.Second,
			ReadBufferSize: 1024, WriteBufferSize: o.size + 512, Proxy: nil} // never through a proxy: loopback only
	}
	if o.sourceIPs == 0 {
		s.dialers = []*websocket.Dialer{mk(nil)}
	}
	for i := range o.sourceIPs {
		s.dialers = append(s.dialers, mk(net.IPv4(127, 0, 0, byte(2+i))))
	}
	return s
}

// stopping reports whether the churn phase is over.
func (s *soak) stopping() bool { return s.churn.Err() != nil }

// person is one client identity: its resume token outlives its sockets.
type person struct {
	id       int64
	token    string
	polite   bool  // role in the current pair
	s        *sock // current socket; nil while away
	joinSent time.Time
}

// newPerson makes a client with its own resume token: like a room id, 16 random bytes in base64url.
func (s *soak) newPerson() *person {
	return &person{id: s.nextID.Add(1), token: newRoomID()}
}

// event is a control message a socket received, or the end of the socket.
type event struct {
	m         protocol.Message
	closed    bool   // the reader ended: closeCode/closeText from the close frame, or 0 and the error
	closeCode int    // 0: no close frame
	closeText string // close reason, or the read error without a close frame
	at        time.Time
}

func (e event) String() string {
	if e.closed {
		return fmt.Sprintf("close{%d %q}", e.closeCode, e.closeText)
	}
	m := e.m
	switch m.Type {
	case protocol.TypeWelcome:
		return fmt.Sprintf("welcome{peer:%v polite:%v resumed:%v}", m.Peer, m.Polite, m.Resumed)
	case protocol.TypePeerJoined:
		return fmt.Sprintf("peer-joined{polite:%v resumed:%v}", m.Polite, m.Resumed)
	case protocol.TypePeerReconnecting:
		return fmt.Sprintf("peer-reconnecting{graceMs:%d}", m.GraceMs)
	case protocol.TypePeerLeft:
		return fmt.Sprintf("peer-left{%s}", m.Reason)
	case protocol.TypeError:
		return fmt.Sprintf("error{%s}", m.Code)
	}
	return string(m.Type)
}

// sock is one WebSocket of a person. One goroutine reads it (soak.read); the room's goroutine writes.
type sock struct {
	ws      *websocket.Conn
	room    int
	owner   int64
	inbox   chan event
	discard atomic.Bool   // closed by the soak (a drop): the reader ends without an event
	done    chan struct{} // closed when the reader has ended

	wmu sync.Mutex

	rxMu sync.Mutex
	rx   rxState
}

const inboxSize = 16

// dial opens a socket for p in room ri; the caller sends join.
func (s *soak) dial(ctx context.Context, ri int, p *person) (*sock, error) {
	select {
	case s.dialSem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.dialSem }()
	d := s.dialers[int(p.id)%len(s.dialers)]
	var ws *websocket.Conn
	var err error
	for try := range 3 {
		var resp *http.Response
		ws, resp, err = d.DialContext(ctx, s.wsURL, nil)
		if resp != nil && resp.Body != nil {
			_ = resp.Body.Close()
		}
		if err == nil {
			break
		}
		if resp != nil { // the server answered (429, 503): not transient
			return nil, fmt.Errorf("%v (HTTP %s)", err, resp.Status)
		}
		if !cli.Sleep(ctx, time.Duration(100*(try+1))*time.Millisecond) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	k := &sock{ws: ws, room: ri, owner: p.id, inbox: make(chan event, inboxSize), done: make(chan struct{})}
	ws.SetReadLimit(1 << 20)
	s.socksMu.Lock()
	s.socks[k] = struct{}{}
	s.socksMu.Unlock()
	s.readers.Add(1)
	go s.read(k)
	return k, nil
}

// write sends one text message.
func (k *sock) write(data []byte) error {
	k.wmu.Lock()
	defer k.wmu.Unlock()
	_ = k.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return k.ws.WriteMessage(websocket.TextMessage, data)
}

// drop closes the socket without leave: with a close frame of code closeCode first, unless it is 0.
// The reader ends quietly.
func (k *sock) drop(closeCode int) {
	k.discard.Store(true)
	if closeCode != 0 {
		_ = k.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(closeCode, ""), time.Now().Add(time.Second))
	}
	_ = k.ws.Close()
}

// read is k's only reader: relayed messages go to the talk check, everything else to the inbox.
func (s *soak) read(k *sock) {
	defer s.readers.Done()
	defer func() {
		s.socksMu.Lock()
		delete(s.socks, k)
		s.socksMu.Unlock()
		close(k.done)
	}()
	for {
		_, data, err := k.ws.ReadMessage()
		now := time.Now()
		if err != nil {
			_ = k.ws.Close()
			if !k.discard.Load() {
				e := event{closed: true, at: now, closeText: err.Error()}
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					e.closeCode, e.closeText = ce.Code, ce.Text
				}
				s.push(k, e)
			}
			return
		}
		m, err := protocol.Decode(data)
		if err != nil {
			s.st.violation(k.room, "read", "undecodable message %.80q: %v", data, err)
			continue
		}
		if m.Type.Relayed() {
			s.talkReceived(k, m)
			continue
		}
		if m.Type == protocol.TypeError && m.Code == protocol.CodeRoomFull {
			s.st.roomFull.Add(1)
		}
		s.push(k, event{m: m, at: now})
	}
}

func (s *soak) push(k *sock, e event) {
	select {
	case k.inbox <- e:
	default:
		s.st.violation(k.room, "read", "client %d: more than %d unexpected events; dropped %v", k.owner, inboxSize, e)
	}
}

// closeAll closes every socket still open and waits at most limit for the readers to end.
func (s *soak) closeAll(limit time.Duration) {
	s.socksMu.Lock()
	for k := range s.socks {
		k.drop(0)
	}
	s.socksMu.Unlock()
	waitFor(context.Background(), &s.readers, limit)
}

// tag identifies one talk message: room, pair period (epoch), sender and receiver, and its sequence
// number within the period and direction.
type tag struct {
	room, epoch, from, to, seq int64
}

const talkPrefix = "soak "

// talkText is a tag as text, padded with x to size bytes.
func talkText(t tag, size int) []byte {
	b := make([]byte, 0, size)
	b = append(b, talkPrefix...)
	for _, n := range []int64{t.room, t.epoch, t.from, t.to, t.seq} {
		b = strconv.AppendInt(b, n, 10)
		b = append(b, ' ')
	}
	for len(b) < size {
		b = append(b, 'x')
	}
	return b
}

// parseTalk reads a tag from a talk text.
func parseTalk(text string) (tag, bool) {
	rest, ok := bytes.CutPrefix([]byte(text), []byte(talkPrefix))
	if !ok {
		return tag{}, false
	}
	var nums [5]int64
	for i := range nums {
		j := bytes.IndexByte(rest, ' ')
		if j <= 0 || j > 19 {
			return tag{}, false
		}
		n, err := strconv.ParseInt(string(rest[:j]), 10, 64)
		if err != nil || n < 0 {
			return tag{}, false
		}
		nums[i], rest = n, rest[j+1:]
	}
	return tag{nums[0], nums[1], nums[2], nums[3], nums[4]}, true
}

// talkMessage is a whole offer, answer or candidate message carrying t; the type follows t.seq.
func talkMessage(t tag, size int) []byte {
	text := talkText(t, size)
	switch t.seq % 3 {
	case 0:
		return fmt.Appendf(nil, `{"v":1,"type":"offer","sdp":"%s"}`, text)
	case 1:
		return fmt.Appendf(nil, `{"v":1,"type":"candidate","candidate":{"candidate":"%s","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":null}}`, text)
	}
	return fmt.Appendf(nil, `{"v":1,"type":"answer","sdp":"%s"}`, text)
}

// rxState is what a socket expects of the talk it receives: during a stable period, messages from
// its peer of this period, in sequence.
type rxState struct {
	active bool
	want   tag   // room, epoch, from, to; seq is the next sequence number expected
	got    int64 // messages received in sequence this period
}

// verdicts of rxState.accept
const (
	rxOK        = ""
	rxInactive  = "a relayed message while the pair is not stable"
	rxMisrouted = "a message for another room or client"
	rxStale     = "a message of an earlier period of the pair"
	rxGap       = "messages missing before this one"
	rxRepeat    = "a message again or out of order"
)

// accept checks one received tag; lost is how many messages the server skipped (rxGap).
func (rx *rxState) accept(t tag) (verdict string, lost int64) {
	switch {
	case !rx.active:
		return rxInactive, 0
	case t.room != rx.want.room || t.to != rx.want.to || t.from != rx.want.from:
		return rxMisrouted, 0
	case t.epoch != rx.want.epoch:
		return rxStale, 0
	case t.seq < rx.want.seq:
		return rxRepeat, 0
	}
	lost = t.seq - rx.want.seq
	rx.want.seq = t.seq + 1
	rx.got++
	if lost > 0 {
		return rxGap, lost
	}
	return rxOK, 0
}

func (k *sock) setRx(active bool, want tag) {
	k.rxMu.Lock()
	k.rx = rxState{active: active, want: want}
	k.rxMu.Unlock()
}

func (k *sock) rxGot() int64 {
	k.rxMu.Lock()
	defer k.rxMu.Unlock()
	return k.rx.got
}

// talkReceived checks a relayed message against what its socket expects.
func (s *soak) talkReceived(k *sock, m protocol.Message) {
	text := m.SDP
	if m.Type == protocol.TypeCandidate && m.Candidate != nil {
		text = m.Candidate.Candidate
	}
	t, ok := parseTalk(text)
	if !ok {
		s.st.violation(k.room, "talk", "client %d: a relayed %s that no client sent: %.60q", k.owner, m.Type, text)
		return
	}
	k.rxMu.Lock()
	verdict, lost := k.rx.accept(t)
	want := k.rx.want
	k.rxMu.Unlock()
	switch verdict {
	case rxOK:
		s.st.delivered.Add(1)
		return
	case rxGap:
		s.st.delivered.Add(1)
		s.st.lost.Add(lost)
	case rxMisrouted:
		s.st.misrouted.Add(1)
	default:
		s.st.disorder.Add(1)
	}
	s.st.violation(k.room, "talk", "client %d got %s: %+v, expecting %+v", k.owner, verdict, t, want)
}
