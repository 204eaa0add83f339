package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// device is a phone or computer to emulate: its screen, pixel density, touch and user agent.
type device struct {
	name          string
	width, height int64
	scale         float64
	touch         bool
	userAgent     string // '' keeps Chromium's
}

var (
	iPhone = device{"iphone", 390, 844, 3, true,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"}
	android = device{"android", 412, 915, 2.625, true,
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"}
	desktop = device{"desktop", 1280, 800, 1, false, ""}
	tablet  = device{"tablet", 820, 1180, 2, true,
		"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"}
)

// landscape is d turned sideways.
func (d device) landscape() device {
	d.name += "-landscape"
	d.width, d.height = d.height, d.width
	return d
}

// emulate makes p's page look like d to the page: size, density, touch, coarse pointer, user agent.
func (p *person) emulate(d device) {
	p.t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(d.scale)}
	if d.touch {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	p.do("emulate "+d.name, chromedp.EmulateViewport(d.width, d.height, opts...))
	if d.userAgent != "" {
		p.do("user agent", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: d.userAgent})
			return err
		}))
	}
}

// checkLayout fails the test when anything shown sticks out of the viewport sideways, when the page
// scrolls sideways, or (on touch screens) when a visible control is lower than 44 px or off screen.
func (p *person) checkLayout(what string, d device) {
	p.t.Helper()
	p.waitJS("layout settled", `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
	problems := eval[[]string](p, fmt.Sprintf(`(() => {
		const out = [];
		const w = window.innerWidth, h = window.innerHeight;
		if (document.documentElement.scrollWidth > w) out.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + w);
		const shown = (el) => el.getClientRects().length > 0 && !el.closest('[hidden]') && getComputedStyle(el).visibility !== 'hidden';
		const name = (el) => el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + [...el.classList].join('.');
		for (const el of document.querySelectorAll('body *')) {
			if (!shown(el) || el.closest('svg')) continue;
			const r = el.getBoundingClientRect();
			if (r.width === 0) continue;
			if (r.left < -1 || r.right > w + 1) out.push(name(el) + ' sticks out: ' + Math.round(r.left) + '..' + Math.round(r.right) + ' of ' + w);
			if (el.matches('.ctl, .ctl-label, .btn, .switch') && el.scrollWidth > el.clientWidth + 1) out.push(name(el) + ' cuts its text off: "' + el.textContent.trim() + '"');
		}
		if (%t) {
			for (const el of document.querySelectorAll('button, select, a.btn, input, textarea')) {
				if (!shown(el) || el.closest('.controls-hidden .controls')) continue;
				const r = el.getBoundingClientRect();
				if (el.matches('.ctl, .btn, .switch, select') && r.height < 44) out.push(name(el) + ' is ' + r.height.toFixed(1) + ' px tall');
				if (el.matches('.ctl') && (r.bottom > h + 1 || r.top < -1)) out.push(name(el) + ' is off screen');
			}
		}
		return out;
	})()`, d.touch))
	for _, pr := range problems {
		p.t.Errorf("%s on %s: %s", what, d.name, pr)
	}
}

// shotTo saves p's page as dir/name-device.png (dir from MAJU_SCREENSHOTS; a temporary folder otherwise).
func (p *person) shotTo(dir, name string, d device) {
	p.t.Helper()
	p.waitJS("layout settled", `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
	buf, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("%s: screenshot: %v", p.name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+"-"+d.name+".png"), buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func screenshotDir(t *testing.T) string {
	dir := os.Getenv("MAJU_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A call on an iPhone-sized and an Android-sized phone and on a computer, using every control the
// device offers, with the layout checked at each step and screenshots of the waiting screen, the call,
// the chat and the settings. Three fake cameras, so phones can flip.
func TestCallOnEachDevice(t *testing.T) {
	dir := screenshotDir(t)
	for _, d := range []device{iPhone, android, desktop} {
		t.Run(d.name, func(t *testing.T) {
			e := newEnv(t, withChromiumFlags(chromedp.Flag("use-fake-device-for-media-stream", "device-count=3")))
			a, b := e.newPerson(d.name), e.newPerson("other")
			a.emulate(d)
			a.open(e.url + "/")
			a.waitVisible("#start-call")
			a.checkLayout("start page", d)
			a.shotTo(dir, "landing", d)
			a.open(e.url + "/new")
			a.waitText("#call-state", "Waiting for the other person…")
			a.checkLayout("waiting", d)
			a.shotTo(dir, "waiting", d)

			b.open(eval[string](a, `location.href`))
			a.waitConnected()
			b.waitConnected()
			a.checkLayout("call", d)
			a.shotTo(dir, "call", d)
			if d.touch { // the same phone turned sideways, and a tablet
				for _, other := range []device{d.landscape(), tablet} {
					a.emulate(other)
					a.checkLayout("call", other)
				}
				a.emulate(d)
			}
			useControls(t, a, b, d, dir)
		})
	}
}

// useControls presses each of the call's controls on a and checks what it does.
func useControls(t *testing.T, a, b *person, d device, dir string) {
	a.click("#mute-btn")
	a.waitJS("muted", `document.querySelector('#mute-btn').getAttribute('aria-pressed') === 'true'`)
	a.click("#mute-btn")
	a.click("#camera-btn")
	a.waitJS("camera off", `document.querySelector('#camera-btn').getAttribute('aria-pressed') === 'true'`)
	a.click("#camera-btn")
	a.waitJS("camera on", `document.querySelector('#camera-btn').getAttribute('aria-pressed') === 'false'`)

	touch := eval[bool](a, `matchMedia('(pointer: coarse)').matches && navigator.maxTouchPoints > 0`)
	if touch != d.touch {
		t.Fatalf("touch emulation: coarse pointer %v, want %v", touch, d.touch)
	}
	if d.touch {
		if eval[bool](a, `__e2e.visible('#share-btn')`) {
			t.Error("a phone offers screen sharing")
		}
		before := eval[string](a, `(window.__pcBefore = majuCall.pc, majuCall.localStream.getVideoTracks()[0].getSettings().deviceId)`)
		a.click("#flip-btn")
		a.waitJS("the camera flipped", fmt.Sprintf(`majuCall.localStream.getVideoTracks()[0].getSettings().deviceId !== %q`, before))
		a.click("#flip-btn") // three fake cameras: the next flip lands on one that sends frames
		if !eval[bool](a, `window.__pcBefore === majuCall.pc`) {
			t.Error("flipping made a new peer connection")
		}
	} else {
		a.click("#share-btn")
		a.waitJS("sharing the screen", `document.querySelector('#share-btn').getAttribute('aria-pressed') === 'true'`)
		a.click("#share-btn")
		a.waitJS("back to the camera", `document.querySelector('#share-btn').getAttribute('aria-pressed') === 'false'`)
	}

	a.click("#chat-toggle")
	a.waitJS("chat input enabled", `!document.querySelector('#chat-input').disabled`)
	a.do("type", chromedp.SetValue(chromedp.ID("chat-input"), "hello from "+d.name))
	a.click("#chat-send")
	b.waitJS("the chat arrives", fmt.Sprintf(`[...document.querySelectorAll('#chat-log .chat-text')].some(e => e.textContent === %q)`, "hello from "+d.name))
	a.checkLayout("chat", d)
	a.shotTo(dir, "chat", d)
	a.click("#chat-close")

	a.click("#settings-btn")
	a.waitVisible("#settings-sheet")
	a.checkLayout("settings", d)
	a.shotTo(dir, "settings", d)
	for _, sw := range []string{"#data-saver-btn", "#audio-only-btn"} {
		was := eval[string](a, `document.querySelector('`+sw+`').getAttribute('aria-checked')`)
		a.click(sw)
		a.waitJS(sw+" switched", `document.querySelector('`+sw+`').getAttribute('aria-checked') !== '`+was+`'`)
		a.click(sw)
		a.waitJS(sw+" back", `document.querySelector('`+sw+`').getAttribute('aria-checked') === '`+was+`'`)
	}
	a.click("#stats-btn")
	a.waitVisible("#stats-panel")
	a.waitJS("a round-trip time", `/\d/.test(document.querySelector('#stat-rtt').textContent)`)
	a.waitJS("a bitrate", `/\d/.test(document.querySelector('#stat-bitrate').textContent)`)
	a.click("#settings-close")
	a.checkLayout("stats", d)
	a.shotTo(dir, "stats", d)
	a.click("#stats-close")

	a.click("#hangup-btn")
	a.waitText("#call-state", "You left the call")
	b.waitText("#call-state", "The other person left")
}

// The Korean UI, chosen in the call's settings and remembered across a reload, shows no English words
// (beyond names such as maju) anywhere on the waiting screen, the call or the settings.
func TestKoreanUI(t *testing.T) {
	dir := screenshotDir(t)
	e := newEnv(t)
	a, b := e.newPerson("A"), e.newPerson("B")
	a.emulate(iPhone)
	a.open(e.url + "/new")
	a.waitText("#call-state", "Waiting for the other person…")
	a.click("#settings-btn")
	a.do("choose 한국어", chromedp.SetValue(chromedp.CSS(`#settings-sheet select[data-language-switch]`), "ko"))
	a.waitJS("the change event", `document.querySelector('#settings-sheet select[data-language-switch]').dispatchEvent(new Event('change')) || true`)
	a.waitText("#call-state", "상대방을 기다리는 중…")
	a.open(eval[string](a, `location.href`)) // reload: the choice is remembered
	a.waitText("#call-state", "상대방을 기다리는 중…")
	noEnglish(t, a, "waiting")
	a.shotTo(dir, "waiting-ko", iPhone)

	b.open(eval[string](a, `location.href`))
	a.waitText("#call-state", "연결됨")
	a.click("#settings-btn")
	a.waitVisible("#settings-sheet")
	noEnglish(t, a, "settings")
	a.shotTo(dir, "settings-ko", iPhone)
	if lang := eval[string](a, `document.documentElement.lang`); lang != "ko" {
		t.Errorf("html lang = %q", lang)
	}
}

// noEnglish fails when the page's visible text (and its controls' accessible names) has Latin words other
// than names. The device pickers' options are left out: they are the devices' own names.
func noEnglish(t *testing.T, p *person, where string) {
	t.Helper()
	allowed := map[string]bool{"maju": true, "UDP": true, "TCP": true, "TLS": true, "ID": true, "English": true}
	text := eval[string](p, `(() => {
		let text = document.body.innerText;
		for (const s of document.querySelectorAll('#camera-select, #mic-select, #speaker-select')) {
			for (const o of s.options) text = text.replace(o.text, '');
		}
		const names = [...document.querySelectorAll('[aria-label]')].filter(e => e.getClientRects().length).map(e => e.getAttribute('aria-label'));
		return text + ' ' + names.join(' ');
	})()`)
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }) {
		if !allowed[w] {
			t.Errorf("%s: the Korean page shows the English word %q in: %s", where, w, text)
			return
		}
	}
}

// beforeLoad runs src in p's pages before their own scripts, as a browser that lacks something would be.
func (p *person) beforeLoad(what, src string) {
	p.t.Helper()
	p.do(what, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return err
	}))
}

