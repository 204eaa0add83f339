// Package peer is a maju call participant written in Go with pion/webrtc: it joins a room over the
// signaling protocol (docs/protocol.md), chats over the negotiated "chat" data channel, receives the
// other person's media tracks and can send its own.
//
// pion cannot roll back a local offer (pion/webrtc#2133), so a Peer always joins with rollback false and
// the server makes it the impolite side of perfect negotiation when the other person is a browser. When
// impolite it makes the offers (when the pair forms, on negotiationneeded and for ICE restarts) and
// ignores an offer that collides with its own; when polite (only when both people are Go peers) it never
// offers, it answers. So that a polite peer's tracks have somewhere to go, an impolite peer's offer always
// carries an audio and a video transceiver (receive-only for a kind it does not send): a polite Go peer
// can send at most one track of each kind.
//
// One PeerConnection exists per pairing: it is created when the pair forms (welcome with peer true, or
// peer-joined, without resumed) and closed on peer-left or the other person's bye, after which the peer
// waits in the room for the next person.
//
// A call outlives its signaling connection, as in the browser. When the connection drops (anything but
// a final refusal, Hangup or Close) the peer reconnects with backoff and joins again with its resume
// token, keeping its PeerConnection ("keep"); media and chat go on peer to peer meanwhile. When the
// server says the pair resumed, the PeerConnection stays and is repaired if needed (an unanswered offer
// is sent again; ICE restarts when it is not connected); otherwise a new pair starts a new one. When the
// PeerConnection loses the other person (disconnected past a grace, or failed), ICE restarts on the same
// PeerConnection, so the chat channel and the tracks survive. Nothing meant for the other person is
// queued while signaling is down: the repair after it comes back covers what was lost.
//
// Concurrency: one goroutine (the owner loop) owns the PeerConnection and does every operation on it, in
// order: signaling messages, pion's events, timers and the caller's actions (SendChat, Hangup, …). One
// goroutine reads the current WebSocket; only the owner loop writes to it, and a redial goroutine opens
// the next one while signaling is down. pion's callbacks never touch the PeerConnection: they hand
// events to the owner loop (the chat channel's reader also delivers messages to Chat). Close stops all
// of them, pion's included.
package peer

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

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
	// pingInterval and deadAfter: like the browser, the peer sends ping every pingInterval and takes a
	// connection that brought nothing (no message, no ping) for deadAfter as dropped.
	pingInterval = 20 * time.Second
	deadAfter    = 30 * time.Second
	// redialMin and redialMax bound the wait before a reconnection attempt: redialMin after a drop,
	// doubling after each failed attempt up to redialMax, each wait with ±50 % random jitter.
	redialMin = 500 * time.Millisecond
	redialMax = 10 * time.Second
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
	// ErrClosed: the peer has stopped (Close, Hangup, or a final refusal from the server).
	ErrClosed = errors.New("peer: closed")
	// ErrNotConnected: there is no open chat channel (nobody else in the room, or still connecting).
	ErrNotConnected = errors.New("peer: not connected")
	// ErrOffline: the other person cannot be reached over signaling right now (this peer or they are
	// reconnecting), so nothing can be negotiated.
	ErrOffline = errors.New("peer: signaling is down")
	// ErrPolite: this peer is the polite side of a pair of Go peers; it cannot offer (pion cannot roll
	// back), so only the other side restarts ICE.
	ErrPolite = errors.New("peer: polite: only the other side can restart ICE")
)

// Peer is one participant in a maju room. Create it with Join; its methods are safe for concurrent use.
type Peer struct {
	log   *slog.Logger
	api   *webrtc.API
	room  string
	opts  Options
	token string // the resume token, sent in every join

	// Outputs. Closed after the owner loop has stopped and no pion callback can send any more.
	chat   chan ChatMessage
	tracks chan *webrtc.TrackRemote
	events chan Event

	// Owner loop inputs.
	sigIn   chan sigMessage // from the readers
	sigEnd  chan sigEnd     // a reader's final error
	dialed  chan dialResult // from the redial goroutine
	pcIn    chan pcEvent    // from pion's callbacks and the sessions' timers, through the session's gate
	actions chan action     // from the caller's methods

	refreshDue chan struct{} // the server's TURN credentials are due for renewal (buffered 1)

	life      context.Context // ends when the owner loop stops: bounds redials
	endLife   context.CancelFunc
	closing   chan struct{} // closed by Close: the owner loop stops
	closeOnce sync.Once
	quit      chan struct{} // closed by the owner loop when it stops: releases the reader
	done      chan struct{} // closed when everything has stopped
	wg        sync.WaitGroup

	mu        sync.Mutex
	connected bool          // the current PeerConnection is connected and chat is open
	changed   chan struct{} // closed and replaced whenever connected changes
	err       error         // why the peer stopped; set before done is closed

	seen seenIDs // ids of the chat messages delivered, to drop ones sent again

	// Owned by the owner loop.
	ws        *wsConn // the signaling connection; nil while it is down
	joined    bool    // ws has had its welcome: messages for the other person may go
	peerHere  bool    // the other person is seated and connected: what we send reaches them
	pair      uint64  // the server's number for the current pair (welcome, peer-joined): sent with offers, answers, candidates
	lost      bool    // EventSignalingLost was emitted and EventSignalingBack not yet
	redialing bool    // a redial goroutine is running
	backoff   time.Duration
	stopping  bool // the owner loop ends after the current input
	cur       *session
	gen       uint64
	byeEnded  bool               // the current pairing ended by the other person's bye: peer-left is no news
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
// someone to join. Either way the returned Peer must be closed. From then on a dropped signaling
// connection is reconnected (see the package documentation); only a final refusal stops the Peer.
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
	token, err := protocol.NewRoomID(rand.Reader) // a resume token has a room id's form
	if err != nil {
		return nil, fmt.Errorf("peer: resume token: %w", err)
	}
	join := protocol.Join(opts.Room, false)
	join.Resume = token

	ws, welcome, err := dialAndJoin(ctx, opts, join)
	if err != nil {
		return nil, err
	}
	life, endLife := context.WithCancel(context.Background())
	p := &Peer{
		log:        log.With("room", opts.Room),
		api:        api,
		ws:         ws,
		room:       welcome.Room,
		opts:       opts,
		token:      token,
		chat:       make(chan ChatMessage, chatBuffer),
		tracks:     make(chan *webrtc.TrackRemote, trackBuffer),
		events:     make(chan Event, eventBuffer),
		sigIn:      make(chan sigMessage),
		sigEnd:     make(chan sigEnd),
		dialed:     make(chan dialResult),
		pcIn:       make(chan pcEvent, 256),
		actions:    make(chan action),
		refreshDue: make(chan struct{}, 1),
		life:       life,
		endLife:    endLife,
		closing:    make(chan struct{}),
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
		changed:    make(chan struct{}),
		backoff:    redialMin,
	}
	p.log.Debug("joined", "peer", welcome.Peer, "polite", welcome.Polite)
	p.wg.Add(1)
	go p.readLoop(ws)
	go p.run(welcome)
	return p, nil
}

