package e2e

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/maju-call/maju/web"
)

// The installable app in a real browser: the manifest loads without errors and makes maju installable,
// the service worker installs and controls the pages, a call works under it, and its cache holds exactly
// the app shell: never a call page, /new, /ws or a health check, even after the page fetched them. Then,
// offline, the start page still opens from that cache while call pages, /new and /healthz fail as they
// would without a worker, although the test planted copies of them in the worker's cache: the worker
// does not answer them at all.
func TestPWA(t *testing.T) {
	e := newEnv(t)
	a, b := e.newInstallerPerson("alice"), e.newPerson("bob")
	shell := shellURLs(t, e.url)

	a.open(e.url + "/")
	a.waitControlled()
	a.checkInstallable()
	a.checkCache(shell)

	// A call on a controlled page; bob's worker is registered by the call page itself.
	startCall(e, a, b)
	b.waitControlled()
	otherRoom := e.url + "/r/" + strings.Repeat("A", 22)
	private := []string{otherRoom, e.url + "/new", e.url + "/healthz", e.url + "/readyz", e.url + "/ws"}
	for _, p := range []*person{a, b} {
		if !eval[bool](p, `navigator.serviceWorker.controller !== null`) {
			t.Fatalf("%s: the call page is not controlled by the service worker", p.name)
		}
		p.fetchAll(private)
		p.checkCache(shell)
	}

	// Offline, on the start page (leaving the call page hangs up; the call's end is not under test here).
	// The planted shell file shows that the worker really is offline: it answers from its cache only when
	// its own fetch fails.
	a.open(e.url + "/")
	plantedShellFile := e.url + "/js/call.js" // not one the start page loads
	a.plant(append([]string{plantedShellFile}, private...))
	a.goOffline(e.url)
	a.checkOffline(e.url, plantedShellFile, private)
}

