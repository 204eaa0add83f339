package protocol

import "fmt"

// Code is a stable, machine-readable error code sent in error messages and close reasons.
type Code string

// Error codes; docs/protocol.md says when each is used.
const (
	CodeBadMessage         Code = "bad-message"
	CodeUnsupportedVersion Code = "unsupported-version"
	CodeUnknownType        Code = "unknown-type"
	CodeNotJoined          Code = "not-joined"
	CodeAlreadyJoined      Code = "already-joined"
	CodeBadRoom            Code = "bad-room"
	CodeRoomFull           Code = "room-full"
	CodeJoinTimeout        Code = "join-timeout"
	CodeTooLarge           Code = "too-large"
	CodeSlowConsumer       Code = "slow-consumer"
	CodeShuttingDown       Code = "shutting-down"
	CodeOriginForbidden    Code = "origin-forbidden"
	CodeServerFull         Code = "server-full"
	CodeRateLimited        Code = "rate-limited"
	CodeReplaced           Code = "replaced"
	CodeTooManyRooms       Code = "too-many-rooms"
	CodeTooManyConnections Code = "too-many-connections"
	CodeInternal           Code = "internal"
)

// WebSocket close codes (RFC 6455 section 7.4.1) used by maju.
const (
	CloseNormal         = 1000
	CloseGoingAway      = 1001
	ClosePolicy         = 1008
	CloseTooBig         = 1009
	CloseInternalError  = 1011
	CloseServiceRestart = 1012
)

// CloseCode returns the WebSocket close code that follows an error with this code, or 0 when the error
// leaves the connection open. This is the one place that decides which errors end a connection.
func (c Code) CloseCode() int {
	switch c {
	case CodeBadRoom, CodeRoomFull, CodeJoinTimeout, CodeSlowConsumer, CodeReplaced, CodeTooManyRooms:
		return ClosePolicy
	case CodeTooLarge:
		return CloseTooBig
	case CodeShuttingDown:
		return CloseServiceRestart
	case CodeInternal:
		return CloseInternalError
	}
	return 0
}

// Fatal reports whether an error with this code closes the connection.
func (c Code) Fatal() bool { return c.CloseCode() != 0 }

// Error is a protocol error: a stable code plus text for people.
type Error struct {
	Code Code
	Text string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Text }

// Errorf returns an *Error with the given code and formatted text.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Text: fmt.Sprintf(format, args...)}
}
