package protocol

import (
	"bytes"
	"encoding/json"
)

// wire is the JSON shape of every message. Pointers tell a missing field from a zero value.
type wire struct {
	V         *int            `json:"v"`
	Type      *string         `json:"type"`
	Room      *string         `json:"room"`
	Rollback  *bool           `json:"rollback"`
	SDP       *string         `json:"sdp"`
	Candidate json.RawMessage `json:"candidate"`
	Peer      *bool           `json:"peer"`
	Polite    *bool           `json:"polite"`
	Reason    *string         `json:"reason"`
	ICE       *[]ICEServer    `json:"iceServers"`
	ICETTL    *int            `json:"iceTtl"`
	Code      *string         `json:"code"`
	Message   *string         `json:"message"`
	Outcome   *string         `json:"outcome"`
	Path      *string         `json:"path"`
	Transport *string         `json:"transport"`
	SetupMs   *int            `json:"setupMs"`
	Resume    *string         `json:"resume"`
	Keep      *bool           `json:"keep"`
	Resumed   *bool           `json:"resumed"`
	GraceMs   *int            `json:"graceMs"`
	Pair      *uint64         `json:"pair"`
}

// Decode parses and validates one message. Its error is always an *Error whose code says what was wrong
// (bad-message, unsupported-version or unknown-type).
func Decode(data []byte) (Message, error) {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return Message{}, Errorf(CodeBadMessage, "message is not a JSON object: %v", err)
	}
	// Unmarshal accepts a bare null as a struct, leaving it untouched; it is not an object either.
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return Message{}, Errorf(CodeBadMessage, "message is not a JSON object: null")
	}
	if w.V == nil || *w.V != Version {
		return Message{}, Errorf(CodeUnsupportedVersion, "protocol version must be %d", Version)
	}
	if w.Type == nil {
		return Message{}, Errorf(CodeBadMessage, `message has no "type"`)
	}
	m := Message{Type: Type(*w.Type)}
	decodeFields, ok := decoders[m.Type]
	if !ok {
		return Message{}, Errorf(CodeUnknownType, "unknown message type %q", truncate(*w.Type, 32))
	}
	if err := decodeFields(&w, &m); err != nil {
		return Message{}, err
	}
	return m, nil
}

// decoders fills a Message's type-specific fields from the wire form, checking required fields.
var decoders = map[Type]func(*wire, *Message) error{
	TypeJoin:      decodeJoin,
	TypeOffer:     decodeSDP,
	TypeAnswer:    decodeSDP,
	TypeCandidate: decodeCandidate,
	TypeLeave:     decodeNothing,
	TypePing:      decodeNothing,
	TypePong:      decodeNothing,
	TypeWelcome: func(w *wire, m *Message) error {
		if err := requireString(w.Room, "room", &m.Room); err != nil {
			return err
		}
		if err := requireBool(w.Peer, "peer", &m.Peer); err != nil {
			return err
		}
		if m.Peer {
			if err := requireBool(w.Polite, "polite", &m.Polite); err != nil {
				return err
			}
		}
		m.Resumed = w.Resumed != nil && *w.Resumed
		m.Pair = optionalPair(w)
		return decodeICE(w, m)
	},
	TypeICERefresh: decodeNothing,
	TypeICEServers: decodeICE,
	TypeCallReport: decodeCallReport,
	TypePeerJoined: func(w *wire, m *Message) error {
		m.Resumed = w.Resumed != nil && *w.Resumed
		m.Pair = optionalPair(w)
		return requireBool(w.Polite, "polite", &m.Polite)
	},
	TypePeerReconnecting: func(w *wire, m *Message) error {
		if w.GraceMs == nil || *w.GraceMs < 0 {
			return Errorf(CodeBadMessage, `peer-reconnecting needs "graceMs", milliseconds >= 0`)
		}
		m.GraceMs = *w.GraceMs
		return nil
	},
	TypePeerLeft: func(w *wire, m *Message) error { return requireString(w.Reason, "reason", &m.Reason) },
	TypeError: func(w *wire, m *Message) error {
		var code string
		if err := requireString(w.Code, "code", &code); err != nil {
			return err
		}
		m.Code = Code(code)
		if w.Message != nil {
			m.Text = *w.Message
		}
		return nil
	},
}

func decodeNothing(*wire, *Message) error { return nil }

