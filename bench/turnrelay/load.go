package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/logging"
	pionturn "github.com/pion/turn/v5"

	"github.com/maju-call/maju/internal/turn"
)

// A datagram's payload starts with a header: magic, the sending endpoint, a sequence number (0 for
// warm-up packets, which are not counted) and the send time in ns since epoch; padding follows.
const (
	magic     = 0x6d616a75 // "maju"
	headerLen = 24
)

// epoch is the generator's clock origin; sender and receiver are the same process, so latencies are
// differences of one monotonic clock.
var epoch = time.Now()

// endpoint is one side of a call: a pion TURN client, its allocation and the stream it sends.
type endpoint struct {
	id     uint32
	sock   net.PacketConn // the client's socket towards the server
	client *pionturn.Client
	relay  net.PacketConn // the allocation: WriteTo sends through the server, ReadFrom receives from it
	peer   *endpoint

	// Sender state, owned by one sender goroutine at a time.
	seq      uint64
	phase    float64 // seconds; spreads the streams' packets over the interval
	stepSent int64

	rx      rxStats
	reading bool          // the reader was started
	done    chan struct{} // closed when the reader has stopped
}

// rxStats are one receiver's counters; only its reader writes them.
type rxStats struct {
	pkts, bytes          atomic.Uint64
	reordered, misrouted atomic.Uint64
	hist                 [histBuckets]atomic.Uint64
}

// histBuckets log-scale latency buckets: 4 per power of two of microseconds.
const histBuckets = 4 * 40

func bucketOf(d time.Duration) int {
	us := uint64(max(d.Microseconds(), 0))
	if us < 4 {
		return int(us)
	}
	n := bits.Len64(us) // ≥ 3
	sub := (us >> (n - 3)) & 3
	return min(4*(n-2)+int(sub), histBuckets-1)
}

// bucketUpper is the upper bound of bucket b.
func bucketUpper(b int) time.Duration {
	if b < 4 {
		return time.Duration(b+1) * time.Microsecond
	}
	n := b/4 + 2
	sub := uint64(b % 4)
	return time.Duration((4+sub+1)<<(n-3)) * time.Microsecond
}

// clientLogs counts the warnings and errors of the pion clients (e.g. "Receive buffer full", a drop
// inside the generator) and keeps the first few.
type clientLogs struct {
	count atomic.Int64
	mu    sync.Mutex
	first []string
}

func (c *clientLogs) NewLogger(scope string) logging.LeveledLogger { return clientLogger{c, scope} }

func (c *clientLogs) add(level, scope, msg string) {
	if c.count.Add(1) > 5 {
		return
	}
	c.mu.Lock()
	c.first = append(c.first, level+" "+scope+": "+msg)
	c.mu.Unlock()
}

func (c *clientLogs) snapshot() (int64, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count.Load(), append([]string(nil), c.first...)
}

type clientLogger struct {
	c     *clientLogs
	scope string
}

func (clientLogger) Trace(string)          {}
func (clientLogger) Tracef(string, ...any) {}
func (clientLogger) Debug(string)          {}
func (clientLogger) Debugf(string, ...any) {}
func (clientLogger) Info(string)           {}
func (clientLogger) Infof(string, ...any)  {}
func (l clientLogger) Warn(m string)       { l.c.add("warn", l.scope, m) }
func (l clientLogger) Warnf(f string, a ...any) {
	l.c.add("warn", l.scope, fmt.Sprintf(f, a...))
}
func (l clientLogger) Error(m string) { l.c.add("error", l.scope, m) }
func (l clientLogger) Errorf(f string, a ...any) {
	l.c.add("error", l.scope, fmt.Sprintf(f, a...))
}

// generator holds every call and runs the senders.
type generator struct {
	o      options
	server string
	secret []byte
	logs   *clientLogs

	eps []*endpoint // 2i and 2i+1 are call i

	sent, skipped, writeErrs atomic.Int64
	firstWriteErr            atomic.Pointer[string]
}

