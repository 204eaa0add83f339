// Package doctor checks a running maju deployment the way a call would: it opens a room, joins it with
// two Go peers, one of them relay-only, through the TURN servers the deployment hands out, and reports
// each step, the path and the round-trip time. `maju doctor` prints the report; monitoring can run it
// and use the exit status or the JSON form.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/maju-call/maju/internal/peer"
	"github.com/maju-call/maju/internal/protocol"
)

// Options configure a check.
type Options struct {
	// URL is the deployment's address, e.g. https://call.example.com.
	URL string
	// Timeout bounds the whole check (default 30 s).
	Timeout time.Duration
	// LoopbackOnly keeps the peers' own candidates on loopback: tests, and checking a node on this host.
	LoopbackOnly bool
	// Logger receives the peers' logs; nil discards them.
	Logger *slog.Logger
}

// Step is one check and how it went.
type Step struct {
	Name   string        `json:"name"`
	OK     bool          `json:"ok"`
	Detail string        `json:"detail"`
	Took   time.Duration `json:"tookNs"`
}

// Report is the result of Run.
type Report struct {
	URL   string `json:"url"`
	OK    bool   `json:"ok"`
	Steps []Step `json:"steps"`
	// Path is the relay-only peer's path when connected.
	Path *peer.Path `json:"path,omitempty"`
	// ChatRTT is the time a chat message took to go through the relay and back.
	ChatRTT time.Duration `json:"chatRttNs,omitempty"`
}

// Run performs the check. It never panics on a broken deployment: every failure is a failed step, and
// the steps after it are not tried.
func Run(ctx context.Context, opts Options) Report {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	c := &check{opts: opts, report: Report{URL: opts.URL}}
	c.run(ctx)
	c.report.OK = len(c.report.Steps) > 0
	for _, s := range c.report.Steps {
		c.report.OK = c.report.OK && s.OK
	}
	return c.report
}

type check struct {
	opts   Options
	report Report
	base   *url.URL
	room   string
	relay  *peer.Peer // relay-only
	other  *peer.Peer
}

func (c *check) run(ctx context.Context) {
	defer c.hangUp()
	steps := []struct {
		name string
		fn   func(context.Context) (string, error)
	}{
		{"web server", c.health},
		{"new room", c.newRoom},
		{"signaling and ICE servers", c.joinRelayOnly},
		{"second person", c.joinOther},
		{"call through the relay", c.connect},
		{"path", c.path},
		{"chat round trip", c.chat},
	}
	for _, s := range steps {
		start := time.Now()
		detail, err := s.fn(ctx)
		step := Step{Name: s.name, OK: err == nil, Detail: detail, Took: time.Since(start)}
		if err != nil {
			step.Detail = err.Error()
		}
		c.report.Steps = append(c.report.Steps, step)
		if err != nil {
			return
		}
	}
}

func (c *check) health(ctx context.Context) (string, error) {
	u, err := url.Parse(c.opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http:// or https:// address", c.opts.URL)
	}
	c.base = u
	resp, err := c.get(ctx, "/healthz")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("/healthz answered %s", resp.Status)
	}
	return "/healthz answered 200 OK", nil
}

func (c *check) newRoom(ctx context.Context) (string, error) {
	resp, err := c.get(ctx, "/new")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	room, ok := strings.CutPrefix(resp.Header.Get("Location"), "/r/")
	if !ok || resp.StatusCode != http.StatusSeeOther || !protocol.ValidRoomID(room) {
		return "", fmt.Errorf("/new answered %s with Location %q, want 303 to /r/{id}", resp.Status, resp.Header.Get("Location"))
	}
	c.room = room
	return "room " + room[:4] + "…", nil
}

// get fetches path without following redirects.
func (c *check) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.JoinPath(path).String(), nil)
	if err != nil {
		return nil, err
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the web server: %w", err)
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	return resp, nil
}

func (c *check) join(ctx context.Context, relayOnly bool) (*peer.Peer, error) {
	return peer.Join(ctx, peer.Options{
		URL: c.base.JoinPath("/ws").String(), Room: c.room, RelayOnly: relayOnly,
		LoopbackOnly: c.opts.LoopbackOnly, Logger: c.opts.Logger,
	})
}

