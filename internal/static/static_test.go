package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/maju-call/maju/web"
)

// text is long and repetitive enough that gzip shrinks it.
var text = strings.Repeat("export const greeting = 'hello';\n", 40)

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html":    {Data: []byte("<!doctype html><title>home</title>" + text)},
		"notfound.html": {Data: []byte("<!doctype html><title>not found</title>" + text)},
		"js/main.js":    {Data: []byte(text)},
		"js/other.js":   {Data: []byte(text + "// other\n")},
		"tiny.css":      {Data: []byte("a{}")},
		"icon.png":      {Data: []byte("\x89PNG not really")},
	}
}

func newFiles(t *testing.T) *Files {
	t.Helper()
	f, err := New(testFS())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// get runs one request through h with the given request headers ("Name: value").
func get(h http.Handler, method, target string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for _, kv := range headers {
		name, value, _ := strings.Cut(kv, ": ")
		r.Header.Add(name, value)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestETagStableAndPerContent(t *testing.T) {
	a, b := newFiles(t), newFiles(t)
	for name, asset := range a.assets {
		if got := b.assets[name].identity.etag; got != asset.identity.etag {
			t.Errorf("%s: ETag %s then %s for the same content", name, asset.identity.etag, got)
		}
		if !strings.HasPrefix(asset.identity.etag, `"`) || !strings.HasSuffix(asset.identity.etag, `"`) {
			t.Errorf("%s: ETag %s is not a quoted strong tag", name, asset.identity.etag)
		}
	}
	main, other := a.assets["js/main.js"], a.assets["js/other.js"]
	if main.identity.etag == other.identity.etag || main.gzip.etag == other.gzip.etag {
		t.Error("different content has the same ETag")
	}
	if main.identity.etag == main.gzip.etag {
		t.Error("gzip and identity representations share an ETag")
	}
}

func TestResponses(t *testing.T) {
	h := newFiles(t).Handler("notfound.html")
	tests := []struct {
		name, method, target string
		headers              []string
		status               int
		body                 string // "" means no body
		cacheControl         string
		encoding             string
	}{
		{"root is index", "GET", "/", nil, 200, content("index.html"), "no-cache", ""},
		{"module", "GET", "/js/main.js", nil, 200, text, "no-cache", ""},
		{"HEAD has no body", "HEAD", "/js/main.js", nil, 200, "", "no-cache", ""},
		{"image cached a day", "GET", "/icon.png", nil, 200, "\x89PNG not really", "public, max-age=86400", ""},
		{"gzip when accepted", "GET", "/js/main.js", []string{"Accept-Encoding: gzip, deflate, br"}, 200, text, "no-cache", "gzip"},
		{"gzip via *", "GET", "/js/main.js", []string{"Accept-Encoding: *"}, 200, text, "no-cache", "gzip"},
		{"gzip refused by q=0", "GET", "/js/main.js", []string{"Accept-Encoding: gzip;q=0, *"}, 200, text, "no-cache", ""},
		{"gzip refused by *;q=0", "GET", "/js/main.js", []string{"Accept-Encoding: br, *;q=0"}, 200, text, "no-cache", ""},
		{"no gzip for other codings", "GET", "/js/main.js", []string{"Accept-Encoding: br"}, 200, text, "no-cache", ""},
		{"no gzip for Range", "GET", "/js/main.js", []string{"Accept-Encoding: gzip", "Range: bytes=0-5"}, 206, text[:6], "no-cache", ""},
		{"HEAD gzip has no body", "HEAD", "/js/main.js", []string{"Accept-Encoding: gzip"}, 200, "", "no-cache", "gzip"},
		{"unknown file", "GET", "/nope.js", nil, 404, content("notfound.html"), "no-store", ""},
		{"directory", "GET", "/js/", nil, 404, content("notfound.html"), "no-store", ""},
		{"directory without slash", "GET", "/js", nil, 404, content("notfound.html"), "no-store", ""},
		{"dot dot", "GET", "/js/../index.html", nil, 404, content("notfound.html"), "no-store", ""},
		{"404 gzipped", "GET", "/nope", []string{"Accept-Encoding: gzip"}, 404, content("notfound.html"), "no-store", "gzip"},
		{"404 HEAD", "HEAD", "/nope", nil, 404, "", "no-store", ""},
		{"404 ignores If-None-Match", "GET", "/nope", []string{"If-None-Match: *"}, 404, content("notfound.html"), "no-store", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(h, tt.method, tt.target, tt.headers...)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if got := w.Header().Get("Content-Encoding"); got != tt.encoding {
				t.Errorf("Content-Encoding %q, want %q", got, tt.encoding)
			}
			if got := w.Header().Get("Cache-Control"); got != tt.cacheControl {
				t.Errorf("Cache-Control %q, want %q", got, tt.cacheControl)
			}
			if got := decoded(t, w); got != tt.body {
				t.Errorf("body %.40q…, want %.40q…", got, tt.body)
			}
			if tt.status == 200 && w.Header().Get("Content-Length") == "" {
				t.Error("no Content-Length")
			}
		})
	}
}

// content is the test file name's content.
func content(name string) string { return string(testFS()[name].Data) }

// decoded is the response body, gunzipped if it says it is gzip.
func decoded(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	if w.Header().Get("Content-Encoding") != "gzip" || w.Body.Len() == 0 {
		return w.Body.String()
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func TestVary(t *testing.T) {
	h := newFiles(t).Handler("notfound.html")
	tests := []struct {
		target, acceptEncoding string
		vary                   bool
	}{
		{"/js/main.js", "gzip", true},
		{"/js/main.js", "", true}, // a cache must not hand this identity reply to a gzip client either
		{"/nope", "", true},
		{"/tiny.css", "gzip", false}, // too small to gain from gzip: only one representation
		{"/icon.png", "gzip", false},
	}
	for _, tt := range tests {
		w := get(h, "GET", tt.target, "Accept-Encoding: "+tt.acceptEncoding)
		if got := w.Header().Get("Vary") == "Accept-Encoding"; got != tt.vary {
			t.Errorf("%s with Accept-Encoding %q: Vary %q", tt.target, tt.acceptEncoding, w.Header().Get("Vary"))
		}
	}
}

func TestConditionalGet(t *testing.T) {
	f := newFiles(t)
	h := f.Handler("notfound.html")
	plain, gz := f.assets["js/main.js"].identity.etag, f.assets["js/main.js"].gzip.etag
	tests := []struct {
		name, method string
		headers      []string
		status       int
		etag         string
	}{
		{"match", "GET", []string{"If-None-Match: " + plain}, 304, plain},
		{"in a list", "GET", []string{`If-None-Match: "x", ` + plain + `, "y"`}, 304, plain},
		{"weak form", "GET", []string{"If-None-Match: W/" + plain}, 304, plain},
		{"star", "GET", []string{"If-None-Match: *"}, 304, plain},
		{"gzip match", "GET", []string{"If-None-Match: " + gz, "Accept-Encoding: gzip"}, 304, gz},
		{"other representation", "GET", []string{"If-None-Match: " + plain, "Accept-Encoding: gzip"}, 200, gz},
		{"stale", "GET", []string{`If-None-Match: "old"`}, 200, plain},
		{"HEAD match", "HEAD", []string{"If-None-Match: " + plain}, 304, plain},
		{"failed If-Match", "GET", []string{`If-Match: "old"`, "Accept-Encoding: gzip"}, 412, gz},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(h, tt.method, "/js/main.js", tt.headers...)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if got := w.Header().Get("ETag"); got != tt.etag {
				t.Errorf("ETag %s, want %s", got, tt.etag)
			}
			if w.Header().Get("Cache-Control") != "no-cache" || w.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("Cache-Control %q, Vary %q: a 304 must repeat both", w.Header().Get("Cache-Control"), w.Header().Get("Vary"))
			}
			if w.Code != 200 && (w.Body.Len() != 0 || w.Header().Get("Content-Encoding") != "") {
				t.Errorf("%d with body %q or Content-Encoding %q", w.Code, w.Body, w.Header().Get("Content-Encoding"))
			}
		})
	}
}

func TestServeFile(t *testing.T) {
	f := newFiles(t)
	serve := func(name string, status int, headers ...string) *httptest.ResponseRecorder {
		return get(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-store") // as the room page does
			f.ServeFile(w, r, name, status)
		}), "GET", "/r/some-room", headers...)
	}

	w := serve("index.html", 200, "If-None-Match: "+f.assets["index.html"].identity.etag)
	if w.Code != 304 || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("200 page: status %d, Cache-Control %q; want 304 and the caller's no-store", w.Code, w.Header().Get("Cache-Control"))
	}
	w = serve("notfound.html", 404, "If-None-Match: *")
	if w.Code != 404 || w.Body.String() != content("notfound.html") || w.Header().Get("ETag") != "" {
		t.Errorf("404 page: status %d, ETag %q, body %.30q; want 404 with the page, no ETag", w.Code, w.Header().Get("ETag"), w.Body)
	}
	w = serve("missing.html", 404)
	if w.Code != 404 || !strings.Contains(w.Body.String(), "Not Found") {
		t.Errorf("missing file: status %d, body %q; want a plain 404", w.Code, w.Body)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := newFiles(t).Handler("notfound.html")
	for _, method := range []string{"POST", "PUT", "DELETE", "OPTIONS"} {
		w := get(h, method, "/js/main.js")
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: status %d, Allow %q", method, w.Code, w.Header().Get("Allow"))
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := map[string]bool{
		"":                       false,
		"gzip":                   true,
		"GZIP":                   true,
		"x-gzip":                 true,
		"deflate, gzip;q=1.0":    true,
		"gzip;q=0.001":           true,
		"gzip;q=0":               false,
		"gzip; q=0.000":          false,
		"gzip;q=0, *":            false,
		"*":                      true,
		"*;q=0":                  false,
		"br, *;q=0.5":            true,
		"br;q=1, identity":       false,
		"gzip;q=bogus":           false,
		"gzip;q=2":               false,
		"gzip;level=9":           true,
		" , gzip ,":              true,
		"identity;q=0, gzip;q=1": true,
	}
	for header, want := range tests {
		h := http.Header{}
		if header != "" {
			h.Set("Accept-Encoding", header)
		}
		if got := acceptsGzip(h); got != want {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", header, got, want)
		}
	}
}

// TestWebClient loads the real embedded client and checks every file is served with its proper type.
func TestWebClient(t *testing.T) {
	f, err := New(web.Static())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		".html":        "text/html; charset=utf-8",
		".js":          "text/javascript; charset=utf-8",
		".css":         "text/css; charset=utf-8",
		".svg":         "image/svg+xml",
		".png":         "image/png",
		".webmanifest": "application/manifest+json",
	}
	h := f.Handler("notfound.html")
	n := 0
	err = fs.WalkDir(web.Static(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		ct, ok := want[path.Ext(name)]
		if !ok {
			t.Errorf("%s: unexpected kind of file; add its type to this test", name)
			return nil
		}
		data, err := fs.ReadFile(web.Static(), name)
		if err != nil {
			return err
		}
		w := get(h, "GET", "/"+name, "Accept-Encoding: gzip")
		if w.Code != 200 || w.Header().Get("Content-Type") != ct || !bytes.Equal([]byte(decoded(t, w)), data) {
			t.Errorf("%s: status %d, Content-Type %q, body matches %v", name, w.Code, w.Header().Get("Content-Type"), decoded(t, w) == string(data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"index.html", "room.html", "notfound.html", "favicon.svg"} {
		if _, ok := f.assets[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	if n != len(f.assets) {
		t.Errorf("%d files in web.Static(), %d loaded", n, len(f.assets))
	}
}
