package main

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/maju-call/maju/bench/internal/majuproc"
)

// startServer builds maju unless o.majuPath names a binary, and starts it on a free loopback port with
// room for every connection: -max-connections above -conns, and the per-address limits lifted (every
// bench connection comes from 127.0.0.x). -server-args come last, so they can set any of these.
func startServer(ctx context.Context, o options, logw io.Writer) (*majuproc.Server, error) {
	args := append([]string{"-max-connections", strconv.Itoa(o.conns + 1000)}, majuproc.LiftLimits(o.conns)...)
	return majuproc.Start(ctx, majuproc.Options{
		Name: "signaling",
		Bin:  o.majuPath,
		Args: append(args, strings.Fields(o.serverArgs)...),
		Env:  strings.Fields(o.serverEnv),
	}, logw)
}
