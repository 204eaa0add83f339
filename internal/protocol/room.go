package protocol

import (
	"encoding/base64"
	"fmt"
	"io"
)

// roomIDBytes is the number of random bytes in a room id: 128 bits, so ids cannot be guessed.
const roomIDBytes = 16

// RoomIDLength is the length of a room id in characters (unpadded URL-safe base64 of roomIDBytes).
var RoomIDLength = base64.RawURLEncoding.EncodedLen(roomIDBytes)

// NewRoomID reads 128 random bits from random (crypto/rand.Reader in production) and encodes them.
func NewRoomID(random io.Reader) (string, error) {
	b := make([]byte, roomIDBytes)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("room id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ValidRoomID reports whether id has the form NewRoomID makes.
func ValidRoomID(id string) bool {
	if len(id) != RoomIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	// 22 characters carry 132 bits; the last character of a 16-byte encoding only uses its top 2 bits.
	_, err := base64.RawURLEncoding.Strict().DecodeString(id)
	return err == nil
}
