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
	cand := func(id string, local bool, typ webrtc.ICECandidateType, ip string, port int32, relayProto string) webrtc.ICECandidateStats {
		st := webrtc.StatsTypeRemoteCandidate
		if local {
			st = webrtc.StatsTypeLocalCandidate
		}
		return webrtc.ICECandidateStats{ID: id, Type: st, IP: ip, Port: port, Protocol: "udp", CandidateType: typ, RelayProtocol: relayProto}
	}
	report := webrtc.StatsReport{
		"host":    cand("host", true, webrtc.ICECandidateTypeHost, "10.0.0.2", 5000, ""),
		"srflx":   cand("srflx", true, webrtc.ICECandidateTypeSrflx, "1.2.3.4", 49152, ""),
		"relayT":  cand("relayT", true, webrtc.ICECandidateTypeRelay, "9.9.9.9", 50000, "tcp"),
		"relay6":  cand("relay6", true, webrtc.ICECandidateTypeRelay, "2001:4860::1", 50002, "tls"),
		"relayNo": cand("relayNo", true, webrtc.ICECandidateTypeRelay, "9.9.9.9", 50003, ""),
		"rhost":   cand("rhost", false, webrtc.ICECandidateTypeHost, "10.0.0.3", 5001, ""),
		"rsrflx":  cand("rsrflx", false, webrtc.ICECandidateTypeSrflx, "1.2.3.5", 49153, ""),
		"rprflx":  cand("rprflx", false, webrtc.ICECandidateTypePrflx, "5.6.7.8", 49154, ""),
		"rrelay":  cand("rrelay", false, webrtc.ICECandidateTypeRelay, "8.8.8.8", 50001, ""),
		// The other side's relay candidate on our TURN server, learnt from its checks before it was
		// signalled.
		"rprflxOnRelay": cand("rprflxOnRelay", false, webrtc.ICECandidateTypePrflx, "9.9.9.9", 50004, ""),
		// A peer-reflexive candidate on the other side's (not our) relay server: unknowable.
		"rprflxOnTheirs": cand("rprflxOnTheirs", false, webrtc.ICECandidateTypePrflx, "8.8.8.8", 50005, ""),
	}
	tests := []struct {
		local, remote string
		want          Path
	}{
		{"host", "rhost", Path{LocalType: "host", RemoteType: "host", Protocol: "udp", LocalAddr: "10.0.0.2:5000", RemoteAddr: "10.0.0.3:5001"}},
		{"srflx", "rprflx", Path{LocalType: "srflx", RemoteType: "prflx", Protocol: "udp", LocalAddr: "1.2.3.4:49152", RemoteAddr: "5.6.7.8:49154"}},
		{"relayT", "rsrflx", Path{Relayed: true, LocalType: "relay", RemoteType: "srflx", Protocol: "tcp", LocalAddr: "9.9.9.9:50000", RemoteAddr: "1.2.3.5:49153"}},
		{"relay6", "rrelay", Path{Relayed: true, LocalType: "relay", RemoteType: "relay", Protocol: "tls", LocalAddr: "[2001:4860::1]:50002", RemoteAddr: "8.8.8.8:50001"}},
		// Only the remote end relays: the local candidate's own protocol.
		{"srflx", "rrelay", Path{Relayed: true, LocalType: "srflx", RemoteType: "relay", Protocol: "udp", LocalAddr: "1.2.3.4:49152", RemoteAddr: "8.8.8.8:50001"}},
		// A relay candidate without a relay protocol (unknown) keeps the candidate's protocol.
		{"relayNo", "rhost", Path{Relayed: true, LocalType: "relay", RemoteType: "host", Protocol: "udp", LocalAddr: "9.9.9.9:50003", RemoteAddr: "10.0.0.3:5001"}},
		{"host", "rprflxOnRelay", Path{Relayed: true, LocalType: "host", RemoteType: "prflx", Protocol: "udp", LocalAddr: "10.0.0.2:5000", RemoteAddr: "9.9.9.9:50004"}},
		{"host", "rprflxOnTheirs", Path{LocalType: "host", RemoteType: "prflx", Protocol: "udp", LocalAddr: "10.0.0.2:5000", RemoteAddr: "8.8.8.8:50005"}},
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
	if _, err := selectedPath(webrtc.ICECandidatePairStats{LocalCandidateID: "gone", RemoteCandidateID: "rhost"}, report); err == nil {
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
	rem.answer(ctx, fc, offer.SDP)
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
