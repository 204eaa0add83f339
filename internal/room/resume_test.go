package room_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/maju-call/maju/internal/room"
)

const (
	tokA = "tokenAtokenAtokenAtokA"
	tokB = "tokenBtokenBtokenBtokB"
)

// expiries collects what held seats' expiry callbacks report.
type expiries chan string

func (e expiries) fn(peer string, ok bool) {
	if !ok {
		peer = "(nobody)"
	}
	e <- peer
}

func (e expiries) wait(t *testing.T) string {
	t.Helper()
	select {
	case p := <-e:
		return p
	case <-time.After(5 * time.Second):
		t.Fatal("the held seat never expired")
		return ""
	}
}

// pair seats alice (token A) then bob (token B) in roomA: alice impolite, bob polite.
func pair(t *testing.T) *room.Table[string] {
	t.Helper()
	tab := room.NewTable[string]()
	t.Cleanup(tab.Close)
	if p, err := tab.Join(roomA, "alice", room.Request[string]{Token: tokA, CanRollback: true}); err != nil || !p.Alone || !p.Opened {
		t.Fatalf("alice's Join = %+v, %v", p, err)
	}
	p, err := tab.Join(roomA, "bob", room.Request[string]{Token: tokB, CanRollback: true})
	if err != nil || p.Alone || p.Peer != "alice" || !p.Polite || p.Resumed || p.Opened {
		t.Fatalf("bob's Join = %+v, %v; want a new pair with alice, bob polite", p, err)
	}
	return tab
}

