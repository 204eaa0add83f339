package peer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/pion/webrtc/v4"
)

// Path is the network path the current call's media and chat travel on: ICE's selected candidate pair.
type Path struct {
	// Relayed says a TURN server relays the traffic: the local or the remote candidate is a relay
	// candidate, or the remote one is a peer-reflexive candidate on the relay address of one of this
	// peer's own TURN allocations (see RemoteType). Otherwise the two devices talk directly.
	Relayed bool
	// LocalType and RemoteType are the candidate types of the pair's two ends: "host", "srflx",
	// "prflx" or "relay". The other side's relay candidate can show as "prflx" for a while: its checks
	// through the TURN server can arrive before the candidate itself is signalled (trickle ICE), and
	// pion replaces the peer-reflexive candidate only when it is (RFC 8838 §11.4). Both peers use
	// maju's TURN servers, so a "prflx" remote on the relay address of one of this peer's own relay
	// candidates is counted as Relayed.
	LocalType, RemoteType string
	// Protocol is, for a relay local candidate, the protocol this peer speaks to its TURN server ("udp",
	// "tcp" or "tls"); otherwise the local candidate's transport protocol ("udp" or "tcp").
	Protocol string
	// LocalAddr and RemoteAddr are the candidates' addresses (ip:port). A relay local candidate's
	// address is the relayed address on the TURN server; a srflx one is the NAT's public address.
	LocalAddr, RemoteAddr string
	// RTT is the current round-trip time measured by ICE's connectivity checks on the pair, 0 if none
	// was measured yet.
	RTT time.Duration
}

// String formats the path for logs and test failures, e.g. "relay/udp 1.2.3.4:5 → srflx 5.6.7.8:9".
func (p Path) String() string {
	return fmt.Sprintf("%s/%s %s → %s %s (rtt %v, relayed %t)", p.LocalType, p.Protocol, p.LocalAddr,
		p.RemoteType, p.RemoteAddr, p.RTT, p.Relayed)
}

// Path reports the network path of the current call: whether it is relayed, the selected candidate
// pair and its round-trip time. It fails with ErrNotConnected when there is no connected
// PeerConnection (nobody else in the room, still connecting, or the connection was lost), ErrClosed
// when the peer has stopped, or ctx's error when ctx ends before the owner loop takes the request.
func (p *Peer) Path(ctx context.Context) (Path, error) {
	var path Path
	err := p.do(ctx, func() error {
		if p.cur == nil {
			return ErrNotConnected
		}
		var err error
		path, err = sessionPath(p.cur)
		return err
	})
	if err != nil {
		return Path{}, err
	}
	return path, nil
}

// sessionPath is the path of s's connection; only the owner loop calls it.
func sessionPath(s *session) (Path, error) {
	if s.pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
		return Path{}, ErrNotConnected
	}
	sctp := s.pc.SCTP()
	if sctp == nil || sctp.Transport() == nil || sctp.Transport().ICETransport() == nil {
		return Path{}, ErrNotConnected
	}
	pair, ok := sctp.Transport().ICETransport().GetSelectedCandidatePairStats()
	if !ok {
		return Path{}, ErrNotConnected
	}
	return selectedPath(pair, s.pc.GetStats())
}

// selectedPath describes the selected candidate pair from its stats and its two candidates' stats,
// which it finds in report by id.
func selectedPath(pair webrtc.ICECandidatePairStats, report webrtc.StatsReport) (Path, error) {
	local, lok := report[pair.LocalCandidateID].(webrtc.ICECandidateStats)
	remote, rok := report[pair.RemoteCandidateID].(webrtc.ICECandidateStats)
	if !lok || !rok {
		return Path{}, errors.New("peer: the selected candidate pair's candidates are missing from the stats")
	}
	path := Path{
		LocalType:  local.CandidateType.String(),
		RemoteType: remote.CandidateType.String(),
		Protocol:   local.Protocol,
		LocalAddr:  net.JoinHostPort(local.IP, strconv.Itoa(int(local.Port))),
		RemoteAddr: net.JoinHostPort(remote.IP, strconv.Itoa(int(remote.Port))),
		RTT:        time.Duration(pair.CurrentRoundTripTime * float64(time.Second)),
	}
	path.Relayed = local.CandidateType == webrtc.ICECandidateTypeRelay || remote.CandidateType == webrtc.ICECandidateTypeRelay ||
		remote.CandidateType == webrtc.ICECandidateTypePrflx && onOwnRelay(remote.IP, report)
	if local.CandidateType == webrtc.ICECandidateTypeRelay && local.RelayProtocol != "" {
		path.Protocol = local.RelayProtocol
	}
	return path, nil
}

// onOwnRelay reports whether ip is the relay address of one of the local relay candidates in report:
// an address on the TURN server that relays for this peer.
func onOwnRelay(ip string, report webrtc.StatsReport) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, st := range report {
		c, ok := st.(webrtc.ICECandidateStats)
		if !ok || c.Type != webrtc.StatsTypeLocalCandidate || c.CandidateType != webrtc.ICECandidateTypeRelay {
			continue
		}
		if a, err := netip.ParseAddr(c.IP); err == nil && a.Unmap() == addr.Unmap() {
			return true
		}
	}
	return false
}
