// Package deploy_test checks the deployment files — the CloudFormation template, the systemd unit and its
// environment file, the Dockerfile and the release build script — against each other and against maju's
// real configuration, so that none of them drifts from what the binary accepts.
package deploy_test

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/maju-call/maju/internal/config"
)

// repoRoot is the repository root: go test runs this package in deploy/.
const repoRoot = ".."

func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// envNames returns the MAJU_* variable of every maju flag.
func envNames() map[string]bool {
	cfg := config.Default()
	fs := config.NewFlagSet(&cfg, io.Discard)
	names := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { names[config.EnvName(f.Name)] = true })
	return names
}

var majuVarRE = regexp.MustCompile(`\bMAJU_[A-Z0-9_]*[A-Z0-9]\b`)

// majuVars returns the MAJU_* names mentioned anywhere in text, sorted, each once.
func majuVars(text string) []string {
	seen := map[string]bool{}
	for _, m := range majuVarRE.FindAllString(text, -1) {
		seen[m] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Every MAJU_* variable the deployment files mention must be one maju reads: a misspelt variable is
// silently ignored by maju, so the deployment would run with a default instead.
func TestDeploymentFilesUseRealSettings(t *testing.T) {
	known := envNames()
	for _, rel := range []string{
		"deploy/aws/maju-single-node.yaml",
		"deploy/systemd/maju.service",
		"deploy/systemd/maju.env",
		"Dockerfile",
		"docs/deploy-aws.md",
	} {
		vars := majuVars(readRepoFile(t, rel))
		var unknown []string
		for _, v := range vars {
			if !known[v] {
				unknown = append(unknown, v)
			}
		}
		if len(unknown) > 0 {
			t.Errorf("%s mentions %s, which no maju flag reads (maju -h lists the flags; -x-y is MAJU_X_Y)",
				rel, strings.Join(unknown, ", "))
		}
		t.Logf("%s: %s", rel, strings.Join(vars, " "))
	}
}

// The example environment file is all comments; each commented MAJU_ line must be a KEY=value line
// systemd can read once uncommented, with a value its flag accepts.
func TestEnvExampleLines(t *testing.T) {
	text := readRepoFile(t, "deploy/systemd/maju.env")
	cfg := config.Default()
	fs := config.NewFlagSet(&cfg, io.Discard)
	flagOf := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { flagOf[config.EnvName(f.Name)] = f.Name })
	line := regexp.MustCompile(`^#(MAJU_[A-Z0-9_]+)=(\S*)$`)
	var keys []string
	for i, l := range strings.Split(text, "\n") {
		if l == "" || !strings.HasPrefix(l, "#MAJU_") {
			if strings.HasPrefix(l, "MAJU_") {
				t.Errorf("maju.env:%d: %q is set; the example should only show settings, commented out", i+1, l)
			}
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("maju.env:%d: %q is not #MAJU_NAME=value (no spaces, no quotes)", i+1, l)
			continue
		}
		keys = append(keys, m[1])
		if name, ok := flagOf[m[1]]; ok {
			if err := fs.Set(name, m[2]); err != nil {
				t.Errorf("maju.env:%d: %s: %v", i+1, l, err)
			}
		}
	}
	for _, must := range []string{"MAJU_DOMAIN", "MAJU_TURN_PUBLIC_IP", "MAJU_METRICS_ADDR", "MAJU_LOG_FORMAT"} {
		if !slices.Contains(keys, must) {
			t.Errorf("maju.env does not show %s", must)
		}
	}
}