// decodeJoin reads join: the room, and the optional rollback, resume token, keep and role claim.
func decodeJoin(w *wire, m *Message) error {
	m.Rollback = w.Rollback == nil || *w.Rollback
	if err := requireString(w.Room, "room", &m.Room); err != nil {
		return err
	}
	if w.Resume != nil {
		if !ValidResumeToken(*w.Resume) {
			return Errorf(CodeBadMessage, `"resume" must be %d URL-safe base64 characters`, RoomIDLength)
		}
		m.Resume = *w.Resume
	}
	m.Keep = w.Keep != nil && *w.Keep
	if m.Keep {
		if m.Resume == "" {
			return Errorf(CodeBadMessage, `"keep" needs a "resume" token`)
		}
		if err := requireBool(w.Polite, "polite", &m.Polite); err != nil {
			return err
		}
	}
	return nil
}

// optionalPair reads the pair number of the messages that may carry one.
func optionalPair(w *wire) uint64 {
	if w.Pair == nil {
		return 0
	}
	return *w.Pair
}

func decodeSDP(w *wire, m *Message) error {
	m.Pair = optionalPair(w)
	if err := requireString(w.SDP, "sdp", &m.SDP); err != nil {
		return err
	}
	if m.SDP == "" {
		return Errorf(CodeBadMessage, `%s has an empty "sdp"`, m.Type)
	}
	return nil
}

func decodeCandidate(w *wire, m *Message) error {
	m.Pair = optionalPair(w)
	raw := bytes.TrimSpace(w.Candidate)
	if len(raw) == 0 {
		return Errorf(CodeBadMessage, `candidate message has no "candidate" (use null for end of candidates)`)
	}
	if bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var c struct {
		Candidate *string `json:"candidate"`
		candidateOptional
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return Errorf(CodeBadMessage, `"candidate" must be an object or null: %v`, err)
	}
	if c.Candidate == nil {
		return Errorf(CodeBadMessage, `"candidate" object has no "candidate" string`)
	}
	m.Candidate = &Candidate{
		Candidate:        *c.Candidate,
		SDPMid:           c.SDPMid,
		SDPMLineIndex:    c.SDPMLineIndex,
		UsernameFragment: c.UsernameFragment,
	}
	return nil
}

// candidateOptional holds the optional candidate fields, embedded when decoding.
type candidateOptional struct {
	SDPMid           *string `json:"sdpMid"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex"`
	UsernameFragment *string `json:"usernameFragment"`
}

// decodeICE reads the required iceServers and iceTtl of welcome and ice-servers.
func decodeICE(w *wire, m *Message) error {
	if w.ICE == nil {
		return Errorf(CodeBadMessage, `%s has no "iceServers" array`, m.Type)
	}
	if w.ICETTL == nil || *w.ICETTL < 0 {
		return Errorf(CodeBadMessage, `%s needs "iceTtl", seconds >= 0`, m.Type)
	}
	for i, s := range *w.ICE {
		if len(s.URLs) == 0 {
			return Errorf(CodeBadMessage, `iceServers[%d] has no "urls"`, i)
		}
	}
	if len(*w.ICE) > 0 { // an empty list decodes as nil, like a Message that never had servers
		m.ICEServers = *w.ICE
	}
	m.ICETTL = *w.ICETTL
	return nil
}

func decodeCallReport(w *wire, m *Message) error {
	r := &m.Report
	if err := requireOneOf(w.Outcome, "outcome", &r.Outcome, OutcomeConnected, OutcomeFailed); err != nil {
		return err
	}
	if r.Outcome == OutcomeFailed {
		return requireOneOf(w.Reason, "reason", &r.Reason, FailureICE, FailureTimeout)
	}
	if err := requireOneOf(w.Path, "path", &r.Path, PathDirect, PathRelayed); err != nil {
		return err
	}
	if w.Transport != nil && *w.Transport != "" {
		if r.Path != PathRelayed {
			return Errorf(CodeBadMessage, `"transport" is only for path "relayed"`)
		}
		if err := requireOneOf(w.Transport, "transport", &r.Transport, "udp", "tcp", "tls"); err != nil {
			return err
		}
	}
	if w.SetupMs == nil || *w.SetupMs < 0 || *w.SetupMs > MaxSetupMs {
		return Errorf(CodeBadMessage, `a connected call-report needs "setupMs", 0–%d`, MaxSetupMs)
	}
	r.SetupMs = *w.SetupMs
	return nil
}