func (c *check) joinRelayOnly(ctx context.Context) (string, error) {
	p, err := c.join(ctx, true)
	if err != nil {
		return "", fmt.Errorf("cannot join over signaling: %w", err)
	}
	c.relay = p
	servers, err := p.ServerICE(ctx)
	if err != nil {
		return "", err
	}
	var turns []string
	for _, s := range servers {
		for _, u := range s.URLs {
			if strings.HasPrefix(u, "turn") && s.Username != "" {
				turns = append(turns, u)
			}
		}
	}
	if len(turns) == 0 {
		return "", errors.New("the server hands out no TURN server with credentials: calls between networks " +
			"that block direct connections will fail (is the embedded relay disabled, with no -ice-servers?)")
	}
	return "TURN servers offered: " + strings.Join(turns, ", "), nil
}

func (c *check) joinOther(ctx context.Context) (string, error) {
	p, err := c.join(ctx, false)
	if err != nil {
		return "", fmt.Errorf("the second peer cannot join: %w", err)
	}
	c.other = p
	return "both peers are in the room", nil
}

func (c *check) connect(ctx context.Context) (string, error) {
	start := time.Now()
	if err := c.relay.WaitConnected(ctx); err != nil {
		return "", fmt.Errorf("no connection through the relay (%w): the TURN server could not be reached or "+
			"refused the allocation, or relayed packets do not come back — check that UDP/TCP 3478 and the relay "+
			"port range are open and that -turn-public-ip is this node's public address", err)
	}
	return fmt.Sprintf("connected in %v", time.Since(start).Round(time.Millisecond)), nil
}

func (c *check) path(ctx context.Context) (string, error) {
	p, err := c.relay.Path(ctx)
	if err != nil {
		return "", err
	}
	c.report.Path = &p
	if p.LocalType != "relay" {
		return "", fmt.Errorf("the relay-only peer is connected on a %s candidate, not through TURN", p.LocalType)
	}
	return fmt.Sprintf("relayed over %s via %s, ICE round trip %v", p.Protocol, p.LocalAddr, p.RTT.Round(time.Microsecond)), nil
}

func (c *check) chat(ctx context.Context) (string, error) {
	start := time.Now()
	if err := send(ctx, c.relay, "maju doctor ping"); err != nil {
		return "", err
	}
	if err := receive(ctx, c.other, "maju doctor ping"); err != nil {
		return "", err
	}
	if err := send(ctx, c.other, "maju doctor pong"); err != nil {
		return "", err
	}
	if err := receive(ctx, c.relay, "maju doctor pong"); err != nil {
		return "", err
	}
	c.report.ChatRTT = time.Since(start)
	return fmt.Sprintf("a chat message went there and back in %v", c.report.ChatRTT.Round(time.Microsecond)), nil
}

// send sends a chat message once p is connected. A connection can drop for a moment right after it
// was made (ICE switching to a better pair, a loaded machine); that is waited out within ctx, not
// reported as a failed check.
func send(ctx context.Context, p *peer.Peer, text string) error {
	for {
		if err := p.WaitConnected(ctx); err != nil {
			return err
		}
		_, err := p.SendChat(text)
		if !errors.Is(err, peer.ErrNotConnected) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func receive(ctx context.Context, p *peer.Peer, text string) error {
	for {
		select {
		case m, ok := <-p.Chat():
			if !ok {
				return errors.New("the call ended before the chat message arrived")
			}
			if m.Text == text {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("the chat message %q did not arrive: %w", text, ctx.Err())
		}
	}
}

func (c *check) hangUp() {
	for _, p := range []*peer.Peer{c.relay, c.other} {
		if p != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = p.Hangup(ctx)
			cancel()
			_ = p.Close()
		}
	}
}

// WriteText prints the report for people, one line per step.
func (r Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "maju doctor: %s\n", r.URL)
	for _, s := range r.Steps {
		mark := "ok  "
		if !s.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %-26s %s\n", mark, s.Name, s.Detail)
	}
	if r.OK {
		fmt.Fprintln(w, "All checks passed: calls can connect through this deployment's relay.")
	} else {
		fmt.Fprintln(w, "The check failed at the step marked FAIL.")
	}
}
