package peer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maju-call/maju/internal/protocol"
)

// The signaling connection: dialing and joining, reading, and reconnecting after a drop.

// wsConn is one signaling WebSocket. Writes are serialised by mu (in practice only the owner loop
// writes; gorilla's pong replies use WriteControl, which may run concurrently).
type wsConn struct {
	mu   sync.Mutex
	conn *websocket.Conn
}

// sigMessage is a message read from ws; sigEnd is the error that ended ws's reader.
type sigMessage struct {
	ws *wsConn
	m  protocol.Message
}

type sigEnd struct {
	ws  *wsConn
	err error
}

// dialResult is a redial's outcome: a WebSocket not yet joined, or why there is none.
type dialResult struct {
	conn *websocket.Conn
	err  error
}

func (c *wsConn) send(m protocol.Message) error {
	data, err := protocol.Encode(m)
	if err != nil {
		return fmt.Errorf("peer: encode %s: %w", m.Type, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return fmt.Errorf("peer: send %s: %w", m.Type, err)
	}
	if err := c.conn.WriteMessage(websocket.TextMessage, data); err != nil {
		return fmt.Errorf("peer: send %s: %w", m.Type, err)
	}
	return nil
}

// close sends a normal close frame (bounded by closeTimeout) and closes the connection.
func (c *wsConn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeTimeout))
	_ = c.conn.Close()
}

// dial opens the signaling WebSocket. A refused handshake is a *protocol.Error when the server's body
// names a code (origin-forbidden, server-full, shutting-down, …).
func dial(ctx context.Context, opts Options) (*websocket.Conn, error) {
	url := opts.URL
	if rest, ok := strings.CutPrefix(url, "http"); ok { // http://… → ws://…, https://… → wss://…
		url = "ws" + rest
	}
	dialer := websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: handshakeTimeout, TLSClientConfig: opts.TLSConfig}
	conn, resp, err := dialer.DialContext(ctx, url, opts.Header)
	if err != nil {
		if errors.Is(err, websocket.ErrBadHandshake) && resp != nil {
			return nil, handshakeError(resp)
		}
		return nil, fmt.Errorf("peer: dial %s: %w", url, err)
	}
	conn.SetReadLimit(maxIncoming)
	return conn, nil
}

// dialAndJoin opens the WebSocket, sends join and reads the answer: welcome, or an error. Join uses it
// for the first connection; later ones are joined by the owner loop (redial).
func dialAndJoin(ctx context.Context, opts Options, join protocol.Message) (*wsConn, protocol.Message, error) {
	conn, err := dial(ctx, opts)
	if err != nil {
		return nil, protocol.Message{}, err
	}
	ws := &wsConn{conn: conn}

	// The read below has no deadline of its own: ctx ending closes the connection, which ends it.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	welcome, err := func() (protocol.Message, error) {
		if err := ws.send(join); err != nil {
			return protocol.Message{}, err
		}
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return protocol.Message{}, closeError(err, nil, false)
			}
			m, err := protocol.Decode(data)
			if err != nil {
				return protocol.Message{}, fmt.Errorf("peer: bad message from server: %w", err)
			}
			switch m.Type {
			case protocol.TypeWelcome:
				return m, nil
			case protocol.TypeError:
				return protocol.Message{}, &protocol.Error{Code: m.Code, Text: m.Text}
			case protocol.TypePong:
				continue
			}
			return protocol.Message{}, fmt.Errorf("peer: server sent %q before welcome", m.Type)
		}
	}()
	if !stop() {
		err = ctx.Err()
	}
	if err != nil {
		_ = conn.Close()
		return nil, protocol.Message{}, err
	}
	return ws, welcome, nil
}

// handshakeError turns a refused WebSocket handshake into an error, a *protocol.Error when the server's
// body says why (origin-forbidden is HTTP 403 with {"code":…,"message":…}).
func handshakeError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Code != "" {
		return &protocol.Error{Code: protocol.Code(e.Code), Text: e.Message}
	}
	return fmt.Errorf("peer: websocket handshake refused: HTTP %s", resp.Status)
}

// closeError explains why the signaling connection ended. last is the last error message the server
// sent; hungUp says this side sent leave, after which the server's close 1000 is expected.
func closeError(err error, last *protocol.Error, hungUp bool) error {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code == websocket.CloseAbnormalClosure { // 1006: no close frame came
		return fmt.Errorf("peer: signaling connection lost: %w", err)
	}
	if ce.Code == websocket.CloseNormalClosure && (hungUp || ce.Text == "") {
		return nil
	}
	if ce.Text != "" { // maju's close reason is an error code
		if last != nil && string(last.Code) == ce.Text {
			return last
		}
		return &protocol.Error{Code: protocol.Code(ce.Text), Text: fmt.Sprintf("the server closed the connection (%d)", ce.Code)}
	}
	return fmt.Errorf("peer: the server closed the connection: %w", err)
}

