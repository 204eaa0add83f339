package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-turn-udp", "127.0.0.1:0", "-turn-tcp", "127.0.0.1:0"}, noEnv, pw, io.Discard)
	}()

	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "maju listening on ")
	if !ok {
		t.Fatalf("unexpected first line %q", line)
	}
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
}

func TestRunRejectsBadConfiguration(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-send-queue", "0"}, nil, "-send-queue"},
		{[]string{"-log-format", "xml"}, nil, "-log-format"},
		{nil, map[string]string{"MAJU_JOIN_TIMEOUT": "soon"}, "MAJU_JOIN_TIMEOUT"},
		{[]string{"-addr", "127.0.0.1:99999"}, nil, "-addr"},
		{[]string{"-addr", "127.0.0.1:0", "-turn-udp", "127.0.0.1:99999"}, nil, "-turn-udp"},
		{[]string{"-addr", "127.0.0.1:0", "-turn-udp", "127.0.0.1:0", "-turn-tcp", "127.0.0.1:0",
			"-ice-servers", "turn:turn.example.com"}, nil, "-turn-secret"},
		{[]string{"-addr", "127.0.0.1:0", "-turn-secret-file", "/nonexistent/secret"}, nil, "-turn-secret-file"},
		{[]string{"-tls-cert", "cert.pem"}, nil, "-tls-key"},
		{[]string{"-lan", "-domain", "call.example.com"}, nil, "-lan"},
		{[]string{"-domain", "localhost"}, nil, "-domain"},
		{[]string{"-http-addr", ":8081"}, nil, "-http-addr"},
		{nil, map[string]string{"MAJU_METRICS_ADDR": ":8080"}, "-metrics-addr"},
		{[]string{"-addr", "127.0.0.1:0", "-tls-cert", "/nonexistent/c.pem", "-tls-key", "/nonexistent/k.pem"}, nil, "-tls-cert"},
	} {
		getenv := func(k string) string { return tc.env[k] }
		err := run(context.Background(), tc.args, getenv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: error %v, want one naming %s", tc.args, tc.env, err, tc.want)
		}
	}
}

func TestHelpListsSettings(t *testing.T) {
	var usage strings.Builder
	err := run(context.Background(), []string{"-h"}, noEnv, io.Discard, &usage)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, want := range []string{"-addr", "MAJU_ADDR", "-allowed-origins", "MAJU_MAX_MESSAGE_BYTES",
		"-turn-public-ip", "MAJU_TURN_SECRET", "-ice-servers", "-domain", "-lan", "-tls-cert", "-metrics-addr", "MAJU_HTTP_ADDR"} {
		if !strings.Contains(usage.String(), want) {
			t.Errorf("help lacks %s", want)
		}
	}
}

func TestDoctorCommand(t *testing.T) {
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"doctor", "-timeout", "2s", "http://127.0.0.1:9"}, noEnv, &out, &errOut)
	if !errors.Is(err, errCheckFailed) || !strings.Contains(out.String(), "FAIL") || !strings.Contains(out.String(), "web server") {
		t.Fatalf("doctor against nothing: err %v, output %q", err, out.String())
	}
	out.Reset()
	err = run(context.Background(), []string{"doctor", "-json", "-timeout", "2s", "http://127.0.0.1:9"}, noEnv, &out, &errOut)
	if !errors.Is(err, errCheckFailed) || !strings.Contains(out.String(), `"ok": false`) {
		t.Fatalf("doctor -json: err %v, output %q", err, out.String())
	}
	if err := run(context.Background(), []string{"doctor"}, noEnv, &out, &errOut); err == nil || !strings.Contains(err.Error(), "URL") {
		t.Fatalf("doctor without URL: %v", err)
	}
}

func TestVersionPrintsTheBuild(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"version"}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.HasPrefix(s, "maju ") || !strings.Contains(s, "go1.") {
		t.Fatalf("version printed %q", s)
	}
}
