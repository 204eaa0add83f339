package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/maju-call/maju/internal/turn"
)

// turnCollector reads the relay's counters once per scrape.
type turnCollector struct{ stats func() turn.Stats }

var (
	turnAllocations = prometheus.NewDesc(namespace+"_turn_allocations",
		"TURN relay allocations now.", nil, nil)
	turnAllocationsTotal = prometheus.NewDesc(namespace+"_turn_allocations_total",
		"TURN relay allocations made.", nil, nil)
	turnAuthFailures = prometheus.NewDesc(namespace+"_turn_auth_failures_total",
		"TURN requests refused for a bad or expired credential.", nil, nil)
	turnPeersRefused = prometheus.NewDesc(namespace+"_turn_peers_refused_total",
		"Peer addresses the relay refused to reach (private, loopback, this host's non-relay ports...).", nil, nil)
	turnQuotaRefused = prometheus.NewDesc(namespace+"_turn_quota_rejections_total",
		"TURN allocations refused by a per-client or total quota.", nil, nil)
	turnRelayedBytes = prometheus.NewDesc(namespace+"_turn_relayed_bytes_total",
		"Bytes the relay carried, by direction (to_peers: from clients to their peers; from_peers: back).",
		[]string{"direction"}, nil)
)

func (c *turnCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{turnAllocations, turnAllocationsTotal, turnAuthFailures,
		turnPeersRefused, turnQuotaRefused, turnRelayedBytes} {
		ch <- d
	}
}

func (c *turnCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	ch <- prometheus.MustNewConstMetric(turnAllocations, prometheus.GaugeValue, float64(s.Allocations))
	counter(turnAllocationsTotal, s.AllocationsTotal)
	counter(turnAuthFailures, s.AuthFailures)
	counter(turnPeersRefused, s.PeersRefused)
	counter(turnQuotaRefused, s.QuotaRefused)
	counter(turnRelayedBytes, s.BytesToPeers, "to_peers")
	counter(turnRelayedBytes, s.BytesFromPeers, "from_peers")
}
