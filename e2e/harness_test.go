// Package e2e drives real Chromium against a real maju server: two (or three) separate browser contexts
// are two (or three) people, with Chromium's fake camera and microphone. Run it inside a loopback-only
// network namespace, as the test script does:
//
//	unshare -n sh -c 'ip link set lo up && exec "$@"' -- go test -race ./e2e/
//
// Without chromium the tests skip, except with CI=true, where a missing browser is a failure.
//
// Environment:
//
//	MAJU_CHROMIUM     the browser to run (default /usr/bin/chromium, then chromium on PATH)
//	MAJU_SCREENSHOTS  a folder where the screenshot-taking tests keep their PNGs (default: a temporary folder)
//	MAJU_E2E_VERBOSE  1 logs every console message of every page (default: warnings and errors) and the
//	                  server's debug log, pion's included (default: warnings)
//
// The JavaScript unit tests of the client's DOM-free modules are in unit/ (npm test).
package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/maju-call/maju/internal/app"
	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/lan"
	"github.com/maju-call/maju/internal/node"
	"github.com/maju-call/maju/internal/node/nodetest"
	"github.com/maju-call/maju/internal/server"
)

// probeJS is injected into every page; it defines window.__e2e (see the file).
//
//go:embed testdata/probe.js
var probeJS string

const (
	// waitTimeout bounds every wait for something to happen in a page. Measured: a call connects in
	// under a second on two cores; 20 s leaves room for a loaded CI machine without hiding a hang.
	waitTimeout = 20 * time.Second
	// pollEvery is how often a wait re-checks its condition.
	pollEvery = 50 * time.Millisecond
)

// verbose (MAJU_E2E_VERBOSE=1) logs every console message of every page, not only warnings and errors.
var verbose = os.Getenv("MAJU_E2E_VERBOSE") == "1"

// runDir is this test binary's TMPDIR: Chromium's profiles and shared-memory files go there, and it is
// removed when the tests end.
var runDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "maju-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	runDir = dir
	os.Setenv("TMPDIR", dir)
	code := m.Run()
	// Chromium's helper processes can write for a moment after the browser exits; retry, bounded.
	for range 50 {
		if err = os.RemoveAll(dir); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: could not remove", dir+":", err)
	}
	os.Exit(code)
}

// chromiumPath finds Chromium, or skips the test (fails it when CI=true).
func chromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("MAJU_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install -y chromium); browser tests never skip with CI=true")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium); skipping the browser tests (they fail instead with CI=true)")
	return ""
}

// testLog forwards log lines to t.Log until the test is over, and drops them afterwards (goroutines of
// the server or of chromedp may still be finishing).
type testLog struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (l *testLog) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Helper()
		l.t.Logf(format, args...)
	}
}

