package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// reconnectTimeout bounds a wait for both browsers to be back on signaling after the server returns:
// their backoff may be at its ceiling (10 s, +50 % jitter) when it does.
const reconnectTimeout = 40 * time.Second

// TestCallSurvivesTrouble walks one call through what phones and servers do to calls, each time on the
// same RTCPeerConnection where the issue asks for it:
//  1. the network path between the two goes away and comes back (the addresses the call uses are
//     removed, as when Wi-Fi drops, and added again): "Reconnecting…", then connected again after an ICE
//     restart (new ICE credentials) on the same connection, with video flowing;
//  2. the maju process is killed (SIGKILL) mid-call: video keeps flowing and chat is still delivered peer
//     to peer; started again, both are back on signaling and a renegotiation (an ICE restart) works;
//  3. one side reloads the page: the call comes back, nobody sees "full", the chat history is kept, and
//     a burst of messages sent across the reload (some on the old page's channel, some while there is
//     none, the rest on the new one) arrives exactly once and in order.
//
// Phase 1 changes network addresses, so it needs root inside a network namespace of its own (as
// scripts/test.sh runs the tests); there the browsers are started without loopback candidates, so the
// call uses the addresses the test adds.
func TestCallSurvivesTrouble(t *testing.T) {
	cut := newPathCutter(t)
	srv := startMajuProcess(t)
	var flags []chromedp.ExecAllocatorOption
	if cut != nil {
		flags = append(flags, chromedp.Flag("allow-loopback-in-peer-connection", false))
	}
	e := newEnv(t, withServerAt(srv.url), withChromiumFlags(flags...))
	a, b := e.newPerson("A"), e.newPerson("B")
	link := startCall(e, a, b)
	for _, p := range []*person{a, b} {
		// Remember this connection and every state the page goes through.
		p.waitJS("the connection remembered", `(window.__pc = majuCall.pc,
			window.__states = [], majuCall.addEventListener('state', (e) => __states.push(e.detail.state)), true)`)
	}

	if cut != nil {
		t.Run("network path cut and restored", func(t *testing.T) {
			ufrags := [2]string{eval[string](a, ufragJS), eval[string](b, ufragJS)}
			cut.down()
			for i, p := range []*person{a, b} {
				p.waitText("#call-state", "Reconnecting…")
				// The restart happens while the path is still down: new credentials are exchanged over
				// signaling, and the new checks wait for a path.
				p.waitJS("an ICE restart", fmt.Sprintf(`%s !== %q`, ufragJS, ufrags[i]))
			}
			cut.up()
			for _, p := range []*person{a, b} {
				p.waitJSWithin(reconnectTimeout, "connected again", `majuCall.pc && majuCall.pc.connectionState === 'connected'`)
				p.waitConnected()
				if !eval[bool](p, `majuCall.pc === window.__pc`) {
					t.Errorf("%s: the call came back on a new RTCPeerConnection", p.name)
				}
			}
		})
	} else {
		t.Log("not root in a network namespace of its own: the network-cut phase is skipped")
	}

	t.Run("server killed mid-call", func(t *testing.T) {
		srv.kill()
		for _, p := range []*person{a, b} {
			p.waitJS("signaling to be lost", `majuCall.signalingUp === false`)
			p.waitVisible("#notice")
		}
		// Media and chat go peer to peer: nothing of the call needs the server.
		for _, p := range []*person{a, b} {
			p.waitRemoteVideoPlaying()
		}
		sendChat(a, "said while the server was away")
		b.waitJS("the message to arrive", chatHasJS("said while the server was away"))
		a.waitJS("the message marked delivered", `[...document.querySelectorAll('#chat-log .chat-status')].pop()?.dataset.status === 'delivered'`)

		srv.start()
		for _, p := range []*person{a, b} {
			p.waitJSWithin(reconnectTimeout, "signaling to be back", `majuCall.signalingUp === true`)
			p.waitJS("the notice gone", `!__e2e.visible('#notice')`)
		}
		// A renegotiation through the new server: an ICE restart, as on a network change.
		before := eval[string](a, ufragJS)
		a.waitJS("the network change", `(window.dispatchEvent(new Event('online')), true)`)
		a.waitJS("a new ICE username fragment", fmt.Sprintf(`%s !== %q`, ufragJS, before))
		for _, p := range []*person{a, b} {
			p.waitConnected()
			if !eval[bool](p, `majuCall.pc === window.__pc`) {
				t.Errorf("%s: the call came back on a new RTCPeerConnection", p.name)
			}
		}
	})

	t.Run("one side reloads", func(t *testing.T) {
		// A sends burstSize messages, a few at a time, for as long as B's reload takes: whenever there is
		// nobody to send to (the connection is being replaced) or the outbox is full, it tries again.
		a.waitJS("the burst started", fmt.Sprintf(`(window.__burst = (async () => {
			for (let i = 0; i < %d; ) {
				try { majuCall.sendChat('burst ' + i); i++; } catch { await new Promise((r) => setTimeout(r, 50)); }
				if (i %% 10 === 0) await new Promise((r) => setTimeout(r, 15));
			}
		})(), true)`, burstSize))
		b.do("reload", chromedp.Reload())
		for _, p := range []*person{a, b} {
			p.waitConnected()
		}
		a.waitJSWithin(reconnectTimeout, "the burst sent", `window.__burst.then(() => true)`)
		b.waitJS("the history kept", chatHasJS("said while the server was away"))
		const burstJS = `majuCall.chatHistory.filter((e) => e.from === 'them' && e.text.startsWith('burst ')).map((e) => e.text)`
		b.waitJSWithin(reconnectTimeout, "the whole burst", fmt.Sprintf(`%s.length >= %d`, burstJS, burstSize))
		got := eval[[]string](b, burstJS)
		for i, text := range got {
			if want := fmt.Sprintf("burst %d", i); text != want || i >= burstSize {
				t.Fatalf("B's message %d is %q, want %q: %d messages arrived, want each of %d once, in order",
					i, text, want, len(got), burstSize)
			}
		}
		a.waitJS("the burst delivered", fmt.Sprintf(`majuCall.chatHistory.filter((e) => e.text.startsWith('burst ') && e.status === 'delivered').length === %d`, burstSize))
		if link2 := eval[string](b, `location.href`); link2 != link {
			t.Errorf("B reloaded into %q, want %q", link2, link)
		}
		if states := eval[[]string](a, `window.__states`); strings.Contains(strings.Join(states, ","), "full") {
			t.Errorf("A went through %v: someone saw the room full", states)
		}
	})
}

