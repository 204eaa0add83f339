package protocol_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/maju-call/maju/internal/protocol"
)

const testRoom = "Yv3x0m3k2QdA8i5cV7XwZg"

func ptr[T any](v T) *T { return &v }

// decodeCase is one Decode input and what it must produce: either want (when code is "") or an *Error
// with code.
type decodeCase struct {
	name string
	in   string
	want protocol.Message
	code protocol.Code
}

func runDecodeCases(t *testing.T, cases []decodeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := protocol.Decode([]byte(tc.in))
			if tc.code != "" {
				if err == nil {
					t.Fatalf("Decode(%s) = %+v, want error %s", tc.in, got, tc.code)
				}
				var perr *protocol.Error
				if !errors.As(err, &perr) {
					t.Fatalf("Decode(%s) error %T %v is not a *protocol.Error", tc.in, err, err)
				}
				if perr.Code != tc.code {
					t.Fatalf("Decode(%s) error code = %q (%v), want %q", tc.in, perr.Code, err, tc.code)
				}
				if perr.Text == "" {
					t.Errorf("Decode(%s) error has no text for people", tc.in)
				}
				if !reflect.DeepEqual(got, protocol.Message{}) {
					t.Errorf("Decode(%s) returned %+v with an error, want the zero Message", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%s) error = %v, want %+v", tc.in, err, tc.want)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decode(%s)\n got  %s\n want %s", tc.in, dump(got), dump(tc.want))
			}
		})
	}
}

// dump shows a Message with its pointer fields dereferenced.
func dump(m protocol.Message) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func TestDecodeEnvelope(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "empty input", in: ``, code: protocol.CodeBadMessage},
		{name: "whitespace only", in: "  \n\t", code: protocol.CodeBadMessage},
		{name: "not JSON", in: `hello`, code: protocol.CodeBadMessage},
		{name: "truncated JSON", in: `{"v":1,"type":"ping"`, code: protocol.CodeBadMessage},
		{name: "trailing garbage", in: `{"v":1,"type":"ping"} x`, code: protocol.CodeBadMessage},
		{name: "two objects", in: `{"v":1,"type":"ping"}{"v":1,"type":"ping"}`, code: protocol.CodeBadMessage},
		{name: "JSON array", in: `[{"v":1,"type":"ping"}]`, code: protocol.CodeBadMessage},
		{name: "empty JSON array", in: `[]`, code: protocol.CodeBadMessage},
		{name: "JSON string", in: `"ping"`, code: protocol.CodeBadMessage},
		{name: "JSON number", in: `1`, code: protocol.CodeBadMessage},
		{name: "JSON true", in: `true`, code: protocol.CodeBadMessage},
		{name: "JSON null", in: `null`, code: protocol.CodeBadMessage},
		{name: "JSON null with spaces", in: " null \n", code: protocol.CodeBadMessage},

		{name: "empty object", in: `{}`, code: protocol.CodeUnsupportedVersion},
		{name: "missing v", in: `{"type":"ping"}`, code: protocol.CodeUnsupportedVersion},
		{name: "v null", in: `{"v":null,"type":"ping"}`, code: protocol.CodeUnsupportedVersion},
		{name: "v 0", in: `{"v":0,"type":"ping"}`, code: protocol.CodeUnsupportedVersion},
		{name: "v 2", in: `{"v":2,"type":"ping"}`, code: protocol.CodeUnsupportedVersion},
		{name: "v -1", in: `{"v":-1,"type":"ping"}`, code: protocol.CodeUnsupportedVersion},
		{name: "v checked before type", in: `{"v":2,"type":"no-such-type"}`, code: protocol.CodeUnsupportedVersion},
		{name: "v string", in: `{"v":"1","type":"ping"}`, code: protocol.CodeBadMessage},
		{name: "v fraction", in: `{"v":1.5,"type":"ping"}`, code: protocol.CodeBadMessage},
		{name: "v bool", in: `{"v":true,"type":"ping"}`, code: protocol.CodeBadMessage},
		{name: "v object", in: `{"v":{},"type":"ping"}`, code: protocol.CodeBadMessage},

		{name: "missing type", in: `{"v":1}`, code: protocol.CodeBadMessage},
		{name: "type null", in: `{"v":1,"type":null}`, code: protocol.CodeBadMessage},
		{name: "type number", in: `{"v":1,"type":3}`, code: protocol.CodeBadMessage},
		{name: "type array", in: `{"v":1,"type":["ping"]}`, code: protocol.CodeBadMessage},
		{name: "unknown type", in: `{"v":1,"type":"hello"}`, code: protocol.CodeUnknownType},
		{name: "empty type", in: `{"v":1,"type":""}`, code: protocol.CodeUnknownType},
		{name: "type wrong case", in: `{"v":1,"type":"PING"}`, code: protocol.CodeUnknownType},
		{name: "type with space", in: `{"v":1,"type":"ping "}`, code: protocol.CodeUnknownType},
		{name: "long unknown type", in: `{"v":1,"type":"` + strings.Repeat("x", 5000) + `"}`, code: protocol.CodeUnknownType},

		{name: "extra fields ignored", in: `{"v":1,"type":"ping","extra":{"a":[1,2]},"x":null}`,
			want: protocol.Message{Type: protocol.TypePing}},
		{name: "whitespace around object", in: " \n{\"v\":1,\"type\":\"ping\"}\n ",
			want: protocol.Message{Type: protocol.TypePing}},
		{name: "field order does not matter", in: `{"type":"ping","v":1}`,
			want: protocol.Message{Type: protocol.TypePing}},
	})
}

