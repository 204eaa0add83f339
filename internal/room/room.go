// Package room is maju's pairing logic: rooms of at most two seats, the perfect-negotiation roles of a
// pair, seats held for a while when their connection drops (so the same person can take them back with
// their resume token), and freeing a room when its last seat empties. It knows nothing of the network;
// members are opaque comparable values (the signaling layer uses its connections).
package room

import (
	"errors"
	"sync"
	"time"
)

// Capacity is the number of seats in a room: maju is strictly one-to-one.
const Capacity = 2

// ErrFull is returned by Join when both seats of the room are taken (held seats count).
var ErrFull = errors.New("room is full")

// ErrRefused is returned by Join when Request.MayOpen refused to create the room.
var ErrRefused = errors.New("may not open a room")

// Request is what a member asks for when it joins.
type Request[M comparable] struct {
	// Token is the member's resume token: a join with the token of a seat in the room takes that seat.
	// Empty means none (the seat can never be taken back).
	Token string
	// CanRollback tells whether the member can roll back a local offer; one that cannot is made
	// impolite when its peer can.
	CanRollback bool
	// Keep says the member still has the peer connection of its last pair and wants to keep it; Polite
	// is its role in that pair.
	Keep, Polite bool
	// MayOpen, when set, is asked (under the table's lock: keep it quick) before the join creates a
	// room; false refuses the join with ErrRefused. The signaling server limits new rooms per address.
	MayOpen func() bool
	// Seated, when set, is called under the table's lock once the member has its seat, with what Join
	// returns: the place to queue the welcome and the peer's notice.
	Seated func(Pairing[M])
}

// Pairing is what a member learns when it takes a seat.
type Pairing[M comparable] struct {
	// Peer is the member in the other seat; Alone is true when there is none present (the other seat
	// is empty or held for someone who is reconnecting: PeerHeld).
	Peer     M
	Alone    bool
	PeerHeld bool
	// HeldFor is how much longer the other seat is held, when PeerHeld.
	HeldFor time.Duration
	// Polite is the newcomer's role in perfect negotiation; the peer's role is the opposite. It is
	// meaningful only when Alone is false.
	Polite bool
	// Resumed is true when the pair continues with the peer connections both members kept; false means
	// a new pair, for which both start a new peer connection.
	Resumed bool
	// Pair numbers the pair (when not Alone): a new pair gets a new number, a resumed one keeps it.
	// Messages a member meant for an earlier pair can be told from this one's (PeerInPair).
	Pair uint64
	// Replaced is the member that held this seat until now, when Join took a seat by its token while
	// that member was still in it (HasReplaced).
	Replaced    M
	HasReplaced bool
	// Opened is true when the join opened a room that did not exist.
	Opened bool
}

type seat[M comparable] struct {
	member   M
	present  bool        // false while the seat is held for a member that is reconnecting
	hold     *time.Timer // frees a held seat when its grace ends
	holdGen  uint64      // tells the current hold from an earlier one whose timer fired late
	holdEnds time.Time   // when the hold's grace ends

	token       string
	canRollback bool
	polite      bool // role in the current pair
	paired      bool // in a pair with the other seat whose peer connections may still live
	// keep and claim: joined with keep (role claim) and not paired since; such a seat can re-form its
	// pair with a newcomer that claims the other role (after a server restart nobody else remembers it).
	keep, claim bool
}

type room[M comparable] struct {
	seats []*seat[M] // at most Capacity, in order of arrival
	pair  uint64     // the current pair's number; 0 while there has been none
	next  *uint64    // the table's pair counter
}

// Table holds every room of this server. It is safe for concurrent use; no method blocks on anything but
// its own short critical section. The hooks a caller passes (Request.Seated, Leave's and Drop's told,
// Drop's expired) run inside that critical section, so the notices they queue for members are in the
// order the table changed — a peer never hears "joined" before the newcomer's own welcome, or "left"
// after a newer "joined". Hooks must be quick and must not block or call the table.
type Table[M comparable] struct {
	mu      sync.Mutex
	rooms   map[string]*room[M]
	holdGen uint64
	pairGen uint64 // numbers pairs, table-wide
	closed  bool
}

// NewTable returns an empty table.
func NewTable[M comparable]() *Table[M] {
	return &Table[M]{rooms: make(map[string]*room[M])}
}

