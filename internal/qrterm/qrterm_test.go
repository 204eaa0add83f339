package qrterm

import (
	"bytes"
	"image"
	"image/color"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

const roomURL = "https://192.168.1.23:8080/r/AbCdEfGhIjKlMnOpQrStUv"

// texts cover the URLs maju prints, QR versions with and without version
// information blocks (7 and up), and rsc.io/qr's three data encodings.
var texts = []string{
	roomURL,
	"https://[fd00:1234:5678:9abc::23]:8443/r/AbCdEfGhIjKlMnOpQrStUv",
	"https://maju.example.com/r/" + strings.Repeat("AbCdEfGhIjKlMnOpQrStUv", 10),
	"HTTPS://MAJU.LOCAL/R/ABC", // alphanumeric mode
	"0123456789012345",         // numeric mode
	"x",
}

var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// parse turns Write's output back into modules (dark = true), independently
// of the package's drawing code: strip colour escapes, then read each
// half-block glyph as two stacked modules. Ink is dark with ANSI colours and
// light without.
func parse(t *testing.T, out string, ansi bool) [][]bool {
	t.Helper()
	halves := map[rune][2]bool{' ': {false, false}, '▀': {true, false}, '▄': {false, true}, '█': {true, true}}
	var m [][]bool
	for line := range strings.Lines(out) {
		line = strings.TrimSuffix(line, "\n")
		if ansi && !(strings.HasPrefix(line, "\x1b[30;47m") && strings.HasSuffix(line, "\x1b[0m")) {
			t.Fatalf("ANSI line %q: want black on white, reset at the end", line)
		}
		if !ansi && strings.ContainsRune(line, '\x1b') {
			t.Fatalf("plain line %q contains an escape", line)
		}
		var top, bottom []bool
		for _, r := range ansiEscape.ReplaceAllString(line, "") {
			h, ok := halves[r]
			if !ok {
				t.Fatalf("unexpected rune %q in line %q", r, line)
			}
			top = append(top, h[0] == ansi)
			bottom = append(bottom, h[1] == ansi)
		}
		m = append(m, top, bottom)
	}
	return m
}

// decode draws modules as an image, 8 pixels per module, and reads it with
// ZXing's QR decoder.
func decode(t *testing.T, m [][]bool) string {
	t.Helper()
	const px = 8
	img := image.NewGray(image.Rect(0, 0, len(m[0])*px, len(m)*px))
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			if !m[y/px][x/px] {
				img.SetGray(x, y, color.Gray{Y: 0xff})
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return res.GetText()
}

func TestWriteScans(t *testing.T) {
	for _, text := range texts {
		want, err := Modules(text)
		if err != nil {
			t.Fatalf("Modules(%q): %v", text, err)
		}
		for _, ansi := range []bool{false, true} {
			var out bytes.Buffer
			if err := Write(&out, text, Options{ANSI: ansi}); err != nil {
				t.Fatalf("Write(%q, ANSI %v): %v", text, ansi, err)
			}
			got := parse(t, out.String(), ansi)
			// The module count is odd; the last line's lower half is light.
			if !slices.EqualFunc(got[:len(want)], want, slices.Equal) || slices.Contains(got[len(want)], true) || len(got) != len(want)+1 {
				t.Errorf("Write(%q, ANSI %v) draws other modules than Modules returns", text, ansi)
			}
			if dec := decode(t, got); dec != text {
				t.Errorf("Write(%q, ANSI %v) decodes as %q", text, ansi, dec)
			}
		}
	}
}

func TestModulesQuietZone(t *testing.T) {
	m, err := Modules(roomURL)
	if err != nil {
		t.Fatal(err)
	}
	n := len(m)
	if n%2 != 1 || (n-8-17)%4 != 0 {
		t.Fatalf("%d modules a side: not a QR version plus 2×4 quiet modules", n)
	}
	for y, row := range m {
		if len(row) != n {
			t.Fatalf("row %d has %d modules, want %d", y, len(row), n)
		}
		for x, dark := range row {
			inCode := x >= 4 && x < n-4 && y >= 4 && y < n-4
			if dark && !inCode {
				t.Fatalf("dark module at (%d,%d) in the quiet zone", x, y)
			}
		}
	}
	if !m[4][4] || !m[4][n-5] || !m[n-5][4] {
		t.Error("finder pattern corners are not dark")
	}
}

func TestWriteLinesHaveEqualWidth(t *testing.T) {
	for _, ansi := range []bool{false, true} {
		var out bytes.Buffer
		if err := Write(&out, roomURL, Options{ANSI: ansi}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(out.String(), "\n") {
			t.Errorf("ANSI %v: output does not end with a newline", ansi)
		}
		m, _ := Modules(roomURL)
		lines := 0
		for line := range strings.Lines(out.String()) {
			lines++
			// Every glyph used is one cell wide; escapes take no cells.
			if w := utf8.RuneCountInString(ansiEscape.ReplaceAllString(strings.TrimSuffix(line, "\n"), "")); w != len(m) {
				t.Errorf("ANSI %v: line %d is %d cells wide, want %d", ansi, lines, w, len(m))
			}
		}
		if want := (len(m) + 1) / 2; lines != want {
			t.Errorf("ANSI %v: %d lines, want %d", ansi, lines, want)
		}
	}
}

// TestWriteTooLong checks the capacity limit: a version 40 code at level M
// holds 2331 bytes; more is an error, with nothing written, not a panic.
func TestWriteTooLong(t *testing.T) {
	if m, err := Modules(strings.Repeat("a", 2331)); err != nil || len(m) != 177+8 {
		t.Errorf("2331 bytes: %d modules a side, err %v; want a version 40 code", len(m), err)
	}
	for _, n := range []int{2332, 5000} {
		var out bytes.Buffer
		if err := Write(&out, strings.Repeat("a", n), Options{ANSI: true}); err == nil {
			t.Errorf("Write of %d bytes: no error", n)
		}
		if out.Len() != 0 {
			t.Errorf("Write of %d bytes wrote %d bytes before failing", n, out.Len())
		}
	}
}
