package signaling

import "sync"

// frame is one queued write: a text message, or a close frame that ends the connection.
type frame struct {
	data      []byte
	closeCode int // non-zero: a close frame with this code and data as its reason
}

// outbox is a connection's bounded outbound queue. Producers never block: when the queue is full the
// connection is marked slow and the writer drops it. An idle outbox holds no buffer.
type outbox struct {
	mu      sync.Mutex
	items   []frame
	limit   int
	closing bool // a close frame is queued; nothing after it is sent
	slow    bool // the queue overflowed
	notify  chan struct{}
}

func newOutbox(limit int) *outbox {
	return &outbox{limit: limit, notify: make(chan struct{}, 1)}
}

// push queues f. It returns false when f was not queued: the connection is closing, or it was too slow
// (then the writer learns so from take).
func (o *outbox) push(f frame) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closing || o.slow {
		return false
	}
	if len(o.items) >= o.limit && f.closeCode == 0 {
		o.slow = true
		o.items = nil
	} else {
		o.items = append(o.items, f)
		o.closing = f.closeCode != 0
	}
	select {
	case o.notify <- struct{}{}:
	default:
	}
	return !o.slow
}

// take removes and returns everything queued, and whether the connection overflowed.
func (o *outbox) take() (items []frame, slow bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	items, o.items = o.items, nil
	return items, o.slow
}

// isClosing reports whether a close frame has been queued or the connection overflowed.
func (o *outbox) isClosing() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closing || o.slow
}