// burstSize is how many messages the reload phase sends: within what a conversation keeps (chatlog.js,
// MAX_ENTRIES), so the receiver's history can show all of them. The chat log's unit test sends 1,000
// through cuts and new channels.
const burstSize = 400

// ufragJS reads the ICE username fragment of the current local description: it changes with an ICE
// restart, and only then.
const ufragJS = `((majuCall.pc.localDescription.sdp.match(/a=ice-ufrag:(\S+)/) || [])[1] || '')`

func chatHasJS(text string) string { return fmt.Sprintf(`%s > 0`, countChatJS(text)) }

func countChatJS(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('#chat-log .chat-text')].filter((e) => e.textContent === %q).length`, text)
}

// sendChat types text into p's chat and sends it, opening the panel first if it is closed.
func sendChat(p *person, text string) {
	p.t.Helper()
	if !eval[bool](p, `__e2e.visible('#chat-input')`) {
		p.click("#chat-toggle")
	}
	p.waitJS("chat input enabled", `!document.querySelector('#chat-input').disabled`)
	p.do("type a message", chromedp.SetValue(chromedp.ID("chat-input"), text))
	p.click("#chat-send")
}

// --- the maju process ------------------------------------------------------------------------------

var (
	majuBinOnce sync.Once
	majuBin     string
	majuBinErr  error
)

// majuProcess is maju run as its own process on a fixed loopback port, so the test can kill it and start
// it again where the browsers expect it.
type majuProcess struct {
	t    *testing.T
	url  string
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

// startMajuProcess builds cmd/maju (with -race, reusing the test build's cache) once per test binary,
// and starts it on a free loopback port with the embedded TURN server off.
func startMajuProcess(t *testing.T) *majuProcess {
	t.Helper()
	majuBinOnce.Do(func() {
		majuBin = filepath.Join(runDir, "maju")
		out, err := exec.Command("go", "build", "-race", "-o", majuBin, "github.com/maju-call/maju/cmd/maju").CombinedOutput()
		if err != nil {
			majuBinErr = fmt.Errorf("go build cmd/maju: %v\n%s", err, out)
		}
	})
	if majuBinErr != nil {
		t.Fatal(majuBinErr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	m := &majuProcess{t: t, addr: addr, url: "http://" + addr}
	m.start()
	t.Cleanup(m.kill)
	return m
}

// start runs maju and waits until it answers /healthz.
func (m *majuProcess) start() {
	m.t.Helper()
	m.cmd = exec.Command(majuBin, "-addr", m.addr, "-turn=false", "-resume-grace", "30s", "-log-level", "warn")
	stderr, err := m.cmd.StderrPipe()
	if err != nil {
		m.t.Fatal(err)
	}
	m.cmd.Stdout = nil
	if err := m.cmd.Start(); err != nil {
		m.t.Fatalf("start maju: %v", err)
	}
	m.done = make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			m.t.Logf("maju: %s", sc.Text())
		}
	}(m.done)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for {
		if resp, err := http.Get(m.url + "/healthz"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-ctx.Done():
			m.t.Fatalf("maju did not answer /healthz at %s", m.url)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// kill ends maju at once, as a crash or an OOM kill does: no goodbye to anyone.
func (m *majuProcess) kill() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.done
	_ = m.cmd.Wait()
	m.cmd = nil
}

// --- cutting the network path --------------------------------------------------------------------------

// pathCutter gives the browsers two addresses (a veth pair inside this test's own network namespace) and
// takes them away and back, as a phone's Wi-Fi drops and returns.
type pathCutter struct {
	t     *testing.T
	addrs [][2]string // address, device
}

// newPathCutter sets up the addresses, or returns nil where it may not: not root, or not alone in a
// network namespace (only lo), so that nothing of the host's own network is ever touched. With CI=true
// the test must run where it can.
func newPathCutter(t *testing.T) *pathCutter {
	t.Helper()
	ifaces, err := net.Interfaces()
	isolated := err == nil && len(ifaces) == 1 && ifaces[0].Flags&net.FlagLoopback != 0
	if os.Geteuid() != 0 || !isolated {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: this test must run as root in a loopback-only network namespace (scripts/test.sh)")
		}
		return nil
	}
	c := &pathCutter{t: t, addrs: [][2]string{{"10.77.0.1/24", "maju-v0"}, {"10.77.0.2/24", "maju-v1"}}}
	c.ip("link", "add", "maju-v0", "type", "veth", "peer", "name", "maju-v1")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", "maju-v0").Run() })
	c.ip("link", "set", "maju-v0", "up")
	c.ip("link", "set", "maju-v1", "up")
	c.up()
	return c
}

func (c *pathCutter) ip(args ...string) {
	c.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		c.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// down removes the addresses: every socket bound to them stops working.
func (c *pathCutter) down() {
	for _, a := range c.addrs {
		c.ip("addr", "del", a[0], "dev", a[1])
	}
}

// up gives them back.
func (c *pathCutter) up() {
	for _, a := range c.addrs {
		c.ip("addr", "add", a[0], "dev", a[1])
	}
}
