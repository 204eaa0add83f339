package httpsec

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/maju-call/maju/web"
)

// rule is one thing in the client that the policy would block.
type rule struct {
	what string
	re   *regexp.Regexp
}

// external matches the start of a URL that leaves the origin (or runs script, for javascript:).
const external = `["']?\s*(?:https?:|//|javascript:)`

var (
	// tag matches a start tag, skipping ">" inside quoted attribute values.
	tag    = regexp.MustCompile(`<[A-Za-z][^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>`)
	quoted = regexp.MustCompile(`"[^"]*"|'[^']*'`)
	script = regexp.MustCompile(`^<script\b`)
	src    = regexp.MustCompile(`\ssrc\s*=`)

	// tagRules apply to a start tag whose attribute values are blanked, so text cannot look like markup.
	tagRules = []rule{
		{"a <style> element (style-src 'self')", regexp.MustCompile(`^<style\b`)},
		{"a style attribute (style-src 'self')", regexp.MustCompile(`(?i)\sstyle\s*=`)},
		{"an on* event handler attribute (script-src 'self')", regexp.MustCompile(`(?i)\son[a-z]+\s*=`)},
	}
	// urlRules apply to a whole start tag.
	urlRules = []rule{
		{"a third-party or javascript: URL", regexp.MustCompile(`(?i)\s(?:src|href|action|formaction|poster|srcset|data)\s*=\s*` + external)},
	}
	// manifestRules apply to the web app manifest (JSON): its icons and URLs are fetched under img-src
	// and manifest-src, and the app's pages must stay on this origin.
	manifestRules = []rule{
		{"a third-party or javascript: URL", regexp.MustCompile(`(?i)"\s*:\s*` + external)},
	}
	cssRules = []rule{
		{"a third-party url() or @import", regexp.MustCompile(`(?i)(?:url\(|@import)\s*(?:url\()?\s*` + external)},
	}
	jsRules = []rule{
		{"a third-party module import", regexp.MustCompile(`(?:\bfrom|\bimport\s*\(?)\s*` + external)},
		{"eval or new Function (script-src without 'unsafe-eval')", regexp.MustCompile(`\beval\s*\(|\bnew\s+Function\s*\(`)},
		{"a string timer (script-src without 'unsafe-eval')", regexp.MustCompile("\\bset(?:Timeout|Interval)\\(\\s*['\"`]")},
		{"an inline style or handler set as an attribute", regexp.MustCompile(`setAttribute\(\s*['"](?:style|on)`)},
		{"markup built from strings, out of this test's sight", regexp.MustCompile(`\.(?:inner|outer)HTML\s*=|insertAdjacentHTML|document\.write`)},
	}
)

// TestClientFitsPolicy proves the embedded client needs nothing the Content-Security-Policy forbids: no
// inline script or style, no event handler attributes, nothing loaded from another origin.
func TestClientFitsPolicy(t *testing.T) {
	found, checked, err := problems(web.Static())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range found {
		t.Error(p)
	}
	if checked[".html"] < 3 || checked[".js"] == 0 || checked[".css"] == 0 {
		t.Errorf("checked too few files: %v", checked)
	}
}

