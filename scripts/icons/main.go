// Command icons draws maju's PNG app icons (web/static/icons) from the design of web/static/favicon.svg:
// a dark rounded square with two overlapping circles, blue and (90% opaque) coral.
//
// Regenerate them, from the repository root, after changing the design here or in favicon.svg (the two
// must stay the same drawing; the numbers below are favicon.svg's):
//
//	go run ./scripts/icons
//
// Only the Go standard library is used: every pixel is the average of 8×8 samples, each sample painted
// with the shapes in SVG order. The test in this folder checks that the checked-in PNGs are what this
// program draws.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
)

// The drawing, in favicon.svg's 32×32 user units.
const (
	view   = 32.0
	corner = 8.0 // rx of the background square
	radius = 6.5 // of both circles
)

var (
	background = rgba{0x0f, 0x11, 0x15, 1}
	// The circles, in painting order: the coral one is drawn over the blue one.
	circles = []struct {
		cx, cy float64
		fill   rgba
	}{
		{12, 16, rgba{0x86, 0xa8, 0xff, 1}},
		{20, 16, rgba{0xff, 0x9e, 0x7a, 0.9}},
	}
)

// icon is one PNG to draw.
type icon struct {
	name string
	size int
	// fullBleed paints the background over the whole square instead of a rounded one: for icons the
	// platform masks itself (maskable icons, iOS home screen icons), where a transparent corner would
	// show as a black or white notch.
	fullBleed bool
	// markScale shrinks the circles around the centre. The farthest point of the two circles is 10.5
	// units from the centre, 33% of the width at scale 1; a maskable icon must keep everything that
	// matters within the safe zone, a circle of 40% of the width, and launchers often crop more.
	markScale float64
}

var icons = []icon{
	{name: "icon-192.png", size: 192, markScale: 1},
	{name: "icon-512.png", size: 512, markScale: 1},
	{name: "maskable-512.png", size: 512, fullBleed: true, markScale: 0.8},
	{name: "apple-touch-icon.png", size: 180, fullBleed: true, markScale: 1},
}

func main() {
	out := flag.String("out", filepath.Join("web", "static", "icons"), "folder to write the PNGs to")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "icons:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, ic := range icons {
		data, err := encode(render(ic))
		if err != nil {
			return fmt.Errorf("%s: %w", ic.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, ic.name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func encode(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// samples per pixel along each axis: 64 samples give 65 levels of edge coverage, smooth at these sizes.
const samples = 8

// render draws ic.
func render(ic icon) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, ic.size, ic.size))
	unit := view / float64(ic.size) // user units per pixel
	for py := range ic.size {
		for px := range ic.size {
			var sum rgba
			for sy := range samples {
				for sx := range samples {
					x := (float64(px) + (float64(sx)+0.5)/samples) * unit
					y := (float64(py) + (float64(sy)+0.5)/samples) * unit
					sum = sum.add(paint(ic, x, y))
				}
			}
			img.SetNRGBA(px, py, sum.scale(1.0/(samples*samples)).nrgba())
		}
	}
	return img
}

// paint is the premultiplied colour of the drawing at the point (x, y), in user units.
func paint(ic icon, x, y float64) rgba {
	var c rgba
	if ic.fullBleed || inRoundedSquare(x, y) {
		c = background.premultiplied()
	}
	// Undo the mark's scaling: a point of the scaled mark is the point of the full-size mark that lies
	// 1/markScale times as far from the centre.
	mx := view/2 + (x-view/2)/ic.markScale
	my := view/2 + (y-view/2)/ic.markScale
	for _, circle := range circles {
		if inCircle(mx, my, circle.cx, circle.cy, radius) {
			c = circle.fill.premultiplied().over(c)
		}
	}
	return c
}

func inRoundedSquare(x, y float64) bool {
	// The nearest point of the square shrunk by the corner radius; within the radius of it means inside.
	nx := min(max(x, corner), view-corner)
	ny := min(max(y, corner), view-corner)
	return inCircle(x, y, nx, ny, corner)
}

func inCircle(x, y, cx, cy, r float64) bool {
	dx, dy := x-cx, y-cy
	// The explicit conversions round each product, so the compiler cannot fuse one with the addition
	// into a multiply-add (Go allows that, and does it on arm64): every architecture then decides edge
	// samples alike and draws the same pixels.
	return float64(dx*dx)+float64(dy*dy) <= float64(r*r)
}

// rgba is a colour with channels 0–255 and alpha 0–1, premultiplied or not as the function says.
type rgba struct{ r, g, b, a float64 }

func (c rgba) premultiplied() rgba { return rgba{c.r * c.a, c.g * c.a, c.b * c.a, c.a} }

// over composites the premultiplied c over the premultiplied dst (Porter-Duff source-over).
func (c rgba) over(dst rgba) rgba {
	k := 1 - c.a
	// float64() rounds each product: see inCircle.
	return rgba{c.r + float64(dst.r*k), c.g + float64(dst.g*k), c.b + float64(dst.b*k), c.a + float64(dst.a*k)}
}

func (c rgba) add(d rgba) rgba { return rgba{c.r + d.r, c.g + d.g, c.b + d.b, c.a + d.a} }

func (c rgba) scale(k float64) rgba { return rgba{c.r * k, c.g * k, c.b * k, c.a * k} }

// nrgba converts the premultiplied c to 8-bit straight alpha, rounding to nearest.
func (c rgba) nrgba() color.NRGBA {
	if c.a <= 0 {
		return color.NRGBA{}
	}
	return color.NRGBA{R: to8(c.r / c.a), G: to8(c.g / c.a), B: to8(c.b / c.a), A: to8(float64(c.a * 255))}
}

func to8(v float64) uint8 { return uint8(min(max(v+0.5, 0), 255)) }
