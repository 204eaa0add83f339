package e2e

import (
	"bytes"
	"image"
	_ "image/png" // screenshots are PNGs
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// The waiting screen on a computer shows a QR code of the call's link, drawn in the page; a phone's camera
// (here: gozxing reading a screenshot of it) gets exactly the link.
func TestInviteQRCodeScansToTheRoomLink(t *testing.T) {
	e := newEnv(t)
	a := e.newPerson("A")
	a.open(e.url + "/new")
	a.waitText("#call-state", "Waiting for the other person…")
	a.waitVisible("#invite-qr")
	link := eval[string](a, `location.href`)

	png, err := chromedp.Run(a.ctx, chromedp.ScreenshotScale("#invite-qr", 2))
	if err != nil {
		t.Fatalf("screenshot of the QR code: %v", err)
	}
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the QR code on the waiting screen does not scan: %v", err)
	}
	if res.GetText() != link {
		t.Fatalf("the QR code says %q, want the room link %q", res.GetText(), link)
	}

	// Phones get the share sheet and the big copy button instead; the code would only scan itself.
	a.setViewport(viewport{"phone", 390, 844, true})
	a.waitJS("the QR code hidden on a phone", `!__e2e.visible('#invite-qr')`)
}
