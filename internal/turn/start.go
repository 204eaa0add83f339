package turn

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"

	"github.com/pion/transport/v5/reuseport"

	"github.com/maju-call/maju/internal/config"
)

// LoadSecret returns the TURN secret of cfg: -turn-secret, else the contents of -turn-secret-file
// (surrounding white space trimmed), else a new random one, reported by generated.
func LoadSecret(cfg config.TURN) (secret []byte, generated bool, err error) {
	switch {
	case cfg.Secret != "":
		return []byte(cfg.Secret), false, nil
	case cfg.SecretFile != "":
		data, err := os.ReadFile(cfg.SecretFile)
		if err != nil {
			return nil, false, fmt.Errorf("-turn-secret-file: %w", err)
		}
		s := strings.TrimSpace(string(data))
		if len(s) < 16 {
			return nil, false, fmt.Errorf("-turn-secret-file: %s holds fewer than 16 characters", cfg.SecretFile)
		}
		return []byte(s), false, nil
	default:
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, false, fmt.Errorf("generating a TURN secret: %w", err)
		}
		return []byte(base64.RawStdEncoding.EncodeToString(b[:])), true, nil
	}
}

// Start opens the listeners cfg names and runs the embedded server with secret. Its Endpoints tell
// where clients reach it (the actual ports, also when cfg asks for port 0).
func Start(cfg config.TURN, secret []byte, log *slog.Logger) (_ *Server, err error) {
	var udp []net.PacketConn
	var tcp []net.Listener
	var endpoints []Endpoint
	var listeners []listener
	defer func() {
		if err != nil { // NewServer closes what it was given; this covers failures before it
			for _, c := range udp {
				_ = c.Close()
			}
			for _, l := range tcp {
				_ = l.Close()
			}
		}
	}()
	if cfg.UDPAddr != "" {
		var err error
		if udp, err = listenUDP(cfg.UDPAddr, runtime.NumCPU()); err != nil {
			return nil, fmt.Errorf("-turn-udp: %w", err)
		}
		endpoints = append(endpoints, Endpoint{"turn", "udp", udp[0].LocalAddr().(*net.UDPAddr).Port})
		listeners = append(listeners, listener{"udp", udp[0].LocalAddr()})
	}
	if cfg.TCPAddr != "" {
		l, err := net.Listen("tcp", cfg.TCPAddr)
		if err != nil {
			return nil, fmt.Errorf("-turn-tcp: %w", err)
		}
		tcp = append(tcp, l)
		endpoints = append(endpoints, Endpoint{"turn", "tcp", l.Addr().(*net.TCPAddr).Port})
		listeners = append(listeners, listener{"tcp", l.Addr()})
	}
	if cfg.TLSAddr != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("-turn-tls-cert/-turn-tls-key: %w", err)
		}
		l, err := tls.Listen("tcp", cfg.TLSAddr, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		if err != nil {
			return nil, fmt.Errorf("-turn-tls: %w", err)
		}
		tcp = append(tcp, l)
		endpoints = append(endpoints, Endpoint{"turns", "tcp", l.Addr().(*net.TCPAddr).Port})
		listeners = append(listeners, listener{"tls", l.Addr()})
	}
	sc, err := serverConfig(cfg, secret, log)
	if err != nil {
		return nil, err
	}
	srv, err := NewServer(sc, udp, tcp)
	udp, tcp = nil, nil // NewServer owns them now, even when it fails
	if err != nil {
		return nil, err
	}
	srv.endpoints, srv.listeners = endpoints, listeners
	log.Info("TURN relay listening", "udp", cfg.UDPAddr, "tcp", cfg.TCPAddr, "tls", cfg.TLSAddr,
		"public_ip", sc.PublicIP, "relay_ports", cfg.RelayPorts)
	return srv, nil
}

// UDP socket buffers: the kernel default (about 200 KiB) overflows at 60–70 relayed calls while the CPU
// is still idle (bench/turnrelay); the kernel caps this at net.core.rmem_max / wmem_max.
const udpBufferBytes = 4 << 20

// listenUDP opens n sockets on one UDP address with SO_REUSEPORT: pion reads each socket in one
// goroutine, so one socket per CPU spreads the relay's work (and the kernel spreads the clients).
func listenUDP(addr string, n int) ([]net.PacketConn, error) {
	lc := net.ListenConfig{Control: reuseport.Control}
	var conns []net.PacketConn
	for i := range max(n, 1) {
		c, err := lc.ListenPacket(context.Background(), "udp", addr)
		if err != nil {
			for _, c := range conns {
				_ = c.Close()
			}
			return nil, err
		}
		uc := c.(*net.UDPConn)
		_ = uc.SetReadBuffer(udpBufferBytes) // best effort: a smaller buffer still works
		_ = uc.SetWriteBuffer(udpBufferBytes)
		conns = append(conns, c)
		if i == 0 { // the others join the port the first one got (which matters for port 0)
			addr = c.LocalAddr().String()
		}
	}
	return conns, nil
}

func serverConfig(cfg config.TURN, secret []byte, log *slog.Logger) (ServerConfig, error) {
	lo, hi, err := cfg.PortRange()
	if err != nil {
		return ServerConfig{}, fmt.Errorf("-turn-relay-ports: %w", err)
	}
	sc := ServerConfig{
		Realm: cfg.Realm, Secret: secret, MinPort: lo, MaxPort: hi,
		AllowLoopbackPeers:    cfg.AllowLoopbackPeers,
		MaxAllocationsPerUser: cfg.UserQuota, MaxAllocations: cfg.TotalQuota,
		Logger: log,
	}
	if cfg.RelayIP != "" {
		if sc.RelayIP, err = netip.ParseAddr(cfg.RelayIP); err != nil {
			return ServerConfig{}, fmt.Errorf("-turn-relay-ip: %w", err)
		}
	}
	switch {
	case cfg.PublicIP != "":
		if sc.PublicIP, err = netip.ParseAddr(cfg.PublicIP); err != nil {
			return ServerConfig{}, fmt.Errorf("-turn-public-ip: %w", err)
		}
	case sc.RelayIP.IsValid() && !sc.RelayIP.IsUnspecified():
		sc.PublicIP = sc.RelayIP
	default:
		sc.PublicIP = defaultRouteIP(log)
	}
	if ip := sc.PublicIP; ip.IsPrivate() || ip.IsLoopback() {
		log.Warn("TURN relays are announced at a private address: clients on other networks cannot use them; "+
			"set -turn-public-ip to this machine's public IP", "public_ip", ip)
	}
	return sc, nil
}

// defaultRouteIP is the local IPv4 address the kernel would use to reach the internet, found without
// sending anything (connecting a UDP socket only picks a route). With no route it is 127.0.0.1.
func defaultRouteIP(log *slog.Logger) netip.Addr {
	c, err := net.Dial("udp4", "192.0.2.1:3478") // TEST-NET-1: never contacted
	if err != nil {
		log.Warn("TURN: no default route to find the public IP; announcing 127.0.0.1 (set -turn-public-ip)", "err", err)
		return netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	defer c.Close()
	ip, _ := netip.AddrFromSlice(c.LocalAddr().(*net.UDPAddr).IP)
	return ip.Unmap()
}

// Endpoints returns where clients reach the server (set when it was made by Start).
func (s *Server) Endpoints() []Endpoint { return s.endpoints }
