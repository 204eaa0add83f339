package room_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/maju-call/maju/internal/room"
)

const (
	roomA = "AAAAAAAAAAAAAAAAAAAAAA"
	roomB = "Yv3x0m3k2QdA8i5cV7XwZg"
)

func mustJoin[M comparable](t *testing.T, tab *room.Table[M], id string, m M, canRollback bool) room.Pairing[M] {
	t.Helper()
	p, err := tab.Join(id, m, room.Request[M]{CanRollback: canRollback})
	if err != nil {
		t.Fatalf("Join(%s, %v) error: %v", id, m, err)
	}
	return p
}

func TestCapacity(t *testing.T) {
	if room.Capacity != 2 {
		t.Fatalf("Capacity = %d, want 2", room.Capacity)
	}
	tab := room.NewTable[string]()
	if p := mustJoin(t, tab, roomA, "alice", true); !p.Alone {
		t.Fatalf("first Join = %+v, want Alone", p)
	}
	if p := mustJoin(t, tab, roomA, "bob", true); p.Alone || p.Peer != "alice" {
		t.Fatalf("second Join = %+v, want peer alice", p)
	}
	for _, who := range []string{"carol", "dave", "alice"} {
		p, err := tab.Join(roomA, who, room.Request[string]{CanRollback: true})
		if !errors.Is(err, room.ErrFull) {
			t.Fatalf("Join(%s) into a full room = %+v, %v; want ErrFull", who, p, err)
		}
		if p != (room.Pairing[string]{}) {
			t.Errorf("Join(%s) returned %+v with ErrFull, want the zero Pairing", who, p)
		}
	}
	// The refused joins did not disturb the pair.
	if peer, ok := tab.Peer(roomA, "alice"); !ok || peer != "bob" {
		t.Errorf("Peer(alice) = %q, %v after refused joins; want bob", peer, ok)
	}
	if peer, ok := tab.Peer(roomA, "bob"); !ok || peer != "alice" {
		t.Errorf("Peer(bob) = %q, %v after refused joins; want alice", peer, ok)
	}
	if _, ok := tab.Peer(roomA, "carol"); ok {
		t.Error("Peer(carol) found a peer although carol was refused")
	}
	if tab.Len() != 1 {
		t.Errorf("Len = %d, want 1", tab.Len())
	}
	// Another room is independent.
	if p := mustJoin(t, tab, roomB, "carol", true); !p.Alone {
		t.Errorf("Join into another room = %+v, want Alone", p)
	}
	if tab.Len() != 2 {
		t.Errorf("Len = %d, want 2", tab.Len())
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		name                 string
		incumbent, newcomer  bool // can roll back
		wantNewcomerIsPolite bool
	}{
		{"both can roll back", true, true, true},
		{"newcomer cannot, incumbent can", true, false, false},
		{"incumbent cannot, newcomer can", false, true, true},
		{"neither can", false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := room.NewTable[string]()
			first := mustJoin(t, tab, roomA, "incumbent", tc.incumbent)
			if !first.Alone {
				t.Fatalf("incumbent Join = %+v, want Alone", first)
			}
			p := mustJoin(t, tab, roomA, "newcomer", tc.newcomer)
			if p.Alone || p.Peer != "incumbent" {
				t.Fatalf("newcomer Join = %+v, want peer incumbent", p)
			}
			if p.Polite != tc.wantNewcomerIsPolite {
				t.Errorf("newcomer Polite = %v, want %v", p.Polite, tc.wantNewcomerIsPolite)
			}
		})
	}
}

func TestPeer(t *testing.T) {
	tab := room.NewTable[string]()
	if _, ok := tab.Peer(roomA, "alice"); ok {
		t.Error("Peer in an empty table found a peer")
	}
	mustJoin(t, tab, roomA, "alice", true)
	if peer, ok := tab.Peer(roomA, "alice"); ok {
		t.Errorf("Peer(alice) alone = %q, true; want none", peer)
	}
	mustJoin(t, tab, roomA, "bob", true)
	mustJoin(t, tab, roomB, "carol", true)
	mustJoin(t, tab, roomB, "dave", true)

	tests := []struct {
		room, member string
		want         string
		ok           bool
	}{
		{roomA, "alice", "bob", true},
		{roomA, "bob", "alice", true},
		{roomB, "carol", "dave", true},
		{roomB, "dave", "carol", true},
		{roomA, "carol", "", false}, // carol is not in room A
		{roomB, "alice", "", false}, // alice is not in room B
		{roomA, "nobody", "", false},
		{"no-such-room", "alice", "", false},
		{"", "alice", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.room+"/"+tc.member, func(t *testing.T) {
			peer, ok := tab.Peer(tc.room, tc.member)
			if peer != tc.want || ok != tc.ok {
				t.Errorf("Peer(%s, %s) = %q, %v; want %q, %v", tc.room, tc.member, peer, ok, tc.want, tc.ok)
			}
		})
	}
	if tab.Len() != 2 {
		t.Errorf("Peer changed the table: Len = %d, want 2", tab.Len())
	}
}

