// Package version names the running build: the version stamped in at link time, or what the Go
// toolchain recorded (module version, VCS revision) when it was not.
package version

import (
	"runtime"
	"runtime/debug"
)

// Version is set at link time by release builds:
//
//	go build -ldflags "-X github.com/maju-call/maju/internal/version.Version=v1.2.3" ./cmd/maju
var Version string

// Info describes a build.
type Info struct {
	Version   string // e.g. v1.2.3, or "devel" for an unstamped build
	Revision  string // VCS commit, shortened to 12 characters; empty when unknown
	Modified  bool   // built from a tree with uncommitted changes
	GoVersion string
}

// Get returns the running build's Info.
func Get() Info {
	info := Info{Version: Version, GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Revision = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	if len(info.Revision) > 12 {
		info.Revision = info.Revision[:12]
	}
	return info
}

// String is the one-line form `maju version` prints: "maju v1.2.3 (commit 0123456789ab, go1.26.8)".
func (i Info) String() string {
	s := "maju " + i.Version + " ("
	if i.Revision != "" {
		s += "commit " + i.Revision
		if i.Modified {
			s += "+modified"
		}
		s += ", "
	}
	return s + i.GoVersion + ")"
}