func TestDecodeUnknownTypeTextIsBounded(t *testing.T) {
	_, err := protocol.Decode([]byte(`{"v":1,"type":"` + strings.Repeat("x", 5000) + `"}`))
	var perr *protocol.Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v is not a *protocol.Error", err)
	}
	if len(perr.Text) > 200 {
		t.Errorf("error text is %d bytes; an unknown type must not be echoed in full", len(perr.Text))
	}
}

func TestDecodeJoin(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "rollback defaults to true", in: `{"v":1,"type":"join","room":"` + testRoom + `"}`,
			want: protocol.Message{Type: protocol.TypeJoin, Room: testRoom, Rollback: true}},
		{name: "rollback true", in: `{"v":1,"type":"join","room":"R","rollback":true}`,
			want: protocol.Message{Type: protocol.TypeJoin, Room: "R", Rollback: true}},
		{name: "rollback false", in: `{"v":1,"type":"join","room":"R","rollback":false}`,
			want: protocol.Message{Type: protocol.TypeJoin, Room: "R", Rollback: false}},
		{name: "rollback null means default", in: `{"v":1,"type":"join","room":"R","rollback":null}`,
			want: protocol.Message{Type: protocol.TypeJoin, Room: "R", Rollback: true}},
		// The room id's form is checked by the signaling layer (bad-room), not by Decode.
		{name: "malformed room id is still a join", in: `{"v":1,"type":"join","room":"x"}`,
			want: protocol.Message{Type: protocol.TypeJoin, Room: "x", Rollback: true}},
		{name: "empty room is still a join", in: `{"v":1,"type":"join","room":""}`,
			want: protocol.Message{Type: protocol.TypeJoin, Room: "", Rollback: true}},
		{name: "unrelated fields are not kept", in: `{"v":1,"type":"join","room":"R","sdp":"v=0","polite":true}`,
			want: protocol.Message{Type: protocol.TypeJoin, Room: "R", Rollback: true}},
		{name: "resume token", in: `{"v":1,"type":"join","room":"R","resume":"` + testRoom + `"}`,
			want: protocol.Message{Type: protocol.TypeJoin, Room: "R", Rollback: true, Resume: testRoom}},
		{name: "keep with role", in: `{"v":1,"type":"join","room":"R","resume":"` + testRoom + `","keep":true,"polite":true}`,
			want: protocol.Message{Type: protocol.TypeJoin, Room: "R", Rollback: true, Resume: testRoom, Keep: true, Polite: true}},
		{name: "keep false ignores polite", in: `{"v":1,"type":"join","room":"R","resume":"` + testRoom + `","keep":false,"polite":true}`,
			want: protocol.Message{Type: protocol.TypeJoin, Room: "R", Rollback: true, Resume: testRoom}},
		{name: "resume of the wrong form", in: `{"v":1,"type":"join","room":"R","resume":"short"}`, code: protocol.CodeBadMessage},
		{name: "resume not a string", in: `{"v":1,"type":"join","room":"R","resume":5}`, code: protocol.CodeBadMessage},
		{name: "keep without a token", in: `{"v":1,"type":"join","room":"R","keep":true,"polite":true}`, code: protocol.CodeBadMessage},
		{name: "keep without a role", in: `{"v":1,"type":"join","room":"R","resume":"` + testRoom + `","keep":true}`, code: protocol.CodeBadMessage},

		{name: "missing room", in: `{"v":1,"type":"join"}`, code: protocol.CodeBadMessage},
		{name: "room null", in: `{"v":1,"type":"join","room":null}`, code: protocol.CodeBadMessage},
		{name: "room number", in: `{"v":1,"type":"join","room":123}`, code: protocol.CodeBadMessage},
		{name: "room object", in: `{"v":1,"type":"join","room":{}}`, code: protocol.CodeBadMessage},
		{name: "rollback string", in: `{"v":1,"type":"join","room":"R","rollback":"false"}`, code: protocol.CodeBadMessage},
		{name: "rollback number", in: `{"v":1,"type":"join","room":"R","rollback":0}`, code: protocol.CodeBadMessage},
	})
}

func TestDecodeOfferAnswer(t *testing.T) {
	for _, typ := range []protocol.Type{protocol.TypeOffer, protocol.TypeAnswer} {
		t.Run(string(typ), func(t *testing.T) {
			pre := `{"v":1,"type":"` + string(typ) + `"`
			runDecodeCases(t, []decodeCase{
				{name: "valid", in: pre + `,"sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}`,
					want: protocol.Message{Type: typ, SDP: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}},
				{name: "unicode sdp", in: pre + `,"sdp":"v=0 \u00e9\ud83d\ude00"}`,
					want: protocol.Message{Type: typ, SDP: "v=0 é😀"}},
				{name: "missing sdp", in: pre + `}`, code: protocol.CodeBadMessage},
				{name: "sdp null", in: pre + `,"sdp":null}`, code: protocol.CodeBadMessage},
				{name: "empty sdp", in: pre + `,"sdp":""}`, code: protocol.CodeBadMessage},
				{name: "sdp number", in: pre + `,"sdp":0}`, code: protocol.CodeBadMessage},
				{name: "sdp object (RTCSessionDescription)", in: pre + `,"sdp":{"type":"offer","sdp":"v=0"}}`,
					code: protocol.CodeBadMessage},
				{name: "sdp array", in: pre + `,"sdp":["v=0"]}`, code: protocol.CodeBadMessage},
			})
		})
	}
}

