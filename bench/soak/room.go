package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maju-call/maju/bench/internal/cli"
	"github.com/maju-call/maju/internal/protocol"
)

// room is one room's actor: its goroutine seats the pair, lets it talk, performs one action at a time
// and checks what each side hears. Only that goroutine touches the fields.
type room struct {
	s   *soak
	idx int
	id  string
	rng *mrand.Rand

	p       [2]*person
	epoch   int64
	tx      [2]int64 // talk messages p[i] sent this period
	act     string   // what is being done, for violation messages
	lastAct string   // the action that began the current stable period
	stable  time.Time
	socks   map[*sock]struct{}

	done, failed [numActions]int64
	joinLat      []time.Duration
	resets       int64
	gaveUp       bool
}

func newRoom(s *soak, idx int, seed uint64) *room {
	return &room{s: s, idx: idx, id: newRoomID(), rng: mrand.New(mrand.NewPCG(seed, uint64(idx))),
		socks: make(map[*sock]struct{})}
}

// newRoomID returns a room id as the server makes them: 16 random bytes in unpadded base64url.
func newRoomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// maxResets bounds how often one room is set up afresh after violations.
const maxResets = 3

// run seats the pair, reports ready, waits for start, then churns until the soak stops, and ends with
// both clients leaving.
func (r *room) run(ctx context.Context, ready func(), start <-chan struct{}) {
	defer r.closeSocks()
	ok := r.setup(ctx)
	ready()
	select {
	case <-start:
	case <-ctx.Done():
		return
	}
	for ctx.Err() == nil {
		if !ok {
			if r.s.stopping() {
				return // the deferred close drops the sockets; the settle wait covers their held seats
			}
			if r.resets >= maxResets || !r.reset(ctx) {
				r.gaveUp = true
				return
			}
			ok = true
			continue
		}
		talked := r.talk()
		if ok = r.quiesce() && talked; !ok {
			continue
		}
		if r.s.stopping() {
			r.act = "leave"
			r.leaveBoth()
			return
		}
		a := r.s.o.mix.pick(r.rng)
		r.act = a.String()
		ok = r.perform(ctx, a)
		r.lastAct = r.act
		r.done[a]++
		if !ok {
			r.failed[a]++
			continue
		}
		r.startPeriod()
	}
}

func (r *room) fail(format string, args ...any) bool {
	r.s.st.violation(r.idx, r.act, format, args...)
	return false
}

// uniform returns a random duration in [lo, hi).
func (r *room) uniform(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.rng.Int64N(int64(hi-lo)))
}

// sides picks which of the pair acts (x) and which is its peer (y).
func (r *room) sides() (xi int, x, y *person) {
	xi = r.rng.IntN(2)
	return xi, r.p[xi], r.p[1-xi]
}

// setup seats two new clients: the first is alone, the second pairs with it as the polite newcomer.
func (r *room) setup(ctx context.Context) bool {
	r.act = "setup"
	a, b := r.s.newPerson(), r.s.newPerson()
	if !r.join(ctx, a, false, false) || !r.expectWelcome(a, false, false, false) {
		return false
	}
	if !r.join(ctx, b, false, false) || !r.expectWelcome(b, true, true, false) || !r.expect(a, peerJoined(false, false)) {
		return false
	}
	a.polite, b.polite = false, true
	r.p = [2]*person{a, b}
	r.lastAct = r.act
	r.startPeriod()
	return true
}

// reset closes whatever the room has open and seats a new pair in a fresh room.
func (r *room) reset(ctx context.Context) bool {
	r.resets++
	r.s.st.abandonedRooms.Add(1)
	r.closeSocks()
	// A fresh room: the old one's seats are held until their graces end (the end of the run checks
	// that they do), and the new pair must not depend on when.
	r.id = newRoomID()
	if !cli.Sleep(ctx, r.s.o.margin) {
		return false
	}
	return r.setup(ctx)
}

// join opens a socket for p and sends join with p's token; with keep, p claims its current role. With
// ping it sends ping right after: the pong then marks the end of what the join made the server say.
func (r *room) join(ctx context.Context, p *person, keep, ping bool) bool {
	k, err := r.s.dial(ctx, r.idx, p)
	if err != nil {
		return r.fail("client %d: dial: %v", p.id, err)
	}
	r.socks[k] = struct{}{}
	p.s = k
	msg := fmt.Appendf(nil, `{"v":1,"type":"join","room":%q,"resume":%q`, r.id, p.token)
	if keep {
		msg = fmt.Appendf(msg, `,"keep":true,"polite":%v`, p.polite)
	}
	msg = append(msg, '}')
	p.joinSent = time.Now()
	if err := k.write(msg); err != nil {
		return r.fail("client %d: sending join: %v", p.id, err)
	}
	if ping {
		if err := k.write([]byte(`{"v":1,"type":"ping"}`)); err != nil {
			return r.fail("client %d: sending ping: %v", p.id, err)
		}
	}
	return true
}