func (l *testLog) Write(p []byte) (int, error) {
	l.Logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (l *testLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = true
}

// env is one test's world: a maju server on loopback and one Chromium.
type env struct {
	t       *testing.T
	url     string          // the server's base URL, http://127.0.0.1:port
	browser context.Context // the browser's root context; people are browser contexts inside it
	log     *testLog
	people  []*person
	node    *node.Node // the whole node, with the embedded TURN relay; nil without withNode or withApp
	app     *app.App   // the whole process (listeners, TLS, metrics); nil without withApp
}

// envOption changes how newEnv starts maju.
type envOption func(*envSettings)

type envSettings struct {
	url   string // a maju server started by the test itself (withServerAt)
	node  bool
	app   bool
	tweak func(*config.Config)
	flags []chromedp.ExecAllocatorOption // extra Chromium flags, after (and overriding) the defaults
}

// withChromiumFlags starts Chromium with these flags too; a flag named again replaces the default.
func withChromiumFlags(flags ...chromedp.ExecAllocatorOption) envOption {
	return func(s *envSettings) {
		s.flags = append(s.flags, flags...)
	}
}

// withServerAt uses the maju server the test runs itself at url (http://host:port) instead of starting one.
func withServerAt(url string) envOption {
	return func(s *envSettings) { s.url = url }
}

// withNode runs a whole maju node (internal/node: the HTTP side and the embedded TURN relay, on loopback
// ports) instead of the plain HTTP server; tweak, if not nil, changes its configuration first.
func withNode(tweak func(*config.Config)) envOption {
	return func(s *envSettings) {
		s.node = true
		s.tweak = tweak
	}
}

// withApp runs maju the way the binary does (internal/app: listeners, TLS, metrics) with a test node's
// configuration on loopback, changed by tweak. With -lan the browser is told to accept that one
// self-signed certificate (--ignore-certificate-errors-spki-list), as a person taps through the warning.
func withApp(tweak func(*config.Config)) envOption {
	return func(s *envSettings) {
		s.app = true
		s.tweak = tweak
	}
}

// newEnv starts a maju server and a headless Chromium with fake media devices. Both stop at the end of
// the test. Without options the server is the HTTP side alone (no TURN, no ICE servers).
func newEnv(t *testing.T, options ...envOption) *env {
	t.Helper()
	chromium := chromiumPath(t)
	log := &testLog{t: t}
	var settings envSettings
	for _, o := range options {
		o(&settings)
	}

	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: level}))
	var (
		handler  http.Handler
		shutdown func(context.Context) error
		n        *node.Node
		baseURL  string
		extra    []chromedp.ExecAllocatorOption
		a        *app.App
	)
	if settings.url != "" {
		baseURL, shutdown = settings.url, func(context.Context) error { return nil }
	} else if settings.app {
		a = startApp(t, settings.tweak, logger)
		n, baseURL, shutdown = a.Node(), strings.TrimSuffix(a.URL(), "/"), func(context.Context) error { return nil }
		if cert := a.LANCertificate(); cert != nil {
			extra = append(extra, chromedp.Flag("ignore-certificate-errors-spki-list", lan.SPKIHash(cert)))
		}
	} else if settings.node {
		cfg := nodetest.Config()
		if settings.tweak != nil {
			settings.tweak(&cfg)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("node config: %v", err)
		}
		var err error
		if n, err = node.Start(cfg, logger); err != nil {
			t.Fatalf("start node: %v", err)
		}
		handler, shutdown = n.Handler(), n.Shutdown
	} else {
		srv := server.New(config.Default(), logger)
		handler, shutdown = srv.Handler(), srv.Shutdown
	}
	if baseURL == "" {
		ts := httptest.NewServer(handler)
		baseURL = ts.URL
		t.Cleanup(ts.Close) // after the shutdown below (cleanups run last-registered first)
	}

	profile, err := os.MkdirTemp(runDir, "profile-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(profile),
		chromedp.Env("TMPDIR=" + runDir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.WindowSize(1280, 800),
	}
	opts = append(opts, extra...)
	opts = append(opts, settings.flags...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(log.Logf))

	t.Cleanup(func() {
		// People's tabs were closed by their own cleanups (registered later, so run earlier).
		cancelBrowser()
		cancelAlloc()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			t.Errorf("server shutdown: %v", err)
		}
		log.close()
		_ = os.RemoveAll(profile) // best effort; TestMain removes runDir anyway
	})

	start := time.Now()
	if err := chromedp.Do(browser); err != nil { // starts the browser, with no deadline on its life
		t.Fatalf("start chromium: %v", err)
	}
	t.Logf("chromium started in %v", time.Since(start))
	return &env{t: t, url: baseURL, browser: browser, log: log, node: n, app: a}
}

// startApp starts and runs an App until the test ends.
func startApp(t *testing.T, tweak func(*config.Config), logger *slog.Logger) *app.App {
	cfg := nodetest.Config()
	cfg.Addr = "127.0.0.1:0"
	if tweak != nil {
		tweak(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("app config: %v", err)
	}
	a, err := app.Start(cfg, logger)
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("app: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Error("app did not stop")
		}
	})
	return a
}

// person is one tab in its own browser context: a separate profile, like another person's browser.
type person struct {
	name string
	t    *testing.T
	ctx  context.Context
	env  *env
}

// newPerson opens a tab in a new browser context, with the probe installed and a 1280x800 viewport.
func (e *env) newPerson(name string) *person {
	e.t.Helper()
	ctx, cancel := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext())
	e.t.Cleanup(cancel)
	p := &person{name: name, t: e.t, ctx: ctx, env: e}
	e.people = append(e.people, p)

	start := time.Now()
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		e.t.Fatalf("%s: open tab: %v", name, err)
	}
	e.t.Logf("%s: tab opened in %v", name, time.Since(start))
	console := chromedp.Console(ctx) // subscribe before any page runs
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if verbose || m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				e.log.Logf("%s: console %s: %s", name, m.Type, m.String())
			}
		}
	}()
	p.do("install probe", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: probeJS})
		return err
	}))
	p.do("set viewport", chromedp.EmulateViewport(1280, 800))
	return p
}

// do runs actions with the wait timeout and fails the test on error.
func (p *person) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	start := time.Now()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %s: %v\n%s", p.name, what, err, p.summary())
	}
	if d := time.Since(start); d > 300*time.Millisecond {
		p.t.Logf("%s: %s took %v", p.name, what, d.Round(time.Millisecond))
	}
}

// eval evaluates expr in p's page (awaiting a promise) and returns its value.
func eval[T any](p *person, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: evaluate %s: %v\n%s", p.name, expr, err, p.summary())
	}
	return v
}

// waitJS polls the JavaScript condition expr (it may return a promise) until it is true, failing the test
// after waitTimeout. Errors while polling (for example during a navigation) count as false.
func (p *person) waitJS(what, expr string) {
	p.t.Helper()
	p.waitJSWithin(waitTimeout, what, expr)
}

// waitJSWithin is waitJS with another bound, for what takes longer by design (a reconnection's backoff).
func (p *person) waitJSWithin(timeout time.Duration, what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var lastErr error
	start := time.Now()
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr, chromedp.EvalAwaitPromise))
		if err == nil && ok {
			if d := time.Since(start); d > 500*time.Millisecond {
				p.t.Logf("%s: waited %v for %s", p.name, d.Round(time.Millisecond), what)
			}
			return
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr == nil || errors.Is(lastErr, context.DeadlineExceeded) {
				lastErr = errors.New("condition stayed false")
			}
			p.t.Fatalf("%s: timed out after %v waiting for %s (%v)\n%s", p.name, timeout, what, lastErr, p.summary())
		case <-tick.C:
		}
	}
}

