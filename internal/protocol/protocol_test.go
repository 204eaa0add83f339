package protocol_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/maju-call/maju/internal/protocol"
)

func TestTypeFromClientAndRelayed(t *testing.T) {
	tests := []struct {
		typ        protocol.Type
		fromClient bool
		relayed    bool
	}{
		{protocol.TypeJoin, true, false},
		{protocol.TypeOffer, true, true},
		{protocol.TypeAnswer, true, true},
		{protocol.TypeCandidate, true, true},
		{protocol.TypeLeave, true, false},
		{protocol.TypePing, true, false},
		{protocol.TypeICERefresh, true, false},
		{protocol.TypeCallReport, true, false},
		{protocol.TypeICEServers, false, false},
		{protocol.TypeWelcome, false, false},
		{protocol.TypePeerJoined, false, false},
		{protocol.TypePeerLeft, false, false},
		{protocol.TypePong, false, false},
		{protocol.TypeError, false, false},
		{"", false, false},
		{"chat", false, false},
	}
	for _, tc := range tests {
		t.Run(string(tc.typ), func(t *testing.T) {
			if got := tc.typ.FromClient(); got != tc.fromClient {
				t.Errorf("FromClient() = %v, want %v", got, tc.fromClient)
			}
			if got := tc.typ.Relayed(); got != tc.relayed {
				t.Errorf("Relayed() = %v, want %v", got, tc.relayed)
			}
		})
	}
}

func TestTypeNamesMatchDocs(t *testing.T) {
	for typ, want := range map[protocol.Type]string{
		protocol.TypeJoin: "join", protocol.TypeOffer: "offer", protocol.TypeAnswer: "answer",
		protocol.TypeCandidate: "candidate", protocol.TypeLeave: "leave", protocol.TypePing: "ping",
		protocol.TypeWelcome: "welcome", protocol.TypePeerJoined: "peer-joined", protocol.TypePeerLeft: "peer-left",
		protocol.TypePong: "pong", protocol.TypeError: "error",
		protocol.TypeICERefresh: "ice-refresh", protocol.TypeICEServers: "ice-servers",
		protocol.TypeCallReport: "call-report",
	} {
		if string(typ) != want {
			t.Errorf("type %q, want %q", typ, want)
		}
	}
	if protocol.Version != 1 {
		t.Errorf("Version = %d, want 1", protocol.Version)
	}
	if protocol.ReasonHangup != "hangup" || protocol.ReasonDisconnected != "disconnected" {
		t.Errorf("reasons = %q, %q", protocol.ReasonHangup, protocol.ReasonDisconnected)
	}
}

func TestNewRoomIDForm(t *testing.T) {
	if protocol.RoomIDLength != 22 {
		t.Fatalf("RoomIDLength = %d, want 22", protocol.RoomIDLength)
	}
	id, err := protocol.NewRoomID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 22 {
		t.Errorf("NewRoomID = %q, %d chars, want 22", id, len(id))
	}
	if !protocol.ValidRoomID(id) {
		t.Errorf("ValidRoomID(NewRoomID() = %q) = false", id)
	}
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) != 16 {
		t.Errorf("NewRoomID = %q does not decode to 16 bytes: %d, %v", id, len(b), err)
	}
}

func TestNewRoomIDUnique(t *testing.T) {
	const n = 1000
	seen := make(map[string]bool, n)
	for range n {
		id, err := protocol.NewRoomID(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if !protocol.ValidRoomID(id) {
			t.Fatalf("ValidRoomID(%q) = false", id)
		}
		if seen[id] {
			t.Fatalf("NewRoomID repeated %q", id)
		}
		seen[id] = true
	}
}

func TestNewRoomIDUsesReader(t *testing.T) {
	seq := make([]byte, 16)
	for i := range seq {
		seq[i] = byte(i)
	}
	tests := []struct {
		name  string
		bytes []byte
		want  string
	}{
		{"zeros", make([]byte, 16), "AAAAAAAAAAAAAAAAAAAAAA"},
		{"ones", bytes.Repeat([]byte{0xff}, 16), "_____________________w"},
		{"sequence", seq, "AAECAwQFBgcICQoLDA0ODw"},
		{"only the first 16 bytes", append(bytes.Repeat([]byte{0xfb}, 16), 1, 2, 3), "-_v7-_v7-_v7-_v7-_v7-w"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := bytes.NewReader(tc.bytes)
			id, err := protocol.NewRoomID(r)
			if err != nil {
				t.Fatal(err)
			}
			if id != tc.want {
				t.Errorf("NewRoomID = %q, want %q", id, tc.want)
			}
			if want := len(tc.bytes) - 16; r.Len() != want {
				t.Errorf("NewRoomID left %d bytes unread, want %d", r.Len(), want)
			}
			if !protocol.ValidRoomID(id) {
				t.Errorf("ValidRoomID(%q) = false", id)
			}
		})
	}
	t.Run("one byte at a time", func(t *testing.T) {
		id, err := protocol.NewRoomID(iotest.OneByteReader(bytes.NewReader(seq)))
		if err != nil || id != "AAECAwQFBgcICQoLDA0ODw" {
			t.Errorf("NewRoomID = %q, %v; want the id of the sequence", id, err)
		}
	})
}

