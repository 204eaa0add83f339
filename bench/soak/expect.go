package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/maju-call/maju/internal/protocol"
)

// want is one event a socket must receive next.
type want struct {
	what string
	ok   func(event) bool
}

func isMsg(e event, t protocol.Type) bool { return !e.closed && e.m.Type == t }

// welcome wants a welcome; with peer, also the receiver's role and whether the pair resumed.
func welcome(room string, peer, polite, resumed bool) want {
	w := want{what: fmt.Sprintf("welcome{peer:%v}", peer), ok: func(e event) bool {
		return isMsg(e, protocol.TypeWelcome) && e.m.Room == room && e.m.Peer == peer &&
			(!peer || e.m.Polite == polite && e.m.Resumed == resumed)
	}}
	if peer {
		w.what = fmt.Sprintf("welcome{peer:true polite:%v resumed:%v}", polite, resumed)
	}
	return w
}

func peerJoined(polite, resumed bool) want {
	return want{what: fmt.Sprintf("peer-joined{polite:%v resumed:%v}", polite, resumed), ok: func(e event) bool {
		return isMsg(e, protocol.TypePeerJoined) && e.m.Polite == polite && e.m.Resumed == resumed
	}}
}

func reconnecting(grace time.Duration) want {
	ms := int(grace.Milliseconds())
	return want{what: fmt.Sprintf("peer-reconnecting{graceMs:%d}", ms), ok: func(e event) bool {
		return isMsg(e, protocol.TypePeerReconnecting) && e.m.GraceMs == ms
	}}
}

// reconnectingLeft is peer-reconnecting told to a joiner whose peer's seat is held: graceMs is what is
// left of that seat's grace, at most max.
func reconnectingLeft(max time.Duration) want {
	ms := int(max.Milliseconds())
	return want{what: fmt.Sprintf("peer-reconnecting{graceMs:≤%d}", ms), ok: func(e event) bool {
		return isMsg(e, protocol.TypePeerReconnecting) && e.m.GraceMs >= 0 && e.m.GraceMs <= ms
	}}
}

func peerLeft(reason string) want {
	return want{what: "peer-left{" + reason + "}", ok: func(e event) bool {
		return isMsg(e, protocol.TypePeerLeft) && e.m.Reason == reason
	}}
}

func pong() want {
	return want{what: "pong", ok: func(e event) bool { return isMsg(e, protocol.TypePong) }}
}

func errorCode(code protocol.Code) want {
	return want{what: "error{" + string(code) + "}", ok: func(e event) bool {
		return isMsg(e, protocol.TypeError) && e.m.Code == code
	}}
}

func closedWith(code int, reason string) want {
	return want{what: fmt.Sprintf("close{%d %q}", code, reason), ok: func(e event) bool {
		return e.closed && e.closeCode == code && e.closeText == reason
	}}
}

// next returns the next event of k, waiting at most timeout.
func next(k *sock, timeout time.Duration) (event, bool) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case e := <-k.inbox:
		return e, true
	case <-t.C:
		return event{}, false
	}
}

// expectOn takes the next event of socket k (client id) and checks it is w.
func (r *room) expectOn(k *sock, id int64, w want, timeout time.Duration) (event, bool) {
	e, ok := next(k, timeout)
	if !ok {
		return e, r.fail("client %d: no %s within %v", id, w.what, timeout)
	}
	if !w.ok(e) {
		return e, r.fail("client %d: expected %s, got %v%s", id, w.what, e, following(k))
	}
	return e, true
}

// following lists the events k receives within the next 200 ms, for a violation's message: what the
// client heard after the event that did not fit.
func following(k *sock) string {
	var out []string
	for {
		e, ok := next(k, 200*time.Millisecond)
		if !ok {
			break
		}
		out = append(out, e.String())
	}
	if len(out) == 0 {
		return ", then nothing within 200 ms"
	}
	return ", then " + strings.Join(out, ", ")
}

func (r *room) expect(p *person, w want) bool {
	_, ok := r.expectOn(p.s, p.id, w, r.s.o.eventTimeout)
	return ok
}

// step is one event of an expected sequence; an optional one may be missing.
type step struct {
	want
	optional bool
}

func must(w want) step  { return step{want: w} }
func maybe(w want) step { return step{want: w, optional: true} }

// expectSeq expects the events of steps on p's socket, in order; the last step must not be optional.
// matched tells which steps arrived.
func (r *room) expectSeq(p *person, steps ...step) (ok bool, matched []bool) {
	matched = make([]bool, len(steps))
	var e event
	have := false
	for i, st := range steps {
		if !have {
			if e, have = next(p.s, r.s.o.eventTimeout); !have {
				return r.fail("client %d: no %s within %v", p.id, describe(steps[i:]), r.s.o.eventTimeout), matched
			}
		}
		switch {
		case st.ok(e):
			matched[i], have = true, false
		case !st.optional:
			return r.fail("client %d: expected %s, got %v%s", p.id, describe(steps[i:]), e, following(p.s)), matched
		}
	}
	return true, matched
}

// describe names a sequence of steps, optional ones in brackets.
func describe(steps []step) string {
	parts := make([]string, len(steps))
	for i, st := range steps {
		parts[i] = st.what
		if st.optional {
			parts[i] = "[" + st.what + "]"
		}
	}
	return strings.Join(parts, " then ")
}

// takeWelcome takes p's next event, which must be a welcome (its fields are for the caller to judge),
// and records how long it took since p sent join.
func (r *room) takeWelcome(p *person) (event, bool) {
	e, ok := next(p.s, r.s.o.eventTimeout)
	switch {
	case !ok:
		return e, r.fail("client %d: no welcome within %v", p.id, r.s.o.eventTimeout)
	case !isMsg(e, protocol.TypeWelcome) || e.m.Room != r.id:
		return e, r.fail("client %d: expected welcome, got %v%s", p.id, e, following(p.s))
	}
	r.joinLat = append(r.joinLat, e.at.Sub(p.joinSent))
	return e, true
}

// expectWelcome expects p's welcome with these fields.
func (r *room) expectWelcome(p *person, peer, polite, resumed bool) bool {
	e, ok := r.takeWelcome(p)
	if ok && !welcome(r.id, peer, polite, resumed).ok(e) {
		return r.fail("client %d: expected %s, got %v%s", p.id, welcome(r.id, peer, polite, resumed).what, e, following(p.s))
	}
	return ok
}
