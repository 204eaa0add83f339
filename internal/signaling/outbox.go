package signaling

import "sync"

// frame is one queued write: a text message, a ping, or a close frame that ends the connection.
type frame struct {
	data      []byte
	closeCode int // non-zero: a close frame with this code and data as its reason
	ping      bool
}

// outbox is a connection's bounded outbound queue. Producers never block. A writer goroutine runs only
// while the queue has something: push reports when one must be started, take when it must exit.
type outbox struct {
	mu      sync.Mutex
	items   []frame
	limit   int
	closing bool          // a close frame is queued; nothing after it is accepted
	slow    bool          // the queue overflowed
	writing bool          // a writer goroutine runs
	done    bool          // the writer finished for good (close sent or socket failed)
	idle    chan struct{} // closed when the running writer stops; made on demand by idleCh
}

func newOutbox(limit int) *outbox { return &outbox{limit: limit} }

// push queues f. queued is false when f was dropped: the connection is closing, finished, or overflowed
// (the writer then drops it as a slow consumer). start is true when the caller must start a writer.
// Pings do not count against the limit.
func (o *outbox) push(f frame) (queued, start bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closing || o.slow || o.done {
		return false, false
	}
	if len(o.items) >= o.limit && f.closeCode == 0 && !f.ping {
		o.slow = true
		o.items = nil
	} else {
		o.items = append(o.items, f)
		o.closing = f.closeCode != 0
	}
	if !o.writing {
		o.writing, start = true, true
	}
	return !o.slow, start
}

// take removes everything queued; more is false (and the writer must exit) when there was nothing.
func (o *outbox) take() (items []frame, slow, more bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.items) == 0 && !o.slow {
		o.stopLocked()
		return nil, false, false
	}
	items, o.items = o.items, nil
	return items, o.slow, true
}

// finish ends writing for good.
func (o *outbox) finish() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.done = true
	o.items = nil
	o.stopLocked()
}

func (o *outbox) stopLocked() {
	o.writing = false
	if o.idle != nil {
		close(o.idle)
		o.idle = nil
	}
}

// idleCh is closed when no writer runs.
func (o *outbox) idleCh() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.writing {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	if o.idle == nil {
		o.idle = make(chan struct{})
	}
	return o.idle
}

// isClosing reports whether a close frame has been queued or the connection overflowed.
func (o *outbox) isClosing() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closing || o.slow
}
