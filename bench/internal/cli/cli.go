// Package cli is what the load tools share around their work: a main that cancels on SIGINT and
// SIGTERM, the exit codes (0 passed, 1 a check failed, 2 the run could not be set up), an interruptible
// sleep, and the report's trailing sections.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Main runs a tool's run function with a context that SIGINT and SIGTERM cancel, and exits with the
// code it returns.
func Main(run func(ctx context.Context, args []string, stdout, stderr io.Writer) int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Report is a run's result: a report to print, and the checks that failed.
type Report[O any] interface {
	Print(w io.Writer, o O)
	Failures(o O) []string
}

// Tool is a load tool's program: parse its flags, then execute within the options' timeout.
type Tool[O any, R any] struct {
	Name    string
	Parse   func(args []string, stderr io.Writer) (O, error)
	Timeout func(O) time.Duration
	// Execute runs the tool. A nil result is a failure to set up; a non-nil one may come with an
	// error, and is printed anyway: what was measured before the failure.
	Execute func(ctx context.Context, o O, logw io.Writer) (R, error)
}

// Run is a tool's whole program; it returns the exit code: 0 when every check passed, 1 when one
// failed, 2 when the run could not be carried out.
func Run[O any, T any, R interface {
	*T
	Report[O]
}](ctx context.Context, t Tool[O, R], args []string, stdout, stderr io.Writer) int {
	o, err := t.Parse(args, stderr)
	if err != nil {
		return FlagExit(t.Name, err, stderr)
	}
	ctx, cancel := context.WithTimeout(ctx, t.Timeout(o))
	defer cancel()
	res, err := t.Execute(ctx, o, stderr)
	var failures []string
	if res != nil {
		res.Print(stdout, o)
		failures = res.Failures(o)
	}
	return Exit(t.Name, stderr, err, failures)
}

// FlagExit is the exit code for an error from parsing the flags: 0 for -h (the flag package printed
// the help), 2 for anything else, which it prints.
func FlagExit(name string, err error, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 2
}

// Exit is the exit code of a run that ended with err (2: it could not be carried out) or else with the
// given failed checks (1 when there is any), each printed.
func Exit(name string, stderr io.Writer, err error, failures []string) int {
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	for _, f := range failures {
		fmt.Fprintf(stderr, "%s: FAIL: %s\n", name, f)
	}
	if len(failures) > 0 {
		return 1
	}
	return 0
}

// Sleep waits d; it reports false, early, when ctx ends first.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// PrintTail prints a titled list of lines (the server's last log lines, the first violations), one
// indented line each; nothing when lines is empty.
func PrintTail(w io.Writer, title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, title)
	for _, line := range lines {
		fmt.Fprintln(w, "  ", line)
	}
}

// PrintMarkdown prints a blank line and a one-row markdown table.
func PrintMarkdown(w io.Writer, header, sep, row string) {
	fmt.Fprintf(w, "\n%s\n%s\n%s\n", header, sep, row)
}
