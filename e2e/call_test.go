package e2e

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"
)

var roomURL = regexp.MustCompile(`^http://127\.0\.0\.1:\d+/r/[A-Za-z0-9_-]{22}$`)

// One call between two people, walked through in order: A starts it on the landing page and B joins by
// its link; both see and hear each other; they chat both ways; A's mute and camera-off show on B; a third
// person gets the full-room page while the two stay connected; A hangs up and B sees that A left; A
// rejoins and the call connects again. Each phase is a subtest, so a failure names it; a phase that stops
// (Fatal) stops the later ones, which build on the call it leaves.
func TestTwoPeopleCall(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.newPerson("A"), e.newPerson("B"), e.newPerson("C")
	people := []*person{a, b, c}
	var link string

	// One person starts a call on the landing page.
	phase(t, people, "start on the landing page", func(t *testing.T) {
		a.open(e.url + "/")
		a.waitVisible("#start-call")
		if got := eval[string](a, `__e2e.text('#start-call')`); got != "Start a call" {
			t.Fatalf("start button says %q", got)
		}
		a.click("#start-call")
		a.waitJS("the room page", `location.pathname.startsWith('/r/')`)
		link = eval[string](a, `location.href`)
		if !roomURL.MatchString(link) {
			t.Fatalf("Start a call led to %q, want /r/{22-character id}", link)
		}
		a.waitText("#call-state", "Waiting for the other person…")
		a.waitJS("own camera preview", `document.querySelector('#local-video').videoWidth > 0`)
		if tf := eval[string](a, `getComputedStyle(document.querySelector('#local-video')).transform`); tf != "matrix(-1, 0, 0, 1, 0, 0)" {
			t.Errorf("local preview transform = %q, want a mirror (scaleX(-1))", tf)
		}

		a.click("#copy-link")
		a.waitText("#copy-link .copy-label", "Copied")
	})

	// The other opens the link: both see and hear each other.
	phase(t, people, "join by link", func(t *testing.T) {
		b.open(link)
		a.waitConnected()
		b.waitConnected()
		checkCSP(t, a, b)

		for _, p := range []*person{a, b} {
			attrs := eval[map[string]bool](p, `(() => { const v = document.querySelector('#remote-video');
				return {autoplay: v.autoplay, playsinline: v.playsInline, muted: v.muted}; })()`)
			if !attrs["autoplay"] || !attrs["playsinline"] || attrs["muted"] {
				t.Errorf("%s: remote video autoplay/playsinline/muted = %v, want true/true/false", p.name, attrs)
			}
			if !eval[bool](p, `document.querySelector('#local-video').muted`) {
				t.Errorf("%s: the local preview is not muted", p.name)
			}
			tracks := eval[int](p, `majuCall.remoteStream.getTracks().filter(t => t.readyState === 'live').length`)
			if tracks != 2 {
				t.Errorf("%s: %d live remote tracks, want audio and video", p.name, tracks)
			}
		}
	})

	// Chat goes both ways over the data channel, is shown as text, and counts unread messages.
	phase(t, people, "chat", func(t *testing.T) {
		a.click("#chat-toggle")
		a.waitVisible("#chat-input")
		a.waitJS("chat input enabled", `!document.querySelector('#chat-input').disabled`)
		if got := eval[string](a, `document.querySelector('#chat-toggle').getAttribute('aria-expanded')`); got != "true" {
			t.Errorf("chat toggle aria-expanded = %q after opening", got)
		}

		// A types two lines (Shift+Enter between them) and presses Enter; B's panel is closed, so B gets
		// an unread count.
		a.do("type, Shift+Enter, type, Enter",
			chromedp.SendKeys(chromedp.ID("chat-input"), "hello from A"),
			pressEnter(true),
			chromedp.SendKeys(chromedp.ID("chat-input"), "second line"),
			pressEnter(false))
		a.waitJS("A's own message", `document.querySelectorAll('#chat-log .chat-msg').length === 1`)
		if v := eval[string](a, `document.querySelector('#chat-input').value`); v != "" {
			t.Errorf("chat input after Enter = %q, want empty", v)
		}
		b.waitText("#unread-badge", "1")
		b.waitVisible("#unread-badge")
		const first = "hello from A\nsecond line"
		// B's side acknowledges it: the mark under A's own (first) message ends at Delivered.
		a.waitText("#chat-log .chat-msg.from-me .chat-status", "Delivered")

		const hostile = `<img src=x onerror=alert(1)>`
		a.do("type the hostile text", chromedp.SetValue(chromedp.ID("chat-input"), hostile))
		a.click("#chat-send")
		b.waitText("#unread-badge", "2")

		b.click("#chat-toggle")
		b.waitJS("unread badge hidden", `!__e2e.visible('#unread-badge')`)
		b.waitJS("two messages", `document.querySelectorAll('#chat-log .chat-msg').length === 2`)
		texts := eval[[]string](b, `[...document.querySelectorAll('#chat-log .chat-msg .chat-text')].map(e => e.textContent)`)
		if len(texts) != 2 || texts[0] != first || texts[1] != hostile {
			t.Fatalf("B's chat texts = %q, want [%q %q]", texts, first, hostile)
		}
		if n := eval[int](b, `document.querySelectorAll('#chat-log img').length`); n != 0 {
			t.Errorf("B's chat log has %d img elements: chat text was parsed as HTML", n)
		}
		if alerts := eval[[]string](b, `__e2e.alerts`); len(alerts) != 0 {
			t.Errorf("alert() ran on B: %q", alerts)
		}
		if s := eval[string](b, `__e2e.text('#chat-log .chat-msg .chat-sender')`); s != "Them" {
			t.Errorf("B sees the sender as %q, want Them", s)
		}
		if ok := eval[bool](b, `!!document.querySelector('#chat-log .chat-msg time.chat-time').textContent.match(/\d/)`); !ok {
			t.Errorf("B's message has no time")
		}

		// B answers with the Send button; A's panel is open, so A gets no unread count.
		b.waitJS("chat input enabled", `!document.querySelector('#chat-input').disabled`)
		b.do("type the answer", chromedp.SendKeys(chromedp.ID("chat-input"), "hi A, 마주 반가워요"))
		b.click("#chat-send")
		a.waitJS("B's answer", `document.querySelectorAll('#chat-log .chat-msg').length === 3`)
		last := eval[[]string](a, `(() => { const m = [...document.querySelectorAll('#chat-log .chat-msg')].pop();
			return [m.querySelector('.chat-sender').textContent, m.querySelector('.chat-text').textContent]; })()`)
		if last[0] != "Them" || last[1] != "hi A, 마주 반가워요" {
			t.Errorf("A's last message = %q", last)
		}
		if eval[bool](a, `__e2e.visible('#unread-badge')`) {
			t.Errorf("A shows an unread badge while its chat panel is open")
		}
		if s := eval[string](a, `__e2e.text('#chat-log .chat-msg .chat-sender')`); s != "You" {
			t.Errorf("A sees its own message's sender as %q, want You", s)
		}
	})

	// Muting the microphone and turning the camera off on A is observable on B: the audio B receives goes
	// silent, the video B receives goes black; both come back when A turns them on again.
	phase(t, people, "mute and camera off", func(t *testing.T) {
		// Audio: energy per second of received audio, over windows of at least 0.5 s.
		const audible = `__e2e.audioRate(0.5).then(r => r !== null && r > 1e-3)`
		const silent = `__e2e.audioRate(0.5).then(r => r !== null && r < 1e-6)`
		b.waitJS("A's audio to be audible", audible)

		a.click("#mute-btn")
		if got := eval[string](a, `document.querySelector('#mute-btn').getAttribute('aria-pressed')`); got != "true" {
			t.Errorf("mute button aria-pressed = %q after muting", got)
		}
		if got := eval[string](a, `__e2e.text('#mute-btn')`); got != "Muted" {
			t.Errorf("mute button says %q after muting, want Muted", got)
		}
		if eval[bool](a, `majuCall.localStream.getAudioTracks()[0].enabled`) {
			t.Errorf("A's microphone track is still enabled")
		}
		b.waitJS("A's audio to go silent on B", silent)

		a.click("#mute-btn")
		b.waitJS("A's audio to come back on B", audible)

		// Video: mean brightness of the frame B shows. The fake camera's picture is bright; a disabled
		// track sends black frames.
		const bright = `__e2e.brightness('#remote-video') > 40`
		const black = `(() => { const l = __e2e.brightness('#remote-video'); return l >= 0 && l < 8; })()`
		b.waitJS("A's video to be bright", bright)
		a.click("#camera-btn")
		if got := eval[string](a, `document.querySelector('#camera-btn').getAttribute('aria-pressed')`); got != "true" {
			t.Errorf("camera button aria-pressed = %q after turning the camera off", got)
		}
		a.waitVisible("#self-off")
		b.waitJS("A's video to go black on B", black)
		a.click("#camera-btn")
		b.waitJS("A's video to come back on B", bright)
		b.waitText("#call-state", "Connected")
	})

	// A third person gets the full-room page; the two in the call stay connected.
	phase(t, people, "third person sees room full", func(t *testing.T) {
		c.open(link)
		c.waitVisible("#room-full")
		c.waitText("#call-state", "This call already has two people")
		if eval[bool](c, `__e2e.visible('#remote-video') || __e2e.visible('#hangup-btn')`) {
			t.Errorf("C still sees the call's video UI")
		}
		if got := eval[string](c, `__e2e.text('#room-full button')`); got != "Start a new call" {
			t.Errorf("full-room button says %q", got)
		}
		c.waitJS("C's camera released", `majuCall.localStream === null || majuCall.localStream.getTracks().every(t => t.readyState === 'ended')`)

		for _, p := range []*person{a, b} {
			if got := eval[string](p, `__e2e.text('#call-state')`); got != "Connected" {
				t.Errorf("%s says %q after the third person came, want Connected", p.name, got)
			}
			p.waitRemoteVideoPlaying()
			if st := eval[string](p, `majuCall.pc.connectionState`); st != "connected" {
				t.Errorf("%s: connectionState %q", p.name, st)
			}
		}
	})

	// Hanging up on A shows "left" on B.
	phase(t, people, "hang up", func(t *testing.T) {
		a.click("#hangup-btn")
		a.waitText("#call-state", "You left the call")
		a.waitVisible("#end-view")
		a.waitVisible("#rejoin-btn")
		a.waitJS("A's camera and microphone stopped", `majuCall.localStream.getTracks().every(t => t.readyState === 'ended')`)
		b.waitText("#call-state", "The other person left")
		b.waitJS("B's peer connection closed", `majuCall.pc === null`)
		b.waitVisible("#invite")
	})

	// A can rejoin into a fresh connection.
	phase(t, people, "rejoin", func(t *testing.T) {
		a.click("#rejoin-btn")
		a.waitConnected()
		b.waitConnected()
		checkCSP(t, a, b, c)
	})
}

