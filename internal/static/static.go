// Package static serves the embedded web client from memory: every file is read, hashed and, where it
// pays, gzipped once at start.
//
// Cache policy: files are cached by browsers but revalidated on every use (Cache-Control: no-cache with a
// strong ETag), so a server upgrade reaches clients on their next page load and the ES modules of one page
// never mix two versions; a revalidation costs a 304 without a body. Images, which do not depend on the
// code's version, are cached for a day without revalidation.
//
// Range requests are answered from the uncompressed file (never gzip), so byte offsets always index the
// original content and a multipart range reply is never mislabelled as gzip.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// Files is a read-only, in-memory copy of a file tree, ready to serve. It is safe for concurrent use.
type Files struct {
	assets map[string]*asset // by slash-separated path relative to the root, e.g. "js/main.js"
}

// asset is one file: its metadata and the representations it can be sent as.
type asset struct {
	contentType  string
	cacheControl string   // default policy, used when the caller set none
	identity     variant  // the file as it is
	gzip         *variant // nil when the type does not compress or gzip is not smaller
}

// variant is one representation of a file's content with its own strong validator.
type variant struct {
	body []byte
	etag string
}

// New reads every file of fsys into memory. Later changes to fsys are not seen.
func New(fsys fs.FS) (*Files, error) {
	f := &Files{assets: make(map[string]*asset)}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		f.assets[name], err = newAsset(name, body)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	return f, nil
}

func newAsset(name string, body []byte) (*asset, error) {
	ct := contentType(path.Ext(name))
	a := &asset{contentType: ct, cacheControl: cacheControl(ct), identity: variant{body, etag(body, "")}}
	if !compressible(ct) {
		return a, nil
	}
	gz, err := gzipBytes(body)
	if err != nil {
		return nil, fmt.Errorf("gzip %s: %w", name, err)
	}
	if len(gz) < len(body) {
		// The gzip ETag hashes the compressed bytes, not the original: a strong validator must change
		// whenever the bytes sent change, and a newer Go compressor may produce other bytes.
		a.gzip = &variant{gz, etag(gz, "-gz")}
	}
	return a, nil
}

// Handler serves the files for GET and HEAD: "/" is index.html, "/js/main.js" is js/main.js. Directory
// paths (ending in "/"), unknown files and paths that are not clean (with "..", "//") get the file named
// notFound with status 404. Other methods get 405. It uses r.URL.Path as it is: mount it at the root, or
// strip any prefix first (http.StripPrefix).
func (f *Files) Handler(notFound string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		name, ok := f.lookup(r.URL.Path)
		if !ok {
			f.ServeFile(w, r, notFound, http.StatusNotFound)
			return
		}
		f.ServeFile(w, r, name, http.StatusOK)
	})
}

// lookup maps a URL path to a file name. Names come from fs.WalkDir, so they are clean paths of regular
// files: a directory, "..", "." or an empty path element can never match one.
func (f *Files) lookup(urlPath string) (string, bool) {
	name := strings.TrimPrefix(urlPath, "/")
	if name == "" {
		name = "index.html"
	}
	_, ok := f.assets[name]
	return name, ok
}

// ServeFile sends the file name with the given status, gzipped when the request accepts it.
//
// Status 200 gets the full HTTP treatment: ETag, conditional requests (If-None-Match → 304, If-Match),
// Range, HEAD. Any other status always sends the body (never 304) without an ETag, since the file is then
// not the representation of the requested URL (a 404 page, say), and defaults to Cache-Control: no-store.
// A Cache-Control header the caller set on w before the call is kept. If name is unknown, ServeFile
// replies with a plain-text http.Error of the given status.
func (f *Files) ServeFile(w http.ResponseWriter, r *http.Request, name string, status int) {
	a, ok := f.assets[name]
	if !ok {
		http.Error(w, http.StatusText(status), status)
		return
	}
	h := w.Header()
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", a.cachePolicy(status))
	}
	h.Set("Content-Type", a.contentType)
	if a.gzip != nil {
		h.Add("Vary", "Accept-Encoding")
	}
	v, gzipped := a.choose(r)
	if status == http.StatusOK {
		serveOK(w, r, v, gzipped)
		return
	}
	if gzipped {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(v.body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(v.body)
	}
}

// serveOK leaves conditional requests, Range and HEAD to http.ServeContent, which uses the ETag set here.
func serveOK(w http.ResponseWriter, r *http.Request, v variant, gzipped bool) {
	w.Header().Set("ETag", v.etag)
	if gzipped {
		w = gzipLabeler{w}
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(v.body))
}

// gzipLabeler adds Content-Encoding: gzip only when ServeContent commits to a 200 with the body. Set
// earlier, the header would make ServeContent omit Content-Length, and would mislabel the plain-text error
// ServeContent sends instead when a precondition fails.
type gzipLabeler struct{ http.ResponseWriter }

func (w gzipLabeler) WriteHeader(code int) {
	if code == http.StatusOK {
		w.Header().Set("Content-Encoding", "gzip")
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w gzipLabeler) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// choose picks the representation for r: gzip when there is one, the client accepts it, and r is not a
// Range request (see the package doc).
func (a *asset) choose(r *http.Request) (v variant, gzipped bool) {
	if a.gzip != nil && r.Header.Get("Range") == "" && acceptsGzip(r.Header) {
		return *a.gzip, true
	}
	return a.identity, false
}

// cachePolicy is the Cache-Control for a response of the given status. Error pages are never stored, so a
// URL that later starts to exist is not shadowed by a cached 404.
func (a *asset) cachePolicy(status int) string {
	if status != http.StatusOK {
		return "no-store"
	}
	return a.cacheControl
}

// contentTypes are set explicitly rather than taken from mime.TypeByExtension, whose answers depend on
// the host's mime.types files.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".svg":         "image/svg+xml",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".txt":         "text/plain; charset=utf-8",
}

func contentType(ext string) string {
	ext = strings.ToLower(ext)
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// compressible reports whether a media type is text-like, so that gzip is likely to shrink it.
func compressible(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.HasPrefix(mt, "text/") || mt == "application/json" ||
		strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml")
}

// cacheControl is the default policy for a 200 of the given type; see the package doc.
func cacheControl(contentType string) string {
	if strings.HasPrefix(contentType, "image/") {
		return "public, max-age=86400"
	}
	return "no-cache"
}

// etag is a strong entity tag for body: the first 128 bits of its SHA-256, base64url, plus suffix.
func etag(body []byte, suffix string) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + suffix + `"`
}

// gzipBytes compresses body at the best level. The output is deterministic (no name or time in the gzip
// header).
func gzipBytes(body []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
