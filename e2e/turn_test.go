package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/maju-call/maju/internal/config"
)

// Timings the TURN tests give the page through window.majuTestOptions (main.js): the network path is
// checked every 300 ms instead of every 3 s, and "could not connect" comes after 3 s instead of 20 s.
const (
	testPathInterval   = 300
	testConnectTimeout = 3000
)

// setTestOptions makes p's pages start with window.majuTestOptions = opts (main.js reads it). Call it
// before open.
func (p *person) setTestOptions(opts map[string]any) {
	p.t.Helper()
	b, err := json.Marshal(opts)
	if err != nil {
		p.t.Fatal(err)
	}
	src := fmt.Sprintf(`Object.defineProperty(window, 'majuTestOptions', {value: Object.freeze(%s)});`, b)
	p.do("set test options "+string(b), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return err
	}))
}

// newRoom returns the link to a fresh room: 16 random bytes, as the server makes them.
func newRoom(e *env) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		e.t.Fatal(err)
	}
	return e.url + "/r/" + base64.RawURLEncoding.EncodeToString(b[:])
}

// relayCall has a and b open the same new room with query (e.g. "?ice=relay") and waits until both are
// connected with video playing.
func relayCall(e *env, a, b *person, query string) {
	e.t.Helper()
	for _, p := range []*person{a, b} {
		p.setTestOptions(map[string]any{"pathInterval": testPathInterval})
	}
	link := newRoom(e) + query
	a.open(link)
	a.waitText("#call-state", "Waiting for the other person…")
	b.open(link)
	a.waitConnected()
	b.waitConnected()
}

// selectedPath is what the page's own getStats says about the selected candidate pair, read here
// independently of the client's icepath.js.
type selectedPath struct {
	Local, Remote     string // candidate types
	RelayProtocol     string
	LocalID, LocalURL string
	Ufrag             string // the local candidate's username fragment (changes with an ICE restart)
}

const selectedPathJS = `(async () => {
	const stats = await majuCall.pc.getStats();
	let pair = null;
	stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
	if (!pair) return null;
	const l = stats.get(pair.localCandidateId), r = stats.get(pair.remoteCandidateId);
	return {Local: l.candidateType, Remote: r ? r.candidateType : '', RelayProtocol: l.relayProtocol || '',
		LocalID: l.id, LocalURL: l.url || '', Ufrag: l.usernameFragment || ''};
})()`

func (p *person) selectedPath() selectedPath {
	p.t.Helper()
	p.waitJS("a selected candidate pair", `(`+selectedPathJS+`).then((s) => s !== null)`)
	return eval[selectedPath](p, selectedPathJS)
}

// turnUsername is the TURN username the page's peer connection is configured with now.
const turnUsernameJS = `(majuCall.pc.getConfiguration().iceServers || []).map((s) => s.username || '').join('')`

// A call with ?ice=relay on both sides goes through the embedded TURN relay over UDP, and says so.
// Only UDP is offered: with UDP and TCP both offered, Chromium keeps the relay that is ready first and
// prunes the other, which on a loaded machine is sometimes the TCP one.
func TestTURNRelayUDP(t *testing.T) {
	e := newEnv(t, withNode(func(c *config.Config) { c.TURN.TCPAddr = "" }))
	a, b := e.newPerson("A"), e.newPerson("B")
	relayCall(e, a, b, "?ice=relay")

	for _, p := range []*person{a, b} {
		p.waitText("#call-path", "Relayed (UDP)")
		p.waitVisible("#call-path")
		sp := p.selectedPath()
		if sp.Local != "relay" || sp.Remote != "relay" || sp.RelayProtocol != "udp" {
			t.Errorf("%s: selected pair %+v, want relay to relay over UDP", p.name, sp)
		}
		if cfg := eval[map[string]any](p, `majuCall.pc.getConfiguration()`); cfg["iceTransportPolicy"] != "relay" {
			t.Errorf("%s: iceTransportPolicy = %v, want relay", p.name, cfg["iceTransportPolicy"])
		}
		// Relay-only hides this device's addresses: no host or srflx candidate went to the other person,
		// and the relay candidates do not name them as their related address either.
		if n := eval[int](p, `(majuCall.pc.localDescription.sdp.match(/typ (host|srflx)/g) || []).length`); n != 0 {
			t.Errorf("%s: %d host or srflx candidates in the local description of a relay-only call", p.name, n)
		}
		if raddr := eval[[]string](p, `majuCall.pc.localDescription.sdp.match(/raddr \S+/g) || []`); len(raddr) == 0 || strings.Join(raddr, "") != strings.Repeat("raddr 0.0.0.0", len(raddr)) {
			t.Errorf("%s: relay candidates' related addresses %q, want only 0.0.0.0", p.name, raddr)
		}
	}
	if n := e.node.TURN().AllocationCount(); n < 2 {
		t.Errorf("the embedded relay has %d allocations, want one per person at least", n)
	}

	if dir := os.Getenv("MAJU_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		a.shot(dir, "connected-relayed", viewports[0])
		a.shot(dir, "connected-relayed", viewports[1])
		a.shot(dir, "connected-relayed", viewports[2])
	}
}