// A browser without WebRTC (old, or built into a chat app) gets a page that says so and what to open
// instead, with the link to copy; so does one with WebRTC but no camera access on a secure page.
func TestBrowserThatCannotCall(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ name, src string }{
		{"no WebRTC", `delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;`},
		{"no getUserMedia", `Object.defineProperty(navigator, 'mediaDevices', { value: undefined });`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.newPerson(tc.name)
			p.emulate(android)
			p.beforeLoad("remove "+tc.name, tc.src)
			p.open(e.url + "/new")
			p.waitText("#end-title", "This browser cannot make video calls")
			p.waitText("#call-state", "Cannot make calls")
			if detail := eval[string](p, `__e2e.text('#end-detail')`); !strings.Contains(detail, "Open this link in Chrome, Safari, Firefox or Edge") {
				t.Errorf("the page does not say what to open instead: %q", detail)
			}
			p.waitVisible("#copy-link")
			if eval[bool](p, `__e2e.visible('#call-view') || __e2e.visible('#rejoin-btn')`) {
				t.Error("the call screen or a rejoin button shows in a browser that cannot call")
			}
			p.checkLayout("cannot call", android)
		})
	}
}

// Where the browser allows sound only after a tap (iOS Safari; Chromium told to behave the same), the
// other person's video plays at once without sound, "Tap to hear" shows, and a tap brings the sound.
// A joins without camera and microphone: Chromium lets a page that captures them play sound anyway.
//
// "Share link…" hands the system share sheet (stubbed: headless has none) the call's link — pressed last,
// as any tap before would let the sound start by itself.
func TestSoundStartsOnTheFirstTap(t *testing.T) {
	e := newEnv(t, withChromiumFlags(chromedp.Flag("autoplay-policy", "document-user-activation-required")))
	a, b := e.newPerson("A"), e.newPerson("B")
	a.emulate(iPhone)
	a.denyMedia("audio", "video")
	a.beforeLoad("a share sheet", `navigator.share = (data) => { window.__shared = data; return Promise.resolve(); };`)
	a.open(e.url + "/new")
	a.waitText("#call-state", "Waiting for the other person…")
	link := eval[string](a, `location.href`)
	a.waitVisible("#share-link") // offered where a share sheet exists
	b.open(link)
	a.waitText("#call-state", "Connected")
	a.waitVisible("#play-btn")
	a.waitRemoteVideoPlaying() // the picture plays, muted, before any tap
	if !eval[bool](a, `document.querySelector('#remote-video').muted`) {
		t.Fatal("the video plays with sound before a tap, which this browser forbids")
	}
	a.click("#play-btn")
	a.waitJS("sound on after the tap", `!document.querySelector('#remote-video').muted && !document.querySelector('#remote-video').paused`)
	a.waitJS("the button gone", `!__e2e.visible('#play-btn')`)

	a.waitJS("press Share link… (hidden now the call runs; pressed from the page)", `(document.querySelector('#share-link').click(), true)`)
	a.waitJS("the link shared", fmt.Sprintf(`window.__shared && window.__shared.url === %q`, link))
}

