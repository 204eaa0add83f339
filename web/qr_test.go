package web_test

// The proof that the client's QR encoder (web/static/js/qr.js) makes codes that scan: node runs the
// module, ZXing (gozxing) reads what it drew. ZXing's own encoder, an independent implementation of the
// same standard, is the known answer for the matrices, mask choice included.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

var qrLevels = []string{"L", "M", "Q", "H"}

// qrTexts are what the waiting screen shows (room links on a public name and on a LAN address), a link
// long enough for version information (version 7 and up at every level), non-ASCII text (UTF-8 in byte
// mode), the shortest text, and 300 characters.
var qrTexts = []string{
	"https://call.example.com/r/Yv3x0m3k2QdA8i5cV7XwZg",
	"https://192.168.1.23:8080/r/AbCdEfGhIjKlMnOpQrStUv",
	"https://call.example.com/r/Yv3x0m3k2QdA8i5cV7XwZg?" + strings.Repeat("from=desktop&lang=ko&", 7),
	"마주 https://example.com/",
	"x",
	pseudoText(300, 1),
}

// pseudoText is n varied printable ASCII characters, with lowercase letters (so ZXing's encoder, like
// ours, uses byte mode).
func pseudoText(n int, seed uint32) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#[]@!$&'()*+,;=% "
	b := make([]byte, n)
	for i := range b {
		seed = seed*1664525 + 1013904223
		b[i] = alphabet[(seed>>16)%uint32(len(alphabet))]
	}
	b[0] = 'h'
	return string(b)
}

type qrRequest struct {
	Text string `json:"text"`
	ECL  string `json:"ecl"`
}

type qrResult struct {
	Version int      `json:"version"`
	Mask    int      `json:"mask"`
	Size    int      `json:"size"`
	Modules [][]bool `json:"modules"`
	Error   string   `json:"error"` // the name of what encodeQR threw, e.g. "RangeError"
}

// encodeWithNode runs encodeQR on every request in one node process: requests as JSON on stdin,
// results as JSON on stdout.
func encodeWithNode(t *testing.T, reqs []qrRequest) []qrResult {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not installed (apt-get install -y nodejs); the QR tests never skip with CI=true")
		}
		t.Skip("node is not installed (apt-get install -y nodejs); skipping the QR encoder tests (they fail instead with CI=true)")
	}
	abs, err := filepath.Abs(filepath.Join("static", "js", "qr.js"))
	if err != nil {
		t.Fatal(err)
	}
	module := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	script := fmt.Sprintf(`
import { encodeQR } from %q;
let input = '';
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map(({ text, ecl }) => {
  try {
    return encodeQR(text, { ecl });
  } catch (e) {
    return { error: e instanceof Error ? e.name : String(e) };
  }
});
process.stdout.write(JSON.stringify(out));
`, module)
	in, err := json.Marshal(reqs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--input-type=module", "-e", script)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var out []qrResult
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("node's output: %v", err)
	}
	if len(out) != len(reqs) {
		t.Fatalf("node returned %d results for %d requests", len(out), len(reqs))
	}
	return out
}

// checkShape fails unless r is a well-formed code of size 4·version + 17.
func checkShape(t *testing.T, what string, r qrResult) {
	t.Helper()
	if r.Error != "" {
		t.Fatalf("%s: encodeQR threw %s", what, r.Error)
	}
	if r.Version < 1 || r.Version > 40 || r.Size != 4*r.Version+17 || len(r.Modules) != r.Size {
		t.Fatalf("%s: version %d, size %d, %d rows", what, r.Version, r.Size, len(r.Modules))
	}
	for y, row := range r.Modules {
		if len(row) != r.Size {
			t.Fatalf("%s: row %d has %d modules, want %d", what, y, len(row), r.Size)
		}
	}
}