// phase runs one phase of a longer browser test as a subtest named name, so that a failure names the
// phase. While it runs, the people's helpers (waitJS, eval, …) report to the subtest. When the phase
// stops early (Fatal), the test stops: the later phases build on what it leaves.
func phase(t *testing.T, people []*person, name string, f func(t *testing.T)) {
	t.Helper()
	done := false
	t.Run(name, func(sub *testing.T) {
		for _, p := range people {
			p.t = sub
		}
		defer func() {
			for _, p := range people {
				p.t = t
			}
		}()
		f(sub)
		done = true
	})
	if !done {
		t.Fatalf("phase %q did not finish (it failed, or -run left it out); the later phases need it", name)
	}
}

// checkCSP fails the test when a page raised a Content-Security-Policy violation.
func checkCSP(t *testing.T, people ...*person) {
	t.Helper()
	for _, p := range people {
		if v := eval[[]string](p, `window.__e2e.cspViolations`); len(v) > 0 {
			t.Errorf("%s: the page broke its Content-Security-Policy: %v", p.name, v)
		}
	}
}

// Every control is a button with a name, and the room page fits a 320 px wide screen.
func TestAccessibleNamesAndNarrowLayout(t *testing.T) {
	e := newEnv(t)
	a := e.newPerson("A")
	for _, path := range []string{"/", "/new"} {
		a.open(e.url + path)
		a.waitJS("page ready", `document.readyState === 'complete'`)
		a.do("narrow viewport", chromedp.EmulateViewport(320, 640))
		unnamed := eval[[]string](a, `[...document.querySelectorAll('button, a, input, textarea')]
			.filter(el => !(el.getAttribute('aria-label') || el.textContent.trim() || el.labels?.length || el.closest('[aria-label]')))
			.map(el => el.outerHTML.slice(0, 80))`)
		if len(unnamed) > 0 {
			t.Errorf("%s: controls without an accessible name: %q", path, unnamed)
		}
		if w := eval[[]int](a, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
			t.Errorf("%s at 320 px: page is %d px wide, wider than the viewport (%d px)", path, w[0], w[1])
		}
		a.do("wide viewport", chromedp.EmulateViewport(1280, 800))
	}
	// The join form says what is wrong with a bad id.
	a.open(e.url + "/")
	a.do("type a bad id", chromedp.SendKeys(chromedp.ID("join-input"), "not-a-room\n"))
	a.waitVisible("#join-error")
	if got := eval[string](a, `document.querySelector('#join-input').getAttribute('aria-invalid')`); got != "true" {
		t.Errorf("join input aria-invalid = %q for a bad id", got)
	}
	a.open(e.url + "/new")
	a.waitText("#call-state", "Waiting for the other person…")
	link := eval[string](a, `location.href`)
	other := e.newPerson("B")
	other.open(e.url + "/")
	other.do("paste the link", chromedp.SendKeys(chromedp.ID("join-input"), fmt.Sprintf("  %s  \n", link)))
	other.waitJS("the room page", fmt.Sprintf(`location.href === %q`, link))
	other.waitText("#call-state", "Connected")
}
