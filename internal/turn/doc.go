// Package turn holds the pure logic behind maju's embedded TURN server:
// short-lived TURN REST API credentials (the scheme coturn accepts with
// use-auth-secret / static-auth-secret) and the peer address filter that
// stops the relay from being used to reach loopback, private, link-local,
// metadata and other non-public destinations (RFC 8656 section 21,
// coturn CVE-2020-26262).
//
// Nothing here opens sockets; the pion/turn wiring builds on these pieces.
package turn