func TestDecodeCandidate(t *testing.T) {
	const pre = `{"v":1,"type":"candidate"`
	full := &protocol.Candidate{
		Candidate:        "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host",
		SDPMid:           ptr("0"),
		SDPMLineIndex:    ptr(uint16(0)),
		UsernameFragment: ptr("abcd"),
	}
	runDecodeCases(t, []decodeCase{
		{name: "full candidate",
			in:   pre + `,"candidate":{"candidate":"candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"}}`,
			want: protocol.Message{Type: protocol.TypeCandidate, Candidate: full}},
		{name: "only candidate string",
			in:   pre + `,"candidate":{"candidate":"candidate:2 1 udp 1 ::1 9 typ host"}}`,
			want: protocol.Message{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{Candidate: "candidate:2 1 udp 1 ::1 9 typ host"}}},
		{name: "optional fields null",
			in:   pre + `,"candidate":{"candidate":"c","sdpMid":null,"sdpMLineIndex":null,"usernameFragment":null}}`,
			want: protocol.Message{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{Candidate: "c"}}},
		{name: "large sdpMLineIndex",
			in:   pre + `,"candidate":{"candidate":"c","sdpMLineIndex":65535}}`,
			want: protocol.Message{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{Candidate: "c", SDPMLineIndex: ptr(uint16(65535))}}},
		{name: "extra fields inside candidate ignored",
			in:   pre + `,"candidate":{"candidate":"c","sdpMid":"1","foo":[1]}}`,
			want: protocol.Message{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{Candidate: "c", SDPMid: ptr("1")}}},
		{name: "empty candidate string is end of candidates for one m-line (Firefox)",
			in:   pre + `,"candidate":{"candidate":"","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"}}`,
			want: protocol.Message{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{Candidate: "", SDPMid: ptr("0"), SDPMLineIndex: ptr(uint16(0)), UsernameFragment: ptr("abcd")}}},
		{name: "empty candidate string alone",
			in:   pre + `,"candidate":{"candidate":""}}`,
			want: protocol.Message{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{}}},
		{name: "null is end of all candidates",
			in:   pre + `,"candidate":null}`,
			want: protocol.Message{Type: protocol.TypeCandidate, Candidate: nil}},
		{name: "null with whitespace",
			in:   pre + `,"candidate" :  null  }`,
			want: protocol.Message{Type: protocol.TypeCandidate, Candidate: nil}},

		{name: "missing candidate", in: pre + `}`, code: protocol.CodeBadMessage},
		{name: "object without candidate string", in: pre + `,"candidate":{"sdpMid":"0","sdpMLineIndex":0}}`, code: protocol.CodeBadMessage},
		{name: "empty object", in: pre + `,"candidate":{}}`, code: protocol.CodeBadMessage},
		{name: "candidate string null", in: pre + `,"candidate":{"candidate":null}}`, code: protocol.CodeBadMessage},
		{name: "candidate is a string", in: pre + `,"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host"}`, code: protocol.CodeBadMessage},
		{name: "candidate is a number", in: pre + `,"candidate":1}`, code: protocol.CodeBadMessage},
		{name: "candidate is false", in: pre + `,"candidate":false}`, code: protocol.CodeBadMessage},
		{name: "candidate is an array", in: pre + `,"candidate":[]}`, code: protocol.CodeBadMessage},
		{name: "candidate string is a number", in: pre + `,"candidate":{"candidate":5}}`, code: protocol.CodeBadMessage},
		{name: "sdpMid number", in: pre + `,"candidate":{"candidate":"c","sdpMid":0}}`, code: protocol.CodeBadMessage},
		{name: "sdpMLineIndex string", in: pre + `,"candidate":{"candidate":"c","sdpMLineIndex":"0"}}`, code: protocol.CodeBadMessage},
		{name: "sdpMLineIndex negative", in: pre + `,"candidate":{"candidate":"c","sdpMLineIndex":-1}}`, code: protocol.CodeBadMessage},
		{name: "sdpMLineIndex too large", in: pre + `,"candidate":{"candidate":"c","sdpMLineIndex":65536}}`, code: protocol.CodeBadMessage},
		{name: "sdpMLineIndex fraction", in: pre + `,"candidate":{"candidate":"c","sdpMLineIndex":0.5}}`, code: protocol.CodeBadMessage},
		{name: "usernameFragment bool", in: pre + `,"candidate":{"candidate":"c","usernameFragment":true}}`, code: protocol.CodeBadMessage},
	})
}

func TestDecodeNoFieldTypes(t *testing.T) {
	for _, typ := range []protocol.Type{protocol.TypeLeave, protocol.TypePing, protocol.TypePong} {
		t.Run(string(typ), func(t *testing.T) {
			pre := `{"v":1,"type":"` + string(typ) + `"`
			runDecodeCases(t, []decodeCase{
				{name: "valid", in: pre + `}`, want: protocol.Message{Type: typ}},
				{name: "fields of other types are not kept", in: pre + `,"room":"R","reason":"hangup","polite":true}`,
					want: protocol.Message{Type: typ}},
				{name: "wrong v", in: `{"v":3,"type":"` + string(typ) + `"}`, code: protocol.CodeUnsupportedVersion},
			})
		})
	}
}

