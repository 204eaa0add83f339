package peer

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/maju-call/maju/internal/protocol"
)

func TestSelectedPath(t *testing.T) {
	cand := func(id string, typ webrtc.ICECandidateType, ip string, port int32, relayProto string) webrtc.ICECandidateStats {
		return webrtc.ICECandidateStats{ID: id, IP: ip, Port: port, Protocol: "udp", CandidateType: typ, RelayProtocol: relayProto}
	}
	report := webrtc.StatsReport{
		"host":    cand("host", webrtc.ICECandidateTypeHost, "10.0.0.2", 5000, ""),
		"srflx":   cand("srflx", webrtc.ICECandidateTypeSrflx, "1.2.3.4", 49152, ""),
		"prflx":   cand("prflx", webrtc.ICECandidateTypePrflx, "5.6.7.8", 49153, ""),
		"relayT":  cand("relayT", webrtc.ICECandidateTypeRelay, "9.9.9.9", 50000, "tcp"),
		"relayU":  cand("relayU", webrtc.ICECandidateTypeRelay, "9.9.9.9", 50001, "udp"),
		"relay6":  cand("relay6", webrtc.ICECandidateTypeRelay, "2001:4860::1", 50002, "tls"),
		"relayNo": cand("relayNo", webrtc.ICECandidateTypeRelay, "9.9.9.9", 50003, ""),
	}
	tests := []struct {
		local, remote string
		want          Path
	}{
		{"host", "host", Path{LocalType: "host", RemoteType: "host", Protocol: "udp", LocalAddr: "10.0.0.2:5000", RemoteAddr: "10.0.0.2:5000"}},
		{"srflx", "prflx", Path{LocalType: "srflx", RemoteType: "prflx", Protocol: "udp", LocalAddr: "1.2.3.4:49152", RemoteAddr: "5.6.7.8:49153"}},
		{"relayT", "srflx", Path{Relayed: true, LocalType: "relay", RemoteType: "srflx", Protocol: "tcp", LocalAddr: "9.9.9.9:50000", RemoteAddr: "1.2.3.4:49152"}},
		{"relay6", "relayU", Path{Relayed: true, LocalType: "relay", RemoteType: "relay", Protocol: "tls", LocalAddr: "[2001:4860::1]:50002", RemoteAddr: "9.9.9.9:50001"}},
		// Only the remote end relays: the local candidate's own protocol.
		{"prflx", "relayT", Path{Relayed: true, LocalType: "prflx", RemoteType: "relay", Protocol: "udp", LocalAddr: "5.6.7.8:49153", RemoteAddr: "9.9.9.9:50000"}},
		// A relay candidate without a relay protocol (unknown) keeps the candidate's protocol.
		{"relayNo", "host", Path{Relayed: true, LocalType: "relay", RemoteType: "host", Protocol: "udp", LocalAddr: "9.9.9.9:50003", RemoteAddr: "10.0.0.2:5000"}},
	}
	for _, tt := range tests {
		pair := webrtc.ICECandidatePairStats{LocalCandidateID: tt.local, RemoteCandidateID: tt.remote, CurrentRoundTripTime: 0.0125}
		tt.want.RTT = 12500 * time.Microsecond
		got, err := selectedPath(pair, report)
		if err != nil {
			t.Fatalf("%s→%s: %v", tt.local, tt.remote, err)
		}
		if got != tt.want {
			t.Errorf("%s→%s:\n got %+v\nwant %+v", tt.local, tt.remote, got, tt.want)
		}
	}

	if _, err := selectedPath(webrtc.ICECandidatePairStats{LocalCandidateID: "host", RemoteCandidateID: "gone"}, report); err == nil {
		t.Error("a missing remote candidate: no error")
	}
	if _, err := selectedPath(webrtc.ICECandidatePairStats{LocalCandidateID: "gone", RemoteCandidateID: "host"}, report); err == nil {
		t.Error("a missing local candidate: no error")
	}
}

// TestPath: alone the peer has no path; connected on loopback it reports a direct host-to-host UDP
// path whose ends are the remote's selected pair reversed; closed it reports ErrClosed.
func TestPath(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	fs := newFakeServer(t, nil)
	res := joinAsync(ctx, t, Options{URL: fs.url, Room: testRoom, Logger: testLogger(t, "p"), LoopbackOnly: true})
	fc := fs.accept(ctx)
	fc.send(welcome(false, false)) // alone at first
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	p := r.p
	defer p.Close()
	if _, err := p.Path(ctx); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("alone: got %v, want ErrNotConnected", err)
	}

	rem := newRemote(t)
	others, relayDone := rem.relay(fc)
	defer relayDone()
	defer func() { _ = fc.ws.Close() }()
	fc.send(protocol.Message{Type: protocol.TypePeerJoined, Polite: false})
	offer := nextOfType(ctx, t, others, protocol.TypeOffer)
	rem.setRemote(webrtc.SDPTypeOffer, offer.SDP)
	answer, err := rem.pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rem.pc.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	fc.send(protocol.Message{Type: protocol.TypeAnswer, SDP: answer.SDP})
	rem.sendCandidates(ctx, fc)
	if err := p.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}

	path, err := p.Path(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if path.Relayed || path.LocalType != "host" || path.RemoteType != "host" || path.Protocol != "udp" || path.RTT < 0 {
		t.Fatalf("path %v, want direct host-to-host over udp", path)
	}
	for _, a := range []string{path.LocalAddr, path.RemoteAddr} {
		if host, _, err := net.SplitHostPort(a); err != nil || host != "127.0.0.1" {
			t.Fatalf("path %v: address %q is not on 127.0.0.1", path, a)
		}
	}
	remPair, err := rem.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || remPair == nil {
		t.Fatalf("remote: no selected pair (%v)", err)
	}
	if want := net.JoinHostPort(remPair.Remote.Address, strconv.Itoa(int(remPair.Remote.Port))); path.LocalAddr != want {
		t.Errorf("local address %s, the remote sees %s", path.LocalAddr, want)
	}
	if want := net.JoinHostPort(remPair.Local.Address, strconv.Itoa(int(remPair.Local.Port))); path.RemoteAddr != want {
		t.Errorf("remote address %s, the remote uses %s", path.RemoteAddr, want)
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Path(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed: got %v, want ErrClosed", err)
	}
}
