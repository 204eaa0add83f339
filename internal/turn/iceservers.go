package turn

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/maju-call/maju/internal/protocol"
)

// Endpoint is one way clients reach the embedded server: turn or turns, over udp or tcp, on Port.
type Endpoint struct {
	Scheme    string // "turn" or "turns"
	Transport string // "udp" or "tcp"
	Port      int
}

// ICEServers hands out the STUN/TURN server list a client should use, with fresh credentials each time.
type ICEServers struct {
	// Secret signs the credentials (the embedded server's secret, and coturn's static-auth-secret).
	Secret []byte
	// TTL is how long each credential is valid.
	TTL time.Duration
	// Host names the embedded server in URLs; empty means the host the client reached the page on.
	Host string
	// Embedded lists the embedded server's endpoints; none when it is disabled.
	Embedded []Endpoint
	// External lists other STUN/TURN URLs; turn: and turns: ones get credentials too.
	External []string
	// Log reports a request host that cannot be put in a URL; nil discards.
	Log *slog.Logger
	// Now and Random default to time.Now and crypto/rand.
	Now    func() time.Time
	Random io.Reader
}

// For returns the servers for a client that reached this node at requestHost (an HTTP Host header), and
// the seconds their credentials stay valid (0 when no server needs credentials). clientID becomes the
// id in the credential's username, which quotas count by; an empty or unusable one gets a random id.
func (s *ICEServers) For(requestHost, clientID string) ([]protocol.ICEServer, int) {
	var stuns, turns []string
	if host := s.embeddedHost(requestHost); host != "" {
		for _, e := range s.Embedded {
			hp := net.JoinHostPort(host, strconv.Itoa(e.Port))
			if e.Scheme == "turn" && e.Transport == "udp" {
				stuns = append(stuns, "stun:"+hp)
			}
			turns = append(turns, e.Scheme+":"+hp+"?transport="+e.Transport)
		}
	}
	for _, u := range s.External {
		if strings.HasPrefix(u, "turn") {
			turns = append(turns, u)
		} else {
			stuns = append(stuns, u)
		}
	}
	servers := []protocol.ICEServer{}
	if len(stuns) > 0 {
		servers = append(servers, protocol.ICEServer{URLs: stuns})
	}
	if len(turns) == 0 {
		return servers, 0
	}
	now := s.now()
	id := clientID
	if !validID(id) {
		id = s.newID()
	}
	cred, err := Mint(s.Secret, id, s.TTL, now)
	if err != nil { // only a misconfiguration (empty secret, bad TTL) gets here; node checks both at start
		s.log().Error("turn: minting credentials", "err", err)
		return servers, 0
	}
	servers = append(servers, protocol.ICEServer{URLs: turns, Username: cred.Username, Credential: cred.Password})
	// The expiry is whole seconds, so the credential may live up to a second less than TTL: say so.
	return servers, int(cred.Expires.Sub(now) / time.Second)
}

// embeddedHost is the host to put in the embedded server's URLs, or "" when there is none usable.
func (s *ICEServers) embeddedHost(requestHost string) string {
	if len(s.Embedded) == 0 {
		return ""
	}
	host := s.Host
	if host == "" {
		host = requestHost
		if h, _, err := net.SplitHostPort(requestHost); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	if !validHost(host) {
		s.log().Warn("turn: cannot name the embedded server for this client; set -turn-host", "host", requestHost)
		return ""
	}
	return host
}

// validHost accepts an IP address or a DNS name, nothing that could change a URL's meaning.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if net.ParseIP(h) != nil {
		return true
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// newID names one credential: 64 random bits, so quotas count per client and ids never repeat.
func (s *ICEServers) newID() string {
	r := s.Random
	if r == nil {
		r = rand.Reader
	}
	var b [8]byte
	_, _ = io.ReadFull(r, b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *ICEServers) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *ICEServers) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}