func TestDroppedSeatIsHeldAndResumed(t *testing.T) {
	tab := pair(t)
	exp := make(expiries, 1)
	if peer, ok, _ := tab.Drop(roomA, "bob", time.Minute, nil, exp.fn); !ok || peer != "alice" {
		t.Fatalf("Drop(bob) = %q, %v; want alice to be told", peer, ok)
	}
	if tab.Held() != 1 || tab.Len() != 1 {
		t.Fatalf("Held, Len = %d, %d; want 1, 1", tab.Held(), tab.Len())
	}
	if _, ok := tab.Peer(roomA, "alice"); ok {
		t.Error("Peer(alice) found bob while his seat is held")
	}
	// The held seat still counts: nobody else gets in.
	if _, err := tab.Join(roomA, "mallory", room.Request[string]{Token: "someoneelsesomeoneelse", CanRollback: true}); !errors.Is(err, room.ErrFull) {
		t.Fatalf("a stranger's Join while bob's seat is held = %v, want ErrFull", err)
	}
	// Bob is back on a new connection, with his peer connection kept.
	p, err := tab.Join(roomA, "bob2", room.Request[string]{Token: tokB, CanRollback: true, Keep: true, Polite: true})
	if err != nil || p.Alone || p.Peer != "alice" || !p.Polite || !p.Resumed || p.HasReplaced || p.Opened {
		t.Fatalf("bob's resume = %+v, %v; want the same pair resumed, bob polite", p, err)
	}
	if peer, ok := tab.Peer(roomA, "alice"); !ok || peer != "bob2" {
		t.Errorf("Peer(alice) = %q, %v; want bob2", peer, ok)
	}
	if tab.Held() != 0 {
		t.Errorf("Held = %d after the resume, want 0", tab.Held())
	}
	select {
	case p := <-exp:
		t.Errorf("the hold expired (told %s) although bob came back", p)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestReloadReplacesTheLiveSeatAndStartsANewPair(t *testing.T) {
	tab := pair(t)
	// Bob reloads: his new page joins before the server noticed the old socket is gone.
	p, err := tab.Join(roomA, "bob2", room.Request[string]{Token: tokB, CanRollback: true})
	if err != nil || !p.HasReplaced || p.Replaced != "bob" || p.Resumed || p.Alone || p.Peer != "alice" || !p.Polite {
		t.Fatalf("bob's rejoin = %+v, %v; want bob replaced and a new pair with alice", p, err)
	}
	// The old connection ending later does not touch the seat.
	if _, ok, _ := tab.Drop(roomA, "bob", time.Minute, nil, func(string, bool) { t.Error("expired") }); ok {
		t.Error("dropping the replaced member told someone")
	}
	if peer, ok := tab.Peer(roomA, "bob2"); !ok || peer != "alice" {
		t.Errorf("Peer(bob2) = %q, %v; want alice", peer, ok)
	}
}

func TestHeldSeatExpires(t *testing.T) {
	tab := pair(t)
	exp := make(expiries, 1)
	tab.Drop(roomA, "bob", 20*time.Millisecond, nil, exp.fn)
	if who := exp.wait(t); who != "alice" {
		t.Fatalf("expiry told %s, want alice", who)
	}
	if tab.Held() != 0 || tab.Len() != 1 {
		t.Fatalf("Held, Len = %d, %d after expiry; want 0, 1", tab.Held(), tab.Len())
	}
	// Bob comes back too late: a new seat and a new pair, though he kept his peer connection.
	p, err := tab.Join(roomA, "bob2", room.Request[string]{Token: tokB, CanRollback: true, Keep: true, Polite: true})
	if err != nil || p.Resumed || p.Alone {
		t.Fatalf("late join = %+v, %v; want a new pair", p, err)
	}
}

func TestBothDroppedRoomLivesUntilBothExpire(t *testing.T) {
	tab := pair(t)
	exp := make(expiries, 2)
	tab.Drop(roomA, "alice", 10*time.Millisecond, nil, exp.fn)
	if _, ok, _ := tab.Drop(roomA, "bob", 30*time.Millisecond, nil, exp.fn); ok {
		t.Error("bob's drop told alice, who is away")
	}
	if tab.Len() != 1 || tab.Held() != 2 {
		t.Fatalf("Len, Held = %d, %d; want 1, 2", tab.Len(), tab.Held())
	}
	for range 2 {
		if who := exp.wait(t); who != "(nobody)" {
			t.Errorf("an expiry told %s; nobody was there", who)
		}
	}
	if tab.Len() != 0 {
		t.Errorf("Len = %d after both expired, want 0", tab.Len())
	}
}

func TestPairReformedAfterServerRestart(t *testing.T) {
	tests := []struct {
		name         string
		alice, bob   room.Request[string]
		wantResumed  bool
		wantBobPolit bool
	}{
		{"both kept, roles claimed", room.Request[string]{Keep: true, Polite: false}, room.Request[string]{Keep: true, Polite: true}, true, true},
		{"both kept, roles claimed the other way", room.Request[string]{Keep: true, Polite: true}, room.Request[string]{Keep: true, Polite: false}, true, false},
		{"both claim polite", room.Request[string]{Keep: true, Polite: true}, room.Request[string]{Keep: true, Polite: true}, false, true},
		{"bob reloaded meanwhile", room.Request[string]{Keep: true}, room.Request[string]{}, false, true},
		{"alice reloaded meanwhile", room.Request[string]{}, room.Request[string]{Keep: true, Polite: false}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := room.NewTable[string]() // the restarted server knows nobody
			tc.alice.Token, tc.alice.CanRollback = tokA, true
			tc.bob.Token, tc.bob.CanRollback = tokB, true
			if p, err := tab.Join(roomA, "alice", tc.alice); err != nil || !p.Alone {
				t.Fatalf("alice = %+v, %v", p, err)
			}
			p, err := tab.Join(roomA, "bob", tc.bob)
			if err != nil || p.Alone || p.Resumed != tc.wantResumed || p.Polite != tc.wantBobPolit {
				t.Fatalf("bob = %+v, %v; want resumed %v, polite %v", p, err, tc.wantResumed, tc.wantBobPolit)
			}
		})
	}
}

func TestReloadWhileThePeerIsAwayEndsThePair(t *testing.T) {
	tab := pair(t)
	tab.Drop(roomA, "bob", time.Minute, nil, func(string, bool) {})
	// Alice reloads (her peer connection is gone) while bob is away.
	p, err := tab.Join(roomA, "alice2", room.Request[string]{Token: tokA, CanRollback: true})
	if err != nil || !p.Alone || !p.PeerHeld || !p.HasReplaced {
		t.Fatalf("alice's rejoin = %+v, %v; want alone with bob's seat held", p, err)
	}
	if p.HeldFor <= 0 || p.HeldFor > time.Minute {
		t.Errorf("HeldFor = %v, want what is left of bob's minute", p.HeldFor)
	}
	// Bob comes back with his peer connection: it is of no use any more.
	p, err = tab.Join(roomA, "bob2", room.Request[string]{Token: tokB, CanRollback: true, Keep: true, Polite: true})
	if err != nil || p.Resumed || p.Alone || p.Peer != "alice2" {
		t.Fatalf("bob's resume = %+v, %v; want a new pair", p, err)
	}
}

func TestHangUpOfThePeerEndsThePair(t *testing.T) {
	tab := pair(t)
	tab.Drop(roomA, "bob", time.Minute, nil, func(string, bool) { t.Error("expired after a hang-up") })
	if _, ok := tab.Leave(roomA, "alice", nil); ok {
		t.Error("alice's hang-up told bob, who is away")
	}
	p, err := tab.Join(roomA, "bob2", room.Request[string]{Token: tokB, CanRollback: true, Keep: true, Polite: true})
	if err != nil || !p.Alone || p.PeerHeld || p.Resumed {
		t.Fatalf("bob's resume after alice hung up = %+v, %v; want alone", p, err)
	}
}

func TestDropWithoutTokenOrGraceFreesAtOnce(t *testing.T) {
	tab := room.NewTable[string]()
	mustJoin(t, tab, roomA, "alice", true)
	mustJoin(t, tab, roomA, "bob", true)
	if peer, ok, _ := tab.Drop(roomA, "bob", time.Minute, nil, func(string, bool) { t.Error("expired") }); !ok || peer != "alice" {
		t.Fatalf("Drop = %q, %v", peer, ok)
	}
	if tab.Held() != 0 {
		t.Fatal("a seat without a token was held")
	}
	tab2 := pair(t)
	tab2.Drop(roomA, "bob", 0, nil, func(string, bool) { t.Error("expired") })
	if tab2.Held() != 0 {
		t.Fatal("a seat was held with zero grace")
	}
}

func TestCloseFreesHeldSeats(t *testing.T) {
	tab := pair(t)
	tab.Drop(roomA, "alice", 20*time.Millisecond, nil, func(string, bool) { t.Error("expired after Close") })
	tab.Close()
	if tab.Held() != 0 {
		t.Fatalf("Held = %d after Close", tab.Held())
	}
	tab.Drop(roomA, "bob", time.Minute, nil, func(string, bool) { t.Error("expired after Close") })
	if tab.Len() != 0 {
		t.Fatalf("Len = %d after Close and the last drop", tab.Len())
	}
	time.Sleep(50 * time.Millisecond)
}

func TestMayOpen(t *testing.T) {
	tab := room.NewTable[string]()
	no := func() bool { return false }
	if _, err := tab.Join(roomA, "alice", room.Request[string]{Token: tokA, MayOpen: no}); !errors.Is(err, room.ErrRefused) {
		t.Fatalf("Join with MayOpen false = %v, want ErrRefused", err)
	}
	if tab.Len() != 0 {
		t.Fatal("a refused join left a room")
	}
	mustJoin(t, tab, roomA, "alice", true)
	// Joining a room that exists opens nothing.
	if _, err := tab.Join(roomA, "bob", room.Request[string]{MayOpen: no}); err != nil {
		t.Fatalf("joining an existing room asked MayOpen: %v", err)
	}
}

// The hooks run inside the table's critical section, so what they queue is in the order the room
// changed: with two joins racing, each member's first notice is always its own seat, and the later one
// is the only one told of the other.
func TestHooksSeeChangesInOrder(t *testing.T) {
	for i := range 200 {
		tab := room.NewTable[string]()
		var mu sync.Mutex
		log := map[string][]string{}
		note := func(who, what string) {
			mu.Lock()
			log[who] = append(log[who], what)
			mu.Unlock()
		}
		var wg sync.WaitGroup
		for _, who := range []string{"alice", "bob"} {
			wg.Go(func() {
				_, err := tab.Join(roomA, who, room.Request[string]{CanRollback: true, Seated: func(p room.Pairing[string]) {
					note(who, "welcome")
					if !p.Alone {
						note(p.Peer, "peer-joined")
					}
				}})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		for who, l := range log {
			if l[0] != "welcome" {
				t.Fatalf("run %d: %s heard %v: something before its own welcome", i, who, l)
			}
		}
		if n := len(log["alice"]) + len(log["bob"]); n != 3 {
			t.Fatalf("run %d: %d notices (%v), want 3", i, n, log)
		}
	}
}

func TestPairNumbers(t *testing.T) {
	tab := room.NewTable[string]()
	mustJoin(t, tab, roomA, "alice", true)
	first, _ := tab.Join(roomA, "bob", room.Request[string]{Token: tokB, CanRollback: true})
	if first.Pair == 0 {
		t.Fatal("a new pair has no number")
	}
	tab.Drop(roomA, "bob", time.Minute, nil, nil)
	resumed, _ := tab.Join(roomA, "bob2", room.Request[string]{Token: tokB, CanRollback: true, Keep: true, Polite: true})
	if !resumed.Resumed || resumed.Pair != first.Pair {
		t.Fatalf("resumed pair %+v, want the number %d kept", resumed, first.Pair)
	}
	reloaded, _ := tab.Join(roomA, "bob3", room.Request[string]{Token: tokB, CanRollback: true})
	if reloaded.Resumed || reloaded.Pair == first.Pair {
		t.Fatalf("pair after a reload %+v, want a new number", reloaded)
	}
	// alice's offer for the pair before the reload must not reach bob's new page.
	if _, ok := tab.PeerInPair(roomA, "alice", first.Pair); ok {
		t.Error("a message for the replaced pair found a peer")
	}
	for _, pair := range []uint64{reloaded.Pair, 0} {
		if peer, ok := tab.PeerInPair(roomA, "alice", pair); !ok || peer != "bob3" {
			t.Errorf("PeerInPair(alice, %d) = %q, %v; want bob3", pair, peer, ok)
		}
	}
}