// requireOneOf reads a required string field that must be one of allowed.
func requireOneOf(v *string, name string, dst *string, allowed ...string) error {
	if err := requireString(v, name, dst); err != nil {
		return err
	}
	for _, a := range allowed {
		if *dst == a {
			return nil
		}
	}
	return Errorf(CodeBadMessage, "%q must be one of %q, not %q", name, allowed, truncate(*dst, 32))
}

func requireString(v *string, name string, dst *string) error {
	if v == nil {
		return Errorf(CodeBadMessage, "missing string field %q", name)
	}
	*dst = *v
	return nil
}

func requireBool(v *bool, name string, dst *bool) error {
	if v == nil {
		return Errorf(CodeBadMessage, "missing boolean field %q", name)
	}
	*dst = *v
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Encode returns the JSON form of m with exactly the fields its type defines.
func Encode(m Message) ([]byte, error) {
	out := struct {
		V         int          `json:"v"`
		Type      Type         `json:"type"`
		Room      *string      `json:"room,omitempty"`
		Rollback  *bool        `json:"rollback,omitempty"`
		SDP       *string      `json:"sdp,omitempty"`
		Candidate *candField   `json:"candidate,omitempty"`
		Peer      *bool        `json:"peer,omitempty"`
		Polite    *bool        `json:"polite,omitempty"`
		Reason    *string      `json:"reason,omitempty"`
		ICE       *[]ICEServer `json:"iceServers,omitempty"`
		ICETTL    *int         `json:"iceTtl,omitempty"`
		Code      *Code        `json:"code,omitempty"`
		Message   *string      `json:"message,omitempty"`
		Outcome   *string      `json:"outcome,omitempty"`
		Path      *string      `json:"path,omitempty"`
		Transport *string      `json:"transport,omitempty"`
		SetupMs   *int         `json:"setupMs,omitempty"`
		Resume    *string      `json:"resume,omitempty"`
		Keep      *bool        `json:"keep,omitempty"`
		Resumed   *bool        `json:"resumed,omitempty"`
		GraceMs   *int         `json:"graceMs,omitempty"`
		Pair      *uint64      `json:"pair,omitempty"`
	}{V: Version, Type: m.Type}
	if m.Pair != 0 {
		switch m.Type {
		case TypeWelcome, TypePeerJoined, TypeOffer, TypeAnswer, TypeCandidate:
			out.Pair = &m.Pair
		}
	}
	switch m.Type {
	case TypeJoin:
		out.Room = &m.Room
		if !m.Rollback {
			out.Rollback = &m.Rollback
		}
		if m.Resume != "" {
			out.Resume = &m.Resume
		}
		if m.Keep {
			out.Keep, out.Polite = &m.Keep, &m.Polite
		}
	case TypeOffer, TypeAnswer:
		out.SDP = &m.SDP
	case TypeCandidate:
		out.Candidate = &candField{m.Candidate}
	case TypeWelcome:
		out.Room, out.Peer = &m.Room, &m.Peer
		if m.Peer {
			out.Polite, out.Resumed = &m.Polite, &m.Resumed
		}
		out.ICE, out.ICETTL = iceServers(m), &m.ICETTL
	case TypeICEServers:
		out.ICE, out.ICETTL = iceServers(m), &m.ICETTL
	case TypePeerJoined:
		out.Polite, out.Resumed = &m.Polite, &m.Resumed
	case TypePeerReconnecting:
		out.GraceMs = &m.GraceMs
	case TypePeerLeft:
		out.Reason = &m.Reason
	case TypeError:
		out.Code, out.Message = &m.Code, &m.Text
	case TypeCallReport:
		r := &m.Report
		out.Outcome = &r.Outcome
		if r.Outcome == OutcomeFailed {
			out.Reason = &r.Reason
			break
		}
		out.Path, out.SetupMs = &r.Path, &r.SetupMs
		if r.Transport != "" {
			out.Transport = &r.Transport
		}
	case TypeLeave, TypePing, TypePong, TypeICERefresh:
	default:
		return nil, Errorf(CodeUnknownType, "cannot encode unknown message type %q", m.Type)
	}
	return json.Marshal(out)
}

// candField encodes a candidate that may be null (end of candidates) while still being present.
type candField struct{ c *Candidate }

func (f *candField) MarshalJSON() ([]byte, error) { return json.Marshal(f.c) }

// iceServers returns m's servers for encoding: an empty list is sent as [], never omitted or null.
func iceServers(m Message) *[]ICEServer {
	if m.ICEServers == nil {
		empty := []ICEServer{}
		return &empty
	}
	return &m.ICEServers
}
