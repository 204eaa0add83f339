// Package protocol defines maju's signaling messages (version 1): their types, fields, error codes,
// and how they are decoded and encoded. docs/protocol.md is the prose form of this package; change both
// together. The package imports nothing of maju's.
package protocol

// Version is the protocol version this package speaks. Every message carries it in "v".
const Version = 1

// Type names a message type.
type Type string

// Message types. Clients send join, offer, answer, candidate, leave, ping, ice-refresh and call-report; the server
// sends welcome, peer-joined, peer-reconnecting, peer-left, offer, answer, candidate, pong, ice-servers and error.
const (
	TypeJoin       Type = "join"
	TypeOffer      Type = "offer"
	TypeAnswer     Type = "answer"
	TypeCandidate  Type = "candidate"
	TypeLeave      Type = "leave"
	TypePing       Type = "ping"
	TypeWelcome    Type = "welcome"
	TypePeerJoined Type = "peer-joined"
	TypePeerLeft   Type = "peer-left"
	// TypePeerReconnecting: the other person's connection dropped; their seat is held (docs/protocol.md,
	// "Reconnecting and resuming a seat").
	TypePeerReconnecting Type = "peer-reconnecting"
	TypePong             Type = "pong"
	TypeICERefresh       Type = "ice-refresh"
	TypeICEServers       Type = "ice-servers"
	TypeCallReport       Type = "call-report"
	TypeError            Type = "error"
)

// FromClient reports whether clients may send messages of type t to the server.
func (t Type) FromClient() bool {
	switch t {
	case TypeJoin, TypeOffer, TypeAnswer, TypeCandidate, TypeLeave, TypePing, TypeICERefresh, TypeCallReport:
		return true
	}
	return false
}

// Relayed reports whether messages of type t are passed from one seat of a room to the other.
func (t Type) Relayed() bool {
	return t == TypeOffer || t == TypeAnswer || t == TypeCandidate
}

// Reasons a peer left, carried by peer-left.
const (
	ReasonHangup       = "hangup"
	ReasonDisconnected = "disconnected"
)

// Call outcomes, paths, relay transports and failure reasons carried by call-report.
const (
	OutcomeConnected = "connected"
	OutcomeFailed    = "failed"

	PathDirect  = "direct"
	PathRelayed = "relayed"

	FailureICE     = "ice-failed" // the browser's ICE agent gave up (connectionState failed)
	FailureTimeout = "timeout"    // still not connected when the client gave up waiting
)

// MaxSetupMs bounds a reported setup time (10 minutes); larger values are refused as nonsense.
const MaxSetupMs = 600_000

// CallReport is a client's account of one connection attempt with its peer, for the server's metrics.
// Outcome connected carries Path (and Transport for relayed) and SetupMs; failed carries Reason.
type CallReport struct {
	Outcome   string // OutcomeConnected or OutcomeFailed
	Path      string // PathDirect or PathRelayed
	Transport string // relayed: how this client reaches its TURN server, "udp", "tcp" or "tls"; may be empty
	SetupMs   int    // connected: milliseconds from both people being in the room to connected
	Reason    string // failed: FailureICE or FailureTimeout
}

// Candidate is an ICE candidate in the shape of the browser's RTCIceCandidateInit (and pion's
// webrtc.ICECandidateInit).
type Candidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex"`
	UsernameFragment *string `json:"usernameFragment"`
}

// ICEServer is one STUN or TURN server in the shape of the browser's RTCIceServer (urls always an array).
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Message is one decoded signaling message. Which fields matter depends on Type; docs/protocol.md
// lists them.
type Message struct {
	Type Type

	Room     string // join, welcome
	Rollback bool   // join: the sender can roll back a local offer (default true)
	Resume   string // join: the client's resume token for its seat ("" for none)
	Keep     bool   // join: the client kept the peer connection of its last pair (Polite: its role there)

	SDP       string     // offer, answer
	Candidate *Candidate // candidate; nil means end of all candidates (JSON null)

	Peer   bool // welcome: the other seat is taken
	Polite bool // join (with Keep), welcome (when Peer), peer-joined: the receiver's role
	// Resumed (welcome when Peer, peer-joined): the pair continues with the peer connections both kept.
	Resumed bool
	GraceMs int // peer-reconnecting: how long the other person's seat is held, in milliseconds
	// Pair numbers the pair: welcome (when Peer) and peer-joined give it; offer, answer and candidate
	// from a client may carry the pair they are for, and are dropped if that pair has been replaced.
	// 0 means none given.
	Pair   uint64
	Reason string // peer-left

	ICEServers []ICEServer // welcome, ice-servers: the STUN/TURN servers to use (never nil when encoded)
	ICETTL     int         // welcome, ice-servers: seconds the credentials stay valid; 0 when none expire

	Report CallReport // call-report

	Code Code   // error
	Text string // error: the human-readable message
}

// Join returns a join message for room.
func Join(room string, canRollback bool) Message {
	return Message{Type: TypeJoin, Room: room, Rollback: canRollback}
}

// ValidResumeToken reports whether s has the form of a resume token: like a room id, 22 URL-safe base64
// characters (128 random bits made by the client).
func ValidResumeToken(s string) bool { return ValidRoomID(s) }

// ICERefreshMessage returns an ice-refresh message: a request for fresh STUN/TURN credentials.
func ICERefreshMessage() Message { return Message{Type: TypeICERefresh} }

// ErrorMessage returns the error message that reports err to a client.
func ErrorMessage(err *Error) Message {
	return Message{Type: TypeError, Code: err.Code, Text: err.Text}
}