// newInstallerPerson is newPerson in the browser's default profile rather than a new browser context:
// Chromium installs no apps from those (it treats them as incognito), and TestPWA asks whether maju is
// installable. Only one person of a test may be made this way: a second would share the first's storage.
func (e *env) newInstallerPerson(name string) *person {
	e.t.Helper()
	ctx, cancel := chromedp.NewContext(e.browser) // a new tab, in the default profile
	e.t.Cleanup(cancel)
	p := &person{name: name, t: e.t, ctx: ctx, env: e}
	e.people = append(e.people, p)
	if err := chromedp.Do(ctx); err != nil {
		e.t.Fatalf("%s: open tab: %v", name, err)
	}
	go func() {
		for m, err := range chromedp.Console(ctx) {
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
	return p
}

// shellURLs is the app shell as web/pwa_test.go defines it: every file of web/static but the HTML pages
// and sw.js, and the start page "/", as absolute URLs on base.
func shellURLs(t *testing.T, base string) []string {
	t.Helper()
	urls := []string{base + "/"}
	err := fs.WalkDir(web.Static(), ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(name) != ".html" && name != "sw.js" {
			urls = append(urls, base+"/"+name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(urls)
	return urls
}

// waitControlled waits until a service worker is active for the page and controls it. Taking control
// (clients.claim) follows activation at once; if the page is still not controlled a moment later, one
// reload gives the active worker the new page.
func (p *person) waitControlled() {
	p.t.Helper()
	p.waitJS("an active service worker", `Promise.race([
		navigator.serviceWorker.ready.then((r) => r.active !== null),
		new Promise((resolve) => setTimeout(() => resolve(false), 500)),
	])`)
	controlled := eval[bool](p, `navigator.serviceWorker.controller !== null || new Promise((resolve) => {
		navigator.serviceWorker.addEventListener('controllerchange', () => resolve(true), { once: true });
		setTimeout(() => resolve(navigator.serviceWorker.controller !== null), 3000);
	})`)
	if !controlled {
		p.t.Logf("%s: not controlled after activation; reloading once", p.name)
		p.do("reload", chromedp.Reload())
		p.waitJS("the service worker to control the page", `navigator.serviceWorker.controller !== null`)
	}
	if v := eval[[]string](p, `window.__e2e.cspViolations`); len(v) > 0 {
		p.t.Errorf("%s: the page broke its Content-Security-Policy: %v", p.name, v)
	}
}

// checkInstallable asks Chromium whether the page's manifest has errors and whether the page can be
// installed as an app.
func (p *person) checkInstallable() {
	p.t.Helper()
	var manifest page.GetAppManifestResult
	var installability page.GetInstallabilityErrorsResult
	p.do("read the app manifest", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		var err error
		if manifest, err = cdp.Call(ctx, t, page.GetAppManifest, page.GetAppManifestParams{}); err != nil {
			return err
		}
		installability, err = cdp.Call(ctx, t, page.GetInstallabilityErrors, cdp.Empty{})
		return err
	}))
	if !strings.HasSuffix(manifest.URL, "/manifest.webmanifest") || manifest.Data == "" {
		p.t.Errorf("%s: manifest %q with %d bytes; want /manifest.webmanifest", p.name, manifest.URL, len(manifest.Data))
	}
	for _, e := range manifest.Errors {
		p.t.Errorf("%s: manifest error at %d:%d (critical %d): %s", p.name, e.Line, e.Column, e.Critical, e.Message)
	}
	for _, e := range installability.InstallabilityErrors {
		p.t.Errorf("%s: not installable: %s %v", p.name, e.ErrorID, e.ErrorArguments)
	}
}

// cacheJS lists Cache Storage as {cache name: [request URLs]}.
const cacheJS = `(async () => {
	const out = {};
	for (const name of await caches.keys()) {
		const cache = await caches.open(name);
		out[name] = (await cache.keys()).map((r) => r.url).sort();
	}
	return out;
})()`

// checkCache proves Cache Storage holds one cache with exactly the shell URLs: every one of them, and
// nothing else (no call page, /new, /ws, health check or query).
func (p *person) checkCache(shell []string) {
	p.t.Helper()
	caches := eval[map[string][]string](p, cacheJS)
	if len(caches) != 1 {
		p.t.Fatalf("%s: %d caches %v, want the one shell cache", p.name, len(caches), cacheNames(caches))
	}
	for name, urls := range caches {
		for _, u := range urls {
			if strings.Contains(u, "/r/") || strings.Contains(u, "/ws") || strings.Contains(u, "/new") {
				p.t.Errorf("%s: cache %s holds %s, which must never be stored", p.name, name, u)
			}
		}
		if !slices.Equal(urls, shell) {
			p.t.Errorf("%s: cache %s holds\n%s\nwant the shell\n%s", p.name, name, strings.Join(urls, "\n"), strings.Join(shell, "\n"))
		}
	}
}

func cacheNames(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// fetchAll fetches each URL from the page, as a script of the page could, and waits for the answers
// (their status does not matter: /ws without an upgrade is refused).
func (p *person) fetchAll(urls []string) {
	p.t.Helper()
	js := fmt.Sprintf(`Promise.all(%s.map((u) => fetch(u).then((r) => r.status, (e) => String(e))))`, jsStrings(urls))
	p.t.Logf("%s: fetched %v: %v", p.name, urls, eval[[]any](p, js))
}

// planted is the body of the responses plant stores.
const planted = "planted by the test"

// plant stores a marker response for each URL in the worker's shell cache, as a worker that cached them
// would have. A worker that answered those URLs from its cache offline would then return the marker.
func (p *person) plant(urls []string) {
	p.t.Helper()
	js := fmt.Sprintf(`(async () => {
		const names = await caches.keys();
		if (names.length !== 1) return 'caches: ' + names.join(', ');
		const cache = await caches.open(names[0]);
		for (const u of %s) await cache.put(u, new Response(%q));
		return '';
	})()`, jsStrings(urls), planted)
	if msg := eval[string](p, js); msg != "" {
		p.t.Fatalf("%s: plant: %s", p.name, msg)
	}
}

// goOffline cuts the page and its service worker off the network, as when a device loses it. The worker
// fetches on its own (DevTools) target, so its network is cut there.
func (p *person) goOffline(base string) {
	p.t.Helper()
	worker := p.serviceWorkerTarget(base + "/sw.js")
	workerCtx, cancel := chromedp.NewContext(p.ctx, chromedp.WithTargetID(worker), chromedp.WithDetachOnCancel())
	p.t.Cleanup(cancel)
	for _, ctx := range []context.Context{p.ctx, workerCtx} {
		ctx, cancel := context.WithTimeout(ctx, waitTimeout)
		err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
				MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
			})
			return err
		}))
		cancel()
		if err != nil {
			p.t.Fatalf("%s: go offline: %v", p.name, err)
		}
	}
}

