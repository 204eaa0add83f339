package peer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// EventType says what happened; see Event.
type EventType int

// Event types, roughly in the order they happen for one pairing.
const (
	// EventPaired: the other seat is taken (welcome with peer true, or peer-joined). A new
	// PeerConnection now exists; Polite is this peer's role for the pair.
	EventPaired EventType = iota + 1
	// EventConnectionState: the PeerConnection's state changed to State.
	EventConnectionState
	// EventConnected: the PeerConnection is connected and the chat channel is open.
	EventConnected
	// EventSignalingLost: the connection to the signaling server dropped (Err says why, when it can);
	// the peer reconnects with backoff. The call goes on peer to peer meanwhile.
	EventSignalingLost
	// EventSignalingBack: the peer is in the room again after EventSignalingLost. Resumed: the pair
	// continues on the same PeerConnection; otherwise EventPaired follows when a new pair forms.
	EventSignalingBack
	// EventPeerReconnecting: the other person's connection to the server dropped; their seat is held
	// for Grace. EventPeerBack, EventPaired (a new pair) or EventPeerLeft follows.
	EventPeerReconnecting
	// EventPeerBack: the other person is back and the pair resumed on the same PeerConnection.
	EventPeerBack
	// EventReconnecting: the PeerConnection lost the other person (disconnected past a grace, or
	// failed); ICE restarts on the same PeerConnection (the polite side waits for the other's restart).
	EventReconnecting
	// EventReconnected: the PeerConnection is connected again after EventReconnecting.
	EventReconnected
	// EventDelivered: the other person acknowledged the chat message ChatID.
	EventDelivered
	// EventPeerLeft: the other seat is empty again (peer-left), or the other person said bye on the
	// chat channel; Reason is protocol.ReasonHangup or protocol.ReasonDisconnected. The PeerConnection
	// is closed; the peer waits for someone to join.
	EventPeerLeft
	// EventError: the server reported an error that leaves the connection open (Err is a
	// *protocol.Error), or the PeerConnection for a new pairing could not be created (Err says why).
	EventError
	// EventICEServers: the server sent fresh STUN/TURN credentials (ice-servers); the live
	// PeerConnection has them.
	EventICEServers
	// EventClosed: the peer has stopped (Hangup, Close, or the server refused it for good). Err is nil
	// for an orderly end, otherwise a *protocol.Error naming the refusal (room-full, replaced, …) or
	// the connection error. It is the last event; the Events channel is closed after it.
	EventClosed
)

func (t EventType) String() string {
	switch t {
	case EventPaired:
		return "paired"
	case EventConnectionState:
		return "connection-state"
	case EventConnected:
		return "connected"
	case EventPeerLeft:
		return "peer-left"
	case EventError:
		return "error"
	case EventICEServers:
		return "ice-servers"
	case EventClosed:
		return "closed"
	case EventSignalingLost:
		return "signaling-lost"
	case EventSignalingBack:
		return "signaling-back"
	case EventPeerReconnecting:
		return "peer-reconnecting"
	case EventPeerBack:
		return "peer-back"
	case EventReconnecting:
		return "reconnecting"
	case EventReconnected:
		return "reconnected"
	case EventDelivered:
		return "delivered"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// Event is something that happened to a Peer, delivered on Peer.Events.
type Event struct {
	Type    EventType
	Polite  bool                       // EventPaired
	State   webrtc.PeerConnectionState // EventConnectionState
	Reason  string                     // EventPeerLeft
	Err     error                      // EventError, EventClosed, EventSignalingLost
	Resumed bool                       // EventSignalingBack
	Grace   time.Duration              // EventPeerReconnecting
	ChatID  string                     // EventDelivered
}

func (e Event) String() string {
	switch e.Type {
	case EventPaired:
		return fmt.Sprintf("paired (polite %t)", e.Polite)
	case EventConnectionState:
		return "connection-state " + e.State.String()
	case EventPeerLeft:
		return "peer-left " + e.Reason
	case EventSignalingBack:
		return fmt.Sprintf("signaling-back (resumed %t)", e.Resumed)
	case EventPeerReconnecting:
		return fmt.Sprintf("peer-reconnecting (grace %v)", e.Grace)
	case EventDelivered:
		return "delivered " + e.ChatID
	case EventError, EventClosed, EventSignalingLost:
		if e.Err != nil {
			return e.Type.String() + ": " + e.Err.Error()
		}
	}
	return e.Type.String()
}

// gate lets pion's callbacks (which run on goroutines pion owns) hand values to the Peer without ever
// sending after the Peer stopped listening, and without blocking the Peer's close. The owner loop shuts
// a PeerConnection's gate before closing it: blocked senders are released and later ones drop their
// values. After shut returns, no callback of that PeerConnection sends anything.
type gate struct {
	mu     sync.RWMutex
	closed bool
	done   chan struct{}
	once   sync.Once
}

func newGate() *gate { return &gate{done: make(chan struct{})} }

// shut releases blocked senders and stops all later sends. It is idempotent.
func (g *gate) shut() {
	g.once.Do(func() {
		close(g.done)
		g.mu.Lock()
		g.closed = true
		g.mu.Unlock()
	})
}

// deliver sends v on ch unless g is (or becomes) shut; it reports whether v was sent.
func deliver[T any](g *gate, ch chan<- T, v T) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return false
	}
	select {
	case ch <- v:
		return true
	case <-g.done:
		return false
	}
}

// WaitEvent reads Events until one of type typ arrives and returns it. It fails when ctx ends first or
// the peer stops (Events is closed). Events of other types read meanwhile are discarded.
func (p *Peer) WaitEvent(ctx context.Context, typ EventType) (Event, error) {
	for {
		select {
		case ev, ok := <-p.Events():
			if !ok {
				return Event{}, fmt.Errorf("peer stopped while waiting for %v", typ)
			}
			if ev.Type == typ {
				return ev, nil
			}
		case <-ctx.Done():
			return Event{}, fmt.Errorf("no %v event: %w", typ, ctx.Err())
		}
	}
}
