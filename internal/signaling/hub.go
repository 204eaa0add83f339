package signaling

import (
	"context"
	"sync"

	"github.com/maju-call/maju/internal/protocol"
	"github.com/maju-call/maju/internal/room"
)

// hub knows every live connection of this server and the rooms they sit in.
type hub struct {
	rooms *room.Table[*conn]

	mu       sync.Mutex
	reserved int // connections admitted, upgraded or not
	conns    map[*conn]struct{}
	stopping bool
	drained  chan struct{} // closed when stopping and the last connection is gone
}

func newHub() *hub {
	return &hub{rooms: room.NewTable[*conn](), conns: make(map[*conn]struct{}), drained: make(chan struct{})}
}

// reserve admits one more connection before its upgrade; it fails when the server is stopping or full.
// Every successful reserve is paired with one release.
func (h *hub) reserve(max int) *protocol.Error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopping {
		return protocol.Errorf(protocol.CodeShuttingDown, "The server is restarting; try again in a moment.")
	}
	if h.reserved >= max {
		return protocol.Errorf(protocol.CodeServerFull, "The server has too many connections; try again later.")
	}
	h.reserved++
	return nil
}

// register makes an upgraded connection known to shutdown. It reports false when the server started
// stopping meanwhile.
func (h *hub) register(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopping {
		return false
	}
	h.conns[c] = struct{}{}
	return true
}

// release ends what reserve and register began.
func (h *hub) release(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, c)
	h.reserved--
	if h.stopping && h.reserved == 0 {
		close(h.drained)
	}
}

// isStopping reports whether shutdown has begun.
func (h *hub) isStopping() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stopping
}

// count returns the number of live connections.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.reserved
}

// shutdown tells every connection the server is stopping and waits until all are gone or ctx ends.
func (h *hub) shutdown(ctx context.Context) error {
	h.mu.Lock()
	if !h.stopping {
		h.stopping = true
		if h.reserved == 0 {
			close(h.drained)
		}
	}
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	// Seats are not held by a stopping server: its clients reconnect to the next one.
	h.rooms.Close()
	for _, c := range conns {
		c.fail(protocol.Errorf(protocol.CodeShuttingDown, "The server is restarting."))
	}
	select {
	case <-h.drained:
		return nil
	case <-ctx.Done():
		for _, c := range conns {
			c.abort()
		}
		return ctx.Err()
	}
}
