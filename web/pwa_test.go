package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	_ "image/png" // decodes the PNG icons
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/server"
	"github.com/maju-call/maju/web"
)

// manifest is the part of manifest.webmanifest these tests check.
type manifest struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	ShortName       string         `json:"short_name"`
	Description     string         `json:"description"`
	StartURL        string         `json:"start_url"`
	Scope           string         `json:"scope"`
	Display         string         `json:"display"`
	BackgroundColor string         `json:"background_color"`
	ThemeColor      string         `json:"theme_color"`
	Icons           []manifestIcon `json:"icons"`
}

type manifestIcon struct {
	Src     string `json:"src"`
	Sizes   string `json:"sizes"`
	Type    string `json:"type"`
	Purpose string `json:"purpose"`
}

func readStatic(t *testing.T, name string) []byte {
	t.Helper()
	data, err := fs.ReadFile(web.Static(), name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readManifest(t *testing.T) manifest {
	t.Helper()
	var m manifest
	if err := json.Unmarshal(readStatic(t, "manifest.webmanifest"), &m); err != nil {
		t.Fatalf("manifest.webmanifest: %v", err)
	}
	return m
}

// TestManifest proves the manifest parses and says what an installable maju needs: its name, the whole
// site as scope, the start page (never a call page, whose URL is a secret) as start, a standalone window,
// and the colours of the dark UI.
func TestManifest(t *testing.T) {
	m := readManifest(t)
	want := map[string][2]string{ // field: got, want
		"name":       {m.Name, "maju"},
		"short_name": {m.ShortName, "maju"},
		"id":         {m.ID, "/"},
		"start_url":  {m.StartURL, "/"},
		"scope":      {m.Scope, "/"},
		"display":    {m.Display, "standalone"},
		// The splash screen shows the page background; the title bar takes the start page's theme-color.
		"background_color": {m.BackgroundColor, cssVariable(t, "--bg")},
		"theme_color":      {m.ThemeColor, themeColor(t, "index.html")},
	}
	for field, gw := range want {
		if gw[0] != gw[1] {
			t.Errorf("%s is %q, want %q", field, gw[0], gw[1])
		}
	}
	if m.Description == "" {
		t.Error("no description")
	}
}

// cssVariable is the value of a custom property declared in maju.css.
func cssVariable(t *testing.T, name string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(name) + `:\s*([^;]+);`)
	m := re.FindSubmatch(readStatic(t, "css/maju.css"))
	if m == nil {
		t.Fatalf("maju.css declares no %s", name)
	}
	return strings.TrimSpace(string(m[1]))
}

func themeColor(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`<meta name="theme-color" content="([^"]+)">`).FindSubmatch(readStatic(t, page))
	if m == nil {
		t.Fatalf("%s has no theme-color", page)
	}
	return string(m[1])
}

// TestManifestIcons proves every icon the manifest names exists with its declared type and size, and
// that the set is what browsers look for: a scalable icon, 192 and 512 pixel PNGs, and a maskable one.
func TestManifestIcons(t *testing.T) {
	m := readManifest(t)
	have := map[string]bool{} // "purpose sizes type"
	for _, ic := range m.Icons {
		checkIcon(t, ic)
		have[ic.Purpose+" "+ic.Sizes+" "+ic.Type] = true
	}
	for _, want := range []string{
		"any any image/svg+xml", "any 192x192 image/png", "any 512x512 image/png", "maskable 512x512 image/png",
	} {
		if !have[want] {
			t.Errorf("no icon with purpose, sizes and type %q", want)
		}
	}
}

var iconTypes = map[string]string{".png": "image/png", ".svg": "image/svg+xml"}

func checkIcon(t *testing.T, ic manifestIcon) {
	t.Helper()
	name, ok := strings.CutPrefix(ic.Src, "/")
	if !ok {
		t.Errorf("icon %q: src must be a path on this site", ic.Src)
		return
	}
	data, err := fs.ReadFile(web.Static(), name)
	if err != nil {
		t.Errorf("icon %q: %v", ic.Src, err)
		return
	}
	if want := iconTypes[path.Ext(name)]; ic.Type != want {
		t.Errorf("icon %q: type %q, want %q", ic.Src, ic.Type, want)
	}
	if ic.Type != "image/png" {
		return
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || format != "png" {
		t.Errorf("icon %q: not a PNG (%s, %v)", ic.Src, format, err)
		return
	}
	if got := fmt.Sprintf("%dx%d", cfg.Width, cfg.Height); got != ic.Sizes {
		t.Errorf("icon %q: declared %s, is %s", ic.Src, ic.Sizes, got)
	}
}

// TestMaskableIconSafeZone proves the maskable icon fills its whole square (a mask may keep any part of
// it, so no pixel may be transparent) and draws nothing but background outside the safe zone, the
// centred circle of 40% of the width that every mask keeps.
func TestMaskableIconSafeZone(t *testing.T) {
	m := readManifest(t)
	i := slices.IndexFunc(m.Icons, func(ic manifestIcon) bool { return ic.Purpose == "maskable" })
	if i < 0 {
		t.Fatal("no maskable icon")
	}
	img, _, err := image.Decode(bytes.NewReader(readStatic(t, strings.TrimPrefix(m.Icons[i].Src, "/"))))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	bg := color.NRGBAModel.Convert(img.At(b.Min.X, b.Min.Y))
	if bg.(color.NRGBA).A != 255 {
		t.Fatalf("corner pixel %v is not opaque", bg)
	}
	size := float64(b.Dx())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			dist := math.Hypot(float64(x-b.Min.X)+0.5-size/2, float64(y-b.Min.Y)+0.5-size/2)
			if c.A != 255 || (dist > 0.4*size && c != bg) {
				t.Fatalf("pixel (%d,%d) is %v at %.0f%% of the width from the centre; want opaque, and the "+
					"background %v beyond 40%%", x, y, c, 100*dist/size, bg)
			}
		}
	}
}

