// Package qrterm prints QR codes in a terminal, so a phone can open a URL
// shown by a program without anyone typing it.
package qrterm

import (
	"fmt"
	"io"
	"strings"

	"rsc.io/qr"
)

// quietZone is the light border, in modules, that scanners need around a
// code (ISO/IEC 18004 asks for 4).
const quietZone = 4

// Options chooses how Write draws.
type Options struct {
	// ANSI wraps every line in explicit colours, black on white, so the
	// code scans whatever the terminal's theme; use it when the output is a
	// terminal that understands ANSI escapes.
	//
	// Without it Write draws light modules as block characters and dark
	// modules as blank cells. That is the code in the terminal's own
	// colours, right for the usual light-text-on-dark-background terminals
	// (and for logs, which keep no escapes); on a light theme it comes out
	// inverted, which many but not all scanners still read.
	ANSI bool
}

const (
	blackOnWhite = "\x1b[30;47m"
	reset        = "\x1b[0m"
)

// Write draws text as a QR code (error correction level M) with a 4-module
// quiet zone. Each text line holds two module rows, using the Unicode half
// blocks ▀ ▄ █ and spaces, so every line has the same width and the code is
// roughly square in a typical terminal font. It fails, writing nothing, if
// text is too long for a QR code.
func Write(w io.Writer, text string, opts Options) error {
	m, err := Modules(text)
	if err != nil {
		return err
	}
	// Ink is what the terminal draws in its foreground colour: dark modules
	// in black on white, light modules in plain mode. The module count is
	// odd, so the last line's lower half lies below the code: light.
	ink := func(y, x int) bool {
		dark := y < len(m) && m[y][x]
		return dark == opts.ANSI
	}
	var b strings.Builder
	for y := 0; y < len(m); y += 2 {
		if opts.ANSI {
			b.WriteString(blackOnWhite)
		}
		for x := range m[y] {
			b.WriteString(glyph(ink(y, x), ink(y+1, x)))
		}
		if opts.ANSI {
			b.WriteString(reset)
		}
		b.WriteByte('\n')
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// Modules returns text's QR code (level M) as rows of modules, true for
// dark, including the quiet zone on every side.
func Modules(text string) ([][]bool, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, fmt.Errorf("qrterm: %w", err)
	}
	n := code.Size + 2*quietZone
	m := make([][]bool, n)
	for y := range m {
		m[y] = make([]bool, n)
		for x := range m[y] {
			m[y][x] = code.Black(x-quietZone, y-quietZone) // false outside the code
		}
	}
	return m, nil
}

// glyph draws one text cell holding two stacked modules, given which of
// them are inked.
func glyph(top, bottom bool) string {
	switch {
	case top && bottom:
		return "█"
	case top:
		return "▀"
	case bottom:
		return "▄"
	}
	return " "
}