func TestDecodeICEServers(t *testing.T) {
	turn := protocol.ICEServer{URLs: []string{"turn:h:3478?transport=udp", "turn:h:3478?transport=tcp"},
		Username: "1767225600:ab", Credential: "c2VjcmV0"}
	runDecodeCases(t, []decodeCase{
		{name: "servers", in: `{"v":1,"type":"ice-servers","iceServers":[{"urls":["stun:h:3478"]},` +
			`{"urls":["turn:h:3478?transport=udp","turn:h:3478?transport=tcp"],"username":"1767225600:ab","credential":"c2VjcmV0"}],"iceTtl":3600}`,
			want: protocol.Message{Type: protocol.TypeICEServers, ICETTL: 3600,
				ICEServers: []protocol.ICEServer{{URLs: []string{"stun:h:3478"}}, turn}}},
		{name: "none", in: `{"v":1,"type":"ice-servers","iceServers":[],"iceTtl":0}`,
			want: protocol.Message{Type: protocol.TypeICEServers}},
		{name: "missing list", in: `{"v":1,"type":"ice-servers","iceTtl":0}`, code: protocol.CodeBadMessage},
		{name: "ttl string", in: `{"v":1,"type":"ice-servers","iceServers":[],"iceTtl":"1"}`, code: protocol.CodeBadMessage},
		{name: "refresh", in: `{"v":1,"type":"ice-refresh"}`, want: protocol.Message{Type: protocol.TypeICERefresh}},
	})
}

func TestDecodeWelcome(t *testing.T) {
	const pre = `{"v":1,"type":"welcome"`
	runDecodeCases(t, []decodeCase{
		{name: "alone", in: pre + `,"room":"R","peer":false,"iceServers":[],"iceTtl":0}`,
			want: protocol.Message{Type: protocol.TypeWelcome, Room: "R"}},
		{name: "alone ignores polite", in: pre + `,"room":"R","peer":false,"polite":true,"iceServers":[],"iceTtl":0}`,
			want: protocol.Message{Type: protocol.TypeWelcome, Room: "R"}},
		{name: "with peer, polite", in: pre + `,"room":"R","peer":true,"polite":true,"iceServers":[],"iceTtl":0}`,
			want: protocol.Message{Type: protocol.TypeWelcome, Room: "R", Peer: true, Polite: true}},
		{name: "with peer, impolite", in: pre + `,"room":"R","peer":true,"polite":false,"iceServers":[],"iceTtl":0}`,
			want: protocol.Message{Type: protocol.TypeWelcome, Room: "R", Peer: true, Polite: false}},

		{name: "missing room", in: pre + `,"peer":false,"iceServers":[],"iceTtl":0}`, code: protocol.CodeBadMessage},
		{name: "room number", in: pre + `,"room":1,"peer":false,"iceServers":[],"iceTtl":0}`, code: protocol.CodeBadMessage},
		{name: "missing peer", in: pre + `,"room":"R","iceServers":[],"iceTtl":0}`, code: protocol.CodeBadMessage},
		{name: "peer null", in: pre + `,"room":"R","peer":null,"iceServers":[],"iceTtl":0}`, code: protocol.CodeBadMessage},
		{name: "peer string", in: pre + `,"room":"R","peer":"true","polite":true,"iceServers":[],"iceTtl":0}`, code: protocol.CodeBadMessage},
		{name: "peer true without polite", in: pre + `,"room":"R","peer":true,"iceServers":[],"iceTtl":0}`, code: protocol.CodeBadMessage},
		{name: "missing iceServers", in: pre + `,"room":"R","peer":false,"iceTtl":0}`, code: protocol.CodeBadMessage},
		{name: "missing iceTtl", in: pre + `,"room":"R","peer":false,"iceServers":[]}`, code: protocol.CodeBadMessage},
		{name: "negative iceTtl", in: pre + `,"room":"R","peer":false,"iceServers":[],"iceTtl":-1}`, code: protocol.CodeBadMessage},
		{name: "iceServers object", in: pre + `,"room":"R","peer":false,"iceServers":{},"iceTtl":0}`, code: protocol.CodeBadMessage},
		{name: "server without urls", in: pre + `,"room":"R","peer":false,"iceServers":[{"username":"u"}],"iceTtl":0}`, code: protocol.CodeBadMessage},
		{name: "urls string", in: pre + `,"room":"R","peer":false,"iceServers":[{"urls":"stun:x"}],"iceTtl":0}`, code: protocol.CodeBadMessage},
		{name: "polite string", in: pre + `,"room":"R","peer":true,"polite":"yes","iceServers":[],"iceTtl":0}`, code: protocol.CodeBadMessage},
	})
}

func TestDecodePeerJoined(t *testing.T) {
	const pre = `{"v":1,"type":"peer-joined"`
	runDecodeCases(t, []decodeCase{
		{name: "polite", in: pre + `,"polite":true}`, want: protocol.Message{Type: protocol.TypePeerJoined, Polite: true}},
		{name: "impolite", in: pre + `,"polite":false}`, want: protocol.Message{Type: protocol.TypePeerJoined}},
		{name: "missing polite", in: pre + `}`, code: protocol.CodeBadMessage},
		{name: "polite null", in: pre + `,"polite":null}`, code: protocol.CodeBadMessage},
		{name: "polite number", in: pre + `,"polite":1}`, code: protocol.CodeBadMessage},
	})
}

