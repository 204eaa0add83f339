package deploy_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/maju-call/maju/internal/config"
)

// unit is a parsed systemd unit file: section → key → values in file order (keys such as Environment=
// may repeat).
type unit map[string]map[string][]string

// parseUnit reads the ini-like unit syntax: [Section] headers, Key=Value lines, # and ; comments,
// backslash line continuations.
func parseUnit(text string) (unit, error) {
	u := unit{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	n := 0
	var pending string
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if pending != "" {
			line = pending + " " + line
			pending = ""
		}
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			pending = strings.TrimSuffix(line, `\`)
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") {
				return nil, errors.New("line " + strconv.Itoa(n) + ": bad section header")
			}
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			return nil, errors.New("line " + strconv.Itoa(n) + ": not Key=Value in a section: " + line)
		}
		k = strings.TrimSpace(k)
		u[section][k] = append(u[section][k], strings.TrimSpace(v))
	}
	return u, sc.Err()
}

// last is the effective value of a single-valued key.
func (u unit) last(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// env returns the unit's Environment= assignments.
func (u unit) env() map[string]string {
	out := map[string]string{}
	for _, line := range u["Service"]["Environment"] {
		for _, a := range strings.Fields(line) {
			if k, v, ok := strings.Cut(strings.Trim(a, `"`), "="); ok {
				out[k] = v
			}
		}
	}
	return out
}

func loadUnit(t *testing.T) unit {
	t.Helper()
	u, err := parseUnit(readRepoFile(t, "deploy/systemd/maju.service"))
	if err != nil {
		t.Fatalf("maju.service: %v", err)
	}
	return u
}

// The unit runs maju as an unprivileged dynamic user with only CAP_NET_BIND_SERVICE, sandboxed, and
// restarts it on failure.
func TestSystemdUnitHardening(t *testing.T) {
	u := loadUnit(t)
	want := map[string]string{
		"Type":                    "simple",
		"ExecStart":               "/usr/local/bin/maju",
		"EnvironmentFile":         "-/etc/maju/maju.env",
		"DynamicUser":             "yes",
		"StateDirectory":          "maju",
		"Restart":                 "on-failure",
		"AmbientCapabilities":     "CAP_NET_BIND_SERVICE",
		"CapabilityBoundingSet":   "CAP_NET_BIND_SERVICE",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectKernelLogs":       "yes",
		"ProtectControlGroups":    "yes",
		"ProtectClock":            "yes",
		"ProtectHostname":         "yes",
		"RestrictNamespaces":      "yes",
		"RestrictRealtime":        "yes",
		"RestrictSUIDSGID":        "yes",
		"LockPersonality":         "yes",
		"MemoryDenyWriteExecute":  "yes",
		"SystemCallArchitectures": "native",
		"SystemCallFilter":        "@system-service",
		"UMask":                   "0077",
		"LimitNOFILE":             "1048576",
	}
	for k, v := range want {
		if got := u.last("Service", k); got != v {
			t.Errorf("[Service] %s=%q, want %q", k, got, v)
		}
	}
	// Go's net.Interfaces needs AF_NETLINK; nothing else beyond IP and Unix sockets.
	families := strings.Fields(u.last("Service", "RestrictAddressFamilies"))
	slices.Sort(families)
	if !slices.Equal(families, []string{"AF_INET", "AF_INET6", "AF_NETLINK", "AF_UNIX"}) {
		t.Errorf("RestrictAddressFamilies=%v, want AF_INET AF_INET6 AF_UNIX AF_NETLINK", families)
	}

	// The certificate cache lives in the StateDirectory, the only place the service may write.
	env := u.env()
	if cache, state := env["MAJU_CERT_CACHE"], "/var/lib/"+u.last("Service", "StateDirectory"); !strings.HasPrefix(cache, state+"/") {
		t.Errorf("MAJU_CERT_CACHE=%q is not under the StateDirectory %s", cache, state)
	}
	// The TURN secret comes in as a credential and MAJU_TURN_SECRET_FILE names that credential.
	id, _, ok := strings.Cut(u.last("Service", "LoadCredential"), ":")
	if !ok || env["MAJU_TURN_SECRET_FILE"] != "%d/"+id {
		t.Errorf("LoadCredential=%q and MAJU_TURN_SECRET_FILE=%q do not name the same credential",
			u.last("Service", "LoadCredential"), env["MAJU_TURN_SECRET_FILE"])
	}

	// SIGTERM → graceful shutdown (-shutdown-timeout) must finish before systemd's SIGKILL.
	stop, err := systemdSeconds(u.last("Service", "TimeoutStopSec"))
	if err != nil {
		t.Errorf("TimeoutStopSec: %v", err)
	} else if need := config.Default().ShutdownTimeout + 5*time.Second; stop < need {
		t.Errorf("TimeoutStopSec=%v leaves no margin over the default -shutdown-timeout %v (want at least %v)",
			stop, config.Default().ShutdownTimeout, need)
	}

	if after := strings.Fields(strings.Join(u["Unit"]["After"], " ")); !slices.Contains(after, "network-online.target") {
		t.Errorf("[Unit] After=%v lacks network-online.target", after)
	}
	if got := u.last("Install", "WantedBy"); got != "multi-user.target" {
		t.Errorf("[Install] WantedBy=%q, want multi-user.target", got)
	}
}

// systemdSeconds parses the time spans used here: "30s", "2min", "90" (seconds).
func systemdSeconds(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(strings.Replace(s, "min", "m", 1))
}

// systemd-analyze verify accepts the unit and reports nothing about it (unknown keys, bad values and
// missing executables are only warnings there, so any line naming the unit fails the test).
func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian: apt-get install systemd); the unit's keys are still checked by TestSystemdUnitHardening")
	}
	self, err := os.Executable() // a real executable for ExecStart, since /usr/local/bin/maju is not installed here
	if err != nil {
		t.Fatal(err)
	}
	text := readRepoFile(t, "deploy/systemd/maju.service")
	re := regexp.MustCompile(`(?m)^ExecStart=.*$`)
	if !re.MatchString(text) {
		t.Fatal("no ExecStart= line")
	}
	copyPath := filepath.Join(t.TempDir(), "maju.service")
	if err := os.WriteFile(copyPath, []byte(re.ReplaceAllLiteralString(text, "ExecStart="+self)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, analyze, "verify", copyPath).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "maju.service") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}
