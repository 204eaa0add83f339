//go:build !race

// The race detector's instrumentation makes every frame larger, so this guard runs without it
// (scripts/test.sh runs it once more without -race).

package signaling

import (
	"runtime"
	"testing"

	"github.com/maju-call/maju/internal/config"
)

// TestIdleConnectionStacksStaySmall guards most of maju's memory per idle connection (docs/benchmarks.md):
// the one goroutine an idle connection keeps is parked in NextReader, and the GC shrinks its stack to
// 4 KiB only while the parked frames use less than about 1.2 KiB. A few bytes more in serve, readLoop or
// the goroutine's start once doubled every idle connection's stack to 8 KiB.
func TestIdleConnectionStacksStaySmall(t *testing.T) {
	s := start(t, func(c *config.Config) { c.MaxConnsPerIP, c.RoomBurst = 1000, 1000 })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const pairs = 100 // the clients are gorilla client connections: they start no goroutines
	for range pairs {
		s.pair(t)
	}
	for range 3 { // each cycle halves a stack at most: 16 KiB after a join shrinks to 4 KiB in two
		runtime.GC()
	}
	runtime.ReadMemStats(&after)
	perConn := float64(after.StackInuse-before.StackInuse) / (2 * pairs)
	t.Logf("stack in use per idle connection: %.0f bytes", perConn)
	if perConn > 6<<10 {
		t.Fatalf("idle connections keep %.1f KiB of stack each, want about 4 KiB: a frame on the parked "+
			"reader's path (Handler.ServeHTTP's goroutine, conn.serve, conn.readLoop) grew", perConn/1024)
	}
}
