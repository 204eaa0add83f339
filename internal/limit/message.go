package limit

import (
	"time"

	"golang.org/x/time/rate"
)

// MessageBucket is one connection's message token bucket. It is not safe for concurrent use: the
// connection's reader goroutine owns it. It is small (a limiter and a flag), as there is one per
// connection.
type MessageBucket struct {
	lim      *rate.Limiter
	dropping bool // the last message was refused
}

// NewMessageBucket returns a full bucket allowing perSecond messages per second on average and burst at
// once. perSecond must be above 0 and burst at least 1 (the configuration checks them).
func NewMessageBucket(perSecond float64, burst int) *MessageBucket {
	return &MessageBucket{lim: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// Allow takes a token for one message. ok reports whether the message may be handled; firstDrop is true
// for the first refused message of a run of refusals, so the server sends one error per run instead of
// one per dropped message (which would be a flood of its own). An allowed message ends the run.
func (b *MessageBucket) Allow() (ok, firstDrop bool) {
	return b.allowAt(time.Now())
}

func (b *MessageBucket) allowAt(now time.Time) (ok, firstDrop bool) {
	if b.lim.AllowN(now, 1) {
		b.dropping = false
		return true, false
	}
	firstDrop = !b.dropping
	b.dropping = true
	return false, firstDrop
}
