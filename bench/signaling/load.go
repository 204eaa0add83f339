package main

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// ledger accounts for every offer of the load phase by its sequence number.
type ledger struct {
	planned int
	recv    []atomic.Uint32 // receipts per sequence number
	lat     []atomic.Int64  // latency of the first receipt, ns

	sent, sendErrs, delivered, dups, misrouted, malformed atomic.Int64

	sendTime    time.Duration // first offer to last offer written
	drainTime   time.Duration // last offer written to last delivery (or the drain bound)
	lostAtDrain int64
	late        int64 // delivered after the drain bound, counted as lost above

	latencies []time.Duration // sorted, filled by finish
}

func newLedger(planned int) *ledger {
	return &ledger{planned: planned, recv: make([]atomic.Uint32, planned), lat: make([]atomic.Int64, planned)}
}

// appendOffer appends a whole offer message whose sdp is "bench SEQ TS FROM TO " padded with x to size.
func appendOffer(buf []byte, seq int, ts time.Duration, from, to, size int) []byte {
	buf = append(buf, offerPrefix...)
	start := len(buf)
	buf = append(buf, "bench "...)
	buf = strconv.AppendInt(buf, int64(seq), 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(ts), 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(from), 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(to), 10)
	buf = append(buf, ' ')
	for len(buf)-start < size {
		buf = append(buf, 'x')
	}
	return append(buf, `"}`...)
}

// parseOffer reads the four numbers of a bench sdp; rest starts right after the "sdp":" of the message.
func parseOffer(rest []byte) (seq, ts, from, to int64, ok bool) {
	rest, ok = bytes.CutPrefix(rest, []byte("bench "))
	if !ok {
		return 0, 0, 0, 0, false
	}
	var nums [4]int64
	for i := range nums {
		n, j := int64(0), 0
		for ; j < len(rest) && rest[j] >= '0' && rest[j] <= '9' && j < 19; j++ {
			n = n*10 + int64(rest[j]-'0')
		}
		if j == 0 || j >= len(rest) || rest[j] != ' ' {
			return 0, 0, 0, 0, false
		}
		nums[i], rest = n, rest[j+1:]
	}
	return nums[0], nums[1], nums[2], nums[3], true
}

// receive records an offer read by c.
func (l *ledger) receive(c *client, rest []byte, base time.Time) {
	now := time.Since(base)
	seq, ts, from, to, ok := parseOffer(rest)
	if !ok || seq >= int64(l.planned) {
		l.malformed.Add(1)
		return
	}
	if int(to) != c.id || int(from) != c.peer {
		l.misrouted.Add(1)
		return
	}
	if l.recv[seq].Add(1) > 1 {
		l.dups.Add(1)
		return
	}
	l.lat[seq].Store(int64(now) - ts)
	l.delivered.Add(1)
}

// load relays offers at o.rate for o.duration from random clients to their peers, then waits at most
// o.drain for the last ones to arrive.
func (f *fleet) load(ctx context.Context, o options) (*ledger, error) {
	planned := int(math.Round(o.rate * o.duration.Seconds()))
	l := newLedger(planned)
	f.ledger.Store(l)

	jobs := make(chan int, 1024)
	seed := o.seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	var wg sync.WaitGroup
	for w := 0; w < o.senders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			buf := make([]byte, 0, o.size+128)
			for seq := range jobs {
				c := f.clients[rng.IntN(len(f.clients))]
				buf = f.send(c, l, seq, buf)
			}
		}()
	}

	start := time.Now()
	interval := float64(time.Second) / o.rate
	for seq := 0; seq < planned && ctx.Err() == nil; seq++ {
		if wait := time.Until(start.Add(time.Duration(float64(seq) * interval))); wait > 0 {
			time.Sleep(wait) // sub-millisecond waits round up to the timer tick: offers leave in small bursts
		}
		select {
		case jobs <- seq:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	l.sendTime = time.Since(start)

	drainStart := time.Now()
	deadline := drainStart.Add(o.drain)
	for l.delivered.Load() < l.sent.Load() && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	l.drainTime = time.Since(drainStart)
	l.lostAtDrain = max(0, l.sent.Load()-l.delivered.Load())
	return l, ctx.Err()
}

// send writes offer seq from c to its peer; it returns the buffer for reuse.
func (f *fleet) send(c *client, l *ledger, seq int, buf []byte) []byte {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	buf = appendOffer(buf[:0], seq, time.Since(f.base), c.id, c.peer, f.o.size)
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := c.ws.WriteMessage(websocket.TextMessage, buf); err != nil {
		l.sendErrs.Add(1)
		f.noteErr("send from %d: %v", c.id, err)
		return buf
	}
	l.sent.Add(1)
	return buf
}

// finish sorts the latencies; call it after every reader has stopped.
func (l *ledger) finish() {
	l.late = max(0, l.delivered.Load()-(l.sent.Load()-l.lostAtDrain))
	l.latencies = make([]time.Duration, 0, l.delivered.Load())
	for i := range l.recv {
		if l.recv[i].Load() > 0 {
			l.latencies = append(l.latencies, time.Duration(l.lat[i].Load()))
		}
	}
	slices.Sort(l.latencies)
}

// percentile returns the p-th percentile (0–100) of the delivered latencies, nearest rank.
func (l *ledger) percentile(p float64) time.Duration {
	n := len(l.latencies)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	return l.latencies[min(max(rank-1, 0), n-1)]
}