func TestLeave(t *testing.T) {
	tab := room.NewTable[string]()
	mustJoin(t, tab, roomA, "alice", true)
	mustJoin(t, tab, roomA, "bob", true)

	if peer, ok := tab.Leave(roomA, "alice", nil); !ok || peer != "bob" {
		t.Fatalf("Leave(alice) = %q, %v; want bob, true", peer, ok)
	}
	if _, ok := tab.Peer(roomA, "bob"); ok {
		t.Error("bob still has a peer after alice left")
	}
	if _, ok := tab.Peer(roomA, "alice"); ok {
		t.Error("alice still has a peer after leaving")
	}
	if tab.Len() != 1 {
		t.Errorf("Len = %d after one of two left, want 1", tab.Len())
	}
	// Leaving twice is a no-op.
	if peer, ok := tab.Leave(roomA, "alice", nil); ok || peer != "" {
		t.Errorf("second Leave(alice) = %q, %v; want no-op", peer, ok)
	}
	if peer, ok := tab.Leave(roomA, "bob", nil); ok || peer != "" {
		t.Errorf("Leave(bob) from a room of one = %q, %v; want no peer", peer, ok)
	}
	if tab.Len() != 0 {
		t.Errorf("Len = %d after the last member left, want 0 (room freed)", tab.Len())
	}
	// A freed room can be used again from scratch.
	if p := mustJoin(t, tab, roomA, "carol", false); !p.Alone {
		t.Errorf("Join into a freed room = %+v, want Alone", p)
	}
}

func TestLeaveSecondSeat(t *testing.T) {
	tab := room.NewTable[string]()
	mustJoin(t, tab, roomA, "alice", true)
	mustJoin(t, tab, roomA, "bob", true)
	if peer, ok := tab.Leave(roomA, "bob", nil); !ok || peer != "alice" {
		t.Fatalf("Leave(bob) = %q, %v; want alice, true", peer, ok)
	}
	if p := mustJoin(t, tab, roomA, "carol", true); p.Alone || p.Peer != "alice" {
		t.Fatalf("Join(carol) = %+v, want peer alice", p)
	}
}

func TestLeaveNotMember(t *testing.T) {
	tests := []struct {
		name   string
		room   string
		member string
	}{
		{"stranger in a full room", roomA, "mallory"},
		{"member of another room", roomA, "carol"},
		{"room that does not exist", "no-such-room", "alice"},
		{"empty room id", "", "alice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := room.NewTable[string]()
			mustJoin(t, tab, roomA, "alice", true)
			mustJoin(t, tab, roomA, "bob", true)
			mustJoin(t, tab, roomB, "carol", true)
			if peer, ok := tab.Leave(tc.room, tc.member, nil); ok || peer != "" {
				t.Errorf("Leave(%s, %s) = %q, %v; want no-op", tc.room, tc.member, peer, ok)
			}
			if tab.Len() != 2 {
				t.Errorf("Len = %d, want 2 (no room created or freed)", tab.Len())
			}
			if peer, ok := tab.Peer(roomA, "alice"); !ok || peer != "bob" {
				t.Errorf("Peer(alice) = %q, %v; want bob", peer, ok)
			}
			if _, err := tab.Join(roomA, "dave", room.Request[string]{CanRollback: true}); !errors.Is(err, room.ErrFull) {
				t.Errorf("room A has a free seat after a no-op Leave: %v", err)
			}
			if p := mustJoin(t, tab, roomB, "dave", true); p.Peer != "carol" {
				t.Errorf("Join(dave) into room B = %+v, want peer carol", p)
			}
		})
	}
}

// TestRejoinRoles checks that whoever arrives after a departure gets roles relative to the member who
// stayed, using the stayer's rollback ability, whichever seat the stayer had.
func TestRejoinRoles(t *testing.T) {
	tests := []struct {
		name           string
		stayerRollback bool
		stayerFirst    bool // the stayer was the first to arrive
		newRollback    bool
		wantPolite     bool
	}{
		{"stayer pion (first), newcomer browser", false, true, true, true},
		{"stayer pion (second), newcomer browser", false, false, true, true},
		{"stayer browser (first), newcomer pion", true, true, false, false},
		{"stayer browser (second), newcomer pion", true, false, false, false},
		{"both browsers", true, false, true, true},
		{"both pion", false, false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := room.NewTable[string]()
			if tc.stayerFirst {
				mustJoin(t, tab, roomA, "stayer", tc.stayerRollback)
				mustJoin(t, tab, roomA, "leaver", !tc.stayerRollback)
			} else {
				mustJoin(t, tab, roomA, "leaver", !tc.stayerRollback)
				mustJoin(t, tab, roomA, "stayer", tc.stayerRollback)
			}
			if peer, ok := tab.Leave(roomA, "leaver", nil); !ok || peer != "stayer" {
				t.Fatalf("Leave(leaver) = %q, %v; want stayer", peer, ok)
			}
			p := mustJoin(t, tab, roomA, "newcomer", tc.newRollback)
			if p.Alone || p.Peer != "stayer" {
				t.Fatalf("Join(newcomer) = %+v, want peer stayer", p)
			}
			if p.Polite != tc.wantPolite {
				t.Errorf("newcomer Polite = %v, want %v", p.Polite, tc.wantPolite)
			}
			if peer, ok := tab.Peer(roomA, "stayer"); !ok || peer != "newcomer" {
				t.Errorf("Peer(stayer) = %q, %v; want newcomer", peer, ok)
			}
		})
	}
}

