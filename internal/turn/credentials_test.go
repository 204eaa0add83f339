package turn

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var testSecret = []byte("maju-test-secret")

func TestKnownAnswer(t *testing.T) {
	const username = "1700000000:alice"
	// Computed once with `printf '1700000000:alice' | openssl dgst -sha1
	// -hmac maju-test-secret -binary | base64`.
	const want = "Reiyco8IxFqH2s++ZiglKGUikOY="

	m := hmac.New(sha1.New, testSecret)
	m.Write([]byte(username))
	if indep := base64.StdEncoding.EncodeToString(m.Sum(nil)); indep != want {
		t.Fatalf("independent HMAC = %q, want %q", indep, want)
	}

	now := time.Unix(1700000000-3600, 0)
	c, err := Mint(testSecret, "alice", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Username != username || c.Password != want {
		t.Fatalf("Mint = %q/%q, want %q/%q", c.Username, c.Password, username, want)
	}
	if !c.Expires.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("Expires = %v", c.Expires)
	}
	got, err := Verify(testSecret, username, now)
	if err != nil || got != want {
		t.Fatalf("Verify = %q, %v; want %q", got, err, want)
	}
}

func TestMintVerifyRoundTrip(t *testing.T) {
	now := time.Unix(1750000000, 123456789)
	for _, ttl := range []time.Duration{time.Second, 10 * time.Minute, time.Hour, MaxTTL} {
		c, err := Mint(testSecret, "room-42.peer_7", ttl, now)
		if err != nil {
			t.Fatalf("ttl %v: %v", ttl, err)
		}
		if !strings.HasSuffix(c.Username, ":room-42.peer_7") {
			t.Fatalf("username %q", c.Username)
		}
		if c.Expires.Sub(now) > ttl || c.Expires.Sub(now) <= ttl-time.Second {
			t.Fatalf("ttl %v: expires %v after now", ttl, c.Expires.Sub(now))
		}
		pw, err := Verify(testSecret, c.Username, now)
		if err != nil {
			t.Fatalf("ttl %v: Verify: %v", ttl, err)
		}
		if !PasswordEqual(pw, c.Password) {
			t.Fatalf("ttl %v: password mismatch", ttl)
		}
		other, err := Verify([]byte("other-secret"), c.Username, now)
		if err != nil || PasswordEqual(other, c.Password) {
			t.Fatalf("wrong secret yielded the same password (err %v)", err)
		}
	}
}

func TestMintErrors(t *testing.T) {
	now := time.Unix(1700000000, 0)
	cases := []struct {
		name   string
		secret []byte
		id     string
		ttl    time.Duration
		want   error
	}{
		{"nil secret", nil, "a", time.Hour, ErrEmptySecret},
		{"empty secret", []byte{}, "a", time.Hour, ErrEmptySecret},
		{"zero ttl", testSecret, "a", 0, ErrInvalidTTL},
		{"negative ttl", testSecret, "a", -time.Second, ErrInvalidTTL},
		{"ttl over 24h", testSecret, "a", MaxTTL + time.Nanosecond, ErrInvalidTTL},
		{"empty id", testSecret, "", time.Hour, ErrInvalidID},
		{"colon in id", testSecret, "a:b", time.Hour, ErrInvalidID},
		{"id too long", testSecret, strings.Repeat("x", MaxIDLen+1), time.Hour, ErrInvalidID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Mint(tc.secret, tc.id, tc.ttl, now); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := Mint(testSecret, strings.Repeat("x", MaxIDLen), MaxTTL, now); err != nil {
		t.Fatalf("64-byte id, 24h ttl: %v", err)
	}
}

func TestVerifyExpiryBoundary(t *testing.T) {
	const username = "1700000000:alice"
	exp := time.Unix(1700000000, 0)
	if _, err := Verify(testSecret, username, exp.Add(-time.Nanosecond)); err != nil {
		t.Fatalf("1ns before expiry: %v", err)
	}
	if _, err := Verify(testSecret, username, exp); !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: err = %v, want ErrExpired", err)
	}
	if _, err := Verify(testSecret, username, exp.Add(time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("after expiry: err = %v, want ErrExpired", err)
	}
	// A freshly minted credential expires exactly at its Expires.
	c, err := Mint(testSecret, "bob", time.Minute, exp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(testSecret, c.Username, c.Expires); !errors.Is(err, ErrExpired) {
		t.Fatalf("minted at Expires: err = %v", err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	now := time.Unix(1600000000, 0)
	for _, u := range []string{
		"",
		":",
		"alice",
		"1700000000",
		"1700000000:",
		":alice",
		"alice:1700000000",
		"-1700000000:alice",
		"+1700000000:alice",
		" 1700000000:alice",
		"17000000x0:alice",
		"0x6553f100:alice",
		"1700000000:alice:bob",
		"99999999999999999999:alice", // overflows int64
		"1700000000:" + strings.Repeat("x", MaxIDLen+1),
	} {
		if _, err := Verify(testSecret, u, now); !errors.Is(err, ErrMalformedUsername) {
			t.Errorf("Verify(%q) err = %v, want ErrMalformedUsername", u, err)
		}
	}
	if _, err := Verify(nil, "1700000000:alice", now); !errors.Is(err, ErrEmptySecret) {
		t.Errorf("empty secret: err = %v", err)
	}
}

func TestPasswordEqual(t *testing.T) {
	if !PasswordEqual("abc", "abc") || !PasswordEqual("", "") {
		t.Fatal("equal strings reported unequal")
	}
	if PasswordEqual("abc", "abd") || PasswordEqual("abc", "ab") || PasswordEqual("", "a") {
		t.Fatal("unequal strings reported equal")
	}
}