func TestNewRoomIDReaderError(t *testing.T) {
	boom := errors.New("entropy exhausted")
	tests := []struct {
		name string
		r    io.Reader
		want error
	}{
		{"error at once", iotest.ErrReader(boom), boom},
		{"error after some bytes", io.MultiReader(bytes.NewReader(make([]byte, 5)), iotest.ErrReader(boom)), boom},
		{"empty reader", bytes.NewReader(nil), io.EOF},
		{"short reader", bytes.NewReader(make([]byte, 15)), io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := protocol.NewRoomID(tc.r)
			if !errors.Is(err, tc.want) {
				t.Fatalf("NewRoomID = %q, %v; want an error wrapping %v", id, err, tc.want)
			}
			if id != "" {
				t.Errorf("NewRoomID returned id %q with an error", id)
			}
		})
	}
}

func TestValidRoomID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"Yv3x0m3k2QdA8i5cV7XwZg", true},
		{"AAAAAAAAAAAAAAAAAAAAAA", true},
		{"AAAAAAAAAAAAAAAAAAAAAQ", true},
		{"AAAAAAAAAAAAAAAAAAAAAg", true},
		{"AAAAAAAAAAAAAAAAAAAAAw", true},
		{"-_-_-_-_-_-_-_-_-_-_-A", true},
		{"_____________________w", true},

		{"", false},
		{"A", false},
		{"AAAAAAAAAAAAAAAAAAAAA", false},     // 21
		{"AAAAAAAAAAAAAAAAAAAAAAA", false},   // 23
		{"AAAAAAAAAAAAAAAAAAAAAAAA", false},  // 24
		{"AAAAAAAAAAAAAAAAAAAAAA==", false},  // padded
		{"AAAAAAAAAAAAAAAAAAAA==", false},    // padding inside 22 chars
		{"AAAAAAAAAAAAAAAAAAAAA=", false},    // one '='
		{"AAAAAAAAAAAAAAAAAAAAA+", false},    // standard alphabet
		{"AAAAAAAAAA/AAAAAAAAAAA", false},    // standard alphabet
		{"AAAAAAAAAA AAAAAAAAAAA", false},    // space
		{"AAAAAAAAAAAAAAAAAAAAA\n", false},   // newline
		{"AAAAAAAAAA.AAAAAAAAAAA", false},    // dot
		{"AAAAAAAAAA%AAAAAAAAAAA", false},    // percent
		{"AAAAAAAAAA\x00AAAAAAAAAAA", false}, // NUL
		{"AAAAAAAAAAéAAAAAAAAAA", false},     // 22 bytes with a 2-byte rune
		{"AAAAAAAAAAAAAAAAAAAAAB", false},    // last char has low bits set
		{"AAAAAAAAAAAAAAAAAAAAAR", false},
		{"AAAAAAAAAAAAAAAAAAAAA_", false},
		{"Yv3x0m3k2QdA8i5cV7XwZh", false},
		{"../../../../etc/passwd", false}, // 22 chars
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			if got := protocol.ValidRoomID(tc.id); got != tc.want {
				t.Errorf("ValidRoomID(%q) = %v, want %v", tc.id, got, tc.want)
			}
		})
	}
}

// TestValidRoomIDLastChar checks every possible last character: exactly the four whose low four bits
// are zero (A, Q, g, w) are canonical.
func TestValidRoomIDLastChar(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var valid []string
	for i := 0; i < len(alphabet); i++ {
		id := strings.Repeat("A", 21) + alphabet[i:i+1]
		if protocol.ValidRoomID(id) {
			valid = append(valid, alphabet[i:i+1])
		}
	}
	if got := strings.Join(valid, ""); got != "AQgw" {
		t.Errorf("valid last characters = %q, want %q", got, "AQgw")
	}
}
