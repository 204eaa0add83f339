// Package peer is a maju call participant written in Go with pion/webrtc: it joins a room over the
// signaling protocol (docs/protocol.md), chats over the negotiated "chat" data channel, receives the
// other person's media tracks and can send its own.
//
// pion cannot roll back a local offer (pion/webrtc#2133), so a Peer always joins with rollback false and
// the server makes it the impolite side of perfect negotiation when the other person is a browser. When
// impolite it makes the offers (when the pair forms and on negotiationneeded) and ignores an offer that
// collides with its own; when polite (only when both people are Go peers) it never offers, it answers.
// So that a polite peer's tracks have somewhere to go, an impolite peer's offer always carries an audio
// and a video transceiver (receive-only for a kind it does not send): a polite Go peer can send at most
// one track of each kind.
//
// One PeerConnection exists per pairing: it is created when the pair forms (welcome with peer true, or
// peer-joined) and closed on peer-left, after which the peer waits in the room for the next person.
//
// Concurrency: one goroutine (the owner loop) owns the PeerConnection and does every operation on it, in
// order: signaling messages, pion's events and the caller's actions (SendChat, Hangup). One goroutine
// reads the WebSocket; only the owner loop writes to it. pion's callbacks never touch the
// PeerConnection: they hand events to the owner loop. Close stops all of them, pion's included.
package peer

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/maju-call/maju/internal/protocol"
	"github.com/pion/webrtc/v4"
)

// Options configure a Peer.
type Options struct {
	// URL is the signaling endpoint, ws://host/ws or wss://host/ws (http and https are accepted and mean
	// the same).
	URL string
	// Room is the room id, as protocol.NewRoomID makes it.
	Room string
	// TLSConfig is used for wss:// URLs; nil means the system's roots (tests pass a LAN certificate).
	TLSConfig *tls.Config
	// Header is sent with the WebSocket handshake, for example an Origin. maju accepts clients that send
	// no Origin, so it is usually empty.
	Header http.Header
	// Tracks are sent to every person this peer is paired with, each on its own transceiver. A track may
	// be shared by several peers (pion's TrackLocalStatic* types fan out).
	Tracks []webrtc.TrackLocal
	// ICEServers are STUN and TURN servers used beside the ones the server hands out (with fresh
	// credentials, refreshed before they expire). None are needed on one host.
	ICEServers []webrtc.ICEServer
	// RelayOnly makes the PeerConnections gather relay candidates only (ICETransportPolicy relay), as a
	// browser with ?ice=relay does: the call goes through TURN or not at all.
	RelayOnly bool
	// Logger receives the peer's logs (and pion's, when API is nil). nil discards them.
	Logger *slog.Logger
	// LoopbackOnly restricts ICE to 127.0.0.1 over UDP with mDNS off (ConfigureLoopbackOnly), so test
	// traffic never leaves the machine. It cannot be combined with API: configure that API's
	// SettingEngine with ConfigureLoopbackOnly instead.
	LoopbackOnly bool
	// API creates the PeerConnections. nil means pion's default codecs and interceptors.
	API *webrtc.API
}

// Limits and timeouts of the signaling connection.
const (
	// handshakeTimeout bounds the WebSocket opening handshake (ctx may bound it further).
	handshakeTimeout = 10 * time.Second
	// writeTimeout bounds each WebSocket write, like the server's -write-timeout.
	writeTimeout = 10 * time.Second
	// closeTimeout bounds sending the close frame when the peer stops.
	closeTimeout = time.Second
	// maxIncoming is the largest signaling message accepted from the server. The server relays at most
	// its -max-message-bytes (64 KiB by default) of SDP, re-encoded; this leaves room for a larger limit.
	maxIncoming = 1 << 20
	// maxPendingCandidates bounds the remote candidates kept until the remote description arrives.
	maxPendingCandidates = 256
	// eventBuffer, chatBuffer and trackBuffer are the capacities of the output channels.
	eventBuffer = 64
	chatBuffer  = 64
	trackBuffer = 8
)

// Errors returned by a Peer.
var (
	// ErrClosed: the peer has stopped (Close, Hangup, or the signaling connection ended).
	ErrClosed = errors.New("peer: closed")
	// ErrNotConnected: there is no open chat channel (nobody else in the room, or still connecting).
	ErrNotConnected = errors.New("peer: not connected")
)