// waitText waits until the element's trimmed text is want.
func (p *person) waitText(sel, want string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf("%s to read %q", sel, want), fmt.Sprintf(`__e2e.text(%q) === %q`, sel, want))
}

// waitVisible waits until the element is rendered.
func (p *person) waitVisible(sel string) {
	p.t.Helper()
	p.waitJS(sel+" to be visible", fmt.Sprintf(`__e2e.visible(%q)`, sel))
}

// summary describes every person's page for a failure message; it never fails.
func (p *person) summary() string {
	var b strings.Builder
	for _, q := range p.env.people {
		b.WriteString(q.pageSummary())
		b.WriteString("\n")
	}
	return b.String()
}

// pageSummary describes p's page; it never fails.
func (p *person) pageSummary() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__e2e ? __e2e.summary() : 'no probe'`))
	if err != nil {
		return fmt.Sprintf("%s: page state unavailable: %v", p.name, err)
	}
	return p.name + " page: " + s
}

// open navigates to url and waits for the page to load.
func (p *person) open(url string) {
	p.t.Helper()
	p.do("open "+url, chromedp.Navigate(url))
}

// click clicks the first element matching the CSS selector.
func (p *person) click(sel string) {
	p.t.Helper()
	// A person moves the mouse (or taps) before pressing a button, which brings back the call's controls
	// when they have faded away (autohide.js); chromedp's click alone would land on the picture instead.
	p.waitJS("the pointer moved", `document.dispatchEvent(new PointerEvent('pointermove')) || true`)
	p.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// waitConnected waits until the page says Connected and the other person's video plays: it has a size
// and its currentTime moves on between two reads.
func (p *person) waitConnected() {
	p.t.Helper()
	p.waitText("#call-state", "Connected")
	p.waitJS("the peer connection to be connected", `majuCall.pc !== null && majuCall.pc.connectionState === 'connected'`)
	p.waitRemoteVideoPlaying()
}

// waitRemoteVideoPlaying waits for remote video frames and for currentTime to advance.
func (p *person) waitRemoteVideoPlaying() {
	p.t.Helper()
	p.waitJS("remote video frames", `document.querySelector('#remote-video').videoWidth > 0`)
	t0 := eval[float64](p, `document.querySelector('#remote-video').currentTime`)
	p.waitJS(fmt.Sprintf("remote video currentTime to pass %.3f", t0),
		fmt.Sprintf(`document.querySelector('#remote-video').currentTime > %v`, t0))
}

// startCall has a open a fresh room (GET /new) and b join it by its link; both wait until connected.
// It returns the room URL.
func startCall(e *env, a, b *person) string {
	e.t.Helper()
	a.open(e.url + "/new")
	a.waitText("#call-state", "Waiting for the other person…")
	link := eval[string](a, `location.href`)
	b.open(link)
	a.waitConnected()
	b.waitConnected()
	for _, p := range []*person{a, b} {
		if v := eval[[]string](p, `window.__e2e.cspViolations`); len(v) > 0 {
			e.t.Errorf("%s: the page broke its Content-Security-Policy: %v", p.name, v)
		}
	}
	return link
}

// pressEnter presses Enter (with Shift when shift is true) in the focused element, as a keyboard does:
// one keyDown that carries the text "\r" and one keyUp. (chromedp.SendKeys sends "\n" as a keyDown and a
// separate char event, so a page that cancels Enter on keydown still gets the char; a real keyboard's
// char is cancelled with the keydown.)
func pressEnter(shift bool) chromedp.Action[chromedp.Void] {
	var mods int64
	if shift {
		mods = int64(kb.ModifierShift)
	}
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
			p := input.DispatchKeyEventParams{
				Type: typ, Key: "Enter", Code: "Enter", Modifiers: mods,
				WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
			}
			if typ == input.DispatchKeyEventTypeKeyDown {
				p.Text, p.UnmodifiedText = "\r", "\r"
			}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// denyMedia makes getUserMedia in p's pages refuse every request that asks for one of kinds ("audio",
// "video") with NotAllowedError, as when a person denies the permission. Call it before open.
func (p *person) denyMedia(kinds ...string) {
	p.t.Helper()
	list, err := json.Marshal(kinds)
	if err != nil {
		p.t.Fatal(err)
	}
	src := fmt.Sprintf(`(() => {
		const md = navigator.mediaDevices;
		if (!md) return;
		const deny = %s;
		const real = md.getUserMedia.bind(md);
		md.getUserMedia = (c) => deny.some((k) => c && c[k])
			? Promise.reject(new DOMException('denied by the test', 'NotAllowedError'))
			: real(c);
	})();`, list)
	p.do("deny media "+string(list), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return err
	}))
}
