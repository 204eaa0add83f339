package majuproc

import (
	"slices"
	"testing"
)

func TestLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "http://127.3.4.5:1", "http://[::1]:80"} {
		if err := CheckLoopbackURL(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1:80", "http://localhost:80", "https://127.0.0.1", "http://192.168.1.1", "ftp://127.0.0.1"} {
		if err := CheckLoopbackURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestHasFlag(t *testing.T) {
	args := []string{"-addr", "127.0.0.1:0", "--metrics-addr=127.0.0.1:0", "-turn=false"}
	for _, name := range []string{"addr", "metrics-addr", "turn"} {
		if !hasFlag(args, name) {
			t.Errorf("%s not found in %v", name, args)
		}
	}
	if hasFlag(args, "metrics") {
		t.Error("a prefix of a flag counted as the flag")
	}
	if hasFlag([]string{"-log-level", "metrics-addr"}, "metrics-addr") {
		t.Error("a value counted as a flag")
	}
}

func TestLiftLimits(t *testing.T) {
	got := LiftLimits(4000)
	i := slices.Index(got, "-max-conns-per-ip")
	if i < 0 || got[i+1] != "4000" || len(got)%2 != 0 {
		t.Fatalf("LiftLimits(4000) = %v", got)
	}
}