// scan draws modules with a 4-module quiet zone, 6 pixels a module, black on white, and reads the
// image with ZXing's QR reader (finding the code like a camera image, not told where it is).
func scan(modules [][]bool) (string, error) {
	const px, quiet = 6, 4
	side := (len(modules) + 2*quiet) * px
	img := image.NewGray(image.Rect(0, 0, side, side))
	for y := range side {
		for x := range side {
			my, mx := y/px-quiet, x/px-quiet
			dark := my >= 0 && mx >= 0 && my < len(modules) && mx < len(modules) && modules[my][mx]
			if !dark {
				img.SetGray(x, y, color.Gray{Y: 0xff})
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func zxingLevel(t *testing.T, ecl string) decoder.ErrorCorrectionLevel {
	t.Helper()
	l, err := decoder.ErrorCorrectionLevel_ValueOf(ecl)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// zxingEncode is ZXing's encoding of text at a level; with mask ≥ 0, in that mask instead of the one it
// would choose. Without a character set hint gozxing writes byte mode in UTF-8 (its default; Java ZXing's
// is ISO-8859-1) with no ECI header, as encodeQR does, for any text with a byte outside the alphanumeric
// set (ours all have lowercase letters).
func zxingEncode(t *testing.T, text, ecl string, mask int) *encoder.QRCode {
	t.Helper()
	hints := map[gozxing.EncodeHintType]any{}
	if mask >= 0 {
		hints[gozxing.EncodeHintType_QR_MASK_PATTERN] = mask
	}
	code, err := encoder.Encoder_encode(text, zxingLevel(t, ecl), hints)
	if err != nil {
		t.Fatalf("ZXing cannot encode %q at %s: %v", text, ecl, err)
	}
	if code.GetMode() != decoder.Mode_BYTE {
		t.Fatalf("ZXing encodes %q in mode %v, not byte mode: not comparable", text, code.GetMode())
	}
	return code
}

// sameAsZXing fails unless encodeQR's result r is module for module ZXing's code for the same text and
// level: same version, same mask, same everything.
func sameAsZXing(t *testing.T, what string, r qrResult, code *encoder.QRCode) {
	t.Helper()
	if v := code.GetVersion().GetVersionNumber(); r.Version != v {
		t.Errorf("%s: version %d, ZXing's is %d", what, r.Version, v)
		return
	}
	if r.Mask != code.GetMaskPattern() {
		t.Errorf("%s: mask %d, ZXing chose %d", what, r.Mask, code.GetMaskPattern())
		return
	}
	m := code.GetMatrix()
	for y := range r.Size {
		for x := range r.Size {
			if r.Modules[y][x] != (m.Get(x, y) == 1) {
				t.Errorf("%s: module (%d,%d) differs from ZXing's", what, x, y)
				return
			}
		}
	}
}

// TestQRScans: every text at every level scans back to itself, and is the code ZXing's encoder makes.
func TestQRScans(t *testing.T) {
	var reqs []qrRequest
	for _, text := range qrTexts {
		for _, ecl := range qrLevels {
			reqs = append(reqs, qrRequest{text, ecl})
		}
	}
	results := encodeWithNode(t, reqs)
	maxVersion := 0
	for i, req := range reqs {
		what := fmt.Sprintf("%q at %s", req.Text, req.ECL)
		r := results[i]
		checkShape(t, what, r)
		maxVersion = max(maxVersion, r.Version)
		got, err := scan(r.Modules)
		if err != nil {
			t.Errorf("%s (version %d, mask %d) does not scan: %v", what, r.Version, r.Mask, err)
		} else if got != req.Text {
			t.Errorf("%s (version %d, mask %d) scans as %q", what, r.Version, r.Mask, got)
		}
		sameAsZXing(t, what, r, zxingEncode(t, req.Text, req.ECL, -1))
	}
	if maxVersion < 7 {
		t.Errorf("no code of version 7 or more (with version information) among the texts; the largest is %d", maxVersion)
	}
}

// TestQRVersions checks the version chosen against expectations worked out by hand from the standard's
// byte-mode capacities (Table 7), including the limit of version 40.
func TestQRVersions(t *testing.T) {
	const link = "https://call.example.com/r/Yv3x0m3k2QdA8i5cV7XwZg" // 49 bytes
	cases := []struct {
		text    string
		ecl     string
		version int // 0: too long, a RangeError
	}{
		{link, "L", 3},                      // 3-L holds 53 bytes
		{link, "M", 4},                      // 3-M holds 42, 4-M 62
		{link, "Q", 5},                      // 4-Q holds 46, 5-Q 60
		{link, "H", 6},                      // 5-H holds 44, 6-H 58
		{"마주 https://example.com/", "L", 2}, // 27 bytes in UTF-8; 2-L holds 32
		{"마주 https://example.com/", "M", 3}, // 2-M holds 26
		{strings.Repeat("a", 14), "M", 1},
		{strings.Repeat("a", 15), "M", 2},
		{strings.Repeat("a", 2953), "L", 40},
		{strings.Repeat("a", 2954), "L", 0},
		{strings.Repeat("a", 1273), "H", 40},
		{strings.Repeat("a", 1274), "H", 0},
	}
	var reqs []qrRequest
	for _, c := range cases {
		reqs = append(reqs, qrRequest{c.text, c.ecl})
	}
	for i, r := range encodeWithNode(t, reqs) {
		c := cases[i]
		what := fmt.Sprintf("%d bytes at %s", len(c.text), c.ecl)
		if c.version == 0 {
			if r.Error != "RangeError" {
				t.Errorf("%s: want a RangeError, got version %d (error %q)", what, r.Version, r.Error)
			}
			continue
		}
		checkShape(t, what, r)
		if r.Version != c.version {
			t.Errorf("%s: version %d, want %d", what, r.Version, c.version)
		}
	}
}

// TestQRAllVersions fills every version at every level to its byte-mode capacity, computed from ZXing's
// tables of codewords and blocks, and requires ZXing's code module for module: this checks encodeQR's
// error correction table, block split, alignment pattern positions and version information in all 160
// cases. The text is ZXing's capacity exactly, so the same version also means the same capacity. ZXing
// is given encodeQR's mask here (choosing one costs it 8 matrices, slow with -race); TestQRScans checks
// the choice.
func TestQRAllVersions(t *testing.T) {
	var reqs []qrRequest
	for _, ecl := range qrLevels {
		for v := 1; v <= 40; v++ {
			version, err := decoder.Version_GetVersionForNumber(v)
			if err != nil {
				t.Fatal(err)
			}
			dataCodewords := version.GetTotalCodewords() - version.GetECBlocksForLevel(zxingLevel(t, ecl)).GetTotalECCodewords()
			countBits := 8
			if v >= 10 {
				countBits = 16
			}
			capacity := (8*dataCodewords - 4 - countBits) / 8 // mode indicator, count, bytes
			reqs = append(reqs, qrRequest{pseudoText(capacity, uint32(v)), ecl})
		}
	}
	results := encodeWithNode(t, reqs)
	for i, req := range reqs {
		what := fmt.Sprintf("version %d at %s (%d bytes)", i%40+1, req.ECL, len(req.Text))
		checkShape(t, what, results[i])
		if results[i].Version != i%40+1 {
			t.Errorf("%s: encodeQR chose version %d", what, results[i].Version)
			continue
		}
		sameAsZXing(t, what, results[i], zxingEncode(t, req.Text, req.ECL, results[i].Mask))
	}
}
