package main

import (
	"context"
	"time"

	"github.com/maju-call/maju/bench/internal/cli"
	"github.com/maju-call/maju/internal/protocol"
)

// The actions. Each starts from a stable pair (both present, roles known) and ends with one, or fails.
// Waits are planned so that the expected story holds; when the machine is too slow for the plan (a
// join meant to come within the grace arrives after it), the protocol's outcome for the time the join
// really took is checked instead and counted as a slip, never passed over: an outcome is accepted only
// when the times measured allow it.

func sleepUntil(ctx context.Context, t time.Time) bool {
	return cli.Sleep(ctx, time.Until(t))
}

func (r *room) perform(ctx context.Context, a action) bool {
	switch a {
	case actResume:
		return r.resume(ctx)
	case actLate:
		return r.late(ctx)
	case actEdge:
		return r.edge(ctx)
	case actReload:
		return r.reload(ctx)
	case actHangup:
		return r.hangup(ctx)
	case actBoth:
		return r.both(ctx)
	case actAbandon:
		return r.abandon(ctx)
	}
	return r.fail("unknown action %v", a)
}

// resume: x drops and joins again within the grace with keep and its role. Both keep their roles and
// hear resumed: true. One time in five x is back at once, as after a network change; then the server
// may not even have seen the old socket close, and y may or may not hear peer-reconnecting first.
func (r *room) resume(ctx context.Context) bool {
	o := &r.s.o
	_, x, y := r.sides()
	closed, grace := r.drop(x)
	delay := r.uniform(0, grace-o.margin)
	atOnce := r.rng.IntN(5) == 0
	if atOnce {
		delay, r.act = 0, "resume-at-once"
	}
	if !atOnce && !r.expect(y, reconnecting(grace)) {
		return false
	}
	sleepUntil(ctx, closed.Add(delay))
	if !r.join(ctx, x, true, false) {
		return false
	}
	ok, expired := r.rejoined(x, y, closed, grace, true, !atOnce)
	if ok && expired {
		r.s.st.slips.Add(1)
	}
	return ok
}

// rejoined checks what x (back from a drop at closed, its seat held for grace) and y hear. With keep,
// x's seat held means resumed: true with the old roles; a seat that expired first means a new pair
// (possible only when x's welcome came at least grace after the drop) which y learns from peer-left
// disconnected, then peer-joined. Without keep it is a new pair either way, and y hears peer-left first
// if the seat had expired. told: y has heard peer-reconnecting already. expired reports a new pair
// after an expiry.
func (r *room) rejoined(x, y *person, closed time.Time, grace time.Duration, keep, told bool) (ok, expired bool) {
	e, ok := r.takeWelcome(x)
	if !ok {
		return false, false
	}
	took := e.at.Sub(closed)
	late := took >= grace
	var ys []step
	if !told {
		ys = append(ys, maybe(reconnecting(grace)))
	}
	switch {
	case keep && welcome(r.id, true, x.polite, true).ok(e):
		ok, _ := r.expectSeq(y, append(ys, must(peerJoined(y.polite, true)))...)
		return ok, false
	case welcome(r.id, true, true, false).ok(e) && (late || !keep):
	case keep:
		return r.fail("client %d: expected welcome{peer:true polite:%v resumed:true} %v after the drop (grace %v), got %v",
			x.id, x.polite, took.Round(time.Millisecond), grace, e), false
	default:
		return r.fail("client %d: expected welcome{peer:true polite:true resumed:false}, got %v", x.id, e), false
	}
	left := peerLeft(protocol.ReasonDisconnected)
	switch {
	case keep:
		ys = append(ys, must(left))
	case late:
		ys = append(ys, maybe(left))
	}
	ys = append(ys, must(peerJoined(false, false)))
	ok, matched := r.expectSeq(y, ys...)
	x.polite, y.polite = true, false
	return ok, keep || late && matched[len(ys)-2]
}

