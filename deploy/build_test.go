package deploy_test

import (
	"context"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

const buildScript = "scripts/build-static.sh"

// fakeGo puts a `go` first on PATH that records its working directory, CGO_ENABLED and arguments
// instead of building, and returns the environment to run the script with and the record's path.
func fakeGo(t *testing.T) (env []string, record string) {
	t.Helper()
	dir := t.TempDir()
	record = filepath.Join(dir, "record")
	script := "#!/bin/sh\n{ pwd; echo \"CGO_ENABLED=$CGO_ENABLED\"; for a in \"$@\"; do echo \"$a\"; done; } > \"$FAKE_GO_RECORD\"\n"
	if err := os.WriteFile(filepath.Join(dir, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_GO_RECORD="+record), record
}

// runScript runs the build script with sh from dir and returns its combined output.
func runScript(t *testing.T, ctx context.Context, script, dir string, env []string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "sh", append([]string{script}, args...)...)
	cmd.Dir = dir
	cmd.Env = env
	return cmd.CombinedOutput()
}

func absRepoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if root, err = filepath.EvalSymlinks(root); err != nil {
		t.Fatal(err)
	}
	return root
}

// The script runs `go build` from the repository root whatever the caller's directory, with cgo off,
// -trimpath, stripped, the version stamped, the output path taken relative to the caller; without a
// VERSION it uses git describe, outside a git tree "devel"; bad arguments stop it before building.
func TestBuildStaticScriptCommand(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	root := absRepoRoot(t)
	script := filepath.Join(root, buildScript)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	goArgs := func(t *testing.T, record string) []string {
		t.Helper()
		b, err := os.ReadFile(record)
		if err != nil {
			t.Fatalf("the script did not run go: %v", err)
		}
		return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	want := func(dir, out, version string) []string {
		return []string{dir, "CGO_ENABLED=0", "build", "-trimpath",
			"-ldflags", "-s -w -X github.com/maju-call/maju/internal/version.Version=" + version,
			"-o", out, "./cmd/maju"}
	}

	t.Run("explicit version, relative output", func(t *testing.T) {
		env, record := fakeGo(t)
		cwd, _ := filepath.EvalSymlinks(t.TempDir())
		if out, err := runScript(t, ctx, script, cwd, env, "bin/maju", "v1.2.3"); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if got, w := goArgs(t, record), want(root, filepath.Join(cwd, "bin/maju"), "v1.2.3"); !slices.Equal(got, w) {
			t.Errorf("go invoked as\n%q\nwant\n%q", got, w)
		}
	})

	t.Run("version from git describe", func(t *testing.T) {
		git, err := exec.LookPath("git")
		if err != nil {
			t.Skip("git not installed")
		}
		describe, err := exec.CommandContext(ctx, git, "-C", root, "describe", "--tags", "--always", "--dirty").Output()
		if err != nil {
			t.Skipf("not a git work tree with history (%v)", err)
		}
		env, record := fakeGo(t)
		if out, err := runScript(t, ctx, script, root, env, "/tmp/x/maju"); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if got, w := goArgs(t, record), want(root, "/tmp/x/maju", strings.TrimSpace(string(describe))); !slices.Equal(got, w) {
			t.Errorf("go invoked as\n%q\nwant\n%q", got, w)
		}
	})

	t.Run("devel outside git", func(t *testing.T) {
		// A copy of the script in a directory git cannot find a repository above.
		base, _ := filepath.EvalSymlinks(t.TempDir())
		tree := filepath.Join(base, "tree")
		if err := os.MkdirAll(filepath.Join(tree, "scripts"), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		copied := filepath.Join(tree, buildScript)
		if err := os.WriteFile(copied, b, 0o755); err != nil {
			t.Fatal(err)
		}
		env, record := fakeGo(t)
		env = append(env, "GIT_CEILING_DIRECTORIES="+base)
		if out, err := runScript(t, ctx, copied, base, env, "/tmp/x/maju"); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if got, w := goArgs(t, record), want(tree, "/tmp/x/maju", "devel"); !slices.Equal(got, w) {
			t.Errorf("go invoked as\n%q\nwant\n%q", got, w)
		}
	})

	for _, args := range [][]string{{}, {""}, {"out", "v1 2"}, {"out", "v1", "extra"}} {
		env, record := fakeGo(t)
		out, err := runScript(t, ctx, script, root, env, args...)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("build-static.sh %q: %v, want exit status 2\n%s", args, err, out)
		}
		if _, err := os.Stat(record); err == nil {
			t.Errorf("build-static.sh %q ran go", args)
		}
	}
}

// A real build: the binary is a static ELF (no dynamic loader, no shared libraries), so it runs on
// distroless/scratch and any Linux, and it reports the version it was given.
func TestBuildStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the release build (a cold build of maju takes a minute or two)")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the static-ELF check is for Linux builds")
	}
	root := absRepoRoot(t)
	dir := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOOS=") && !strings.HasPrefix(kv, "GOARCH=") {
			env = append(env, kv) // build for this machine, so that the binary can run here
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if out, err := runScript(t, ctx, filepath.Join(root, buildScript), dir, env, "maju", "v0.0.0-test"); err != nil {
		t.Fatalf("%s: %v\n%s", buildScript, err, out)
	}
	bin := filepath.Join(dir, "maju")

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("not an ELF file: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a PT_INTERP header: it needs a dynamic loader (cgo was on?)")
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}

	vctx, vcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer vcancel()
	out, err := exec.CommandContext(vctx, bin, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "v0.0.0-test") {
		t.Errorf("maju version: %v, output %q, want a line containing v0.0.0-test", err, out)
	}
}
