package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maju-call/maju/bench/internal/cli"
	"github.com/maju-call/maju/bench/internal/majuproc"
	"github.com/maju-call/maju/internal/protocol"
)

// client is one bench WebSocket: a seat in a room whose other seat is clients[peer]. One goroutine reads
// it; writes are serialized by wmu.
type client struct {
	id, peer int
	ws       *websocket.Conn
	wmu      sync.Mutex
	paired   atomic.Bool
	closed   atomic.Bool // the reader ended
}

// fleet is every client of a run.
type fleet struct {
	o       options
	clients []*client
	rooms   []string
	base    time.Time // offers carry nanoseconds since base: one process, one monotonic clock

	paired    atomic.Int64
	allPaired chan struct{}

	dialErrs   atomic.Int64 // dials or handshakes that failed for good
	joinErrs   atomic.Int64 // error messages from the server, or closes before pairing
	dropped    atomic.Int64 // paired connections that ended before the bench closed them
	unexpected atomic.Int64 // messages other than offers after pairing
	firstErr   atomic.Pointer[string]

	ledger  atomic.Pointer[ledger] // set for the load phase
	readers sync.WaitGroup
	closing atomic.Bool
	closeMu sync.Mutex
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func newFleet(o options) *fleet {
	f := &fleet{o: o, clients: make([]*client, o.conns), rooms: make([]string, o.conns/2),
		base: time.Now(), allPaired: make(chan struct{})}
	var b [16]byte
	for i := range f.rooms {
		_, _ = rand.Read(b[:])
		f.rooms[i] = base64.RawURLEncoding.EncodeToString(b[:])
	}
	for i := range f.clients {
		f.clients[i] = &client{id: i, peer: i ^ 1}
	}
	return f
}

func (f *fleet) noteErr(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	f.firstErr.CompareAndSwap(nil, &s)
}

// failures counts connections that failed to open, pair or stay open.
func (f *fleet) failures() int64 {
	return f.dialErrs.Load() + f.joinErrs.Load() + f.dropped.Load()
}

// connect dials every client with bounded concurrency, joins its room and waits until every room has
// both seats taken, for at most o.joinTimeout.
func (f *fleet) connect(ctx context.Context, baseURL string) error {
	ctx, cancel := context.WithTimeout(ctx, f.o.joinTimeout)
	defer cancel()
	wsURL := majuproc.WebSocketURL(baseURL)
	dialers := f.dialers()

	next := atomic.Int64{}
	var wg sync.WaitGroup
	for w := 0; w < min(f.o.dialConcurrency, len(f.clients)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(f.clients) || ctx.Err() != nil {
					return
				}
				if err := f.dial(ctx, dialers[i%len(dialers)], wsURL, f.clients[i]); err != nil {
					f.dialErrs.Add(1)
					f.noteErr("dial %d: %v", i, err)
				}
			}
		}()
	}
	wg.Wait()
	if n := f.dialErrs.Load(); n > 0 {
		return fmt.Errorf("%d of %d connections failed to open; first: %s", n, len(f.clients), *f.firstErr.Load())
	}
	select {
	case <-f.allPaired:
		return nil
	case <-ctx.Done():
		msg := ""
		if p := f.firstErr.Load(); p != nil {
			msg = "; first error: " + *p
		}
		return fmt.Errorf("%d of %d connections paired within %v%s", f.paired.Load(), len(f.clients), f.o.joinTimeout, msg)
	}
}

// dialers returns one websocket.Dialer per loopback source address.
func (f *fleet) dialers() []*websocket.Dialer {
	pool := &sync.Pool{}
	mk := func(src net.IP) *websocket.Dialer {
		nd := &net.Dialer{Timeout: 10 * time.Second}
		if src != nil {
			nd.LocalAddr = &net.TCPAddr{IP: src}
		}
		return &websocket.Dialer{
			NetDialContext:   nd.DialContext,
			HandshakeTimeout: 10 * time.Second,
			ReadBufferSize:   1024,
			WriteBufferSize:  max(1024, f.o.size+256),
			WriteBufferPool:  pool,
			Proxy:            nil, // never through a proxy: loopback only
		}
	}
	if f.o.sourceIPs == 0 {
		return []*websocket.Dialer{mk(nil)}
	}
	out := make([]*websocket.Dialer, f.o.sourceIPs)
	for i := range out {
		out[i] = mk(net.IPv4(127, 0, 0, byte(2+i)))
	}
	return out
}

