package peer

import (
	"fmt"
	"log/slog"
	"net"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/maju-call/maju/internal/pionlog"
)

// ConfigureLoopbackOnly restricts se to ICE over IPv4 UDP on the loopback interface: host candidates on
// 127.0.0.0/8 only, remote candidates outside loopback ignored, no mDNS. Tests use it so that no packet
// leaves the machine (see the testing guide); Options.LoopbackOnly applies it for you.
func ConfigureLoopbackOnly(se *webrtc.SettingEngine) {
	isLoopback4 := func(ip net.IP) bool { return ip.IsLoopback() && ip.To4() != nil }
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool {
		iface, err := net.InterfaceByName(name)
		return err == nil && iface.Flags&net.FlagLoopback != 0
	})
	se.SetIPFilter(isLoopback4)
	se.SetRemoteIPFilter(isLoopback4)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
}

// newAPI builds the webrtc.API a Peer uses when Options.API is nil: pion's default codecs and
// interceptors (NACK, RTCP reports, TWCC), pion's logs sent to log, ConfigureLoopbackOnly when
// opts.LoopbackOnly is set, and for a relay-only peer no wait before accepting a relay pair (pion waits
// 2 s for better pairs, which a relay-only peer never has).
func newAPI(opts Options, log *slog.Logger) (*webrtc.API, error) {
	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, fmt.Errorf("peer: register codecs: %w", err)
	}
	var ir interceptor.Registry
	if err := webrtc.RegisterDefaultInterceptors(&me, &ir); err != nil {
		return nil, fmt.Errorf("peer: register interceptors: %w", err)
	}
	se := webrtc.SettingEngine{LoggerFactory: pionlog.New(log)}
	if opts.LoopbackOnly {
		ConfigureLoopbackOnly(&se)
	}
	if opts.RelayOnly {
		se.SetRelayAcceptanceMinWait(0)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(&me), webrtc.WithInterceptorRegistry(&ir),
		webrtc.WithSettingEngine(se)), nil
}