// Peer is one participant in a maju room. Create it with Join; its methods are safe for concurrent use.
type Peer struct {
	log  *slog.Logger
	api  *webrtc.API
	ws   *wsConn
	room string
	opts Options

	// Outputs. Closed after the owner loop has stopped and no pion callback can send any more.
	chat   chan ChatMessage
	tracks chan *webrtc.TrackRemote
	events chan Event

	// Owner loop inputs.
	sigIn   chan protocol.Message // from the reader goroutine
	readErr chan error            // the reader's final error (buffered: the reader never blocks on it)
	pcIn    chan pcEvent          // from pion's callbacks, through the session's gate
	actions chan action           // from the caller's methods

	refreshDue chan struct{} // the server's TURN credentials are due for renewal (buffered 1)

	closing   chan struct{} // closed by Close: the owner loop stops
	closeOnce sync.Once
	quit      chan struct{} // closed by the owner loop when it stops: releases the reader
	done      chan struct{} // closed when everything has stopped
	wg        sync.WaitGroup

	mu        sync.Mutex
	connected bool          // the current PeerConnection is connected and chat is open
	changed   chan struct{} // closed and replaced whenever connected changes
	err       error         // why the peer stopped; set before done is closed

	// Owned by the owner loop.
	cur       *session
	gen       uint64
	serverICE []webrtc.ICEServer // from welcome and the latest ice-servers
	refresh   *time.Timer        // sends on refreshDue; nil when the credentials do not expire
	hangingUp bool               // leave was sent: the server's close 1000 is the expected end
	lastError *protocol.Error    // the last error message, to explain the close that follows a fatal one
}

// action is a caller's request run by the owner loop.
type action struct {
	fn  func() error
	res chan error
}

// Join dials the signaling server, joins opts.Room with rollback false and waits for welcome. ctx bounds
// the dial and the wait; it does not bound the Peer's life (use Hangup or Close). A refusal from the
// server is returned as a *protocol.Error carrying its code (room-full, bad-room, origin-forbidden, …).
//
// When the other seat is already taken the Peer starts connecting at once; otherwise it waits for
// someone to join. Either way the returned Peer must be closed.
func Join(ctx context.Context, opts Options) (*Peer, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if !protocol.ValidRoomID(opts.Room) {
		return nil, protocol.Errorf(protocol.CodeBadRoom, "room id %q is not %d URL-safe base64 characters",
			opts.Room, protocol.RoomIDLength)
	}
	api := opts.API
	if api == nil {
		var err error
		if api, err = newAPI(opts, log); err != nil {
			return nil, err
		}
	} else if opts.LoopbackOnly {
		return nil, errors.New("peer: Options.LoopbackOnly cannot be combined with Options.API; " +
			"call ConfigureLoopbackOnly on that API's SettingEngine")
	}

	ws, welcome, err := dialAndJoin(ctx, opts)
	if err != nil {
		return nil, err
	}
	p := &Peer{
		log:        log.With("room", opts.Room),
		api:        api,
		ws:         ws,
		room:       welcome.Room,
		opts:       opts,
		chat:       make(chan ChatMessage, chatBuffer),
		tracks:     make(chan *webrtc.TrackRemote, trackBuffer),
		events:     make(chan Event, eventBuffer),
		sigIn:      make(chan protocol.Message),
		readErr:    make(chan error, 1),
		pcIn:       make(chan pcEvent, 256),
		actions:    make(chan action),
		refreshDue: make(chan struct{}, 1),
		closing:    make(chan struct{}),
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
		changed:    make(chan struct{}),
	}
	p.log.Debug("joined", "peer", welcome.Peer, "polite", welcome.Polite)
	p.wg.Add(1)
	go p.readLoop()
	go p.run(welcome)
	return p, nil
}

