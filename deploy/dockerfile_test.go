package deploy_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction with its continuation lines joined.
type instruction struct {
	line int
	cmd  string // upper case: FROM, RUN, COPY, …
	args string
}

type stage struct {
	image, name string
	body        []instruction
}

func parseDockerfile(t *testing.T, text string) []stage {
	t.Helper()
	var (
		stages  []stage
		pending string
		start   int
	)
	for i, l := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(l)
		if pending == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if pending == "" {
			start = i + 1
		}
		if strings.HasSuffix(trimmed, `\`) {
			pending += strings.TrimSuffix(trimmed, `\`) + " "
			continue
		}
		full := pending + trimmed
		pending = ""
		cmd, args, _ := strings.Cut(full, " ")
		in := instruction{start, strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			s := stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("Dockerfile:%d: %s before FROM", in.line, in.cmd)
			}
			continue
		}
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	if pending != "" {
		t.Fatal("Dockerfile ends in a line continuation")
	}
	return stages
}

// The image is built by scripts/build-static.sh in a pinned Go image, with dependencies cached in their
// own layer, and runs as a non-root user on a pinned base, fetching nothing over HTTP at build time.
func TestDockerfile(t *testing.T) {
	text := readRepoFile(t, "Dockerfile")
	stages := parseDockerfile(t, text)
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, have %d stage(s)", len(stages))
	}
	names := map[string]bool{}
	for _, s := range stages {
		if !names[s.image] { // FROM an earlier stage needs no tag
			ref := s.image
			if i := strings.LastIndex(ref, "/"); i >= 0 {
				ref = ref[i+1:]
			}
			_, tag, hasTag := strings.Cut(ref, ":")
			if !strings.Contains(ref, "@sha256:") && (!hasTag || tag == "latest" || tag == "") {
				t.Errorf("FROM %s: pin the image to a tag or digest, not latest", s.image)
			}
		}
		if s.name != "" {
			names[s.name] = true
		}
		for _, in := range s.body {
			if in.cmd == "ADD" && regexp.MustCompile(`(?i)\bhttps?://`).MatchString(in.args) {
				t.Errorf("Dockerfile:%d: ADD downloads %s; build from the context only", in.line, in.args)
			}
		}
	}

	// The build stage: Go at go.mod's version, go.mod/go.sum and `go mod download` before the source,
	// then the release build script.
	build := stages[0]
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(readRepoFile(t, "go.mod"))
	if goLine == nil {
		t.Fatal("go.mod has no go line")
	}
	if !strings.HasPrefix(build.image, "golang:"+goLine[1]) || !regexp.MustCompile(`-(bookworm|trixie)$`).MatchString(build.image) {
		t.Errorf("build stage FROM %s, want golang:%s-<debian release> (go.mod says go %s)", build.image, goLine[1], goLine[1])
	}
	step := func(cmd, contains string) int {
		return slices.IndexFunc(build.body, func(in instruction) bool {
			return in.cmd == cmd && strings.Contains(in.args, contains)
		})
	}
	mods, download, source, script := step("COPY", "go.mod go.sum"), step("RUN", "go mod download"),
		step("COPY", ". ."), step("RUN", "scripts/build-static.sh")
	if mods < 0 || download < mods || source < download || script < source {
		t.Errorf("build stage order: COPY go.mod go.sum (%d), RUN go mod download (%d), COPY . . (%d), "+
			"RUN scripts/build-static.sh (%d)", mods, download, source, script)
	}
	if script >= 0 && !strings.Contains(build.body[script].args, `"$VERSION"`) || step("ARG", "VERSION") < 0 {
		t.Error("the build stage does not pass ARG VERSION to scripts/build-static.sh")
	}

	// The final stage: non-root, the certificate cache in a volume, the binary as entrypoint.
	final := stages[len(stages)-1]
	user := ""
	for _, in := range final.body {
		if in.cmd == "USER" {
			user, _, _ = strings.Cut(in.args, ":")
		}
	}
	switch {
	case user == "root" || user == "0":
		t.Errorf("final stage runs as USER %s", user)
	case user == "" && !strings.HasSuffix(final.image, ":nonroot"):
		t.Errorf("final stage FROM %s has no USER and is not a :nonroot image", final.image)
	}
	var cache, volume string
	for _, in := range final.body {
		switch in.cmd {
		case "ENV":
			if m := regexp.MustCompile(`MAJU_CERT_CACHE[= ]"?([^"\s]+)`).FindStringSubmatch(in.args); m != nil {
				cache = m[1]
			}
		case "VOLUME":
			volume = strings.Trim(in.args, `[]" `)
		case "ENTRYPOINT":
			if !strings.Contains(in.args, "maju") {
				t.Errorf("ENTRYPOINT %s is not maju", in.args)
			}
		}
	}
	if cache == "" || volume == "" || !strings.HasPrefix(cache+"/", strings.TrimSuffix(volume, "/")+"/") {
		t.Errorf("MAJU_CERT_CACHE %q is not inside the VOLUME %q: certificates would be lost with the container", cache, volume)
	}

	// The context excludes what the build never needs; it keeps what it does.
	var ignore []string
	for _, l := range strings.Split(readRepoFile(t, ".dockerignore"), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			ignore = append(ignore, l)
		}
	}
	for _, must := range []string{".git", "node_modules"} {
		if !slices.Contains(ignore, must) {
			t.Errorf(".dockerignore does not exclude %s", must)
		}
	}
	for _, keep := range []string{"go.mod", "go.sum", "scripts", "scripts/build-static.sh", "cmd", "internal", "web", "*"} {
		if slices.Contains(ignore, keep) || slices.Contains(ignore, "/"+keep) {
			t.Errorf(".dockerignore excludes %s, which the build needs", keep)
		}
	}
}
