package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The series the soak reads from maju's /metrics (internal/metrics and the Go collector).
const (
	mConnections = "maju_signaling_connections"
	mRooms       = "maju_rooms"
	mHeld        = "maju_held_seats"
	mGoroutines  = "go_goroutines"
	mHeapAlloc   = "go_memstats_heap_alloc_bytes" // live objects, and garbage not yet swept
	mHeapInuse   = "go_memstats_heap_inuse_bytes" // spans holding any object: fragmentation included
	mGCs         = "go_gc_duration_seconds_count" // the summary's count: GC cycles so far
)

// parseMetrics reads the unlabelled samples of a Prometheus text exposition: name → value.
func parseMetrics(r io.Reader) (map[string]float64, error) {
	out := make(map[string]float64)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || strings.ContainsRune(line, '{') {
			continue
		}
		f := strings.Fields(line) // name value [timestamp]
		if len(f) < 2 || len(f) > 3 {
			return nil, fmt.Errorf("malformed sample line %q", line)
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return nil, fmt.Errorf("sample %q: %v", line, err)
		}
		out[f[0]] = v
	}
	return out, sc.Err()
}

// scraper reads one server's /metrics.
type scraper struct {
	url    string
	client *http.Client
}

func newScraper(url string) *scraper {
	return &scraper{url: url, client: &http.Client{Timeout: 5 * time.Second}}
}

func (s *scraper) scrape(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("%s: %s", s.url, resp.Status)
	}
	m, err := parseMetrics(resp.Body)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{mConnections, mRooms, mHeld, mGoroutines} {
		if _, ok := m[name]; !ok {
			return nil, fmt.Errorf("%s has no %s", s.url, name)
		}
	}
	return m, nil
}

// snapshot is the server's state at one moment.
type snapshot struct {
	at                      time.Time
	conns, rooms, goroutine int
	held                    int // seats held for clients that dropped
	gcs                     int
	heapMiB, inuseMiB       float64
	rssKiB                  int64 // 0: not measured
}

func snapshotOf(m map[string]float64, rssKiB int64) snapshot {
	return snapshot{at: time.Now(), conns: int(m[mConnections]), rooms: int(m[mRooms]), held: int(m[mHeld]),
		goroutine: int(m[mGoroutines]), gcs: int(m[mGCs]), heapMiB: m[mHeapAlloc] / (1 << 20),
		inuseMiB: m[mHeapInuse] / (1 << 20), rssKiB: rssKiB}
}

// peaks keeps the largest of each value seen.
func (p *snapshot) peak(s snapshot) {
	p.conns = max(p.conns, s.conns)
	p.rooms = max(p.rooms, s.rooms)
	p.held = max(p.held, s.held)
	p.goroutine = max(p.goroutine, s.goroutine)
	p.heapMiB = max(p.heapMiB, s.heapMiB)
	p.inuseMiB = max(p.inuseMiB, s.inuseMiB)
	p.rssKiB = max(p.rssKiB, s.rssKiB)
}

// atBaseline lists what keeps end from being back at base, within the bounds of o.
func atBaseline(base, end snapshot, o options) []string {
	var out []string
	if end.conns != 0 {
		out = append(out, fmt.Sprintf("%d connections open (want 0)", end.conns))
	}
	if end.rooms != 0 {
		out = append(out, fmt.Sprintf("%d rooms (want 0)", end.rooms))
	}
	if end.held != 0 {
		out = append(out, fmt.Sprintf("%d held seats (want 0)", end.held))
	}
	if end.goroutine > base.goroutine+o.goroutSlack {
		out = append(out, fmt.Sprintf("%d goroutines (baseline %d + at most %d)", end.goroutine, base.goroutine, o.goroutSlack))
	}
	if base.rssKiB > 0 && end.rssKiB > 0 {
		if grow := float64(end.rssKiB-base.rssKiB) / 1024; grow > o.rssBoundMiB {
			out = append(out, fmt.Sprintf("RSS %.1f MiB above its baseline (bound %g MiB)", grow, o.rssBoundMiB))
		}
	}
	return out
}