// TestPolicyRulesCatch proves the rules above find what they claim to, so a clean client means something.
func TestPolicyRulesCatch(t *testing.T) {
	bad := fstest.MapFS{
		"inline.html":     {Data: []byte(`<p title="<script>fine</script>">x</p><script type="module">alert(1)</script>`)},
		"style.html":      {Data: []byte(`<style>p{}</style>`)},
		"attr.html":       {Data: []byte(`<p class="a" style="color:red">x</p>`)},
		"handler.html":    {Data: []byte(`<button onclick='go()'>x</button>`)},
		"cdn.html":        {Data: []byte(`<script src="https://cdn.example/x.js"></script>`)},
		"font.html":       {Data: []byte(`<link rel="stylesheet" href=//fonts.example/css>`)},
		"js-url.html":     {Data: []byte(`<a href="javascript:go()">x</a>`)},
		"icon.svg":        {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><image href="http://x.example/a.png"/></svg>`)},
		"font.css":        {Data: []byte(`@font-face { src: url("https://fonts.example/f.woff2"); }`)},
		"import.css":      {Data: []byte(`@import "//fonts.example/f.css";`)},
		"static.js":       {Data: []byte(`import { x } from 'https://cdn.example/x.js';`)},
		"dynamic.js":      {Data: []byte(`const m = await import("https://cdn.example/m.js");`)},
		"eval.js":         {Data: []byte(`eval(code); new Function('return 1');`)},
		"timer.js":        {Data: []byte("setTimeout(`go()`, 1);")},
		"setattr.js":      {Data: []byte(`el.setAttribute('style', 'color: red');`)},
		"inner.js":        {Data: []byte(`el.innerHTML = html;`)},
		"font.woff2":      {Data: []byte(`?`)},
		"cdn.webmanifest": {Data: []byte(`{"icons": [{"src": "https://cdn.example/i.png"}]}`)},
	}
	found, _, err := problems(bad)
	if err != nil {
		t.Fatal(err)
	}
	perFile := map[string]int{}
	for _, p := range found {
		name, _, _ := strings.Cut(p, ":")
		perFile[name]++
	}
	for name := range bad {
		want := 1
		if name == "eval.js" {
			want = 2
		}
		if perFile[name] != want {
			t.Errorf("%s: %d problems found, want %d (all found: %q)", name, perFile[name], want, found)
		}
	}
	clean := fstest.MapFS{
		"ok.html":        {Data: []byte(`<script type="module" src="/js/a.js"></script><input placeholder="https://…/r/… or id" aria-label="turn on=off">`)},
		"ok.svg":         {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect fill="#000"/></svg>`)},
		"ok.js":          {Data: []byte("// see https://example.org\nimport { a } from './a.js';\nel.style.height = '1px';")},
		"ok.css":         {Data: []byte(`.a { background: url("/img/a.svg"); }`)},
		"ok.webmanifest": {Data: []byte(`{"start_url": "/", "icons": [{"src": "/i.png", "sizes": "192x192"}]}`)},
		"ok.png":         {Data: []byte(`?`)},
	}
	if found, _, _ := problems(clean); len(found) != 0 {
		t.Errorf("false alarms: %q", found)
	}
}

// problems lists, one "name: what: match" per finding, what the policy would block in the files of fsys,
// and counts the files checked by extension. A file with no rules for its kind is itself a problem.
func problems(fsys fs.FS) (found []string, checked map[string]int, err error) {
	checked = map[string]int{}
	err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		ext := path.Ext(name)
		checked[ext]++
		switch ext {
		case ".html", ".svg":
			found = append(found, markupProblems(name, string(data))...)
		case ".png":
			// A raster image loads nothing.
		case ".webmanifest":
			found = append(found, match(name, string(data), manifestRules)...)
		case ".css":
			found = append(found, match(name, string(data), cssRules)...)
		case ".js":
			found = append(found, match(name, string(data), jsRules)...)
		default:
			found = append(found, name+": no rules for "+ext+" files; add them to this test")
		}
		return nil
	})
	return found, checked, err
}

func markupProblems(name, text string) []string {
	var found []string
	for _, tg := range tag.FindAllString(text, -1) {
		bare := quoted.ReplaceAllString(tg, `""`)
		if script.MatchString(bare) && !src.MatchString(bare) {
			found = append(found, name+": an inline script (script-src 'self'): "+tg)
		}
		found = append(found, match(name, bare, tagRules)...)
		found = append(found, match(name, tg, urlRules)...)
	}
	return found
}

func match(name, text string, rules []rule) []string {
	var found []string
	for _, r := range rules {
		for _, m := range r.re.FindAllString(text, -1) {
			found = append(found, fmt.Sprintf("%s: %s: %q", name, r.what, m))
		}
	}
	return found
}
