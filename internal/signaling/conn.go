package signaling

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maju-call/maju/internal/limit"
	"github.com/maju-call/maju/internal/protocol"
	"github.com/maju-call/maju/internal/room"
)

// closeGrace is how long a closing connection waits for the client to answer the close frame.
const closeGrace = time.Second

// unloadGrace bounds how long the seat of a page that went away (close code 1001: a reload, or the tab
// closed) is held: a reload is back within a few seconds, and a closed tab should read as "left" soon.
const unloadGrace = 10 * time.Second

// maxCallReports bounds the call-reports one connection may send: a few per call (each ICE restart
// can end in a new outcome) is plenty, and the bound keeps one client from skewing the metrics.
const maxCallReports = 16

// conn is one client's WebSocket. Its reader goroutine (serve) owns the fields below "reader state". A
// writer goroutine runs only while the outbox has frames, and is then the only one writing messages to
// the socket; WriteControl and Close are safe from anywhere. Heartbeat pings come from a timer.
type conn struct {
	h   *Handler
	ws  *websocket.Conn
	log *slog.Logger
	out *outbox

	pinger *time.Timer
	host   string       // the HTTP Host the client connected to, for the TURN server's name in ICE URLs
	addr   netip.Prefix // the client's address as the per-address limits count it

	rate *limit.MessageBucket // the client's message budget; only the reader uses it

	// reader state
	roomID   string
	joined   bool
	iceID    string // names this client in its TURN credentials; made on first use
	reports  int    // call-reports received
	goneAway bool   // the client closed with 1001: its page is going away
}

func newConn(h *Handler, ws *websocket.Conn, host string, addr netip.Prefix) *conn {
	return &conn{
		h: h, ws: ws, log: h.log, out: newOutbox(h.cfg.SendQueue), host: host, addr: addr,
		rate: limit.NewMessageBucket(h.cfg.MsgRate, h.cfg.MsgBurst),
	}
}

// serve runs the connection until it ends; it returns when the seat is free, the socket closed and the
// connection no longer counted.
//
// serve and readLoop stay small on purpose: their frames sit under every idle connection's parked
// reader, and the GC shrinks an idle stack from 8 to 4 KiB only while less than about 1.2 KiB of it
// is in use (a quarter, less the runtime's reserve). TestIdleConnectionStacksStaySmall watches this.
func (c *conn) serve() {
	c.pinger = time.AfterFunc(c.h.cfg.PingInterval, c.ping)
	c.readLoop()
	c.finish()
}

// finish frees the seat, lets queued frames go out for a bounded time, closes the socket and releases
// what ServeHTTP reserved.
func (c *conn) finish() {
	c.leaveRoom(protocol.ReasonDisconnected)
	c.pinger.Stop()
	select {
	case <-c.out.idleCh():
	case <-time.After(c.h.cfg.WriteTimeout + closeGrace):
	}
	_ = c.ws.Close()
	c.h.hub.release(c)
	c.h.limits.Release(c.addr)
}

// ping runs on a timer: it queues a heartbeat ping and re-arms itself until the connection closes.
func (c *conn) ping() {
	if c.push(frame{ping: true}) {
		c.pinger.Reset(c.h.cfg.PingInterval)
	}
}

// push queues f and starts a writer if none runs. Writers exist only while there is something to
// write, so an idle connection costs one parked goroutine (its reader), not two.
func (c *conn) push(f frame) bool {
	queued, start := c.out.push(f)
	if start {
		go c.writeRun()
	}
	return queued
}

func (c *conn) readLoop() {
	c.startReading()
	// Kept tiny on purpose: this frame is on the stack of every idle connection, parked in NextReader
	// (see serve). The work is in onMessage, whose frame is gone while the loop waits.
	for {
		typ, r, err := c.ws.NextReader()
		if !c.onMessage(typ, r, err) {
			return
		}
	}
}

func (c *conn) startReading() {
	cfg := &c.h.cfg
	_ = c.ws.SetReadDeadline(time.Now().Add(cfg.JoinTimeout))
	// Messages over the limit are refused with an error; gorilla's own limit only stops absurd frames.
	c.ws.SetReadLimit(4 * cfg.MaxMessageBytes)
	c.ws.SetPongHandler(func(string) error { c.extendDeadline(); return nil })
}