// Join seats m in room id, or gives it back its seat when req.Token names one there. Joining a room
// that does not exist creates it.
func (t *Table[M]) Join(id string, m M, req Request[M]) (Pairing[M], error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.rooms[id]
	opened := r == nil
	if opened {
		if req.MayOpen != nil && !req.MayOpen() {
			return Pairing[M]{}, ErrRefused
		}
		r = &room[M]{seats: make([]*seat[M], 0, Capacity), next: &t.pairGen}
		t.rooms[id] = r
	}
	var p Pairing[M]
	if s := r.byToken(req.Token); s != nil {
		p = r.retake(s, m, req)
	} else {
		if len(r.seats) >= Capacity {
			return Pairing[M]{}, ErrFull
		}
		s := &seat[M]{member: m, present: true, token: req.Token, canRollback: req.CanRollback, keep: req.Keep, claim: req.Polite}
		r.seats = append(r.seats, s)
		p = r.pairNewcomer(s, req)
	}
	p.Opened = opened
	if req.Seated != nil {
		req.Seated(p)
	}
	return p, nil
}

// retake gives s to m, which presented s's token.
func (r *room[M]) retake(s *seat[M], m M, req Request[M]) Pairing[M] {
	var p Pairing[M]
	if s.present {
		p.Replaced, p.HasReplaced = s.member, true
	}
	s.stopHold()
	s.member, s.present, s.canRollback = m, true, req.CanRollback
	other := r.other(s)
	if !req.Keep && s.paired {
		// The member lost its peer connection (a reload): its pair is over, the other side's too.
		s.paired = false
		if other != nil {
			other.paired = false
		}
	}
	if other == nil || !other.present {
		s.keep, s.claim = req.Keep && !s.paired, req.Polite
		p.Alone = true
		p.PeerHeld, p.HeldFor = heldFor(other)
		return p
	}
	if req.Keep && s.paired && other.paired {
		p.Peer, p.Polite, p.Resumed, p.Pair = other.member, s.polite, true, r.pair
		return p
	}
	return r.pairFresh(s, other, p)
}

// pairNewcomer pairs s, a new seat, with the seat already in the room, if any.
func (r *room[M]) pairNewcomer(s *seat[M], req Request[M]) Pairing[M] {
	other := r.other(s)
	if other == nil || !other.present {
		held, left := heldFor(other)
		return Pairing[M]{Alone: true, PeerHeld: held, HeldFor: left}
	}
	if req.Keep && other.keep && !other.paired && other.claim != req.Polite {
		// Both kept their peer connections through a server restart and claim complementary roles.
		s.polite, other.polite = req.Polite, other.claim
		s.paired, other.paired = true, true
		s.keep, other.keep = false, false
		return Pairing[M]{Peer: other.member, Polite: s.polite, Resumed: true, Pair: r.newPair()}
	}
	return r.pairFresh(s, other, Pairing[M]{})
}

// heldFor reports whether s is a held seat and how much of its grace is left.
func heldFor[M comparable](s *seat[M]) (bool, time.Duration) {
	if s == nil || s.present {
		return false, 0
	}
	return true, max(0, time.Until(s.holdEnds))
}

// pairFresh makes s and other a new pair; s is the newcomer.
func (r *room[M]) pairFresh(s, other *seat[M], p Pairing[M]) Pairing[M] {
	s.polite = newcomerPolite(other.canRollback, s.canRollback)
	other.polite = !s.polite
	s.paired, other.paired = true, true
	s.keep, other.keep = false, false
	p.Peer, p.Polite, p.Resumed, p.Pair = other.member, s.polite, false, r.newPair()
	return p
}

// newPair gives the room's pair a new number.
func (r *room[M]) newPair() uint64 {
	*r.next++
	r.pair = *r.next
	return r.pair
}

// newcomerPolite decides the roles of a pair: if exactly one side cannot roll back, it is impolite;
// otherwise the newcomer is polite.
func newcomerPolite(incumbentCanRollback, newcomerCanRollback bool) bool {
	if incumbentCanRollback && !newcomerCanRollback {
		return false
	}
	return true
}

// Leave frees m's seat in room id at once (a hang-up) and returns the member present in the other
// seat, if any; told, when set, is called with that member under the table's lock. A room left with
// nobody is deleted. Leaving a room m is not in is a no-op.
func (t *Table[M]) Leave(id string, m M, told func(peer M)) (peer M, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, s := t.find(id, m)
	if s == nil {
		return peer, false
	}
	peer, ok = t.remove(id, r, s)
	if ok && told != nil {
		told(peer)
	}
	return peer, ok
}

