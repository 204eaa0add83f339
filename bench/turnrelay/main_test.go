package main

import (
	"io"
	"testing"
	"time"
)

func TestLatencyBuckets(t *testing.T) {
	prev := time.Duration(0)
	for b := range histBuckets {
		up := bucketUpper(b)
		if up <= prev {
			t.Fatalf("bucket %d upper bound %v not above %v", b, up, prev)
		}
		prev = up
	}
	for _, d := range []time.Duration{0, time.Microsecond, 3 * time.Microsecond, 5 * time.Microsecond,
		37 * time.Microsecond, time.Millisecond, 1234 * time.Microsecond, 3 * time.Second} {
		b := bucketOf(d)
		if d >= bucketUpper(b) || (b > 0 && d < bucketUpper(b-1)) {
			t.Errorf("%v in bucket %d, below %v", d, b, bucketUpper(b))
		}
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-calls", "10, 20", "-relay-ports", "30000-30999"}, io.Discard)
	if err != nil || len(o.calls) != 2 || o.calls[1] != 20 || o.minPort != 30000 || o.maxPort != 30999 {
		t.Fatalf("parseFlags = %+v, %v", o, err)
	}
	if pps := o.pps(); pps < 170 || pps > 171 {
		t.Fatalf("pps = %v, want 170.45 for 1.5 Mbit/s in 1100 B", pps)
	}
	for _, bad := range [][]string{
		{"-calls", "20,10"}, {"-calls", "0"}, {"-calls", "100", "-relay-ports", "20000-20100"},
		{"-packet-size", "10"}, {"-server-env", "GOGC"},
	} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}
