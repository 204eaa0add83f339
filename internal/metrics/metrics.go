// Package metrics is maju's Prometheus instrumentation: its own registry (never the global one), every
// name in the maju_ namespace with its unit, and the /metrics handler for the separate metrics listener.
// Signaling reports through the signaling.Observer this package implements; the TURN relay and the
// open connection and room gauges are read when Prometheus scrapes.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/maju-call/maju/internal/protocol"
	"github.com/maju-call/maju/internal/turn"
	"github.com/maju-call/maju/internal/version"
)

const namespace = "maju"

// Metrics holds a node's registry and the collectors maju updates as things happen.
type Metrics struct {
	reg *prometheus.Registry

	connections    prometheus.Counter
	roomsOpened    prometheus.Counter
	relayed        *prometheus.CounterVec
	rejections     *prometheus.CounterVec
	callsConnected *prometheus.CounterVec
	callsFailed    *prometheus.CounterVec
	callSetup      prometheus.Histogram
}

// New returns Metrics with a fresh registry holding the Go runtime and process collectors and
// maju_build_info for the running build.
func New(build version.Info) *Metrics {
	reg := prometheus.NewRegistry()
	f := factory{reg}
	m := &Metrics{
		reg: reg,
		connections: f.counter("signaling_connections_total",
			"Signaling WebSocket connections accepted."),
		roomsOpened: f.counter("rooms_opened_total",
			"Rooms opened: someone joined an empty room."),
		relayed: f.counterVec("signaling_messages_relayed_total",
			"Signaling messages passed to the other person in a room, by type.", "type"),
		rejections: f.counterVec("signaling_rejections_total",
			"Errors sent to signaling clients (messages, close reasons and refused connections), by error code.", "code"),
		callsConnected: f.counterVec("calls_connected_total",
			"Connection attempts clients reported as connected, by path (direct or relayed) and, for relayed, "+
				"how the client reached the TURN server (udp, tcp, tls, unknown). Both people report.",
			"path", "relay_transport"),
		callsFailed: f.counterVec("calls_failed_total",
			"Connection attempts clients reported as failed, by reason (ice-failed, timeout). Both people report.",
			"reason"),
		callSetup: f.histogram("call_setup_seconds",
			"Time from both people being in the room to connected, as clients report it.",
			[]float64{0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 13, 20, 30, 60}),
	}
	// Known label values start at zero, so dashboards and rate() see them before the first event.
	for _, t := range []protocol.Type{protocol.TypeOffer, protocol.TypeAnswer, protocol.TypeCandidate} {
		m.relayed.WithLabelValues(string(t))
	}
	m.callsConnected.WithLabelValues(protocol.PathDirect, "")
	for _, r := range []string{protocol.FailureICE, protocol.FailureTimeout} {
		m.callsFailed.WithLabelValues(r)
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{Namespace: namespace}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "build_info",
			Help:        "The running build: always 1, labelled with its version, commit and Go version.",
			ConstLabels: prometheus.Labels{"version": build.Version, "revision": build.Revision, "goversion": build.GoVersion},
		}, func() float64 { return 1 }),
	)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: false})
}

// Registry returns the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Gauges are read at scrape time from what the node holds now.
type Gauges interface {
	Connections() int // open signaling connections
	Rooms() int       // rooms with someone in them (or a seat held for someone reconnecting)
	HeldSeats() int   // seats held for people whose connection dropped
}

// WatchSignaling exports the open connection and room gauges of g.
func (m *Metrics) WatchSignaling(g Gauges) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "signaling_connections",
			Help: "Open signaling WebSocket connections."}, func() float64 { return float64(g.Connections()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "rooms",
			Help: "Rooms with at least one person in them, or a seat held for one."}, func() float64 { return float64(g.Rooms()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "held_seats",
			Help: "Seats held for people whose connection dropped, until they resume or the grace ends."},
			func() float64 { return float64(g.HeldSeats()) }),
	)
}

// WatchTURN exports the embedded relay's counters.
func (m *Metrics) WatchTURN(s *turn.Server) { m.reg.MustRegister(&turnCollector{stats: s.Stats}) }

// Connected implements signaling.Observer.
func (m *Metrics) Connected() { m.connections.Inc() }

// RoomOpened implements signaling.Observer.
func (m *Metrics) RoomOpened() { m.roomsOpened.Inc() }

// Relayed implements signaling.Observer.
func (m *Metrics) Relayed(t protocol.Type) { m.relayed.WithLabelValues(string(t)).Inc() }

// Rejected implements signaling.Observer.
func (m *Metrics) Rejected(code protocol.Code) { m.rejections.WithLabelValues(string(code)).Inc() }

// CallReported implements signaling.Observer. The protocol package has checked every value, so
// labels stay a small fixed set.
func (m *Metrics) CallReported(r protocol.CallReport) {
	if r.Outcome == protocol.OutcomeFailed {
		m.callsFailed.WithLabelValues(r.Reason).Inc()
		return
	}
	transport := ""
	if r.Path == protocol.PathRelayed {
		transport = r.Transport
		if transport == "" {
			transport = "unknown"
		}
	}
	m.callsConnected.WithLabelValues(r.Path, transport).Inc()
	m.callSetup.Observe(float64(r.SetupMs) / 1000)
}

// factory makes collectors in the maju namespace and registers them.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}