func TestDecodePeerLeft(t *testing.T) {
	const pre = `{"v":1,"type":"peer-left"`
	runDecodeCases(t, []decodeCase{
		{name: "hangup", in: pre + `,"reason":"hangup"}`,
			want: protocol.Message{Type: protocol.TypePeerLeft, Reason: protocol.ReasonHangup}},
		{name: "disconnected", in: pre + `,"reason":"disconnected"}`,
			want: protocol.Message{Type: protocol.TypePeerLeft, Reason: protocol.ReasonDisconnected}},
		{name: "missing reason", in: pre + `}`, code: protocol.CodeBadMessage},
		{name: "reason null", in: pre + `,"reason":null}`, code: protocol.CodeBadMessage},
		{name: "reason bool", in: pre + `,"reason":true}`, code: protocol.CodeBadMessage},
	})
}

func TestDecodeError(t *testing.T) {
	const pre = `{"v":1,"type":"error"`
	runDecodeCases(t, []decodeCase{
		{name: "code and message", in: pre + `,"code":"room-full","message":"This call already has two people."}`,
			want: protocol.Message{Type: protocol.TypeError, Code: protocol.CodeRoomFull, Text: "This call already has two people."}},
		{name: "message optional", in: pre + `,"code":"bad-room"}`,
			want: protocol.Message{Type: protocol.TypeError, Code: protocol.CodeBadRoom}},
		{name: "message null", in: pre + `,"code":"bad-room","message":null}`,
			want: protocol.Message{Type: protocol.TypeError, Code: protocol.CodeBadRoom}},
		{name: "unknown code kept", in: pre + `,"code":"something-new","message":"m"}`,
			want: protocol.Message{Type: protocol.TypeError, Code: "something-new", Text: "m"}},
		{name: "missing code", in: pre + `,"message":"m"}`, code: protocol.CodeBadMessage},
		{name: "code null", in: pre + `,"code":null}`, code: protocol.CodeBadMessage},
		{name: "code number", in: pre + `,"code":1008}`, code: protocol.CodeBadMessage},
		{name: "message number", in: pre + `,"code":"bad-room","message":1}`, code: protocol.CodeBadMessage},
	})
}