// grow sets up calls until there are n, setupConc at a time.
func (g *generator) grow(ctx context.Context, n int) error {
	have := len(g.eps) / 2
	if n <= have {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	newEps := make([]*endpoint, 2*(n-have))
	errs := make(chan error, n-have)
	sem := make(chan struct{}, g.o.setupConc)
	var wg sync.WaitGroup
	for i := range n - have {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			}
			defer func() { <-sem }()
			id := uint32(2 * (have + i))
			a, b, err := g.newCall(ctx, id)
			if err != nil {
				errs <- fmt.Errorf("call %d: %w", have+i, err)
				return
			}
			newEps[2*i], newEps[2*i+1] = a, b
		}()
	}
	wg.Wait()
	close(errs)
	var first error
	for err := range errs {
		if first == nil {
			first = err
		}
	}
	for _, e := range newEps {
		if e != nil {
			if first != nil {
				e.close()
			}
		}
	}
	if first != nil {
		return first
	}
	// Let the warm-up packets and channel bindings settle before anything is counted.
	time.Sleep(300 * time.Millisecond)
	g.eps = append(g.eps, newEps...)
	return nil
}

// newCall creates two endpoints with allocations and mutual permissions and sends a few uncounted
// packets each way, so pion binds the channels.
func (g *generator) newCall(ctx context.Context, id uint32) (*endpoint, *endpoint, error) {
	a, err := g.newEndpoint(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	b, err := g.newEndpoint(ctx, id+1)
	if err != nil {
		a.close()
		return nil, nil, err
	}
	a.peer, b.peer = b, a
	for _, e := range []*endpoint{a, b} {
		if err := e.client.CreatePermission(e.peer.relay.LocalAddr()); err != nil {
			a.close()
			b.close()
			return nil, nil, fmt.Errorf("create permission: %w", err)
		}
	}
	pps := g.o.pps()
	for _, e := range []*endpoint{a, b} {
		e.phase = rand.Float64() / pps
		e.reading = true
		go e.readLoop()
	}
	buf := make([]byte, g.o.packetSize)
	for range 3 {
		for _, e := range []*endpoint{a, b} {
			putHeader(buf, e.id, 0)
			if _, err := e.relay.WriteTo(buf, e.peer.relay.LocalAddr()); err != nil {
				a.close()
				b.close()
				return nil, nil, fmt.Errorf("warm-up write: %w", err)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return a, b, nil
}

func (g *generator) newEndpoint(ctx context.Context, id uint32) (_ *endpoint, err error) {
	e := &endpoint{id: id, done: make(chan struct{})}
	if e.sock, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	cred, err := turn.Mint(g.secret, fmt.Sprintf("bench%d", id), 2*time.Hour, time.Now())
	if err != nil {
		_ = e.sock.Close()
		return nil, err
	}
	e.client, err = pionturn.NewClient(&pionturn.ClientConfig{
		STUNServerAddr: g.server,
		TURNServerAddr: g.server,
		Conn:           e.sock,
		Username:       cred.Username,
		Password:       cred.Password,
		Realm:          realm,
		RTO:            200 * time.Millisecond,
		LoggerFactory:  g.logs,
	})
	if err != nil {
		_ = e.sock.Close()
		return nil, err
	}
	if err := e.client.Listen(); err != nil {
		e.client.Close()
		_ = e.sock.Close()
		return nil, err
	}
	if e.relay, err = e.client.AllocateWithContext(ctx); err != nil {
		e.client.Close()
		_ = e.sock.Close()
		return nil, fmt.Errorf("allocate: %w", err)
	}
	if ua, ok := e.relay.LocalAddr().(*net.UDPAddr); !ok || !ua.IP.IsLoopback() {
		e.close()
		return nil, fmt.Errorf("relayed address %v is not loopback", e.relay.LocalAddr())
	}
	return e, nil
}

// close deletes the allocation (a Refresh with lifetime 0, not waited for) and closes the client.
func (e *endpoint) close() {
	if e.relay != nil {
		_ = e.relay.Close()
	}
	e.client.Close()
	_ = e.sock.Close()
	if e.reading {
		select {
		case <-e.done:
		case <-time.After(5 * time.Second):
		}
	}
}

func putHeader(buf []byte, id uint32, seq uint64) {
	binary.LittleEndian.PutUint32(buf[0:], magic)
	binary.LittleEndian.PutUint32(buf[4:], id)
	binary.LittleEndian.PutUint64(buf[8:], seq)
	binary.LittleEndian.PutUint64(buf[16:], uint64(time.Since(epoch)))
}

// readLoop counts what arrives on the relay until it is closed.
func (e *endpoint) readLoop() {
	defer close(e.done)
	buf := make([]byte, 2048)
	var last uint64
	for {
		n, _, err := e.relay.ReadFrom(buf)
		if err != nil {
			return
		}
		now := time.Since(epoch)
		if n < headerLen || binary.LittleEndian.Uint32(buf) != magic {
			e.rx.misrouted.Add(1)
			continue
		}
		if binary.LittleEndian.Uint32(buf[4:]) != e.peer.id {
			e.rx.misrouted.Add(1)
			continue
		}
		seq := binary.LittleEndian.Uint64(buf[8:])
		if seq == 0 {
			continue
		}
		if seq <= last {
			e.rx.reordered.Add(1)
		} else {
			last = seq
		}
		e.rx.pkts.Add(1)
		e.rx.bytes.Add(uint64(n))
		sentAt := time.Duration(binary.LittleEndian.Uint64(buf[16:]))
		e.rx.hist[bucketOf(now-sentAt)].Add(1)
	}
}

// totals is a snapshot of every counter.
type totals struct {
	sent, skipped, writeErrs int64
	recv, bytes              uint64
	reordered, misrouted     uint64
	hist                     [histBuckets]uint64
}

func (g *generator) snapshot() totals {
	t := totals{sent: g.sent.Load(), skipped: g.skipped.Load(), writeErrs: g.writeErrs.Load()}
	for _, e := range g.eps {
		t.recv += e.rx.pkts.Load()
		t.bytes += e.rx.bytes.Load()
		t.reordered += e.rx.reordered.Load()
		t.misrouted += e.rx.misrouted.Load()
		for i := range t.hist {
			t.hist[i] += e.rx.hist[i].Load()
		}
	}
	return t
}

func (t totals) minus(u totals) totals {
	d := totals{
		sent: t.sent - u.sent, skipped: t.skipped - u.skipped, writeErrs: t.writeErrs - u.writeErrs,
		recv: t.recv - u.recv, bytes: t.bytes - u.bytes,
		reordered: t.reordered - u.reordered, misrouted: t.misrouted - u.misrouted,
	}
	for i := range d.hist {
		d.hist[i] = t.hist[i] - u.hist[i]
	}
	return d
}

// quantile returns the upper bound of the bucket holding quantile q of the latency histogram.
func (t totals) quantile(q float64) time.Duration {
	var n uint64
	for _, c := range t.hist {
		n += c
	}
	if n == 0 {
		return 0
	}
	want := uint64(q * float64(n))
	var acc uint64
	for b, c := range t.hist {
		acc += c
		if acc > want {
			return bucketUpper(b)
		}
	}
	return bucketUpper(histBuckets - 1)
}

// startSenders paces every endpoint's stream at o.pps() from now on, sharded over o.senders goroutines
// that wake every millisecond. A stream more than 100 ms behind skips packets (counted) rather than
// bursting. The returned function stops them and waits.
func (g *generator) startSenders() (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	pps := g.o.pps()
	maxBurst := max(int64(pps/10), 2)
	begin := time.Now()
	for _, e := range g.eps {
		e.stepSent = 0
	}
	for s := range g.o.senders {
		var mine []*endpoint
		for i := s; i < len(g.eps); i += g.o.senders {
			mine = append(mine, g.eps[i])
		}
		if len(mine) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, g.o.packetSize)
			for i := headerLen; i < len(buf); i++ {
				buf[i] = byte(i)
			}
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-quit:
					return
				case <-tick.C:
				}
				elapsed := time.Since(begin).Seconds()
				var sent, skipped, errs int64
				for _, e := range mine {
					n := int64((elapsed+e.phase)*pps) - e.stepSent
					if n > maxBurst {
						skipped += n - maxBurst
						e.stepSent += n - maxBurst
						n = maxBurst
					}
					to := e.peer.relay.LocalAddr()
					for range n {
						e.seq++
						e.stepSent++
						putHeader(buf, e.id, e.seq)
						if _, err := e.relay.WriteTo(buf, to); err != nil {
							errs++
							msg := err.Error()
							g.firstWriteErr.CompareAndSwap(nil, &msg)
							continue
						}
						sent++
					}
				}
				g.sent.Add(sent)
				g.skipped.Add(skipped)
				g.writeErrs.Add(errs)
			}
		}()
	}
	return func() { close(quit); wg.Wait() }
}

// closeAll deletes every allocation, setupConc at a time.
func (g *generator) closeAll() {
	sem := make(chan struct{}, g.o.setupConc)
	var wg sync.WaitGroup
	for _, e := range g.eps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			e.close()
		}()
	}
	wg.Wait()
	g.eps = nil
}