// onMessage handles one message from NextReader; it reports whether to go on reading.
func (c *conn) onMessage(typ int, r io.Reader, err error) bool {
	cfg := &c.h.cfg
	if err != nil {
		c.goneAway = websocket.IsCloseError(err, websocket.CloseGoingAway)
		if !c.joined && !c.out.isClosing() && isTimeout(err) {
			c.fail(protocol.Errorf(protocol.CodeJoinTimeout, "No join message within %v.", cfg.JoinTimeout))
		}
		return false
	}
	data, err := io.ReadAll(io.LimitReader(r, cfg.MaxMessageBytes+1))
	if err != nil {
		return false
	}
	switch {
	case c.out.isClosing():
		// Drain until the client answers our close frame or closeGrace passes.
	case int64(len(data)) > cfg.MaxMessageBytes:
		c.fail(protocol.Errorf(protocol.CodeTooLarge, "Messages may be at most %d bytes.", cfg.MaxMessageBytes))
	default:
		c.extendDeadline()
		// Every frame costs, binary ones too: each would otherwise earn a bad-message answer for free.
		if ok, firstDrop := c.rate.Allow(); !ok {
			if firstDrop { // one error per run of drops: answering each would flood the client back
				c.reply(protocol.Errorf(protocol.CodeRateLimited, "Too many messages: at most %g per second.", c.h.cfg.MsgRate))
			}
			return true
		}
		if typ != websocket.TextMessage {
			c.reply(protocol.Errorf(protocol.CodeBadMessage, "Messages must be JSON text frames."))
			return true
		}
		c.handle(data)
	}
	return true
}

// extendDeadline keeps a joined connection alive for another ping interval plus the pong timeout.
// Before join the join deadline stands.
func (c *conn) extendDeadline() {
	if !c.joined {
		return
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(c.h.cfg.PingInterval + c.h.cfg.PongTimeout))
	// closeWith may run on another goroutine (shutdown) just before the line above; checking after
	// setting means the close grace always has the last word.
	if c.out.isClosing() {
		_ = c.ws.SetReadDeadline(time.Now().Add(closeGrace))
	}
}

func (c *conn) handle(data []byte) {
	m, err := protocol.Decode(data)
	if err != nil {
		c.reply(asProtocolError(err))
		return
	}
	if !m.Type.FromClient() {
		c.reply(protocol.Errorf(protocol.CodeUnknownType, "%q is sent by the server, not by clients.", m.Type))
		return
	}
	if m.Type == protocol.TypePing {
		c.send(protocol.Message{Type: protocol.TypePong})
		return
	}
	if m.Type == protocol.TypeJoin {
		c.join(m)
		return
	}
	if !c.joined {
		c.reply(protocol.Errorf(protocol.CodeNotJoined, "Send join before %s.", m.Type))
		return
	}
	if m.Type == protocol.TypeLeave {
		c.hangUp()
		return
	}
	switch m.Type {
	case protocol.TypeICERefresh:
		servers, ttl := c.h.iceServers(c)
		c.send(protocol.Message{Type: protocol.TypeICEServers, ICEServers: servers, ICETTL: ttl})
	case protocol.TypeCallReport:
		c.callReport(m.Report)
	default:
		c.relay(m)
	}
}

// callReport passes a client's call outcome to the metrics, within maxCallReports per connection.
func (c *conn) callReport(r protocol.CallReport) {
	if c.reports >= maxCallReports {
		c.reply(protocol.Errorf(protocol.CodeRateLimited, "At most %d call reports per connection.", maxCallReports))
		return
	}
	c.reports++
	c.h.obs.CallReported(r)
}