// everyType lists one message of every type with every field its type defines set to a non-zero value
// where the type allows.
func everyType() []protocol.Message {
	return []protocol.Message{
		{Type: protocol.TypeJoin, Room: testRoom, Rollback: true},
		{Type: protocol.TypeJoin, Room: testRoom, Rollback: false},
		{Type: protocol.TypeOffer, SDP: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"},
		{Type: protocol.TypeAnswer, SDP: "v=0\r\n"},
		{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{
			Candidate: "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host",
			SDPMid:    ptr("0"), SDPMLineIndex: ptr(uint16(1)), UsernameFragment: ptr("abcd")}},
		{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{Candidate: "c"}},
		{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{Candidate: "", SDPMid: ptr(""), SDPMLineIndex: ptr(uint16(0))}},
		{Type: protocol.TypeCandidate, Candidate: nil},
		{Type: protocol.TypeLeave},
		{Type: protocol.TypePing},
		{Type: protocol.TypePong},
		{Type: protocol.TypeWelcome, Room: testRoom, Peer: false},
		{Type: protocol.TypeWelcome, Room: testRoom, Peer: true, Polite: true},
		{Type: protocol.TypeWelcome, Room: testRoom, Peer: true, Polite: false},
		{Type: protocol.TypePeerJoined, Polite: true},
		{Type: protocol.TypePeerJoined, Polite: false},
		{Type: protocol.TypePeerLeft, Reason: protocol.ReasonHangup},
		{Type: protocol.TypePeerLeft, Reason: protocol.ReasonDisconnected},
		{Type: protocol.TypeError, Code: protocol.CodeRoomFull, Text: "This call already has two people."},
		{Type: protocol.TypeError, Code: protocol.CodeBadMessage, Text: ""},
		{Type: protocol.TypeError, Code: protocol.CodeBadMessage, Text: "quotes \" <html> & \u2028 é \x01"},
		{Type: protocol.TypeCallReport, Report: protocol.CallReport{Outcome: "connected", Path: "direct", SetupMs: 840}},
		{Type: protocol.TypeCallReport, Report: protocol.CallReport{Outcome: "connected", Path: "relayed", Transport: "tcp"}},
		{Type: protocol.TypeCallReport, Report: protocol.CallReport{Outcome: "failed", Reason: "timeout"}},
	}
}

func TestDecodeCallReport(t *testing.T) {
	const pre = `{"v":1,"type":"call-report"`
	report := func(r protocol.CallReport) protocol.Message {
		return protocol.Message{Type: protocol.TypeCallReport, Report: r}
	}
	runDecodeCases(t, []decodeCase{
		{name: "direct", in: pre + `,"outcome":"connected","path":"direct","setupMs":1200}`,
			want: report(protocol.CallReport{Outcome: "connected", Path: "direct", SetupMs: 1200})},
		{name: "relayed over tls", in: pre + `,"outcome":"connected","path":"relayed","transport":"tls","setupMs":0}`,
			want: report(protocol.CallReport{Outcome: "connected", Path: "relayed", Transport: "tls"})},
		{name: "relayed, transport unknown", in: pre + `,"outcome":"connected","path":"relayed","transport":"","setupMs":5}`,
			want: report(protocol.CallReport{Outcome: "connected", Path: "relayed", SetupMs: 5})},
		{name: "ice failed", in: pre + `,"outcome":"failed","reason":"ice-failed"}`,
			want: report(protocol.CallReport{Outcome: "failed", Reason: "ice-failed"})},
		{name: "timeout ignores connected fields", in: pre + `,"outcome":"failed","reason":"timeout","path":"x","setupMs":-1}`,
			want: report(protocol.CallReport{Outcome: "failed", Reason: "timeout"})},
		{name: "no outcome", in: pre + `}`, code: protocol.CodeBadMessage},
		{name: "unknown outcome", in: pre + `,"outcome":"great"}`, code: protocol.CodeBadMessage},
		{name: "failed without reason", in: pre + `,"outcome":"failed"}`, code: protocol.CodeBadMessage},
		{name: "unknown reason", in: pre + `,"outcome":"failed","reason":"bad luck"}`, code: protocol.CodeBadMessage},
		{name: "connected without path", in: pre + `,"outcome":"connected","setupMs":1}`, code: protocol.CodeBadMessage},
		{name: "unknown path", in: pre + `,"outcome":"connected","path":"carrier pigeon","setupMs":1}`, code: protocol.CodeBadMessage},
		{name: "transport on direct", in: pre + `,"outcome":"connected","path":"direct","transport":"udp","setupMs":1}`,
			code: protocol.CodeBadMessage},
		{name: "unknown transport", in: pre + `,"outcome":"connected","path":"relayed","transport":"quic","setupMs":1}`,
			code: protocol.CodeBadMessage},
		{name: "no setup time", in: pre + `,"outcome":"connected","path":"direct"}`, code: protocol.CodeBadMessage},
		{name: "negative setup time", in: pre + `,"outcome":"connected","path":"direct","setupMs":-1}`, code: protocol.CodeBadMessage},
		{name: "setup time too long", in: pre + `,"outcome":"connected","path":"direct","setupMs":600001}`, code: protocol.CodeBadMessage},
		{name: "setup time not a number", in: pre + `,"outcome":"connected","path":"direct","setupMs":"1"}`, code: protocol.CodeBadMessage},
	})
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, m := range everyType() {
		t.Run(dump(m), func(t *testing.T) {
			data, err := protocol.Encode(m)
			if err != nil {
				t.Fatalf("Encode error: %v", err)
			}
			got, err := protocol.Decode(data)
			if err != nil {
				t.Fatalf("Decode(Encode(m)) = %v for %s", err, data)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("round trip through %s\n got  %s\n want %s", data, dump(got), dump(m))
			}
		})
	}
}

// TestEncodeFields checks that Encode writes exactly the fields docs/protocol.md defines for each type.
func TestEncodeFields(t *testing.T) {
	tests := []struct {
		name string
		m    protocol.Message
		want string
	}{
		{"join", protocol.Message{Type: protocol.TypeJoin, Room: "R", Rollback: true},
			`{"v":1,"type":"join","room":"R"}`},
		{"join without rollback", protocol.Message{Type: protocol.TypeJoin, Room: "R", Rollback: false},
			`{"v":1,"type":"join","room":"R","rollback":false}`},
		{"Join helper", protocol.Join("R", false), `{"v":1,"type":"join","room":"R","rollback":false}`},
		{"Join helper can roll back", protocol.Join("R", true), `{"v":1,"type":"join","room":"R"}`},
		{"offer", protocol.Message{Type: protocol.TypeOffer, SDP: "v=0"}, `{"v":1,"type":"offer","sdp":"v=0"}`},
		{"answer", protocol.Message{Type: protocol.TypeAnswer, SDP: "v=0"}, `{"v":1,"type":"answer","sdp":"v=0"}`},
		{"candidate", protocol.Message{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{
			Candidate: "candidate:1", SDPMid: ptr("0"), SDPMLineIndex: ptr(uint16(0)), UsernameFragment: ptr("u")}},
			`{"v":1,"type":"candidate","candidate":{"candidate":"candidate:1","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"u"}}`},
		{"candidate optional fields null", protocol.Message{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{Candidate: "c"}},
			`{"v":1,"type":"candidate","candidate":{"candidate":"c","sdpMid":null,"sdpMLineIndex":null,"usernameFragment":null}}`},
		{"candidate empty string", protocol.Message{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{}},
			`{"v":1,"type":"candidate","candidate":{"candidate":"","sdpMid":null,"sdpMLineIndex":null,"usernameFragment":null}}`},
		{"end of candidates", protocol.Message{Type: protocol.TypeCandidate, Candidate: nil},
			`{"v":1,"type":"candidate","candidate":null}`},
		{"leave", protocol.Message{Type: protocol.TypeLeave}, `{"v":1,"type":"leave"}`},
		{"ping", protocol.Message{Type: protocol.TypePing}, `{"v":1,"type":"ping"}`},
		{"pong", protocol.Message{Type: protocol.TypePong}, `{"v":1,"type":"pong"}`},
		{"welcome alone", protocol.Message{Type: protocol.TypeWelcome, Room: "R"},
			`{"v":1,"type":"welcome","room":"R","peer":false,"iceServers":[],"iceTtl":0}`},
		{"welcome alone omits polite even if set", protocol.Message{Type: protocol.TypeWelcome, Room: "R", Polite: true},
			`{"v":1,"type":"welcome","room":"R","peer":false,"iceServers":[],"iceTtl":0}`},
		{"welcome polite", protocol.Message{Type: protocol.TypeWelcome, Room: "R", Peer: true, Polite: true},
			`{"v":1,"type":"welcome","room":"R","peer":true,"polite":true,"iceServers":[],"iceTtl":0,"resumed":false}`},
		{"welcome impolite", protocol.Message{Type: protocol.TypeWelcome, Room: "R", Peer: true},
			`{"v":1,"type":"welcome","room":"R","peer":true,"polite":false,"iceServers":[],"iceTtl":0,"resumed":false}`},
		{"welcome with servers", protocol.Message{Type: protocol.TypeWelcome, Room: "R", ICETTL: 60,
			ICEServers: []protocol.ICEServer{{URLs: []string{"stun:h:3478"}}, {URLs: []string{"turn:h:3478"}, Username: "9:a", Credential: "c"}}},
			`{"v":1,"type":"welcome","room":"R","peer":false,"iceServers":[{"urls":["stun:h:3478"]},{"urls":["turn:h:3478"],"username":"9:a","credential":"c"}],"iceTtl":60}`},
		{"ice-servers", protocol.Message{Type: protocol.TypeICEServers, ICETTL: 5, ICEServers: []protocol.ICEServer{{URLs: []string{"stun:h"}}}},
			`{"v":1,"type":"ice-servers","iceServers":[{"urls":["stun:h"]}],"iceTtl":5}`},
		{"ice-servers empty", protocol.Message{Type: protocol.TypeICEServers}, `{"v":1,"type":"ice-servers","iceServers":[],"iceTtl":0}`},
		{"ice-refresh", protocol.Message{Type: protocol.TypeICERefresh}, `{"v":1,"type":"ice-refresh"}`},
		{"call-report connected", protocol.Message{Type: protocol.TypeCallReport,
			Report: protocol.CallReport{Outcome: "connected", Path: "direct", SetupMs: 0, Reason: "ignored"}},
			`{"v":1,"type":"call-report","outcome":"connected","path":"direct","setupMs":0}`},
		{"call-report relayed", protocol.Message{Type: protocol.TypeCallReport,
			Report: protocol.CallReport{Outcome: "connected", Path: "relayed", Transport: "udp", SetupMs: 9}},
			`{"v":1,"type":"call-report","outcome":"connected","path":"relayed","transport":"udp","setupMs":9}`},
		{"call-report failed", protocol.Message{Type: protocol.TypeCallReport,
			Report: protocol.CallReport{Outcome: "failed", Reason: "ice-failed", Path: "ignored"}},
			`{"v":1,"type":"call-report","outcome":"failed","reason":"ice-failed"}`},
		{"peer-joined polite", protocol.Message{Type: protocol.TypePeerJoined, Polite: true},
			`{"v":1,"type":"peer-joined","polite":true,"resumed":false}`},
		{"peer-joined impolite", protocol.Message{Type: protocol.TypePeerJoined},
			`{"v":1,"type":"peer-joined","polite":false,"resumed":false}`},
		{"peer-joined resumed", protocol.Message{Type: protocol.TypePeerJoined, Resumed: true},
			`{"v":1,"type":"peer-joined","polite":false,"resumed":true}`},
		{"peer-joined with its pair", protocol.Message{Type: protocol.TypePeerJoined, Polite: true, Pair: 7},
			`{"v":1,"type":"peer-joined","polite":true,"resumed":false,"pair":7}`},
		{"offer for a pair", protocol.Message{Type: protocol.TypeOffer, SDP: "v=0", Pair: 7},
			`{"v":1,"type":"offer","sdp":"v=0","pair":7}`},
		{"pair is not part of other types", protocol.Message{Type: protocol.TypePong, Pair: 7}, `{"v":1,"type":"pong"}`},
		{"peer-reconnecting", protocol.Message{Type: protocol.TypePeerReconnecting, GraceMs: 30000},
			`{"v":1,"type":"peer-reconnecting","graceMs":30000}`},
		{"join with resume and keep", protocol.Message{Type: protocol.TypeJoin, Room: "R", Rollback: true, Resume: "T", Keep: true},
			`{"v":1,"type":"join","room":"R","polite":false,"resume":"T","keep":true}`},
		{"peer-left", protocol.Message{Type: protocol.TypePeerLeft, Reason: protocol.ReasonHangup},
			`{"v":1,"type":"peer-left","reason":"hangup"}`},
		{"error", protocol.Message{Type: protocol.TypeError, Code: protocol.CodeRoomFull, Text: "full"},
			`{"v":1,"type":"error","code":"room-full","message":"full"}`},
		{"error with empty text keeps message", protocol.Message{Type: protocol.TypeError, Code: protocol.CodeRoomFull},
			`{"v":1,"type":"error","code":"room-full","message":""}`},
		{"ErrorMessage helper", protocol.ErrorMessage(protocol.Errorf(protocol.CodeBadRoom, "no %s", "room")),
			`{"v":1,"type":"error","code":"bad-room","message":"no room"}`},
		{"fields of other types are dropped", protocol.Message{Type: protocol.TypeOffer, SDP: "v=0", Room: "R",
			Rollback: false, Peer: true, Polite: true, Reason: "hangup", Code: "x", Text: "t",
			Candidate: &protocol.Candidate{Candidate: "c"}},
			`{"v":1,"type":"offer","sdp":"v=0"}`},
		{"ping drops everything else", protocol.Message{Type: protocol.TypePing, Room: "R", SDP: "s"},
			`{"v":1,"type":"ping"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := protocol.Encode(tc.m)
			if err != nil {
				t.Fatalf("Encode error: %v", err)
			}
			var got, want map[string]any
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("Encode wrote %s, not a JSON object: %v", data, err)
			}
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatalf("bad test want %s: %v", tc.want, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Encode wrote %s, want %s", data, tc.want)
			}
		})
	}
}

func TestEncodeCandidateNullIsLiteral(t *testing.T) {
	data, err := protocol.Encode(protocol.Message{Type: protocol.TypeCandidate})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"candidate":null`) {
		t.Fatalf("Encode wrote %s, want it to contain \"candidate\":null", data)
	}
}

func TestEncodeUnknownType(t *testing.T) {
	for _, typ := range []protocol.Type{"", "hello", "PING", "chat"} {
		t.Run(string(typ), func(t *testing.T) {
			data, err := protocol.Encode(protocol.Message{Type: typ})
			var perr *protocol.Error
			if !errors.As(err, &perr) || perr.Code != protocol.CodeUnknownType {
				t.Fatalf("Encode(type %q) = %s, %v; want an unknown-type *protocol.Error", typ, data, err)
			}
			if data != nil {
				t.Errorf("Encode(type %q) returned data %s with an error", typ, data)
			}
		})
	}
}

func TestCodeCloseCodeAndFatal(t *testing.T) {
	tests := []struct {
		code      protocol.Code
		closeCode int
	}{
		{protocol.CodeBadMessage, 0},
		{protocol.CodeUnsupportedVersion, 0},
		{protocol.CodeUnknownType, 0},
		{protocol.CodeNotJoined, 0},
		{protocol.CodeAlreadyJoined, 0},
		{protocol.CodeBadRoom, 1008},
		{protocol.CodeRoomFull, 1008},
		{protocol.CodeJoinTimeout, 1008},
		{protocol.CodeTooLarge, 1009},
		{protocol.CodeSlowConsumer, 1008},
		{protocol.CodeShuttingDown, 1012},
		{protocol.CodeReplaced, 1008},
		{protocol.CodeTooManyRooms, 1008},
		{protocol.CodeTooManyConnections, 0},
		{protocol.CodeInternal, 1011},
		// HTTP-only codes never follow a WebSocket error message.
		{protocol.CodeOriginForbidden, 0},
		{protocol.CodeServerFull, 0},
		{"", 0},
		{"no-such-code", 0},
	}
	for _, tc := range tests {
		t.Run(string(tc.code), func(t *testing.T) {
			if got := tc.code.CloseCode(); got != tc.closeCode {
				t.Errorf("Code(%q).CloseCode() = %d, want %d", tc.code, got, tc.closeCode)
			}
			if got, want := tc.code.Fatal(), tc.closeCode != 0; got != want {
				t.Errorf("Code(%q).Fatal() = %v, want %v", tc.code, got, want)
			}
		})
	}
}

func TestCloseCodeConstants(t *testing.T) {
	// RFC 6455 section 7.4.1.
	for _, tc := range []struct {
		name      string
		got, want int
	}{
		{"CloseNormal", protocol.CloseNormal, 1000},
		{"CloseGoingAway", protocol.CloseGoingAway, 1001},
		{"ClosePolicy", protocol.ClosePolicy, 1008},
		{"CloseTooBig", protocol.CloseTooBig, 1009},
		{"CloseInternalError", protocol.CloseInternalError, 1011},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

func TestErrorAndErrorf(t *testing.T) {
	err := protocol.Errorf(protocol.CodeRoomFull, "room %s has %d people", "R", 2)
	if err.Code != protocol.CodeRoomFull || err.Text != "room R has 2 people" {
		t.Fatalf("Errorf = %+v", err)
	}
	if got, want := err.Error(), "room-full: room R has 2 people"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var wrapped error = errors.Join(errors.New("other"), err)
	var perr *protocol.Error
	if !errors.As(wrapped, &perr) || perr != err {
		t.Errorf("errors.As did not find the *protocol.Error in %v", wrapped)
	}
}

// FuzzDecode checks that Decode never panics, that its errors are always *Error with a decode code, and
// that whatever it accepts survives Encode and a second Decode unchanged. The committed corpus is in
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	for _, m := range everyType() {
		data, err := protocol.Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `"x"`, `{"v":1}`, `{"v":2,"type":"ping"}`, `{"v":"1","type":"ping"}`,
		`{"v":1,"type":"nope"}`, `{"v":1,"type":"offer","sdp":""}`, `{"v":1,"type":"candidate"}`,
		`{"v":1,"type":"candidate","candidate":{"candidate":""}}`, `{"v":1,"type":"candidate","candidate":{}}`,
		`{"v":1,"type":"candidate","candidate":"x"}`, `{"v":1,"type":"welcome","room":"R","peer":true}`,
		`{"V":1,"TYPE":"join","Room":"R"}`, "{\"v\":1,\"type\":\"join\",\"room\":\"\xff\xfe\"}",
		`{"v":1,"type":"join","room":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := protocol.Decode(data)
		if err != nil {
			var perr *protocol.Error
			if !errors.As(err, &perr) {
				t.Fatalf("Decode(%q) error %T %v is not a *protocol.Error", data, err, err)
			}
			switch perr.Code {
			case protocol.CodeBadMessage, protocol.CodeUnsupportedVersion, protocol.CodeUnknownType:
			default:
				t.Fatalf("Decode(%q) error code %q is not one Decode documents", data, perr.Code)
			}
			return
		}
		enc, err := protocol.Encode(m)
		if err != nil {
			t.Fatalf("Decode(%q) = %s but Encode fails: %v", data, dump(m), err)
		}
		back, err := protocol.Decode(enc)
		if err != nil {
			t.Fatalf("Decode(%q) = %s, Encode = %s, but decoding that fails: %v", data, dump(m), enc, err)
		}
		if !reflect.DeepEqual(back, m) {
			t.Fatalf("Decode(%q) = %s, Encode = %s, decodes to %s", data, dump(m), enc, dump(back))
		}
	})
}