// In a call the self-view can be dragged to another corner (and moved with the arrow keys), the
// controls fade away after a few quiet seconds and come back with a tap on the picture, and when the page
// goes to the background (the OS pauses its media) and comes back, the videos play again by themselves.
// The visibility change is simulated in the page (headless Chromium has no background); the pause is real.
func TestSelfViewControlsAndBackground(t *testing.T) {
	e := newEnv(t)
	a, b := e.newPerson("A"), e.newPerson("B")
	a.emulate(desktop)
	startCall(e, a, b)
	a.waitJS("self-view in the bottom-right corner", `document.querySelector('#self-view').dataset.corner === 'bottom-right'`)

	// Drag it with the mouse to the top left of the stage.
	box := eval[[]float64](a, `(() => { const r = document.querySelector('#self-view').getBoundingClientRect(); const s = document.querySelector('#stage').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2, s.x + 40, s.y + 40]; })()`)
	a.do("drag the self-view", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		steps := []struct {
			typ  input.DispatchMouseEventType
			x, y float64
		}{{input.DispatchMouseEventTypeMousePressed, box[0], box[1]}, {input.DispatchMouseEventTypeMouseMoved, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2}, {input.DispatchMouseEventTypeMouseMoved, box[2], box[3]}, {input.DispatchMouseEventTypeMouseReleased, box[2], box[3]}}
		for _, s := range steps {
			p := input.DispatchMouseEventParams{Type: s.typ, X: s.x, Y: s.y, Button: input.MouseButtonLeft, Buttons: 1, ClickCount: 1}
			if s.typ == input.DispatchMouseEventTypeMouseReleased {
				p.Buttons = 0
			}
			if _, err := cdp.Call(ctx, t, input.DispatchMouseEvent, p); err != nil {
				return err
			}
		}
		return nil
	}))
	a.waitJS("dropped in the top-left corner", `document.querySelector('#self-view').dataset.corner === 'top-left'`)
	a.do("focus the self-view", chromedp.Focus(chromedp.ID("self-view")))
	a.do("arrow right", chromedp.KeyEvent(kb.ArrowRight))
	a.waitJS("moved right with the keyboard", `document.querySelector('#self-view').dataset.corner === 'top-right'`)
	a.waitJS("focus leaves the self-view", `(document.activeElement.blur(), true)`)

	a.waitJS("the controls fade after quiet seconds", `document.body.classList.contains('controls-hidden')`)
	a.do("tap the picture", chromedp.Click(chromedp.ID("remote-video")))
	a.waitJS("a tap brings them back", `!document.body.classList.contains('controls-hidden')`)

	a.waitJS("hidden, media paused", `(() => {
		window.__visibility = 'hidden';
		Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => window.__visibility });
		document.dispatchEvent(new Event('visibilitychange'));
		document.querySelector('#remote-video').pause();
		document.querySelector('#local-video').pause();
		return document.querySelector('#remote-video').paused;
	})()`)
	a.waitJS("visible again", `(() => {
		window.__visibility = 'visible';
		document.dispatchEvent(new Event('visibilitychange'));
		return true;
	})()`)
	a.waitJS("the videos play again", `!document.querySelector('#remote-video').paused && !document.querySelector('#local-video').paused`)
	a.waitRemoteVideoPlaying()
	if s := eval[string](a, `majuCall.state`); s != "connected" {
		t.Fatalf("state %q after coming back", s)
	}
}
