package e2e

import (
	"context"
	"path"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/maju-call/maju/internal/peer"
)

// A browser and the Go peer (internal/peer) in one room: chat both ways, the browser's media reaches the
// Go peer, and the Go peer's hang-up shows as "left" in the browser.
func TestChatWithGoPeer(t *testing.T) {
	e := newEnv(t)
	b := e.newPerson("browser")
	b.open(e.url + "/new")
	b.waitText("#call-state", "Waiting for the other person…")
	room := path.Base(eval[string](b, `location.pathname`))

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	p, err := peer.Join(ctx, peer.Options{URL: e.url + "/ws", Room: room, LoopbackOnly: true})
	if err != nil {
		t.Fatalf("Go peer: join: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() }) // runs before the server and browser stop
	if err := p.WaitConnected(ctx); err != nil {
		t.Fatalf("Go peer: not connected: %v\n%s", err, b.summary())
	}
	b.waitText("#call-state", "Connected")
	b.waitJS("chat input enabled", `!document.querySelector('#chat-input').disabled`)

	// Go → browser, shown as text.
	const fromGo = "hello from Go <b>not bold</b> 마주"
	if _, err := p.SendChat(fromGo); err != nil {
		t.Fatalf("Go peer: send chat: %v", err)
	}
	b.waitText("#unread-badge", "1")
	b.click("#chat-toggle")
	b.waitJS("the Go peer's message", `document.querySelectorAll('#chat-log .chat-msg').length === 1`)
	if got := eval[string](b, `document.querySelector('#chat-log .chat-text').textContent`); got != fromGo {
		t.Errorf("browser shows %q, want %q", got, fromGo)
	}
	if n := eval[int](b, `document.querySelectorAll('#chat-log b').length`); n != 0 {
		t.Errorf("the Go peer's text was parsed as HTML")
	}

	// Browser → Go.
	const fromBrowser = "hello from the browser"
	b.do("type and send", chromedp.SendKeys(chromedp.ID("chat-input"), fromBrowser), pressEnter(false))
	select {
	case m, ok := <-p.Chat():
		if !ok {
			t.Fatalf("Go peer stopped before the browser's message: %v", p.Err())
		}
		if m.Text != fromBrowser || m.ID == "" {
			t.Errorf("Go peer got %+v, want text %q with an id", m, fromBrowser)
		}
		if d := time.Since(m.Time); d < -time.Minute || d > time.Minute {
			t.Errorf("message time %v is not about now", m.Time)
		}
	case <-ctx.Done():
		t.Fatalf("Go peer: no chat message from the browser\n%s", b.summary())
	}

	// The browser's camera and microphone reach the Go peer.
	select {
	case tr, ok := <-p.Tracks():
		if !ok {
			t.Fatalf("Go peer stopped before a track arrived: %v", p.Err())
		}
		got := make(chan error, 1)
		go func() {
			_, _, err := tr.ReadRTP()
			got <- err
		}()
		select {
		case err := <-got:
			if err != nil {
				t.Errorf("Go peer: read RTP of the browser's %s track: %v", tr.Kind(), err)
			}
		case <-ctx.Done():
			t.Fatalf("Go peer: no RTP on the browser's %s track", tr.Kind())
		}
	case <-ctx.Done():
		t.Fatalf("Go peer: no media track from the browser")
	}

	if err := p.Hangup(ctx); err != nil {
		t.Errorf("Go peer: hang up: %v", err)
	}
	b.waitText("#call-state", "The other person left")
}
