package proc

import "testing"

func TestParseStatTicks(t *testing.T) {
	line := "4242 (maju (x) y) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 11 0 100 0 0"
	got, err := ParseStatTicks(line)
	if err != nil || got != 325 {
		t.Fatalf("ParseStatTicks = %d, %v; want 325", got, err)
	}
	if _, err := ParseStatTicks("4242 (maju) S 1"); err == nil {
		t.Fatal("a short line was accepted")
	}
}
