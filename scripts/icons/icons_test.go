package main

import (
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestCheckedInIconsAreDrawnByThisProgram proves the PNGs in web/static/icons are what `go run
// ./scripts/icons` draws, pixel for pixel (not byte for byte: another Go version may compress the same
// pixels differently), so the icons and their generator cannot drift apart.
func TestCheckedInIconsAreDrawnByThisProgram(t *testing.T) {
	dir := filepath.Join("..", "..", "web", "static", "icons")
	for _, ic := range icons {
		t.Run(ic.name, func(t *testing.T) {
			got := readPNG(t, filepath.Join(dir, ic.name))
			want := render(ic)
			if got.Bounds() != want.Bounds() {
				t.Fatalf("size %v, the program draws %v", got.Bounds(), want.Bounds())
			}
			for y := range ic.size {
				for x := range ic.size {
					if g, w := got.NRGBAAt(x, y), want.NRGBAAt(x, y); g != w {
						t.Fatalf("pixel (%d,%d) is %v, the program draws %v: run go run ./scripts/icons", x, y, g, w)
					}
				}
			}
		})
	}
}

func readPNG(t *testing.T, name string) *image.NRGBA {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := img.(*image.NRGBA); ok {
		return n
	}
	// The encoder writes an opaque image as RGBA without alpha, which decodes as *image.RGBA.
	n := image.NewNRGBA(img.Bounds())
	draw.Draw(n, n.Bounds(), img, img.Bounds().Min, draw.Src)
	return n
}
