package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/maju-call/maju/internal/doctor"
)

// errCheckFailed makes maju exit with status 1 after the doctor printed why.
var errCheckFailed = errors.New("check failed")

// runDoctor is `maju doctor [-json] [-timeout 30s] URL`.
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("maju doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON (for monitoring)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: maju doctor [-json] [-timeout 30s] URL\n\n"+
			"Checks a running maju deployment the way a call would: two peers join a new room, one of them\n"+
			"relay-only, through the TURN servers the deployment hands out. Prints each step, the path and\n"+
			"the round-trip time; exits 1 if any step fails.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("doctor needs the deployment's URL, e.g. maju doctor https://call.example.com")
	}
	if *timeout < time.Second || *timeout > 10*time.Minute {
		return fmt.Errorf("-timeout: %v is outside 1s–10m", *timeout)
	}
	report := doctor.Run(ctx, doctor.Options{URL: fs.Arg(0), Timeout: *timeout})
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		report.WriteText(stdout)
	}
	if !report.OK {
		return errCheckFailed
	}
	return nil
}
