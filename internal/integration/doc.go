// Package integration holds maju's Go-peer integration tests: the real signaling server
// (internal/server) on an httptest listener, and real pion peers (internal/peer) that join rooms, chat
// over the data channel and send media to each other over loopback. The package has no non-test code.
package integration