func (c *conn) join(m protocol.Message) {
	if c.joined {
		c.reply(protocol.Errorf(protocol.CodeAlreadyJoined, "This connection already joined a room."))
		return
	}
	if !protocol.ValidRoomID(m.Room) {
		c.fail(protocol.Errorf(protocol.CodeBadRoom, "This call link is not valid."))
		return
	}
	// Everything the join tells anyone is queued inside the table's lock (Seated), so it is in the order
	// the room changed: the peer cannot hear of us before our own welcome is queued (once it hears
	// peer-joined it may send us an offer at once), and no other change to the room slips in between.
	servers, ttl := c.h.iceServers(c)
	req := room.Request[*conn]{Token: m.Resume, CanRollback: m.Rollback, Keep: m.Keep, Polite: m.Polite,
		Seated: func(p room.Pairing[*conn]) { c.announce(m.Room, p, servers, ttl) }}
	if !m.Keep || time.Now().UnixNano() > c.h.keepUntil.Load() {
		// Right after a start, a join that keeps a call from before re-forms its room after a server
		// restart: it is not a new room, and refusing it would end a call that is still going on peer
		// to peer. Later, keep is only a client's word, so it must not open rooms past the limit.
		req.MayOpen = c.mayOpenRoom
	}
	pairing, err := c.h.hub.rooms.Join(m.Room, c, req)
	switch {
	case errors.Is(err, room.ErrFull):
		c.fail(protocol.Errorf(protocol.CodeRoomFull, "This call already has two people."))
		return
	case errors.Is(err, room.ErrRefused):
		c.fail(protocol.Errorf(protocol.CodeTooManyRooms, "Too many new calls from your network; try again in a minute."))
		return
	}
	if pairing.Opened {
		c.h.obs.RoomOpened()
	}
	c.joined, c.roomID = true, m.Room
	c.extendDeadline()
	c.log.Debug("joined", "room", logRoom(m.Room), "alone", pairing.Alone, "resumed", pairing.Resumed)
}

// announce queues what a join tells: the replaced connection that it is done, this client its welcome
// (and that its peer is away, if so), the peer that we are here. It runs under the room table's lock.
func (c *conn) announce(roomID string, p room.Pairing[*conn], servers []protocol.ICEServer, ttl int) {
	if p.HasReplaced {
		// The same person came back (a reload, or a new socket after a network change) before their old
		// socket was known dead; that one no longer speaks for the seat.
		p.Replaced.fail(protocol.Errorf(protocol.CodeReplaced, "This call continued in another window."))
	}
	c.send(protocol.Message{Type: protocol.TypeWelcome, Room: roomID, Peer: !p.Alone, Polite: p.Polite,
		Resumed: p.Resumed, Pair: p.Pair, ICEServers: servers, ICETTL: ttl})
	if !p.Alone {
		p.Peer.send(protocol.Message{Type: protocol.TypePeerJoined, Polite: !p.Polite, Resumed: p.Resumed, Pair: p.Pair})
	}
	if p.PeerHeld {
		c.send(c.reconnectingMessage(p.HeldFor))
	}
}

func (c *conn) reconnectingMessage(grace time.Duration) protocol.Message {
	return protocol.Message{Type: protocol.TypePeerReconnecting, GraceMs: int(grace.Milliseconds())}
}

func (c *conn) hangUp() {
	c.leaveRoom(protocol.ReasonHangup)
	c.closeWith(protocol.CloseNormal, "")
}

// leaveRoom frees this connection's seat and tells the peer: at once for a hang-up; for a dropped
// connection the seat is held for the resume grace, and the peer hears peer-left only if nobody took
// it back by then. A stopping server tells nobody anything: every client is reconnecting anyway.
func (c *conn) leaveRoom(reason string) {
	if !c.joined {
		return
	}
	c.joined = false
	rooms := c.h.hub.rooms
	if reason == protocol.ReasonHangup {
		rooms.Leave(c.roomID, c, func(peer *conn) {
			peer.send(protocol.Message{Type: protocol.TypePeerLeft, Reason: reason})
		})
		return
	}
	grace := c.h.cfg.ResumeGrace
	if c.goneAway {
		grace = min(grace, unloadGrace)
	}
	left := protocol.Message{Type: protocol.TypePeerLeft, Reason: protocol.ReasonDisconnected}
	// The hooks run under the room table's lock (see announce); the hub's lock may be taken inside it.
	told := func(peer *conn, held bool) {
		switch {
		case c.h.hub.isStopping():
		case held:
			peer.send(c.reconnectingMessage(grace))
		default:
			peer.send(left)
		}
	}
	expired := func(peer *conn, ok bool) {
		if ok && !c.h.hub.isStopping() {
			peer.send(left)
		}
	}
	rooms.Drop(c.roomID, c, grace, told, expired)
}

