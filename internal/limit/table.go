package limit

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	// IdleAfter is how long a key must go untouched, with no connection and a full room bucket, before
	// the table forgets it.
	IdleAfter = 10 * time.Minute
	// DefaultMaxEntries bounds a table's keys when Config.MaxEntries is 0: about 20 MB at the most.
	DefaultMaxEntries = 100_000

	sweepEvery = time.Minute // idle sweeps run lazily, at most this often
	// pressureSweepEvery spaces the sweeps a full table runs to make room, so that a flood of new
	// addresses cannot make every request walk the whole table.
	pressureSweepEvery = time.Second
)

// Config sets a Table's limits.
type Config struct {
	// MaxConns is the most connections one key may hold at once (at least 1).
	MaxConns int
	// RoomRate (new rooms per minute, above 0) and RoomBurst (at least 1) are each key's room bucket.
	RoomRate  float64
	RoomBurst int
	// MaxEntries bounds the keys tracked; 0 means DefaultMaxEntries.
	MaxEntries int
}

// Table holds the per-key state: open connections and the room-creation bucket. It is safe for
// concurrent use.
//
// It stays bounded: a key with no connection and a full room bucket is forgotten once untouched for
// IdleAfter (forgetting it loses nothing, since a new entry starts exactly so), and the table never
// holds more than MaxEntries keys. When it is full it first forgets every key in that state, however
// recently used (at most once a second); if none is, a new key is refused (Acquire and AllowRoom return
// false) rather than evicting a live one. Evicting a key that holds connections or a drained bucket
// would reset its limits: anyone able to send from many addresses (an IPv6 /48 holds 65536 keys) could
// flood the table to wipe the counts of the address they attack from. Refusing fails closed: during
// such a flood new addresses wait, while every address already known keeps working.
type Table struct {
	cfg       Config
	roomLimit rate.Limit
	now       func() time.Time

	mu                sync.Mutex
	entries           map[netip.Prefix]*entry
	nextSweep         time.Time
	nextPressureSweep time.Time
}

type entry struct {
	conns int
	rooms *rate.Limiter
	seen  time.Time // last Acquire, Release or AllowRoom
}

// NewTable returns an empty table. clock is the time source (nil means time.Now); tests pass a fake
// one. It panics when cfg is out of range, which the configuration prevents.
func NewTable(cfg Config, clock func() time.Time) *Table {
	if cfg.MaxConns < 1 || !(cfg.RoomRate > 0) || cfg.RoomBurst < 1 || cfg.MaxEntries < 0 {
		panic(fmt.Sprintf("limit.NewTable: bad config %+v", cfg))
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if clock == nil {
		clock = time.Now
	}
	return &Table{
		cfg:       cfg,
		roomLimit: rate.Limit(cfg.RoomRate / 60),
		now:       clock,
		entries:   make(map[netip.Prefix]*entry),
	}
}

// Acquire counts a new connection for key and reports whether it may stay: false when key already
// holds MaxConns connections or the table is full. Every successful Acquire needs one Release.
func (t *Table) Acquire(key netip.Prefix) bool {
	return t.use(key, func(e *entry, _ time.Time) bool {
		if e.conns >= t.cfg.MaxConns {
			return false
		}
		e.conns++
		return true
	})
}

// Release ends a connection counted by Acquire. A Release without an Acquire does nothing.
func (t *Table) Release(key netip.Prefix) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.entries[key]; e != nil && e.conns > 0 {
		e.conns--
		e.seen = now
	}
}

// AllowRoom takes a token from key's room bucket and reports whether key may open a new room. It is
// false when the bucket is empty, or when key is unknown and the table full (a caller holding an
// Acquire for key always finds it known).
func (t *Table) AllowRoom(key netip.Prefix) bool {
	return t.use(key, func(e *entry, now time.Time) bool { return e.rooms.AllowN(now, 1) })
}

// use runs f on key's entry, made if need be and marked used now, under the lock. It returns f's answer,
// or false when key is unknown and the table full.
func (t *Table) use(key netip.Prefix, f func(e *entry, now time.Time) bool) bool {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.get(key, now)
	if e == nil {
		return false
	}
	e.seen = now
	return f(e, now)
}

// Len returns the number of keys tracked.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}

// get returns key's entry, making it if need be; nil when the table is full. t.mu must be held.
func (t *Table) get(key netip.Prefix, now time.Time) *entry {
	if !now.Before(t.nextSweep) {
		t.sweep(now, IdleAfter)
		t.nextSweep = now.Add(sweepEvery)
	}
	if e := t.entries[key]; e != nil {
		return e
	}
	if len(t.entries) >= t.cfg.MaxEntries && !t.makeRoom(now) {
		return nil
	}
	e := &entry{rooms: rate.NewLimiter(t.roomLimit, t.cfg.RoomBurst)}
	t.entries[key] = e
	return e
}

// makeRoom forgets every entry that can be forgotten without loss, if the last such attempt is not too
// recent, and reports whether the table now has room. t.mu must be held.
func (t *Table) makeRoom(now time.Time) bool {
	if now.Before(t.nextPressureSweep) {
		return false
	}
	t.nextPressureSweep = now.Add(pressureSweepEvery)
	t.sweep(now, 0)
	return len(t.entries) < t.cfg.MaxEntries
}

// sweep forgets the entries untouched for idle that hold no connection and have a full room bucket.
// t.mu must be held.
func (t *Table) sweep(now time.Time, idle time.Duration) {
	burst := float64(t.cfg.RoomBurst)
	for key, e := range t.entries {
		if e.conns == 0 && now.Sub(e.seen) >= idle && e.rooms.TokensAt(now) >= burst {
			delete(t.entries, key)
		}
	}
}
