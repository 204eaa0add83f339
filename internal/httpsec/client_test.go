package httpsec

import (
	"io/fs"
	"path"
	"regexp"
	"testing"

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
	checked := map[string]int{}
	err := fs.WalkDir(web.Static(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(web.Static(), name)
		if err != nil {
			return err
		}
		ext := path.Ext(name)
		checked[ext]++
		switch ext {
		case ".html", ".svg":
			checkMarkup(t, name, string(data))
		case ".css":
			check(t, name, string(data), cssRules)
		case ".js":
			check(t, name, string(data), jsRules)
		default:
			t.Errorf("%s: no rules for %s files; add them to this test", name, ext)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked[".html"] < 3 || checked[".js"] == 0 || checked[".css"] == 0 {
		t.Errorf("checked too few files: %v", checked)
	}
}

func checkMarkup(t *testing.T, name, text string) {
	t.Helper()
	for _, tg := range tag.FindAllString(text, -1) {
		bare := quoted.ReplaceAllString(tg, `""`)
		if script.MatchString(bare) && !src.MatchString(bare) {
			t.Errorf("%s: inline script (script-src 'self'): %s", name, tg)
		}
		check(t, name, bare, tagRules)
		check(t, name, tg, urlRules)
	}
}

func check(t *testing.T, name, text string, rules []rule) {
	t.Helper()
	for _, r := range rules {
		for _, m := range r.re.FindAllString(text, -1) {
			t.Errorf("%s: %s: %q", name, r.what, m)
		}
	}
}