// ServerICE returns the STUN/TURN servers the signaling server handed out most recently.
func (p *Peer) ServerICE(ctx context.Context) ([]webrtc.ICEServer, error) {
	var servers []webrtc.ICEServer
	err := p.do(ctx, func() error { servers = slices.Clone(p.serverICE); return nil })
	return servers, err
}

// Room returns the room id.
func (p *Peer) Room() string { return p.room }

// Chat returns the chat messages received from the other person, in order, each once (a message sent
// again is acknowledged again but not delivered twice). Messages that do not fit the protocol are
// dropped. Read it: while it is full the chat channel stops reading (the sender's messages wait). It is
// closed when the peer stops.
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

// SendChat sends text to the other person over the chat data channel and returns the message as sent;
// EventDelivered with its ID follows when the other person acknowledges it. text must be 1 to
// MaxChatTextLength characters (ErrInvalidChat). It fails with ErrNotConnected when the chat channel
// is not open. It works while signaling is down: chat goes peer to peer.
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

// Status is a snapshot of a Peer, for tests and diagnostics.
type Status struct {
	// Signaling: the peer is in the room over a live signaling connection (false while reconnecting).
	Signaling bool
	// PeerConnection numbers the current PeerConnection: 1 for the first one this Peer created, 2 for
	// the next, and so on; 0 when there is none. The same number means the same PeerConnection.
	PeerConnection uint64
	// State is the current PeerConnection's connection state.
	State webrtc.PeerConnectionState
	// ICERestarts counts the ICE restarts completed on the current PeerConnection, started by either
	// side: how many times the other side's ICE credentials changed.
	ICERestarts int
	// LocalUfrag and RemoteUfrag are the ICE username fragments of the current descriptions.
	LocalUfrag, RemoteUfrag string
}

// Status returns a snapshot of the peer, or ErrClosed when it has stopped.
func (p *Peer) Status(ctx context.Context) (Status, error) {
	var st Status
	err := p.do(ctx, func() error {
		st.Signaling = p.joined
		if s := p.cur; s != nil {
			st.PeerConnection, st.State, st.ICERestarts = s.gen, s.pc.ConnectionState(), s.restarts
			st.RemoteUfrag = s.remoteUfrag
			if d := s.pc.LocalDescription(); d != nil {
				st.LocalUfrag = iceUfrag(d.SDP)
			}
		}
		return nil
	})
	return st, err
}

// RestartICE restarts ICE on the current PeerConnection now, as the peer does by itself when the
// connection is lost: it offers with new ICE credentials. It fails with ErrNotConnected when there is
// no PeerConnection, ErrOffline while the other person cannot be reached over signaling, and ErrPolite
// on the polite side of two Go peers. An offer of ours still unanswered is sent again instead.
func (p *Peer) RestartICE(ctx context.Context) error {
	return p.do(ctx, func() error {
		s := p.cur
		switch {
		case s == nil:
			return ErrNotConnected
		case s.polite:
			return ErrPolite
		case !p.canSignal():
			return ErrOffline
		}
		return p.offerRestart(s)
	})
}

// Hangup hangs up on purpose: it says bye on the chat channel, closes the PeerConnection, sends leave
// (the other person gets peer-left with reason hangup) and waits, within ctx, for the server to close
// the connection. Then the peer is stopped as by Close. While signaling is down the bye alone tells the
// other person, and the peer stops at once.
func (p *Peer) Hangup(ctx context.Context) error {
	err := p.do(ctx, func() error {
		p.hangingUp = true
		p.sayBye()
		p.endSession()
		if p.ws == nil {
			p.stopping = true
			return nil
		}
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

// Close stops the peer: it closes the PeerConnection and the signaling connection (without leave or
// bye, so the other person gets peer-reconnecting, then peer-left with reason disconnected when the
// server's grace ends) and returns when every goroutine the peer started, pion's included, has ended.
// It is idempotent and returns nil.
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
