package turn

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxTTL is the longest lifetime Mint accepts for a credential.
const MaxTTL = 24 * time.Hour

// MaxIDLen is the longest id (in bytes) accepted in a username.
const MaxIDLen = 64

// Sentinel errors returned by Mint and Verify.
var (
	ErrEmptySecret       = errors.New("turn: empty shared secret")
	ErrInvalidTTL        = errors.New("turn: credential ttl must be > 0 and <= 24h")
	ErrInvalidID         = errors.New("turn: credential id must be 1-64 bytes without ':'")
	ErrMalformedUsername = errors.New("turn: malformed username, want \"<unix expiry>:<id>\"")
	ErrExpired           = errors.New("turn: credential expired")
)

// Credential is a TURN REST API credential: Username is
// "<unix expiry seconds>:<id>" and Password is
// base64(HMAC-SHA1(secret, Username)).
type Credential struct {
	Username string
	Password string
	Expires  time.Time
}

// Mint creates a credential for id valid for ttl from now. The expiry is
// truncated to whole seconds, as carried in the username.
func Mint(secret []byte, id string, ttl time.Duration, now time.Time) (Credential, error) {
	if len(secret) == 0 {
		return Credential{}, ErrEmptySecret
	}
	if ttl <= 0 || ttl > MaxTTL {
		return Credential{}, fmt.Errorf("%w: %v", ErrInvalidTTL, ttl)
	}
	if !validID(id) {
		return Credential{}, ErrInvalidID
	}
	exp := now.Add(ttl).Unix()
	username := strconv.FormatInt(exp, 10) + ":" + id
	return Credential{
		Username: username,
		Password: password(secret, username),
		Expires:  time.Unix(exp, 0),
	}, nil
}

// Verify checks that username is well-formed and not expired at now, and
// returns the password a client must present for it. A credential is
// expired from its expiry second onwards.
func Verify(secret []byte, username string, now time.Time) (string, error) {
	if len(secret) == 0 {
		return "", ErrEmptySecret
	}
	exp, _, err := parseUsername(username)
	if err != nil {
		return "", err
	}
	if now.Unix() >= exp {
		return "", ErrExpired
	}
	return password(secret, username), nil
}

// PasswordEqual compares two passwords in constant time (for equal
// lengths).
func PasswordEqual(a, b string) bool {
	return hmac.Equal([]byte(a), []byte(b))
}

func password(secret []byte, username string) string {
	m := hmac.New(sha1.New, secret)
	m.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func validID(id string) bool {
	return id != "" && len(id) <= MaxIDLen && !strings.Contains(id, ":")
}

// parseUsername splits "<unix expiry>:<id>". The expiry is plain decimal
// digits (no sign), the id obeys the same rules as in Mint.
func parseUsername(username string) (int64, string, error) {
	ts, id, ok := strings.Cut(username, ":")
	if !ok || ts == "" || len(ts) > 19 || !validID(id) {
		return 0, "", ErrMalformedUsername
	}
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return 0, "", ErrMalformedUsername
		}
	}
	exp, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, "", ErrMalformedUsername
	}
	return exp, id, nil
}