// mayOpenRoom is asked before this connection's join creates a room.
func (c *conn) mayOpenRoom() bool { return c.h.limits.AllowRoom(c.addr) }

// relay passes an offer, answer or candidate to the other seat. With nobody there it is dropped: the
// peer left while the message was in flight, and the sender hears of that from peer-left.
//
// A message for a pair that has been replaced since (m.Pair, when the client gives it) is dropped too:
// an offer from the old peer connection must not reach the new page of someone who reloaded.
func (c *conn) relay(m protocol.Message) {
	if peer, ok := c.h.hub.rooms.PeerInPair(c.roomID, c, m.Pair); ok {
		c.h.obs.Relayed(m.Type) // before sending: whoever sees the message can already see it counted
		m.Pair = 0              // the receiver knows its pair
		peer.send(m)
	}
}

// send queues m for this client; safe from any goroutine.
func (c *conn) send(m protocol.Message) {
	data, err := protocol.Encode(m)
	if err != nil {
		c.log.Error("encode", "type", m.Type, "err", err)
		return
	}
	c.push(frame{data: data})
}

// reply reports a non-fatal error to the client, or ends the connection for a fatal one.
func (c *conn) reply(err *protocol.Error) {
	if err.Code.Fatal() {
		c.fail(err)
		return
	}
	c.h.obs.Rejected(err.Code)
	c.send(protocol.ErrorMessage(err))
}

// fail sends err, then a close frame whose reason is the error code; safe from any goroutine.
func (c *conn) fail(err *protocol.Error) {
	c.log.Debug("closing", "code", err.Code)
	c.h.obs.Rejected(err.Code)
	c.send(protocol.ErrorMessage(err))
	c.closeWith(err.Code.CloseCode(), string(err.Code))
}

// closeWith queues a close frame and gives the client closeGrace to answer it.
func (c *conn) closeWith(code int, reason string) {
	if c.push(frame{closeCode: code, data: []byte(reason)}) {
		_ = c.ws.SetReadDeadline(time.Now().Add(closeGrace))
	}
}

// abort drops the connection at once, without a goodbye; safe from any goroutine.
func (c *conn) abort() { _ = c.ws.Close() }

// writeRun writes until the queue is empty, then exits; push starts it again.
func (c *conn) writeRun() {
	for {
		items, slow, more := c.out.take()
		if !more {
			return
		}
		if slow {
			c.log.Info("dropping slow client")
			c.h.obs.Rejected(protocol.CodeSlowConsumer)
			_ = c.ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(protocol.ClosePolicy, string(protocol.CodeSlowConsumer)), c.deadline())
			_ = c.ws.Close()
			c.out.finish()
			return
		}
		for _, f := range items {
			var err error
			switch {
			case f.ping:
				err = c.ws.WriteControl(websocket.PingMessage, nil, c.deadline())
			case f.closeCode != 0:
				err = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(f.closeCode, string(f.data)), c.deadline())
			default:
				_ = c.ws.SetWriteDeadline(c.deadline())
				err = c.ws.WriteMessage(websocket.TextMessage, f.data)
			}
			if err != nil {
				_ = c.ws.Close()
				c.out.finish()
				return
			}
			if f.closeCode != 0 {
				c.out.finish()
				return
			}
		}
	}
}

func (c *conn) deadline() time.Time { return time.Now().Add(c.h.cfg.WriteTimeout) }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func asProtocolError(err error) *protocol.Error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe
	}
	return protocol.Errorf(protocol.CodeBadMessage, "%v", err)
}

// logRoom shortens a room id for logs: enough to correlate lines, not enough to join the call.
func logRoom(id string) string {
	if len(id) > 6 {
		return id[:6] + "…"
	}
	return id
}