// dial opens c's WebSocket (three tries for transient failures), starts its reader and sends join.
func (f *fleet) dial(ctx context.Context, d *websocket.Dialer, wsURL string, c *client) error {
	var ws *websocket.Conn
	var err error
	for try := 0; try < 3; try++ {
		var resp *http.Response
		ws, resp, err = d.DialContext(ctx, wsURL, nil)
		if resp != nil && resp.Body != nil {
			_ = resp.Body.Close()
		}
		if err == nil {
			break
		}
		if resp != nil { // the server answered (e.g. 503 server-full): not transient
			return fmt.Errorf("%v (HTTP %s)", err, resp.Status)
		}
		if !cli.Sleep(ctx, time.Duration(100*(try+1))*time.Millisecond) {
			return err
		}
	}
	if err != nil {
		return err
	}
	c.ws = ws
	ws.SetReadLimit(1 << 20)
	f.readers.Add(1)
	go f.read(c)
	join := fmt.Appendf(nil, `{"v":1,"type":"join","room":%q}`, f.rooms[c.id/2])
	return c.write(join)
}

// write sends one text message; safe from any goroutine.
func (c *client) write(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

var offerPrefix = []byte(`{"v":1,"type":"offer","sdp":"`)

// read is c's only reader. It answers pings (gorilla's default handler), marks the client paired, and
// hands offers to the ledger.
func (f *fleet) read(c *client) {
	defer f.readers.Done()
	defer c.closed.Store(true)
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	for {
		_, r, err := c.ws.NextReader()
		if err != nil {
			if !f.closing.Load() {
				if c.paired.Load() {
					f.dropped.Add(1)
				} else {
					f.joinErrs.Add(1)
				}
				f.noteErr("connection %d ended: %v", c.id, err)
			}
			return
		}
		buf, err := readAll(r, (*bp)[:0])
		*bp = buf
		if err != nil {
			continue // the next NextReader reports the broken connection
		}
		if bytes.HasPrefix(buf, offerPrefix) {
			if l := f.ledger.Load(); l != nil {
				l.receive(c, buf[len(offerPrefix):], f.base)
				continue
			}
		}
		f.control(c, buf)
	}
}

// control handles a message that is not a bench offer: welcome, peer-joined, errors.
func (f *fleet) control(c *client, data []byte) {
	m, err := protocol.Decode(data)
	if err != nil {
		f.unexpected.Add(1)
		f.noteErr("connection %d: undecodable message %.80q: %v", c.id, data, err)
		return
	}
	switch {
	case m.Type == protocol.TypeWelcome && m.Peer, m.Type == protocol.TypePeerJoined:
		if c.paired.CompareAndSwap(false, true) && f.paired.Add(1) == int64(len(f.clients)) {
			close(f.allPaired)
		}
	case m.Type == protocol.TypeWelcome:
		// Alone in the room so far: peer-joined follows.
	case m.Type == protocol.TypeError && !c.paired.Load():
		f.joinErrs.Add(1)
		f.noteErr("connection %d: error %s: %s", c.id, m.Code, m.Text)
	default:
		f.unexpected.Add(1)
		f.noteErr("connection %d: unexpected %s message %.120q", c.id, m.Type, data)
	}
}

// readAll reads a whole message into buf, growing it as needed.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// closeAll closes every connection and waits at most limit for the readers to end. Idempotent.
func (f *fleet) closeAll(limit time.Duration) {
	f.closeMu.Lock()
	defer f.closeMu.Unlock()
	if f.closing.Swap(true) {
		return
	}
	for _, c := range f.clients {
		if c.ws != nil {
			_ = c.ws.Close()
		}
	}
	done := make(chan struct{})
	go func() { f.readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
	}
}