// dialAndJoin opens the WebSocket, sends join and reads the answer: welcome, or an error.
func dialAndJoin(ctx context.Context, opts Options) (*wsConn, protocol.Message, error) {
	url := opts.URL
	if rest, ok := strings.CutPrefix(url, "http"); ok { // http://… → ws://…, https://… → wss://…
		url = "ws" + rest
	}
	dialer := websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: handshakeTimeout, TLSClientConfig: opts.TLSConfig}
	conn, resp, err := dialer.DialContext(ctx, url, opts.Header)
	if err != nil {
		if errors.Is(err, websocket.ErrBadHandshake) && resp != nil {
			return nil, protocol.Message{}, handshakeError(resp)
		}
		return nil, protocol.Message{}, fmt.Errorf("peer: dial %s: %w", url, err)
	}
	conn.SetReadLimit(maxIncoming)
	ws := &wsConn{conn: conn}

	// The read below has no deadline of its own: ctx ending closes the connection, which ends it.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	welcome, err := func() (protocol.Message, error) {
		if err := ws.send(protocol.Join(opts.Room, false)); err != nil {
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
	if !errors.As(err, &ce) {
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

// ServerICE returns the STUN/TURN servers the signaling server handed out most recently.
func (p *Peer) ServerICE(ctx context.Context) ([]webrtc.ICEServer, error) {
	var servers []webrtc.ICEServer
	err := p.do(ctx, func() error { servers = slices.Clone(p.serverICE); return nil })
	return servers, err
}

// Room returns the room id.
func (p *Peer) Room() string { return p.room }

// Chat returns the chat messages received from the other person, in order. Messages that do not fit
// the protocol are dropped. Read it: while it is full the chat channel stops reading (the sender's
// messages wait). It is closed when the peer stops.
func (p *Peer) Chat() <-chan ChatMessage { return p.chat }

// Tracks returns the remote media tracks as they arrive, one per transceiver per PeerConnection. Read
// their RTP until it returns an error (the PeerConnection closed). It is closed when the peer stops.
func (p *Peer) Tracks() <-chan *webrtc.TrackRemote { return p.tracks }

// Events returns what happens to the peer (see EventType). It holds the newest events: a reader that
// falls more than its capacity behind loses the oldest. It is closed after EventClosed.
func (p *Peer) Events() <-chan Event { return p.events }

// Done is closed when the peer has stopped and every goroutine it started has ended.
func (p *Peer) Done() <-chan struct{} { return p.done }

// Err returns why the peer stopped: nil while it runs and after an orderly end, otherwise the error
// that EventClosed carried.
func (p *Peer) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// WaitConnected waits until the peer is connected to the other person with chat open, the peer stops
// (ErrClosed, or why it stopped) or ctx ends.
func (p *Peer) WaitConnected(ctx context.Context) error {
	for {
		p.mu.Lock()
		connected, changed := p.connected, p.changed
		p.mu.Unlock()
		if connected {
			return nil
		}
		select {
		case <-changed:
		case <-p.done:
			if p.err != nil {
				return p.err
			}
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Connected reports whether the peer is connected to the other person with chat open.
func (p *Peer) Connected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.connected
}

func (p *Peer) setConnected(c bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.connected != c {
		p.connected = c
		close(p.changed)
		p.changed = make(chan struct{})
	}
}

// SendChat sends text to the other person over the chat data channel and returns the message as sent.
// text must be 1 to MaxChatTextLength characters (ErrInvalidChat). It fails with ErrNotConnected when
// the chat channel is not open.
func (p *Peer) SendChat(text string) (ChatMessage, error) {
	msg := ChatMessage{ID: newChatID(), Text: text, Time: time.UnixMilli(time.Now().UnixMilli())}
	data, err := EncodeChat(msg)
	if err != nil {
		return ChatMessage{}, err
	}
	err = p.do(context.Background(), func() error {
		s := p.cur
		if s == nil || !s.dcOpen {
			return ErrNotConnected
		}
		if err := s.dc.SendText(string(data)); err != nil {
			return fmt.Errorf("peer: send chat: %w", err)
		}
		return nil
	})
	if err != nil {
		return ChatMessage{}, err
	}
	return msg, nil
}

// Hangup hangs up on purpose: it closes the PeerConnection, sends leave (the other person gets
// peer-left with reason hangup) and waits, within ctx, for the server to close the connection. Then
// the peer is stopped as by Close.
func (p *Peer) Hangup(ctx context.Context) error {
	err := p.do(ctx, func() error {
		p.hangingUp = true
		p.endSession()
		return p.ws.send(protocol.Message{Type: protocol.TypeLeave})
	})
	if err != nil {
		_ = p.Close()
		if errors.Is(err, ErrClosed) {
			return ErrClosed
		}
		return err
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		_ = p.Close()
		return ctx.Err()
	}
}

// Close stops the peer: it closes the PeerConnection and the signaling connection (without leave, so
// the other person gets peer-left with reason disconnected) and returns when every goroutine the peer
// started, pion's included, has ended. It is idempotent and returns nil.
func (p *Peer) Close() error {
	p.closeOnce.Do(func() { close(p.closing) })
	<-p.done
	return nil
}

// do runs fn on the owner loop and returns its result.
func (p *Peer) do(ctx context.Context, fn func() error) error {
	a := action{fn: fn, res: make(chan error, 1)}
	select {
	case p.actions <- a:
	case <-p.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-a.res // the owner loop runs every action it accepts
}

// emit queues an event for Events, dropping the oldest queued one when the buffer is full. Only the
// owner loop calls it.
func (p *Peer) emit(ev Event) {
	p.log.Debug("event", "event", ev.String())
	for {
		select {
		case p.events <- ev:
			return
		default:
		}
		select {
		case old := <-p.events:
			p.log.Warn("events not read: dropped one", "event", old.String())
		default:
		}
	}
}

// wsConn is the signaling WebSocket. Writes are serialised by mu (in practice only the owner loop
// writes; gorilla's pong replies use WriteControl, which may run concurrently).
type wsConn struct {
	mu   sync.Mutex
	conn *websocket.Conn
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

// readLoop reads and decodes signaling messages and hands them to the owner loop, until the connection
// ends or the owner loop stops.
func (p *Peer) readLoop() {
	defer p.wg.Done()
	for {
		typ, data, err := p.ws.conn.ReadMessage()
		if err != nil {
			p.readErr <- err
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
		case p.sigIn <- m:
		case <-p.quit:
			return
		}
	}
}