// With only TURN over TCP offered (no UDP listener), a relay-only call goes over TCP to the relay.
func TestTURNRelayTCP(t *testing.T) {
	e := newEnv(t, withNode(func(c *config.Config) { c.TURN.UDPAddr = "" }))
	a, b := e.newPerson("A"), e.newPerson("B")
	relayCall(e, a, b, "?ice=relay")

	for _, p := range []*person{a, b} {
		p.waitText("#call-path", "Relayed (TCP)")
		sp := p.selectedPath()
		if sp.Local != "relay" || sp.RelayProtocol != "tcp" {
			t.Errorf("%s: selected pair %+v, want a relay candidate over TCP", p.name, sp)
		}
	}
}

// A call without ?ice=relay on a node that offers TURN still goes directly, and says so.
func TestTURNDirectCallShowsPath(t *testing.T) {
	e := newEnv(t, withNode(nil))
	a, b := e.newPerson("A"), e.newPerson("B")
	relayCall(e, a, b, "")

	for _, p := range []*person{a, b} {
		p.waitText("#call-path", "Direct connection")
		if sp := p.selectedPath(); sp.Local == "relay" || sp.Remote == "relay" {
			t.Errorf("%s: selected pair %+v, want a direct one", p.name, sp)
		}
		if eval[int](p, `majuCall.iceServers.filter((s) => s.username).length`) != 1 {
			t.Errorf("%s: the page did not get the node's TURN server: %s", p.name, eval[string](p, `JSON.stringify(majuCall.iceServers)`))
		}
	}
	// The path is shown only while connected.
	a.click("#hangup-btn")
	a.waitJS("the path hidden after hanging up", `!__e2e.visible('#call-path')`)
	b.waitText("#call-state", "The other person left")
	b.waitJS("B's path hidden", `!__e2e.visible('#call-path') && document.body.dataset.path === undefined`)
}

