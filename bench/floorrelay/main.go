// Command floorrelay measures what the cheapest possible relay costs on this machine, as a floor for
// bench/signaling's "server CPU per 100k messages" (bench/internal/floor: loopback TCP pairs, fixed
// 256-byte records, no WebSocket, no JSON). bench/signaling measures the default design in the same run
// as maju; this command runs any of them on its own.
//
//	go run ./bench/floorrelay                             # 10,000 connections, 4,000 records/s for 20 s
//	go run ./bench/floorrelay -loop epoll                 # one OS thread over epoll: no goroutines
//	go run ./bench/floorrelay -loop epoll -batch-wait 4ms # the same, one wake for every 4 ms of records
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/maju-call/maju/bench/internal/floor"
)

func main() {
	floor.ServeIfChild()
	var o floor.Options
	flag.IntVar(&o.Conns, "conns", 10000, "connections, in pairs (even)")
	flag.IntVar(&o.Rate, "rate", 4000, "records relayed per second")
	flag.DurationVar(&o.Duration, "duration", 20*time.Second, "length of the load (whole seconds)")
	flag.StringVar(&o.Loop, "loop", floor.Goroutines, "relay design: goroutines (one per connection) or epoll (one thread, level-triggered epoll)")
	flag.DurationVar(&o.Batch, "batch-wait", 0, "with -loop epoll: sleep this long before each epoll_wait, so one wake handles every record that arrived meanwhile (adds up to this much latency)")
	flag.Parse()
	if err := o.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "floorrelay:", err)
		os.Exit(2)
	}
	res, err := floor.Measure(context.Background(), o)
	if res.Records > 0 {
		fmt.Println(res)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "floorrelay:", err)
		os.Exit(1)
	}
}
