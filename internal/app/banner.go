package app

import (
	"fmt"
	"io"

	"github.com/maju-call/maju/internal/lan"
	"github.com/maju-call/maju/internal/qrterm"
)

// WriteBanner tells the person who started maju where to open it. The first line is always
// "maju listening on URL" (scripts and tests read it). In LAN mode it adds the phone's URL as a QR code
// and what the phone will show; ansi draws the code in explicit colours for a terminal.
func (a *App) WriteBanner(w io.Writer, ansi bool) error {
	fmt.Fprintf(w, "maju listening on %s\n", a.URL())
	if a.metrics != nil {
		fmt.Fprintf(w, "metrics on %s\n", a.MetricsURL())
	}
	cert := a.LANCertificate()
	if cert == nil {
		return nil
	}
	urls := a.LANURLs()
	if len(urls) == 0 {
		_, err := fmt.Fprintln(w, "\nNo LAN address found: phones cannot reach this machine. Is it on Wi-Fi or Ethernet?")
		return err
	}
	fmt.Fprintf(w, "\nOn a phone on the same Wi-Fi, scan this code or open %s\n\n", urls[0])
	if err := qrterm.Write(w, urls[0], qrterm.Options{ANSI: ansi}); err != nil {
		return err
	}
	for _, u := range urls[1:] {
		fmt.Fprintf(w, "Also reachable at %s\n", u)
	}
	_, err := fmt.Fprintf(w, "\nThe phone will warn that the connection is not private: the certificate is maju's own,\n"+
		"made for this machine. Continue past the warning once (Advanced → Proceed on Android,\n"+
		"Show Details → visit this website on iPhone). Its SHA-256 fingerprint is\n%s\n", lan.Fingerprint(cert))
	return err
}
