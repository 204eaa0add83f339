package limit

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a fake time source, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Unix(1_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func key(s string) netip.Prefix { return Key(netip.MustParseAddr(s)) }

var defaults = Config{MaxConns: 20, RoomRate: 30, RoomBurst: 10}

func TestConnectionCap(t *testing.T) {
	tb := NewTable(Config{MaxConns: 2, RoomRate: 30, RoomBurst: 10}, newClock().Now)
	a, b := key("192.0.2.1"), key("192.0.2.2")
	for i, want := range []bool{true, true, false, false} {
		if got := tb.Acquire(a); got != want {
			t.Errorf("Acquire(a) #%d = %v, want %v", i, got, want)
		}
	}
	if !tb.Acquire(b) {
		t.Error("another address is refused when one is at its cap")
	}
	tb.Release(a)
	if !tb.Acquire(a) {
		t.Error("Acquire after Release refused")
	}
	if tb.Acquire(a) {
		t.Error("cap not restored after the released slot was taken again")
	}
}

func TestReleaseWithoutAcquire(t *testing.T) {
	tb := NewTable(Config{MaxConns: 2, RoomRate: 30, RoomBurst: 10}, newClock().Now)
	a := key("192.0.2.1")
	tb.Release(a) // unknown key
	if tb.Len() != 0 {
		t.Errorf("Release of an unknown key made an entry")
	}
	tb.Acquire(a)
	tb.Release(a)
	tb.Release(a) // one too many: must not give a third slot
	got := 0
	for range 5 {
		if tb.Acquire(a) {
			got++
		}
	}
	if got != 2 {
		t.Errorf("after extra Releases %d Acquires succeeded, want 2", got)
	}
}

func TestIPv6SlashSixtyFourSharesTheCap(t *testing.T) {
	tb := NewTable(Config{MaxConns: 2, RoomRate: 30, RoomBurst: 10}, newClock().Now)
	if !tb.Acquire(key("2001:db8:1:2::1")) || !tb.Acquire(key("2001:db8:1:2:ffff::9")) {
		t.Fatal("first two connections of the /64 refused")
	}
	if tb.Acquire(key("2001:db8:1:2:1234:5678:9abc:def0")) {
		t.Error("a third address of the same /64 got past the cap")
	}
	if !tb.Acquire(key("2001:db8:1:3::1")) {
		t.Error("the next /64 is refused")
	}
	if !tb.Acquire(key("::ffff:192.0.2.1")) || !tb.Acquire(key("192.0.2.1")) || tb.Acquire(key("192.0.2.1")) {
		t.Error("a 4in6 address and its IPv4 form are not one key")
	}
}

func TestRoomBucketRefill(t *testing.T) {
	clk := newClock()
	tb := NewTable(defaults, clk.Now) // 30 a minute: one every 2s, burst 10
	a, b := key("192.0.2.1"), key("2001:db8::1")
	for i := range 10 {
		if !tb.AllowRoom(a) {
			t.Fatalf("room %d of the burst refused", i)
		}
	}
	if tb.AllowRoom(a) {
		t.Error("room beyond the burst allowed")
	}
	if !tb.AllowRoom(b) {
		t.Error("another address shares the bucket")
	}
	clk.Advance(1900 * time.Millisecond)
	if tb.AllowRoom(a) {
		t.Error("room allowed before a token came back")
	}
	clk.Advance(100 * time.Millisecond)
	if !tb.AllowRoom(a) {
		t.Error("room refused after 2s refill")
	}
	if tb.AllowRoom(a) {
		t.Error("refill gave more than one token in 2s")
	}
	clk.Advance(time.Hour)
	n := 0
	for tb.AllowRoom(a) {
		n++
	}
	if n != 10 {
		t.Errorf("after an hour %d rooms allowed, want the burst of 10", n)
	}
}

func TestIdleEntriesForgotten(t *testing.T) {
	clk := newClock()
	tb := NewTable(Config{MaxConns: 20, RoomRate: 0.01, RoomBurst: 1}, clk.Now) // a token per 100 minutes
	released, drained, connected, other := key("192.0.2.1"), key("192.0.2.2"), key("192.0.2.3"), key("192.0.2.4")
	tb.Acquire(released)
	tb.Release(released)
	tb.AllowRoom(drained)
	tb.Acquire(connected)
	if tb.Len() != 3 {
		t.Fatalf("Len() = %d, want 3", tb.Len())
	}
	clk.Advance(IdleAfter - time.Second)
	tb.AllowRoom(other) // a sweep is due, but nothing is idle long enough yet
	if tb.Len() != 4 {
		t.Fatalf("Len() = %d before %v, want 4", tb.Len(), IdleAfter)
	}
	clk.Advance(sweepEvery)
	tb.Release(other) // Release does not sweep
	if tb.Len() != 4 {
		t.Fatalf("Len() = %d after Release, want 4", tb.Len())
	}
	tb.Acquire(other)
	// released went; drained's bucket is still empty and connected holds a connection: both stay.
	if tb.Len() != 3 {
		t.Fatalf("Len() = %d after the idle time, want 3", tb.Len())
	}
	if tb.AllowRoom(drained) {
		t.Error("the drained bucket was reset")
	}
	clk.Advance(100 * time.Minute) // drained refills; its last AllowRoom is long past
	tb.Acquire(other)
	if tb.Len() != 2 {
		t.Errorf("Len() = %d after the bucket refilled, want 2 (connected, other)", tb.Len())
	}
}

func TestFullTable(t *testing.T) {
	clk := newClock()
	tb := NewTable(Config{MaxConns: 1, RoomRate: 30, RoomBurst: 10, MaxEntries: 3}, clk.Now)
	a, b, c, d := key("192.0.2.1"), key("192.0.2.2"), key("192.0.2.3"), key("192.0.2.4")
	for _, k := range []netip.Prefix{a, b, c} {
		if !tb.Acquire(k) {
			t.Fatalf("Acquire(%v) refused below the cap", k)
		}
	}
	if tb.Acquire(d) || tb.AllowRoom(d) {
		t.Error("a new key was let into a full table of live entries")
	}
	if !tb.AllowRoom(a) {
		t.Error("a known key is refused because the table is full")
	}
	tb.Release(b) // b can now be forgotten without loss, long before IdleAfter...
	if tb.Acquire(d) {
		t.Error("a full table swept again within a second")
	}
	clk.Advance(pressureSweepEvery) // ...once the next sweep under pressure is allowed
	if !tb.Acquire(d) {
		t.Error("a full table did not make room by forgetting a released key")
	}
	if tb.Len() != 3 {
		t.Errorf("Len() = %d, want 3", tb.Len())
	}
	tb.Release(c)
	tb.AllowRoom(c) // c drained one room token: forgetting it would reset its bucket
	clk.Advance(pressureSweepEvery)
	if tb.Acquire(b) {
		t.Error("a key with a drained room bucket was evicted")
	}
	clk.Advance(2 * time.Second) // c's bucket is full again
	if !tb.Acquire(b) {
		t.Error("the table did not forget c once its bucket was full")
	}
}

func TestConcurrentUse(t *testing.T) {
	clk := newClock()
	const maxConns = 3
	tb := NewTable(Config{MaxConns: maxConns, RoomRate: 600, RoomBurst: 2, MaxEntries: 16}, clk.Now)
	keys := make([]netip.Prefix, 24) // more keys than entries: eviction and refusal under load
	held := make([]atomic.Int32, len(keys))
	for i := range keys {
		keys[i] = key(fmt.Sprintf("2001:db8:%x::1", i))
	}
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range 2000 {
				i := r.IntN(len(keys))
				switch r.IntN(4) {
				case 0:
					clk.Advance(time.Duration(r.IntN(int(time.Second))))
				case 1:
					tb.AllowRoom(keys[i])
				default:
					if !tb.Acquire(keys[i]) {
						continue
					}
					if n := held[i].Add(1); n > maxConns {
						t.Errorf("key %d holds %d connections, cap %d", i, n, maxConns)
					}
					held[i].Add(-1)
					tb.Release(keys[i])
				}
				if n := tb.Len(); n > 16 {
					t.Errorf("Len() = %d above MaxEntries 16", n)
				}
			}
		})
	}
	wg.Wait()
	clk.Advance(IdleAfter + sweepEvery)
	tb.AllowRoom(keys[0])
	if n := tb.Len(); n != 1 {
		t.Errorf("Len() = %d after everything went idle, want 1", n)
	}
}

func TestNewTableDefaults(t *testing.T) {
	tb := NewTable(defaults, nil) // the real clock
	if tb.cfg.MaxEntries != DefaultMaxEntries {
		t.Errorf("MaxEntries = %d, want %d", tb.cfg.MaxEntries, DefaultMaxEntries)
	}
	if !tb.Acquire(key("192.0.2.1")) || !tb.AllowRoom(key("192.0.2.1")) {
		t.Error("a fresh table refuses")
	}
}

func TestNewTableBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{MaxConns: 0, RoomRate: 1, RoomBurst: 1},
		{MaxConns: 1, RoomRate: 0, RoomBurst: 1},
		{MaxConns: 1, RoomRate: -1, RoomBurst: 1},
		{MaxConns: 1, RoomRate: 1, RoomBurst: 0},
		{MaxConns: 1, RoomRate: 1, RoomBurst: 1, MaxEntries: -1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewTable(%+v) did not panic", cfg)
				}
			}()
			NewTable(cfg, nil)
		}()
	}
}