// unloadGrace caps the grace of a socket closed with 1001 (going away: a page reloading or closing),
// as docs/protocol.md says.
const unloadGrace = 10 * time.Second

// drop closes p's socket without leave, chosen at random as a lost network does (no close frame), as a
// page going away does (close 1001) or as a client closing on purpose without leave (close 1000). It
// returns the time just before the close, a bound the close cannot precede however long this goroutine
// then waits for a CPU (callers that need a bound it cannot follow take the time after drop returns),
// and the grace the server must hold p's seat for.
func (r *room) drop(p *person) (before time.Time, grace time.Duration) {
	code, grace := 0, r.s.o.grace
	switch r.rng.IntN(4) {
	case 0:
		code, grace = websocket.CloseGoingAway, min(grace, unloadGrace)
	case 1:
		code = websocket.CloseNormalClosure
	}
	before = time.Now()
	if p.s != nil {
		p.s.drop(code)
		delete(r.socks, p.s)
		p.s = nil
	}
	return before, grace
}

// closeSocks drops every socket the room has open.
func (r *room) closeSocks() {
	for k := range r.socks {
		k.drop(0)
	}
	clear(r.socks)
	for _, p := range r.p {
		if p != nil {
			p.s = nil
		}
	}
}

// startPeriod begins a stable period of the pair: talk is counted afresh, with a new epoch.
func (r *room) startPeriod() {
	r.epoch++
	r.stable = time.Now()
	r.tx = [2]int64{}
	for i, p := range r.p {
		peer := r.p[1-i]
		p.s.setRx(true, tag{room: int64(r.idx), epoch: r.epoch, from: peer.id, to: p.id})
	}
}

// talk sends messages from random sides of the pair for a random stable time, or until the soak stops.
// It reports false when a message could not be sent.
func (r *room) talk() bool {
	o := &r.s.o
	end := time.Now().Add(r.uniform(o.actionEvery/2, o.actionEvery*3/2))
	r.act = "talk"
	for {
		// Each client sends one message per talkEvery on average: the pair one per talkEvery/2.
		next := time.Now().Add(r.uniform(0, o.talkEvery))
		if next.After(end) {
			r.sleep(time.Until(end))
			return true
		}
		if !r.sleep(time.Until(next)) {
			return true
		}
		i := r.rng.IntN(2)
		p, peer := r.p[i], r.p[1-i]
		t := tag{room: int64(r.idx), epoch: r.epoch, from: p.id, to: peer.id, seq: r.tx[i]}
		if err := p.s.write(talkMessage(t, o.size)); err != nil {
			return r.fail("client %d: sending: %v", p.id, err)
		}
		r.tx[i]++
		r.s.st.sent.Add(1)
	}
}

// sleep waits d unless the churn ends first; it reports whether the whole wait passed.
func (r *room) sleep(d time.Duration) bool { return cli.Sleep(r.s.churn, d) }

// quiesce waits (at most -drain) until each side has received every message the other sent this
// period, then checks nothing else arrived and ends the period.
func (r *room) quiesce() bool {
	r.act = "talk"
	ok := true
	deadline := time.Now().Add(r.s.o.drain)
	for i, p := range r.p {
		peer := r.p[1-i]
		for peer.s.rxGot() < r.tx[i] && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := peer.s.rxGot(); got < r.tx[i] {
			r.s.st.lost.Add(r.tx[i] - got)
			ok = r.fail("client %d received %d of the %d messages client %d sent within %v", peer.id, got, r.tx[i], p.id, r.s.o.drain)
		}
	}
	for _, p := range r.p {
		ok = r.noEvents(p) && ok
		p.s.setRx(false, tag{})
	}
	return ok
}

// noEvents checks that p's socket received no control message it was not told to expect.
func (r *room) noEvents(p *person) bool {
	for {
		select {
		case e := <-p.s.inbox:
			for {
				r.fail("client %d: unexpected %v while the pair was stable, %v after %s had ended", p.id, e,
					e.at.Sub(r.stable).Round(time.Millisecond), r.lastAct)
				if len(p.s.inbox) == 0 {
					return false
				}
				e = <-p.s.inbox
			}
		default:
			return true
		}
	}
}

// leaveBoth hangs up one side, then the other: the first one's peer hears peer-left hangup, and each
// leaving socket is closed with 1000.
func (r *room) leaveBoth() bool {
	for i, p := range r.p {
		if !r.leave(p) {
			return false
		}
		if i == 0 && !r.expect(r.p[1], peerLeft(protocol.ReasonHangup)) {
			return false
		}
	}
	return true
}

// leave sends leave for p and waits for the server to close its socket normally.
func (r *room) leave(p *person) bool {
	if err := p.s.write([]byte(`{"v":1,"type":"leave"}`)); err != nil {
		return r.fail("client %d: sending leave: %v", p.id, err)
	}
	if !r.expect(p, closedWith(protocol.CloseNormal, "")) {
		return false
	}
	delete(r.socks, p.s)
	p.s.drop(0)
	p.s = nil
	return true
}
