package floor

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	ServeIfChild() // Measure starts this test binary again as the relay
	os.Exit(m.Run())
}

// Both designs relay every record to the other connection of its pair and report the relay's CPU.
func TestMeasureRelaysEveryRecord(t *testing.T) {
	for _, o := range []Options{
		{Conns: 8, Rate: 200, Duration: time.Second, Loop: Goroutines},
		{Conns: 8, Rate: 200, Duration: time.Second, Loop: Epoll, Batch: time.Millisecond},
	} {
		res, err := Measure(context.Background(), o)
		if err != nil {
			t.Fatalf("%s: %v", o.Design(), err)
		}
		if res.Records != 200 || res.Arrived != 200 || res.CPU <= 0 {
			t.Errorf("%s: %d sent, %d arrived, %.3f CPU-s; want 200, 200, > 0", o.Design(), res.Records, res.Arrived, res.CPU)
		}
		if !strings.Contains(res.String(), "200 arrived") {
			t.Errorf("report %q", res)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	good := Options{Conns: 2, Rate: 1, Duration: time.Second, Loop: Goroutines}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []func(*Options){
		func(o *Options) { o.Conns = 3 },
		func(o *Options) { o.Conns = 0 },
		func(o *Options) { o.Rate = 0 },
		func(o *Options) { o.Duration = 500 * time.Millisecond },
		func(o *Options) { o.Loop = "threads" },
		func(o *Options) { o.Batch = time.Millisecond }, // batches only with epoll
		func(o *Options) { o.Loop, o.Batch = Epoll, 2*time.Second },
	} {
		o := good
		bad(&o)
		if o.Validate() == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
