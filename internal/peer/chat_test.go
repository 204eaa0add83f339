package peer

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecodeChat(t *testing.T) {
	emoji := "🎉" // one rune, two UTF-16 code units: two characters for JavaScript
	tests := []struct {
		name string
		in   string
		want ChatMessage
		ok   bool
		err  bool
	}{
		{"valid", `{"type":"chat","id":"m1","text":"hello","ts":1700000000123}`,
			ChatMessage{ID: "m1", Text: "hello", Time: time.UnixMilli(1700000000123)}, true, false},
		{"extra fields ignored", `{"type":"chat","id":"m1","text":"hi","ts":5,"html":"<b>"}`,
			ChatMessage{ID: "m1", Text: "hi", Time: time.UnixMilli(5)}, true, false},
		{"markup is text", `{"type":"chat","id":"m1","text":"<img src=x onerror=alert(1)>","ts":0}`,
			ChatMessage{ID: "m1", Text: "<img src=x onerror=alert(1)>", Time: time.UnixMilli(0)}, true, false},
		{"fractional ts", `{"type":"chat","id":"m1","text":"x","ts":12.9}`,
			ChatMessage{ID: "m1", Text: "x", Time: time.UnixMilli(12)}, true, false},
		{"longest text", `{"type":"chat","id":"m1","text":"` + strings.Repeat("a", 4000) + `","ts":1}`,
			ChatMessage{ID: "m1", Text: strings.Repeat("a", 4000), Time: time.UnixMilli(1)}, true, false},
		{"longest text in emoji", `{"type":"chat","id":"m1","text":"` + strings.Repeat(emoji, 2000) + `","ts":1}`,
			ChatMessage{ID: "m1", Text: strings.Repeat(emoji, 2000), Time: time.UnixMilli(1)}, true, false},
		{"longest id", `{"type":"chat","id":"` + strings.Repeat("i", 64) + `","text":"x","ts":1}`,
			ChatMessage{ID: strings.Repeat("i", 64), Text: "x", Time: time.UnixMilli(1)}, true, false},

		{"other type ignored", `{"type":"typing"}`, ChatMessage{}, false, false},
		{"other type with chat fields ignored", `{"type":"Chat","id":"m1","text":"x","ts":1}`, ChatMessage{}, false, false},

		{"not json", `hello`, ChatMessage{}, false, true},
		{"array", `[1,2]`, ChatMessage{}, false, true},
		{"null", `null`, ChatMessage{}, false, true},
		{"no type", `{"id":"m1","text":"x","ts":1}`, ChatMessage{}, false, true},
		{"type not a string", `{"type":1,"id":"m1","text":"x","ts":1}`, ChatMessage{}, false, true},
		{"no id", `{"type":"chat","text":"x","ts":1}`, ChatMessage{}, false, true},
		{"empty id", `{"type":"chat","id":"","text":"x","ts":1}`, ChatMessage{}, false, true},
		{"id too long", `{"type":"chat","id":"` + strings.Repeat("i", 65) + `","text":"x","ts":1}`, ChatMessage{}, false, true},
		{"id not a string", `{"type":"chat","id":7,"text":"x","ts":1}`, ChatMessage{}, false, true},
		{"no text", `{"type":"chat","id":"m1","ts":1}`, ChatMessage{}, false, true},
		{"empty text", `{"type":"chat","id":"m1","text":"","ts":1}`, ChatMessage{}, false, true},
		{"text too long", `{"type":"chat","id":"m1","text":"` + strings.Repeat("a", 4001) + `","ts":1}`, ChatMessage{}, false, true},
		{"text too long in emoji", `{"type":"chat","id":"m1","text":"` + strings.Repeat(emoji, 2000) + `a","ts":1}`, ChatMessage{}, false, true},
		{"text not a string", `{"type":"chat","id":"m1","text":["x"],"ts":1}`, ChatMessage{}, false, true},
		{"no ts", `{"type":"chat","id":"m1","text":"x"}`, ChatMessage{}, false, true},
		{"ts not a number", `{"type":"chat","id":"m1","text":"x","ts":"1"}`, ChatMessage{}, false, true},
		{"ts null", `{"type":"chat","id":"m1","text":"x","ts":null}`, ChatMessage{}, false, true},
		{"ts beyond Date", `{"type":"chat","id":"m1","text":"x","ts":1e300}`, ChatMessage{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := DecodeChat([]byte(tt.in))
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error %t", err, tt.err)
			}
			if err != nil && !errors.Is(err, ErrInvalidChat) {
				t.Fatalf("error %v does not wrap ErrInvalidChat", err)
			}
			if ok != tt.ok {
				t.Fatalf("ok %t, want %t", ok, tt.ok)
			}
			if got.ID != tt.want.ID || got.Text != tt.want.Text || !got.Time.Equal(tt.want.Time) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEncodeChat(t *testing.T) {
	msg := ChatMessage{ID: newChatID(), Text: `say "hi" <b>`, Time: time.UnixMilli(1700000000123)}
	data, err := EncodeChat(msg)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"chat","id":"` + msg.ID + `","text":"say \"hi\" \u003cb\u003e","ts":1700000000123}`
	if string(data) != want {
		t.Fatalf("got %s, want %s", data, want)
	}
	got, ok, err := DecodeChat(data)
	if err != nil || !ok || got.ID != msg.ID || got.Text != msg.Text || !got.Time.Equal(msg.Time) {
		t.Fatalf("round trip: %+v %t %v, want %+v", got, ok, err, msg)
	}

	for _, bad := range []ChatMessage{
		{ID: "", Text: "x"},
		{ID: strings.Repeat("i", 65), Text: "x"},
		{ID: "m", Text: ""},
		{ID: "m", Text: strings.Repeat("a", 4001)},
	} {
		if _, err := EncodeChat(bad); !errors.Is(err, ErrInvalidChat) {
			t.Errorf("EncodeChat(id %d chars, text %d chars): %v, want ErrInvalidChat", len(bad.ID), len(bad.Text), err)
		}
	}
}

func TestNewChatID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newChatID()
		if id == "" || len(id) > MaxChatIDLength || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

func TestJSLength(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "é": 1, "€": 1, "🎉": 2, "a🎉b": 4, "\u0301": 1} {
		if got := jsLength(s); got != want {
			t.Errorf("jsLength(%q) = %d, want %d", s, got, want)
		}
	}
}