// With credentials that live 3 s, a relayed call keeps going past twice that, the page keeps getting
// fresh credentials, and an ICE restart after the first ones expired makes new relay allocations with
// the fresh ones.
func TestTURNCredentialsExpireMidCall(t *testing.T) {
	const ttl = 3 * time.Second
	e := newEnv(t, withNode(func(c *config.Config) { c.TURN.CredentialTTL = ttl }))
	a, b := e.newPerson("A"), e.newPerson("B")
	relayCall(e, a, b, "?ice=relay")
	start := time.Now()

	first := map[*person]string{}
	for _, p := range []*person{a, b} {
		first[p] = eval[string](p, turnUsernameJS)
		if first[p] == "" {
			t.Fatalf("%s: the peer connection has no TURN username", p.name)
		}
	}
	before := a.selectedPath()

	// Past twice the lifetime: still connected, still playing, with fresh credentials in the pc.
	for time.Since(start) < 2*ttl+500*time.Millisecond {
		for _, p := range []*person{a, b} {
			p.waitRemoteVideoPlaying()
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, p := range []*person{a, b} {
		if got := eval[string](p, `__e2e.text('#call-state')`); got != "Connected" {
			t.Errorf("%s says %q after %v, want Connected", p.name, got, time.Since(start).Round(time.Millisecond))
		}
		if st := eval[string](p, `majuCall.pc.connectionState`); st != "connected" {
			t.Errorf("%s: connectionState %q", p.name, st)
		}
		p.waitJS("fresh credentials in the peer connection", fmt.Sprintf(`%s !== %q`, turnUsernameJS, first[p]))
		p.waitRemoteVideoPlaying()
	}

	// The first credentials have expired; an ICE restart needs new allocations, which only the fresh
	// credentials can make (the call is relay-only).
	eval[bool](a, `(majuCall.pc.restartIce(), true)`)
	a.waitJS("a new selected pair after the ICE restart", fmt.Sprintf(
		`(%s).then((s) => s !== null && s.Ufrag !== %q && s.Local === 'relay')`, selectedPathJS, before.Ufrag))
	for _, p := range []*person{a, b} {
		p.waitConnected()
		p.waitJS("a relayed path", `/^Relayed \((UDP|TCP)\)$/.test(__e2e.text('#call-path'))`)
	}
}

// A call that cannot connect says why within the (shortened) connect timeout, with a button to try again.
func TestTURNDiagnosis(t *testing.T) {
	cases := []struct {
		name      string
		tweak     func(*config.Config)
		code      string
		title     string
		shotNamed string
	}{
		{
			name: "relay unreachable",
			tweak: func(c *config.Config) {
				c.TURN.Enabled = false
				c.ExternalICE = []string{"turn:127.0.0.1:" + closedPort(t, "udp") + "?transport=udp", "turn:127.0.0.1:" + closedPort(t, "tcp") + "?transport=tcp"}
			},
			code:      "relay-unreachable",
			title:     "The relay could not be reached",
			shotNamed: "diagnosis",
		},
		{
			name:  "no relay offered",
			tweak: func(c *config.Config) { c.TURN.Enabled = false },
			code:  "relay-only-no-relay",
			title: "This server offers no relay",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, withNode(tc.tweak))
			a, b := e.newPerson("A"), e.newPerson("B")
			for _, p := range []*person{a, b} {
				p.setTestOptions(map[string]any{"connectTimeout": testConnectTimeout})
			}
			link := newRoom(e) + "?ice=relay"
			a.open(link)
			a.waitText("#call-state", "Waiting for the other person…")
			b.open(link)
			start := time.Now()
			for _, p := range []*person{a, b} {
				p.waitText("#call-state", "Could not connect")
				p.waitText("#stage-title", tc.title)
				p.waitVisible("#retry-btn")
				if code := eval[string](p, `majuCall.stateDetail.diagnosis.code`); code != tc.code {
					t.Errorf("%s: diagnosis %q, want %q", p.name, code, tc.code)
				}
				if eval[bool](p, `__e2e.visible('#call-path')`) {
					t.Errorf("%s shows a network path without a connection", p.name)
				}
			}
			if d := time.Since(start); d > testConnectTimeout*time.Millisecond+5*time.Second {
				t.Errorf("the diagnosis took %v, want about the %d ms connect timeout", d, testConnectTimeout)
			}
			t.Logf("A's diagnosis: %q — %q", eval[string](a, `__e2e.text('#stage-title')`), eval[string](a, `__e2e.text('#stage-detail')`))

			if dir := os.Getenv("MAJU_SCREENSHOTS"); dir != "" && tc.shotNamed != "" {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				a.shot(dir, tc.shotNamed, viewports[0])
				a.shot(dir, tc.shotNamed, viewports[1])
				a.shot(dir, tc.shotNamed, viewports[2])
			}
		})
	}
}

// closedPort returns a loopback port on which nothing listens (network is "udp" or "tcp").
func closedPort(t *testing.T, network string) string {
	t.Helper()
	var addr net.Addr
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = c.LocalAddr()
		c.Close()
	default:
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = l.Addr()
		l.Close()
	}
	_, port, _ := net.SplitHostPort(addr.String())
	return port
}