func TestPointerMembers(t *testing.T) {
	// The signaling layer uses connection pointers as members; distinct pointers are distinct members
	// even when the values they point to are equal.
	type conn struct{ name string }
	a, b, c := &conn{"x"}, &conn{"x"}, &conn{"x"}
	tab := room.NewTable[*conn]()
	mustJoin(t, tab, roomA, a, true)
	if p := mustJoin(t, tab, roomA, b, true); p.Peer != a {
		t.Fatalf("Join(b) peer = %p, want a %p", p.Peer, a)
	}
	if _, err := tab.Join(roomA, c, room.Request[*conn]{CanRollback: true}); !errors.Is(err, room.ErrFull) {
		t.Fatalf("Join(c) = %v, want ErrFull", err)
	}
	if peer, ok := tab.Leave(roomA, c, nil); ok || peer != nil {
		t.Errorf("Leave(c) = %p, %v; want no-op", peer, ok)
	}
	if peer, ok := tab.Leave(roomA, b, nil); !ok || peer != a {
		t.Errorf("Leave(b) = %p, %v; want a", peer, ok)
	}
}

func TestManyRooms(t *testing.T) {
	tab := room.NewTable[int]()
	const n = 100
	for i := range n {
		id := fmt.Sprint("room-", i)
		mustJoin(t, tab, id, 2*i, true)
		mustJoin(t, tab, id, 2*i+1, true)
	}
	if tab.Len() != n {
		t.Fatalf("Len = %d, want %d", tab.Len(), n)
	}
	for i := range n {
		id := fmt.Sprint("room-", i)
		if peer, ok := tab.Peer(id, 2*i); !ok || peer != 2*i+1 {
			t.Fatalf("Peer(%s, %d) = %d, %v", id, 2*i, peer, ok)
		}
		tab.Leave(id, 2*i, nil)
		tab.Leave(id, 2*i+1, nil)
	}
	if tab.Len() != 0 {
		t.Fatalf("Len = %d after everyone left, want 0", tab.Len())
	}
}

// TestConcurrent joins and leaves from many goroutines (run with -race) and checks the invariants: no
// room ever holds more than two members, a pairing's peer is always in the same room, and every room is
// freed at the end.
func TestConcurrent(t *testing.T) {
	type member struct{ room, id int }
	const (
		rooms      = 4
		goroutines = 32
		rounds     = 300
	)
	ids := make([]string, rooms)
	for i := range ids {
		ids[i] = fmt.Sprint("room-", i)
	}
	tab := room.NewTable[member]()
	// seated[r] counts members of room r between a successful Join and their Leave. It can only
	// understate the table's count, so it exceeding Capacity means the table let a third member in.
	var seated [rooms]atomic.Int32
	var full, paired atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				r := (g + i) % rooms
				m := member{room: r, id: g*rounds + i}
				p, err := tab.Join(ids[r], m, room.Request[member]{CanRollback: (g+i)%3 != 0})
				if errors.Is(err, room.ErrFull) {
					full.Add(1)
					continue
				}
				if err != nil {
					errc <- fmt.Errorf("Join: %v", err)
					return
				}
				if n := seated[r].Add(1); n > room.Capacity {
					errc <- fmt.Errorf("room %d holds %d members", r, n)
					return
				}
				if !p.Alone {
					paired.Add(1)
					if p.Peer.room != r || p.Peer == m {
						errc <- fmt.Errorf("%v paired with %v", m, p.Peer)
						return
					}
				}
				if peer, ok := tab.Peer(ids[r], m); ok && (peer.room != r || peer == m) {
					errc <- fmt.Errorf("Peer(%v) = %v", m, peer)
					return
				}
				seated[r].Add(-1)
				if peer, ok := tab.Leave(ids[r], m, nil); ok && (peer.room != r || peer == m) {
					errc <- fmt.Errorf("Leave(%v) returned %v", m, peer)
					return
				}
				if _, ok := tab.Peer(ids[r], m); ok {
					errc <- fmt.Errorf("%v still has a peer after leaving", m)
					return
				}
				if l := tab.Len(); l > rooms {
					errc <- fmt.Errorf("Len = %d with only %d room ids in use", l, rooms)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if n := tab.Len(); n != 0 {
		t.Errorf("Len = %d after everyone left, want 0", n)
	}
	t.Logf("%d joins refused as full, %d pairings", full.Load(), paired.Load())
}
