package peer

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
	"unicode/utf16"
)

// The chat data channel, as docs/protocol.md fixes it: both peers create it themselves (negotiated), with
// the same label and id, ordered and reliable.
const (
	ChatLabel   = "chat"
	ChatChannel = 0 // the negotiated SCTP stream id
)

// Limits of a chat message (docs/protocol.md, "The data channel").
const (
	MaxChatIDLength   = 64   // characters in "id"
	MaxChatTextLength = 4000 // characters in "text", counted like JavaScript's String.length (UTF-16 code units)
)

// The data-channel message types of protocol version 1.
const (
	chatType = "chat"
	ackType  = "ack" // the receiver has chat message id
	byeType  = "bye" // the sender hung up on purpose
)

// ChatMessage is one chat message received over the data channel (or sent, for SendChat's result).
type ChatMessage struct {
	ID   string    // unique per sender, at most MaxChatIDLength characters
	Text string    // 1 to MaxChatTextLength characters; show it as text, never as HTML
	Time time.Time // the sender's clock when it was sent (millisecond precision)
}

// ErrInvalidChat is returned (wrapped) by SendChat and DecodeChat for a message outside the protocol's limits.
var ErrInvalidChat = errors.New("peer: invalid chat message")

// chatWire is the JSON form of a chat message on the data channel. Pointers tell a missing field from a
// zero value.
type chatWire struct {
	Type *string  `json:"type"`
	ID   *string  `json:"id"`
	Text *string  `json:"text"`
	TS   *float64 `json:"ts"`
}

// jsLength is the length of s as JavaScript's String.length counts it: UTF-16 code units. This is how the
// browser client measures "characters", so both sides agree on the limits.
func jsLength(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// validateChatText reports whether text fits the protocol's limits for "text".
func validateChatText(text string) error {
	if n := jsLength(text); n < 1 || n > MaxChatTextLength {
		return fmt.Errorf("%w: text must be 1 to %d characters, not %d", ErrInvalidChat, MaxChatTextLength, n)
	}
	return nil
}

// DecodeChat parses one data-channel message. It returns ok false, without an error, for a well-formed
// message of another type (receivers ignore those), and an error wrapping ErrInvalidChat for anything
// that is not a valid chat message (receivers ignore those too).
func DecodeChat(data []byte) (msg ChatMessage, ok bool, err error) {
	var w chatWire
	if err := json.Unmarshal(data, &w); err != nil {
		return ChatMessage{}, false, fmt.Errorf("%w: not a JSON object: %v", ErrInvalidChat, err)
	}
	if w.Type == nil {
		return ChatMessage{}, false, fmt.Errorf(`%w: no "type"`, ErrInvalidChat)
	}
	if *w.Type != chatType {
		return ChatMessage{}, false, nil
	}
	switch {
	case w.ID == nil || w.Text == nil || w.TS == nil:
		return ChatMessage{}, false, fmt.Errorf(`%w: "id", "text" and "ts" are required`, ErrInvalidChat)
	case *w.ID == "" || jsLength(*w.ID) > MaxChatIDLength:
		return ChatMessage{}, false, fmt.Errorf("%w: id must be 1 to %d characters", ErrInvalidChat, MaxChatIDLength)
	case math.IsNaN(*w.TS) || math.Abs(*w.TS) > maxTS:
		return ChatMessage{}, false, fmt.Errorf(`%w: "ts" is not a usable time`, ErrInvalidChat)
	}
	if err := validateChatText(*w.Text); err != nil {
		return ChatMessage{}, false, err
	}
	return ChatMessage{ID: *w.ID, Text: *w.Text, Time: time.UnixMilli(int64(*w.TS))}, true, nil
}

// maxTS bounds "ts" to what JavaScript's Date can hold (±8.64e15 ms, about ±273,790 years), so the
// conversion to int64 milliseconds is exact and cannot overflow. It also rejects ±Inf.
const maxTS = 8.64e15

// EncodeChat returns the data-channel form of msg: {"type":"chat","id":…,"text":…,"ts":…}.
func EncodeChat(msg ChatMessage) ([]byte, error) {
	if msg.ID == "" || jsLength(msg.ID) > MaxChatIDLength {
		return nil, fmt.Errorf("%w: id must be 1 to %d characters", ErrInvalidChat, MaxChatIDLength)
	}
	if err := validateChatText(msg.Text); err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Text string `json:"text"`
		TS   int64  `json:"ts"`
	}{chatType, msg.ID, msg.Text, msg.Time.UnixMilli()})
}

// newChatID returns a fresh message id: 96 random bits, URL-safe base64 (16 characters).
func newChatID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it panics if the OS cannot provide randomness)
	return base64.RawURLEncoding.EncodeToString(b)
}

// channelMessage is one decoded data-channel message of a type this peer acts on.
type channelMessage struct {
	typ  string      // chatType, ackType or byeType; "" for anything to ignore
	chat ChatMessage // chatType
	id   string      // ackType: the acknowledged message
}

// decodeChannel parses one data-channel message; typ is "" for a message of another type or one that
// does not fit the protocol (err says why, for the log).
func decodeChannel(data []byte) (channelMessage, error) {
	cm, ok, err := DecodeChat(data)
	switch {
	case err != nil:
		return channelMessage{}, err
	case ok:
		return channelMessage{typ: chatType, chat: cm}, nil
	}
	var w struct {
		Type string  `json:"type"`
		ID   *string `json:"id"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return channelMessage{}, fmt.Errorf("%w: %v", ErrInvalidChat, err)
	}
	switch w.Type {
	case byeType:
		return channelMessage{typ: byeType}, nil
	case ackType:
		if w.ID == nil || *w.ID == "" || jsLength(*w.ID) > MaxChatIDLength {
			return channelMessage{}, fmt.Errorf("%w: ack id must be 1 to %d characters", ErrInvalidChat, MaxChatIDLength)
		}
		return channelMessage{typ: ackType, id: *w.ID}, nil
	}
	return channelMessage{}, nil
}

// encodeAck returns the acknowledgement of chat message id: {"type":"ack","id":…}.
func encodeAck(id string) string {
	data, _ := json.Marshal(struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}{ackType, id}) // cannot fail: two strings
	return string(data)
}

// byeMessage is what a hanging-up peer says on the chat channel.
const byeMessage = `{"type":"bye"}`

// maxSeenIDs bounds the chat ids remembered to drop duplicates. A sender sends a message again only
// while it waits for the ack (docs/protocol.md), so only the latest few can come back.
const maxSeenIDs = 4096

// seenIDs remembers the ids of the chat messages delivered, the oldest forgotten first. pion's data
// channel callbacks use it (one session's at a time, but a closing one may overlap), hence the lock.
type seenIDs struct {
	mu    sync.Mutex
	ids   map[string]struct{}
	order []string
}

func (s *seenIDs) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.ids[id]
	return ok
}

func (s *seenIDs) add(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = make(map[string]struct{})
	}
	if _, ok := s.ids[id]; ok {
		return
	}
	if len(s.order) >= maxSeenIDs {
		delete(s.ids, s.order[0])
		s.order = s.order[1:]
	}
	s.ids[id] = struct{}{}
	s.order = append(s.order, id)
}
