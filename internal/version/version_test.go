package version

import (
	"runtime"
	"strings"
	"testing"
)

func TestStampedVersionWins(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v9.8.7"
	info := Get()
	if info.Version != "v9.8.7" || info.GoVersion != runtime.Version() {
		t.Fatalf("Get() = %+v", info)
	}
	if s := info.String(); !strings.HasPrefix(s, "maju v9.8.7 (") || !strings.HasSuffix(s, runtime.Version()+")") {
		t.Fatalf("String() = %q", s)
	}
}

func TestUnstampedBuildSaysDevel(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = ""
	if v := Get().Version; v == "" {
		t.Fatal("empty version")
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct {
		in   Info
		want string
	}{
		{Info{Version: "v1.0.0", GoVersion: "go1.26.8"}, "maju v1.0.0 (go1.26.8)"},
		{Info{Version: "devel", Revision: "0123456789ab", GoVersion: "go1.26.8"}, "maju devel (commit 0123456789ab, go1.26.8)"},
		{Info{Version: "devel", Revision: "0123456789ab", Modified: true, GoVersion: "go1.26.8"},
			"maju devel (commit 0123456789ab+modified, go1.26.8)"},
	} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}