// late: x drops and comes back after the grace. y hears peer-reconnecting, then peer-left disconnected
// (not before the grace has passed); x's return, with or without keep, is a new pair with x polite.
func (r *room) late(ctx context.Context) bool {
	o := &r.s.o
	_, x, y := r.sides()
	closed, grace := r.drop(x)
	if !r.expect(y, reconnecting(grace)) {
		return false
	}
	e, ok := r.expectOn(y.s, y.id, peerLeft(protocol.ReasonDisconnected), grace+o.eventTimeout)
	if !ok {
		return false
	}
	if held := e.at.Sub(closed); held < grace {
		return r.fail("client %d heard peer-left %v after the drop, before the grace of %v ended", y.id, held, grace)
	}
	sleepUntil(ctx, time.Now().Add(r.uniform(0, o.margin)))
	if !r.join(ctx, x, r.rng.IntN(2) == 0, false) || !r.expectWelcome(x, true, true, false) || !r.expect(y, peerJoined(false, false)) {
		return false
	}
	x.polite, y.polite = true, false
	return true
}

// edge: x drops and joins again with keep when its seat's grace ends, give or take a few milliseconds
// (the server starts the grace a little after the close, and the join takes a moment). Either the seat
// was still held (both hear resumed: true, nobody hears peer-left) or it had been freed (y hears
// peer-left disconnected, then a new pair): never a mix, such as peer-left after peer-joined.
func (r *room) edge(ctx context.Context) bool {
	_, x, y := r.sides()
	closed, grace := r.drop(x)
	if !r.expect(y, reconnecting(grace)) {
		return false
	}
	sleepUntil(ctx, closed.Add(grace+r.uniform(-6*time.Millisecond, 4*time.Millisecond)))
	if !r.join(ctx, x, true, false) {
		return false
	}
	ok, expired := r.rejoined(x, y, closed, grace, true, true)
	switch {
	case ok && expired:
		r.s.st.edgeNewPair.Add(1)
	case ok:
		r.s.st.edgeResumed.Add(1)
	}
	return ok
}

// reload: x joins again with its token but without keep: from a new socket while the old one is open
// (the old one gets error replaced and close 1008, y hears nothing of it), or after dropping the old
// one within the grace. Either way a new pair with x polite.
func (r *room) reload(ctx context.Context) bool {
	o := &r.s.o
	_, x, y := r.sides()
	if r.rng.IntN(2) == 0 {
		r.act = "reload-open"
		old := x.s
		if !r.join(ctx, x, false, false) || !r.expectWelcome(x, true, true, false) {
			return false
		}
		if _, ok := r.expectOn(old, x.id, errorCode(protocol.CodeReplaced), o.eventTimeout); !ok {
			return false
		}
		if _, ok := r.expectOn(old, x.id, closedWith(protocol.ClosePolicy, string(protocol.CodeReplaced)), o.eventTimeout); !ok {
			return false
		}
		delete(r.socks, old)
		old.drop(0)
		if !r.expect(y, peerJoined(false, false)) {
			return false
		}
		x.polite, y.polite = true, false
		return true
	}
	r.act = "reload-dropped"
	closed, grace := r.drop(x)
	if !r.expect(y, reconnecting(grace)) {
		return false
	}
	sleepUntil(ctx, closed.Add(r.uniform(0, grace-o.margin)))
	if !r.join(ctx, x, false, false) {
		return false
	}
	ok, expired := r.rejoined(x, y, closed, grace, false, true)
	if ok && expired {
		r.s.st.slips.Add(1)
	}
	return ok
}

// hangup: x leaves (close 1000); y hears peer-left hangup; a newcomer takes the free seat, polite.
func (r *room) hangup(ctx context.Context) bool {
	o := &r.s.o
	xi, x, y := r.sides()
	if !r.leave(x) || !r.expect(y, peerLeft(protocol.ReasonHangup)) {
		return false
	}
	sleepUntil(ctx, time.Now().Add(r.uniform(0, o.margin)))
	z := r.s.newPerson()
	r.p[xi] = z
	if !r.join(ctx, z, false, false) || !r.expectWelcome(z, true, true, false) || !r.expect(y, peerJoined(false, false)) {
		return false
	}
	z.polite, y.polite = true, false
	return true
}

