package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// viewport is a screen size to look at the pages with.
type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

var viewports = []viewport{
	{"desktop", 1280, 800, false},
	{"phone", 390, 844, true},
	{"small", 320, 640, true},
}

// setViewport resizes p's page; phones get mobile emulation (touch, mobile metrics).
func (p *person) setViewport(v viewport) {
	p.t.Helper()
	if v.mobile {
		p.do("viewport "+v.name, chromedp.EmulateViewport(v.width, v.height, chromedp.EmulateMobile, chromedp.EmulateTouch))
	} else {
		p.do("viewport "+v.name, chromedp.EmulateViewport(v.width, v.height))
	}
}

// shot saves a screenshot of p's page as dir/name-viewport.png and checks that the page does not scroll
// sideways.
func (p *person) shot(dir, name string, v viewport) {
	p.t.Helper()
	p.setViewport(v)
	p.waitJS("layout settled", `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
	if w := eval[[]int](p, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		p.t.Errorf("%s at %s: the page is %d px wide in a %d px viewport", name, v.name, w[0], w[1])
	}
	buf, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("%s: screenshot: %v", p.name, err)
	}
	file := filepath.Join(dir, name+"-"+v.name+".png")
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// The landing page, the waiting room and a connected call with chat open, at desktop and phone sizes.
// Set MAJU_SCREENSHOTS to a folder to keep the PNGs (for a person to look at); otherwise they go to a
// temporary folder. Either way the pages must not scroll sideways at any size.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("MAJU_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	a, b := e.newPerson("A"), e.newPerson("B")

	a.open(e.url + "/")
	a.waitVisible("#start-call")
	for _, v := range viewports {
		a.shot(dir, "landing", v)
	}
	a.setViewport(viewports[0])
	a.do("type a bad id", chromedp.SendKeys(chromedp.ID("join-input"), "https://example.com/r/oops"), pressEnter(false))
	a.waitVisible("#join-error")
	a.shot(dir, "landing-error", viewports[1])

	a.open(e.url + "/new")
	a.waitText("#call-state", "Waiting for the other person…")
	a.waitJS("own camera preview", `document.querySelector('#local-video').videoWidth > 0`)
	for _, v := range viewports {
		a.shot(dir, "waiting", v)
	}

	a.setViewport(viewports[0])
	b.open(eval[string](a, `location.href`))
	a.waitConnected()
	b.waitConnected()
	b.click("#chat-toggle")
	b.waitJS("chat input enabled", `!document.querySelector('#chat-input').disabled`)
	b.do("chat", chromedp.SendKeys(chromedp.ID("chat-input"), "Hi! Can you hear me?"), pressEnter(false))
	a.waitText("#unread-badge", "1")
	a.shot(dir, "connected-unread", viewports[0])
	a.click("#chat-toggle")
	a.waitJS("chat input enabled", `!document.querySelector('#chat-input').disabled`)
	a.do("chat", chromedp.SendKeys(chromedp.ID("chat-input"), "Loud and clear — 잘 들려요. <b>This stays text</b>"), pressEnter(false))
	b.waitJS("two messages", `document.querySelectorAll('#chat-log .chat-msg').length === 2`)
	for _, v := range viewports {
		a.shot(dir, "connected-chat", v)
	}
	a.click("#chat-close")
	a.shot(dir, "connected", viewports[1])
	a.click("#hangup-btn")
	a.waitText("#call-state", "You left the call")
	b.waitText("#call-state", "The other person left")
	a.shot(dir, "left", viewports[0])
	b.shot(dir, "peer-left", viewports[1])

	d := e.newPerson("D (no devices)")
	d.denyMedia("audio", "video")
	d.open(e.url + "/new")
	d.waitVisible("#notice")
	d.shot(dir, "waiting-receive-only", viewports[1])
	d.shot(dir, "waiting-receive-only", viewports[0])

	c := e.newPerson("C")
	a.click("#rejoin-btn")
	a.waitConnected()
	c.open(eval[string](a, `location.href`))
	c.waitVisible("#room-full")
	c.shot(dir, "full", viewports[0])
	c.shot(dir, "full", viewports[1])
}
