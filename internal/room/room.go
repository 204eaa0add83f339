// Package room is maju's pairing logic: rooms of at most two seats, the perfect-negotiation roles of a
// pair, and freeing a room when its last seat empties. It knows nothing of the network; members are
// opaque comparable values (the signaling layer uses its connections).
package room

import (
	"errors"
	"sync"
)

// Capacity is the number of seats in a room: maju is strictly one-to-one.
const Capacity = 2

// ErrFull is returned by Join when both seats of the room are taken.
var ErrFull = errors.New("room is full")

// Pairing is what a member learns when it takes a seat.
type Pairing[M comparable] struct {
	// Peer is the member in the other seat; Alone is true when there is none.
	Peer  M
	Alone bool
	// Polite is the newcomer's role in perfect negotiation; the peer's role is the opposite.
	// It is meaningful only when Alone is false.
	Polite bool
}

type seat[M comparable] struct {
	member      M
	canRollback bool
}

type room[M comparable] struct {
	seats []seat[M] // at most Capacity, in order of arrival
}

// Table holds every room of this server. It is safe for concurrent use; no method blocks on anything but
// its own short critical section, so callers may deliver messages after a call returns, never during.
type Table[M comparable] struct {
	mu    sync.Mutex
	rooms map[string]*room[M]
}

// NewTable returns an empty table.
func NewTable[M comparable]() *Table[M] {
	return &Table[M]{rooms: make(map[string]*room[M])}
}

// Join seats m in room id. canRollback tells whether m can roll back a local offer; a member that cannot
// is made impolite when its peer can. Joining a room that does not exist creates it.
func (t *Table[M]) Join(id string, m M, canRollback bool) (Pairing[M], error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.rooms[id]
	if r == nil {
		r = &room[M]{seats: make([]seat[M], 0, Capacity)}
		t.rooms[id] = r
	}
	if len(r.seats) >= Capacity {
		return Pairing[M]{}, ErrFull
	}
	r.seats = append(r.seats, seat[M]{member: m, canRollback: canRollback})
	if len(r.seats) == 1 {
		return Pairing[M]{Alone: true}, nil
	}
	incumbent := r.seats[0]
	return Pairing[M]{Peer: incumbent.member, Polite: newcomerPolite(incumbent.canRollback, canRollback)}, nil
}

// newcomerPolite decides the roles of a pair: if exactly one side cannot roll back, it is impolite;
// otherwise the newcomer is polite.
func newcomerPolite(incumbentCanRollback, newcomerCanRollback bool) bool {
	if incumbentCanRollback && !newcomerCanRollback {
		return false
	}
	return true
}

// Leave frees m's seat in room id and returns the member in the other seat, if any. A room left empty is
// deleted. Leaving a room m is not in is a no-op.
func (t *Table[M]) Leave(id string, m M) (peer M, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.rooms[id]
	if r == nil {
		return peer, false
	}
	i := r.index(m)
	if i < 0 {
		return peer, false
	}
	r.seats = append(r.seats[:i], r.seats[i+1:]...)
	if len(r.seats) == 0 {
		delete(t.rooms, id)
		return peer, false
	}
	return r.seats[0].member, true
}

// Peer returns the member in the other seat of m's room, if m is seated there and the seat is taken.
func (t *Table[M]) Peer(id string, m M) (peer M, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.rooms[id]
	if r == nil || len(r.seats) != Capacity || r.index(m) < 0 {
		return peer, false
	}
	if r.seats[0].member == m {
		return r.seats[1].member, true
	}
	return r.seats[0].member, true
}

// Len returns the number of rooms with at least one seat taken.
func (t *Table[M]) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.rooms)
}

func (r *room[M]) index(m M) int {
	for i, s := range r.seats {
		if s.member == m {
			return i
		}
	}
	return -1
}