// both: x drops, then y; both come back with keep within their graces. x, back first, is alone and
// hears peer-reconnecting (then pong: it pings after join, so it knows nothing else is coming); when y
// is back both hear resumed: true with their old roles. Only when a welcome came too late for a seat
// to still be held may the pair be new instead (a slip), and x then hears peer-left first if y's seat
// expired while x was back.
func (r *room) both(ctx context.Context) bool {
	o := &r.s.o
	_, x, y := r.sides()
	xClosed, graceX := r.drop(x)
	if !r.expect(y, reconnecting(graceX)) {
		return false
	}
	yClosed, graceY := r.drop(y)
	third := (min(graceX, graceY) - o.margin) / 3
	sleepUntil(ctx, time.Now().Add(r.uniform(0, third)))
	if !r.join(ctx, x, true, true) {
		return false
	}
	e, ok := r.takeWelcome(x)
	if !ok {
		return false
	}
	if !welcome(r.id, false, false, false).ok(e) {
		return r.fail("client %d: expected welcome{peer:false}, got %v", x.id, e)
	}
	xLate, yGone := e.at.Sub(xClosed) >= graceX, e.at.Sub(yClosed) >= graceY
	// The server tells a joiner whose peer is held the time the peer's seat has left.
	held := must(reconnectingLeft(o.grace))
	if yGone {
		held = maybe(reconnectingLeft(o.grace))
	}
	if ok, _ := r.expectSeq(x, held, must(pong())); !ok {
		return false
	}
	sleepUntil(ctx, time.Now().Add(r.uniform(0, third)))
	if !r.join(ctx, y, true, false) {
		return false
	}
	if e, ok = r.takeWelcome(y); !ok {
		return false
	}
	yLate := e.at.Sub(yClosed) >= graceY
	var xs []step
	if yLate {
		xs = append(xs, maybe(peerLeft(protocol.ReasonDisconnected)))
	}
	switch {
	case welcome(r.id, true, y.polite, true).ok(e):
		ok, _ = r.expectSeq(x, append(xs, must(peerJoined(x.polite, true)))...)
		return ok
	case welcome(r.id, true, true, false).ok(e) && (xLate || yLate):
		r.s.st.slips.Add(1)
		ok, _ = r.expectSeq(x, append(xs, must(peerJoined(false, false)))...)
		x.polite, y.polite = false, true
		return ok
	}
	return r.fail("client %d: expected welcome{peer:true polite:%v resumed:true} (x back %v, y %v after their drops), got %v",
		y.id, y.polite, e.at.Sub(xClosed).Round(time.Millisecond), e.at.Sub(yClosed).Round(time.Millisecond), e)
}

// abandon: x drops, then y, and neither returns. Once both graces are over the room must be empty:
// two newcomers pair in it as in a fresh room. x's seat must be gone (its grace began by the time y
// heard peer-reconnecting); y's may linger when the server saw y's close late, which the first
// newcomer learns from peer-reconnecting (before the pong of its ping) and then peer-left as it ends.
func (r *room) abandon(ctx context.Context) bool {
	o := &r.s.o
	_, x, y := r.sides()
	_, graceX := r.drop(x)
	if !r.expect(y, reconnecting(graceX)) {
		return false
	}
	xHeld := time.Now()
	_, graceY := r.drop(y)
	sleepUntil(ctx, later(xHeld.Add(graceX), time.Now().Add(graceY)).Add(o.margin))
	a, b := r.s.newPerson(), r.s.newPerson()
	r.p = [2]*person{a, b}
	if !r.join(ctx, a, false, true) || !r.expectWelcome(a, false, false, false) {
		return false
	}
	ok, matched := r.expectSeq(a, maybe(reconnectingLeft(o.grace)), must(pong()))
	if !ok {
		return false
	}
	if matched[0] {
		r.s.st.slips.Add(1)
		if _, ok := r.expectOn(a.s, a.id, peerLeft(protocol.ReasonDisconnected), graceY+o.eventTimeout); !ok {
			return false
		}
	}
	if !r.join(ctx, b, false, false) || !r.expectWelcome(b, true, true, false) || !r.expect(a, peerJoined(false, false)) {
		return false
	}
	a.polite, b.polite = false, true
	return true
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