// Drop holds m's seat in room id for grace after m's connection dropped: only a join with the seat's
// token can take it meanwhile. It returns the member present in the other seat, if any, to be told,
// and whether the seat is held; told, when set, is called with them under the table's lock. When the
// grace ends with the seat still held, the seat is freed and expired is called (under the table's lock,
// on a timer goroutine) with the member then present in the other seat, if any. A seat without a token,
// or a zero grace, is freed at once, as by Leave. Dropping a member not seated is a no-op.
func (t *Table[M]) Drop(id string, m M, grace time.Duration, told func(peer M, held bool), expired func(peer M, ok bool)) (peer M, ok, held bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, s := t.find(id, m)
	if s == nil {
		return peer, false, false
	}
	defer func() {
		if ok && told != nil {
			told(peer, held)
		}
	}()
	if s.token == "" || grace <= 0 || t.closed {
		peer, ok = t.remove(id, r, s)
		return peer, ok, false
	}
	s.present = false
	t.holdGen++
	gen := t.holdGen
	s.holdGen = gen
	s.holdEnds = time.Now().Add(grace)
	s.hold = time.AfterFunc(grace, func() { t.expire(id, s, gen, expired) })
	if other := r.other(s); other != nil && other.present {
		return other.member, true, true
	}
	return peer, false, true
}

// expire frees s if it is still held by the hold gen, and tells expired.
func (t *Table[M]) expire(id string, s *seat[M], gen uint64, expired func(peer M, ok bool)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.rooms[id]
	if r == nil || s.present || s.holdGen != gen || !r.has(s) {
		return
	}
	peer, ok := t.remove(id, r, s)
	if expired != nil {
		expired(peer, ok)
	}
}

// remove frees s; the other seat's pair is over. Called with the lock held.
func (t *Table[M]) remove(id string, r *room[M], s *seat[M]) (peer M, ok bool) {
	s.stopHold()
	for i, x := range r.seats {
		if x == s {
			r.seats = append(r.seats[:i], r.seats[i+1:]...)
			break
		}
	}
	if len(r.seats) == 0 {
		delete(t.rooms, id)
		return peer, false
	}
	other := r.seats[0]
	other.paired = false
	if !other.present {
		return peer, false
	}
	return other.member, true
}

// Peer returns the member present in the other seat of m's room, if m is seated there.
func (t *Table[M]) Peer(id string, m M) (peer M, ok bool) { return t.PeerInPair(id, m, 0) }

// PeerInPair is Peer for a message m meant for pair number pair: ok only while that is still the room's
// pair (0 means any). A message for a pair that has since been replaced must not reach the newcomer.
func (t *Table[M]) PeerInPair(id string, m M, pair uint64) (peer M, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, s := t.find(id, m)
	if s == nil || (pair != 0 && pair != r.pair) {
		return peer, false
	}
	if other := r.other(s); other != nil && other.present {
		return other.member, true
	}
	return peer, false
}

// Len returns the number of rooms with at least one seat taken or held.
func (t *Table[M]) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.rooms)
}

// Held returns the number of seats held for members that are reconnecting.
func (t *Table[M]) Held() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, r := range t.rooms {
		for _, s := range r.seats {
			if !s.present {
				n++
			}
		}
	}
	return n
}

// Close frees every held seat without calling their expired functions and stops holding new ones
// (Drop then frees at once): the server is stopping.
func (t *Table[M]) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for id, r := range t.rooms {
		for _, s := range append([]*seat[M](nil), r.seats...) {
			if !s.present {
				t.remove(id, r, s)
			}
		}
	}
}

// find returns m's room and present seat, or nils.
func (t *Table[M]) find(id string, m M) (*room[M], *seat[M]) {
	r := t.rooms[id]
	if r == nil {
		return nil, nil
	}
	for _, s := range r.seats {
		if s.present && s.member == m {
			return r, s
		}
	}
	return nil, nil
}

func (r *room[M]) byToken(token string) *seat[M] {
	if token == "" {
		return nil
	}
	for _, s := range r.seats {
		if s.token == token {
			return s
		}
	}
	return nil
}

func (r *room[M]) other(s *seat[M]) *seat[M] {
	for _, x := range r.seats {
		if x != s {
			return x
		}
	}
	return nil
}

func (r *room[M]) has(s *seat[M]) bool {
	for _, x := range r.seats {
		if x == s {
			return true
		}
	}
	return false
}

func (s *seat[M]) stopHold() {
	if s.hold != nil {
		s.hold.Stop()
		s.hold = nil
	}
}
