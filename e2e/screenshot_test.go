package e2e

import (
	"os"
	"path/filepath"

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
// sideways. (The phone and desktop screenshots of the README come from TestCallOnEachDevice.)
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