// TestPagesLinkManifest proves every page offers the manifest and an existing home screen icon for iOS,
// which ignores the manifest's icons.
func TestPagesLinkManifest(t *testing.T) {
	touchIcon := regexp.MustCompile(`<link rel="apple-touch-icon" href="/([^"]+)">`)
	for _, page := range []string{"index.html", "room.html", "notfound.html"} {
		head, _, _ := strings.Cut(string(readStatic(t, page)), "</head>")
		if !strings.Contains(head, `<link rel="manifest" href="/manifest.webmanifest">`) {
			t.Errorf("%s: no manifest link in <head>", page)
		}
		m := touchIcon.FindStringSubmatch(head)
		if m == nil {
			t.Errorf("%s: no apple-touch-icon in <head>", page)
			continue
		}
		if _, err := fs.Stat(web.Static(), m[1]); err != nil {
			t.Errorf("%s: apple-touch-icon: %v", page, err)
		}
	}
}

// shellList is the SHELL array of sw.js: the one list of the app shell.
func shellList(t *testing.T) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)\nconst SHELL = \[\n(.*?)\n\];`).FindSubmatch(readStatic(t, "sw.js"))
	if m == nil {
		t.Fatal("sw.js: no `const SHELL = [ … ];` list")
	}
	var list []string
	for _, s := range stringLiterals.FindAllSubmatch(m[1], -1) {
		list = append(list, string(s[1]))
	}
	if len(list) == 0 {
		t.Fatal("sw.js: SHELL is empty")
	}
	return list
}

// stringLiterals matches the single-quoted strings of sw.js (the file uses no other quotes for strings).
var stringLiterals = regexp.MustCompile(`'([^'\\\n]*)'`)

// TestServiceWorkerShell proves the app shell list of sw.js names only files the server has (one
// missing file would fail the worker's install), and every file a page may need offline: all of
// web/static except the HTML pages ("/" stands for index.html; call and error pages are never cached)
// and sw.js itself. So a new module cannot be forgotten.
func TestServiceWorkerShell(t *testing.T) {
	list := shellList(t)
	listed := map[string]bool{}
	for _, p := range list {
		if listed[p] {
			t.Errorf("sw.js: %s is listed twice", p)
		}
		listed[p] = true
		if p == "/" {
			continue
		}
		if name, ok := strings.CutPrefix(p, "/"); !ok || !fs.ValidPath(name) {
			t.Errorf("sw.js: %q is not a clean absolute path", p)
		} else if _, err := fs.Stat(web.Static(), name); err != nil {
			t.Errorf("sw.js lists %s, which web/static does not have", p)
		}
	}
	if !listed["/"] {
		t.Error("sw.js: the start page / is not in the shell")
	}
	err := fs.WalkDir(web.Static(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) == ".html" || name == "sw.js" {
			return err
		}
		if !listed["/"+name] {
			t.Errorf("web/static/%s is not in the SHELL list of sw.js; add it there", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// privatePaths are the server's paths that are not the app shell: the signaling WebSocket, call pages
// (secret capabilities), the new-call redirect, health checks, and the worker script itself.
var privatePaths = []string{"/ws", "/r/", "/new", "/healthz", "/readyz", "/sw.js"}

// TestServiceWorkerNamesNoPrivatePath proves no string in sw.js's code names one of privatePaths, so
// the worker cannot list one to store. It answers and stores only SHELL paths (see isShellRequest);
// that it leaves everything else alone is shown by the browser test TestPWA in e2e.
func TestServiceWorkerNamesNoPrivatePath(t *testing.T) {
	for _, s := range stringLiterals.FindAllSubmatch(readStatic(t, "sw.js"), -1) {
		for _, p := range privatePaths {
			if strings.HasPrefix(string(s[1]), p) {
				t.Errorf("sw.js has the string %q, which names %s", s[1], p)
			}
		}
	}
}

// TestPWAFilesServed proves the server sends sw.js as JavaScript (browsers refuse to register a worker
// of another type), the manifest and icons with their types, and a Content-Security-Policy that lets
// pages load all three.
func TestPWAFilesServed(t *testing.T) {
	h := server.New(config.Default(), slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
	for target, wantType := range map[string]string{
		"/sw.js":                "text/javascript; charset=utf-8",
		"/manifest.webmanifest": "application/manifest+json",
		"/icons/icon-192.png":   "image/png",
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != wantType {
			t.Errorf("%s: status %d, Content-Type %q; want 200, %q", target, w.Code, w.Header().Get("Content-Type"), wantType)
		}
		csp := w.Header().Get("Content-Security-Policy")
		for _, directive := range []string{"worker-src 'self'", "manifest-src 'self'", "img-src 'self'"} {
			if !strings.Contains(csp, directive) {
				t.Errorf("%s: the Content-Security-Policy %q lacks %s", target, csp, directive)
			}
		}
	}
}
