package main

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxDetails bounds the violations kept word for word; all are counted.
const maxDetails = 30

// stats is what every room reports; safe for concurrent use.
type stats struct {
	sent, delivered, lost, misrouted, disorder atomic.Int64 // talk messages
	roomFull                                   atomic.Int64 // error room-full received by anyone
	edgeResumed, edgeNewPair                   atomic.Int64 // how edge joins fell
	slips                                      atomic.Int64 // outcomes of a join the machine delayed past a grace
	abandonedRooms                             atomic.Int64 // rooms left to their held seats by a reset

	mu          sync.Mutex
	violations  int64
	byWhere     map[string]int64 // violations by action (or "talk", "read", "server")
	details     []string
	actions     [numActions]int64
	actionFails [numActions]int64
	joinLat     []time.Duration // join sent to welcome received, one per join
	givenUp     int64           // rooms that could not be set up again
}

func (st *stats) init() { st.byWhere = make(map[string]int64) }

// violation records a broken invariant in room ri (-1: none) found by where.
func (st *stats) violation(ri int, where, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.violations++
	st.byWhere[where]++
	if len(st.details) < maxDetails {
		if ri >= 0 {
			msg = fmt.Sprintf("room %d, %s: %s", ri, where, msg)
		} else {
			msg = where + ": " + msg
		}
		st.details = append(st.details, msg)
	}
}

func (st *stats) violationCount() int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.violations
}

// merge adds one room's counts.
func (st *stats) merge(r *room) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for a := range numActions {
		st.actions[a] += r.done[a]
		st.actionFails[a] += r.failed[a]
	}
	st.joinLat = append(st.joinLat, r.joinLat...)
	if r.gaveUp {
		st.givenUp++
	}
}

func (st *stats) totalActions() int64 {
	n := int64(0)
	for _, v := range st.actions {
		n += v
	}
	return n
}

// percentile returns the p-th percentile (0–100) of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	return sorted[min(max(rank-1, 0), n-1)]
}

func (st *stats) finish() { slices.Sort(st.joinLat) }