// isFinal reports whether err is a refusal that trying again cannot change (docs/protocol.md: the
// client reconnects after anything else). origin-forbidden cannot change either.
func isFinal(err error) bool {
	var perr *protocol.Error
	if !errors.As(err, &perr) {
		return false
	}
	switch perr.Code {
	case protocol.CodeBadRoom, protocol.CodeRoomFull, protocol.CodeTooLarge, protocol.CodeReplaced,
		protocol.CodeTooManyRooms, protocol.CodeOriginForbidden:
		return true
	}
	return false
}

// readLoop reads and decodes ws's messages and hands them to the owner loop, until the connection ends
// (it then reports why) or the owner loop stops. A connection that brings nothing, not even the
// server's ping, for deadAfter counts as dropped.
func (p *Peer) readLoop(ws *wsConn) {
	defer p.wg.Done()
	conn := ws.conn
	answerPing := conn.PingHandler()
	conn.SetPingHandler(func(data string) error {
		_ = conn.SetReadDeadline(time.Now().Add(deadAfter))
		return answerPing(data)
	})
	for {
		_ = conn.SetReadDeadline(time.Now().Add(deadAfter))
		typ, data, err := conn.ReadMessage()
		if err != nil {
			select {
			case p.sigEnd <- sigEnd{ws, err}:
			case <-p.quit:
			}
			return
		}
		if typ != websocket.TextMessage {
			p.log.Warn("ignoring a binary message from the server")
			continue
		}
		m, err := protocol.Decode(data)
		if err != nil {
			p.log.Warn("ignoring a bad message from the server", "err", err)
			continue
		}
		select {
		case p.sigIn <- sigMessage{ws, m}:
		case <-p.quit:
			return
		}
	}
}

// signalingEnded handles the end of ws: the peer stops after its own hang-up or a final refusal, and
// otherwise reconnects while the call goes on.
func (p *Peer) signalingEnded(ws *wsConn, err error) {
	if ws != p.ws {
		return // a connection already given up
	}
	_ = ws.conn.Close() // it is dead or closed by the server: no close frame to send
	p.ws, p.joined, p.peerHere = nil, false, false
	cause := closeError(err, p.lastError, p.hangingUp)
	if p.hangingUp || isFinal(cause) {
		if cause != nil {
			p.log.Info("signaling ended", "err", cause)
		}
		p.err, p.stopping = cause, true
		return
	}
	p.log.Info("signaling lost: reconnecting", "err", cause)
	if !p.lost {
		p.lost = true
		p.emit(Event{Type: EventSignalingLost, Err: cause})
	}
	p.redial()
}

// redial starts a goroutine that waits for the backoff and opens a new WebSocket; the owner loop gets
// the result on dialed and joins. The next wait doubles, up to redialMax, until a welcome resets it.
func (p *Peer) redial() {
	if p.redialing {
		return
	}
	p.redialing = true
	wait := jitter(p.backoff)
	p.backoff = min(2*p.backoff, redialMax)
	p.log.Debug("reconnecting", "in", wait)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		var res dialResult
		select {
		case <-time.After(wait):
			res.conn, res.err = dial(p.life, p.opts)
		case <-p.life.Done():
			res.err = p.life.Err()
		}
		select {
		case p.dialed <- res:
		case <-p.quit:
			if res.conn != nil {
				_ = res.conn.Close()
			}
		}
	}()
}

// jitter returns d ± 50 %, at random.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d+1)
}

// onDialed joins over a new WebSocket, or tries again later.
func (p *Peer) onDialed(res dialResult) {
	p.redialing = false
	if res.err != nil {
		if isFinal(res.err) {
			p.log.Info("signaling refused", "err", res.err)
			p.err, p.stopping = res.err, true
			return
		}
		p.log.Debug("reconnection failed", "err", res.err)
		p.redial()
		return
	}
	ws := &wsConn{conn: res.conn}
	p.ws, p.joined, p.lastError = ws, false, nil
	p.wg.Add(1)
	go p.readLoop(ws)
	// A failed write shows in the reader too, which ends this connection and redials.
	if err := ws.send(p.joinMessage()); err != nil {
		p.log.Debug("join failed", "err", err)
	}
}

// joinMessage is the join sent on every connection: with the resume token, and with keep (and this
// peer's role) while it has the PeerConnection of its pair.
func (p *Peer) joinMessage() protocol.Message {
	m := protocol.Join(p.opts.Room, false)
	m.Resume = p.token
	if s := p.cur; s != nil {
		m.Keep, m.Polite = true, s.polite
	}
	return m
}

// canSignal reports whether what this peer sends now reaches the other person.
func (p *Peer) canSignal() bool { return p.joined && p.peerHere }

// sendSignal sends a message to the server once joined; while signaling is down (or before welcome) it
// is dropped: nothing is queued, the repair after reconnecting covers it. A failed write means the
// connection is broken; the reader sees that too and the peer reconnects, so the error is only logged.
func (p *Peer) sendSignal(m protocol.Message) {
	if !p.joined {
		p.log.Debug("signaling down: dropping a message", "type", m.Type)
		return
	}
	if m.Type.Relayed() {
		m.Pair = p.pair // the server drops it if that pair has been replaced meanwhile
	}
	if err := p.ws.send(m); err != nil && !errors.Is(err, net.ErrClosed) {
		p.log.Warn("signaling write failed", "err", err)
	}
}
