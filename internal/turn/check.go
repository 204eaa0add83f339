package turn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/pion/stun/v4"
)

// listener is one socket the server answers on, as the readiness check reaches it.
type listener struct {
	network string // "udp", "tcp" or "tls"
	addr    net.Addr
}

// Check asks every listener of the server for a STUN Binding over loopback (or the listener's own
// address when it is bound to one) and reports the first that does not answer within ctx. It is
// the readiness probe's view of the relay: the sockets are open and pion is serving them.
func (s *Server) Check(ctx context.Context) error {
	var errs []error
	for _, l := range s.listeners {
		if err := bindingCheck(ctx, l); err != nil {
			errs = append(errs, fmt.Errorf("TURN %s listener %v: %w", l.network, l.addr, err))
		}
	}
	return errors.Join(errs...)
}

func bindingCheck(ctx context.Context, l listener) error {
	target := reachable(l.addr)
	var d net.Dialer
	var conn net.Conn
	var err error
	switch l.network {
	case "tls":
		// Our own listener over loopback: liveness, not identity, is checked.
		td := tls.Dialer{NetDialer: &d, Config: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec
		conn, err = td.DialContext(ctx, "tcp", target)
	default:
		conn, err = d.DialContext(ctx, l.network, target)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(2 * time.Second)
	}
	_ = conn.SetDeadline(deadline)
	req := stun.MustBuild(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
	if _, err := conn.Write(req.Raw); err != nil {
		return err
	}
	return readBindingSuccess(conn, req.TransactionID)
}

// readBindingSuccess reads one STUN message (framed by its header's length, which works on datagram
// and stream sockets alike) and checks it answers id with success.
func readBindingSuccess(conn net.Conn, id [stun.TransactionIDSize]byte) error {
	buf := make([]byte, 1500)
	n, err := conn.Read(buf)
	if err != nil {
		return err
	}
	if n >= 4 { // a stream may deliver the message in parts
		want := stunHeaderSize + int(buf[2])<<8 + int(buf[3])
		if want > len(buf) {
			return errors.New("oversized STUN answer")
		}
		if n < want {
			m, err := io.ReadFull(conn, buf[n:want])
			if err != nil {
				return err
			}
			n += m
		}
	}
	res := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
	if err := res.Decode(); err != nil {
		return err
	}
	if res.Type != stun.BindingSuccess || res.TransactionID != id {
		return fmt.Errorf("unexpected STUN answer %v", res.Type)
	}
	return nil
}

const stunHeaderSize = 20

// reachable turns a listen address into one to dial: a wildcard becomes 127.0.0.1 (Go's wildcard
// listeners are dual-stack).
func reachable(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
