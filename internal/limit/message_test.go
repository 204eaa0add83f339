package limit

import (
	"testing"
	"time"
	"unsafe"
)

func TestMessageBucketFirstDrop(t *testing.T) {
	b := NewMessageBucket(1, 3)
	t0 := time.Unix(1_000_000, 0)
	type result struct{ ok, first bool }
	steps := []struct {
		at   time.Duration
		want result
	}{
		{0, result{true, false}}, {0, result{true, false}}, {0, result{true, false}}, // the burst
		{0, result{false, true}},                                                  // a run of drops starts: one error
		{0, result{false, false}}, {500 * time.Millisecond, result{false, false}}, // the same run
		{time.Second, result{true, false}},      // refilled: the run ends
		{time.Second, result{false, true}},      // a new run, a new error
		{10 * time.Second, result{true, false}}, // refilled to the burst, no more
		{10 * time.Second, result{true, false}}, {10 * time.Second, result{true, false}},
		{10 * time.Second, result{false, true}},
	}
	for i, s := range steps {
		ok, first := b.allowAt(t0.Add(s.at))
		if got := (result{ok, first}); got != s.want {
			t.Errorf("step %d (at %v): Allow() = %v, %v, want %v, %v", i, s.at, ok, first, s.want.ok, s.want.first)
		}
	}
}

func TestMessageBucketAllowUsesTheClock(t *testing.T) {
	b := NewMessageBucket(1e-9, 2) // no refill within the test
	for i, want := range [][2]bool{{true, false}, {true, false}, {false, true}, {false, false}} {
		if ok, first := b.Allow(); ok != want[0] || first != want[1] {
			t.Errorf("message %d: Allow() = %v, %v, want %v, %v", i, ok, first, want[0], want[1])
		}
	}
}

func TestMessageBucketIsSmall(t *testing.T) {
	// One per connection: a pointer to the limiter and a flag, no more.
	if s := unsafe.Sizeof(MessageBucket{}); s > 16 {
		t.Errorf("MessageBucket is %d bytes", s)
	}
}