// serviceWorkerTarget finds the DevTools target of the service worker scriptURL of p's browser context.
func (p *person) serviceWorkerTarget(scriptURL string) target.ID {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		p.t.Fatalf("%s: list targets: %v", p.name, err)
	}
	pageID := chromedp.FromContext(p.ctx).Target.TargetID
	i := slices.IndexFunc(infos, func(info *target.Info) bool { return info.TargetID == pageID })
	if i < 0 {
		p.t.Fatalf("%s: the page is not among the targets", p.name)
	}
	browserContext := infos[i].BrowserContextID
	i = slices.IndexFunc(infos, func(info *target.Info) bool {
		return info.Type == "service_worker" && info.URL == scriptURL && info.BrowserContextID == browserContext
	})
	if i < 0 {
		p.t.Fatalf("%s: no service worker %s among the targets", p.name, scriptURL)
	}
	return infos[i].TargetID
}

// checkOffline proves, offline: the worker answers the shell from its cache (the planted shell file
// comes back planted), the start page loads with all its modules and styles, and the private URLs fail
// as without a worker, their planted copies unused (fetched, and a call page navigated to).
func (p *person) checkOffline(base, plantedShellFile string, private []string) {
	p.t.Helper()
	js := fmt.Sprintf(`Promise.all(%s.map((u) => fetch(u).then((r) => r.text(), (e) => 'failed: ' + e.name)))`,
		jsStrings(append([]string{plantedShellFile}, private...)))
	got := eval[[]string](p, js)
	if got[0] != planted {
		p.t.Errorf("%s: offline fetch of %s answered %.60q; want the worker's cached copy %q", p.name, plantedShellFile, got[0], planted)
	}
	for i, body := range got[1:] {
		if !strings.HasPrefix(body, "failed: ") {
			p.t.Errorf("%s: offline fetch of %s answered %.60q; want a network error", p.name, private[i], body)
		}
	}
	if html := eval[string](p, `fetch('/').then((r) => r.text(), (e) => 'failed: ' + e.name)`); !strings.Contains(html, `href="/manifest.webmanifest"`) {
		p.t.Errorf("%s: offline fetch of / answered %.60q; want the start page from the cache", p.name, html)
	}

	p.open(base + "/") // fails the test if the start page does not load
	loaded := eval[[]string](p, `performance.getEntriesByType('resource')
		.filter((e) => /[.](js|css)$/.test(new URL(e.name).pathname))
		.map((e) => new URL(e.name).pathname + ' ' + e.responseStatus)`)
	if !slices.Contains(loaded, "/js/landing.js 200") || slices.ContainsFunc(loaded, func(s string) bool { return !strings.HasSuffix(s, " 200") }) {
		p.t.Errorf("%s: offline, the start page loaded its scripts and styles with %v; want all with 200", p.name, loaded)
	}
	err := p.navigateErr(private[0])
	var loadErr *chromedp.LoadError
	if !errors.As(err, &loadErr) || !strings.HasPrefix(loadErr.ErrorText, "net::ERR_INTERNET_DISCONNECTED") {
		p.t.Errorf("%s: offline navigation to a call page: %v; want net::ERR_INTERNET_DISCONNECTED", p.name, err)
	}
}

// navigateErr navigates to url and returns the error, within the wait timeout.
func (p *person) navigateErr(url string) error {
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	return chromedp.Do(ctx, chromedp.Navigate(url))
}

// jsStrings writes ss as a JavaScript array literal.
func jsStrings(ss []string) string {
	quoted := make([]string, len(ss))
	for i, s := range ss {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
