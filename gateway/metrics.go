package gateway

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the gateway's Prometheus metrics, served on the admin
// listener at /metrics (docs/operations.md lists them). Every label set is
// bounded: tenants come from the config (a request for an unknown tenant
// is counted as "-"), operations, outcomes and reasons from fixed lists;
// never a resource id or a userName. One registry per Gateway, which
// outlives configuration reloads.
type metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec   // tenant, op, status
	duration        *prometheus.HistogramVec // tenant, op, class
	calls           *prometheus.CounterVec   // tenant, op
	attempts        *prometheus.CounterVec   // tenant, outcome
	attemptDuration *prometheus.HistogramVec // tenant, method, outcome
	retries         *prometheus.CounterVec   // tenant, reason
	recovered       *prometheus.CounterVec   // tenant
	conflicts       *prometheus.CounterVec   // tenant
	tokens          *prometheus.CounterVec   // tenant, result
	throttled       *prometheus.CounterVec   // tenant, direction
	ledger          *prometheus.CounterVec   // tenant, event
	state           *prometheus.CounterVec   // tenant, op
	inflight        *prometheus.GaugeVec     // tenant: backend calls in progress
	breaker         *prometheus.GaugeVec     // tenant: 0 closed, 1 half-open, 2 open
	breakerOpened   *prometheus.CounterVec   // tenant
	reloads         *prometheus.CounterVec   // result
	reloadTime      prometheus.Gauge
	configInfo      *prometheus.GaugeVec // hash
}

// latencyBuckets span a fast backend's milliseconds to a slow one's
// timeout, in seconds.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	f := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		reg.MustRegister(c)
		return c
	}
	h := func(name, help string, labels ...string) *prometheus.HistogramVec {
		v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: latencyBuckets}, labels)
		reg.MustRegister(v)
		return v
	}
	g := func(name, help string, labels ...string) *prometheus.GaugeVec {
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
		reg.MustRegister(v)
		return v
	}
	m := &metrics{
		reg:             reg,
		requests:        f("scimgw_requests_total", "SCIM requests served, by tenant, operation and HTTP status.", "tenant", "op", "status"),
		duration:        h("scimgw_request_duration_seconds", "Time to serve a SCIM request, by tenant, operation and status class (2xx, 4xx, 5xx).", "tenant", "op", "class"),
		calls:           f("scimgw_operation_backend_calls_total", "Backend HTTP requests sent for SCIM operations, by tenant and operation (divide by the request count for calls per operation).", "tenant", "op"),
		attempts:        f("scimgw_backend_attempts_total", "Backend HTTP attempts, by tenant and outcome (status code or error class).", "tenant", "outcome"),
		attemptDuration: h("scimgw_backend_attempt_duration_seconds", "Duration of one backend HTTP attempt, by tenant, method and outcome.", "tenant", "method", "outcome"),
		retries:         f("scimgw_backend_retries_total", "Backend attempts retried, by tenant and reason (the failed attempt's outcome).", "tenant", "reason"),
		recovered:       f("scimgw_safe_create_recoveries_total", "Creates whose outcome was unknown and that were found on the backend instead of being repeated.", "tenant"),
		conflicts:       f("scimgw_rmw_conflicts_total", "Read-modify-write cycles run again because the resource changed between the read and the write (412 on the gateway's own version).", "tenant"),
		tokens:          f("scimgw_oauth_token_fetches_total", "OAuth 2.0 client-credentials token requests to the backend's token endpoint, by result (ok, error).", "tenant", "result"),
		throttled:       f("scimgw_throttled_total", "429 answers: given to clients by the gateway's limits (inbound), or received from the backend (backend).", "tenant", "direction"),
		ledger:          f("scimgw_create_ledger_total", "Creates answered with the outcome of a concurrent create of the same name (shared), and claims taken over from a create that did not settle (taken_over).", "tenant", "event"),
		state:           f("scimgw_state_errors_total", "State store operations that failed, by tenant and operation.", "tenant", "op"),
		inflight:        g("scimgw_backend_inflight", "Backend calls in progress, by tenant.", "tenant"),
		breaker:         g("scimgw_backend_circuit_state", "The backend circuit breaker's state, by tenant: 0 closed, 1 half-open, 2 open.", "tenant"),
		breakerOpened:   f("scimgw_backend_circuit_opened_total", "Times the backend circuit breaker opened, by tenant.", "tenant"),
		reloads:         f("scimgw_config_reloads_total", "Configuration reloads, by result (success, failure).", "result"),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{Name: "scimgw_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration in use was loaded, as a Unix time."}),
		configInfo: g("scimgw_config_info", "The configuration in use: its hash (the first 12 hex digits of the file's SHA-256), value 1.", "hash"),
	}
	reg.MustRegister(m.reloadTime,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// handler serves the exposition (text or OpenMetrics, as negotiated).
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// statusClass names an HTTP status's class: "2xx", "4xx", ….
func statusClass(status int) string {
	switch {
	case status >= 100 && status < 600:
		return strconv.Itoa(status/100) + "xx"
	}
	return "other"
}

func (m *metrics) request(tenant, op string, status int, d time.Duration, calls int) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(tenant, op, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(tenant, op, statusClass(status)).Observe(d.Seconds())
	m.calls.WithLabelValues(tenant, op).Add(float64(calls))
}

// throttledInbound counts a request refused by the tenant's inbound limits.
func (m *metrics) throttledInbound(tenant string) {
	if m != nil {
		m.throttled.WithLabelValues(tenant, "inbound").Inc()
	}
}

// attempt counts one backend attempt; retried says it will be sent again.
func (m *metrics) attempt(tenant, method, outcome string, d time.Duration, retried bool) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(tenant, outcome).Inc()
	m.attemptDuration.WithLabelValues(tenant, method, outcome).Observe(d.Seconds())
	if retried {
		m.retries.WithLabelValues(tenant, outcome).Inc()
	}
	if outcome == "429" {
		m.throttled.WithLabelValues(tenant, "backend").Inc()
	}
}

func (m *metrics) backendInflight(tenant string, d float64) {
	if m != nil {
		m.inflight.WithLabelValues(tenant).Add(d)
	}
}

func (m *metrics) circuitState(tenant string, state int) {
	if m != nil {
		m.breaker.WithLabelValues(tenant).Set(float64(state))
	}
}

func (m *metrics) circuitOpened(tenant string) {
	if m != nil {
		m.breakerOpened.WithLabelValues(tenant).Inc()
	}
}

func (m *metrics) recoveredCreate(tenant string) {
	if m != nil {
		m.recovered.WithLabelValues(tenant).Inc()
	}
}

func (m *metrics) conflict(tenant string) {
	if m != nil {
		m.conflicts.WithLabelValues(tenant).Inc()
	}
}

func (m *metrics) tokenFetch(tenant string, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.tokens.WithLabelValues(tenant, result).Inc()
}

func (m *metrics) ledgerEvent(tenant, what string) {
	if m != nil {
		m.ledger.WithLabelValues(tenant, what).Inc()
	}
}

func (m *metrics) stateError(tenant, op string) {
	if m != nil {
		m.state.WithLabelValues(tenant, op).Inc()
	}
}

// loaded records a configuration put in service (at start or by a
// reload) or, with err, a reload refused.
func (m *metrics) loaded(hash string, reload bool, err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.reloads.WithLabelValues("failure").Inc()
		return
	}
	if reload {
		m.reloads.WithLabelValues("success").Inc()
	}
	m.reloadTime.SetToCurrentTime()
	m.configInfo.Reset()
	m.configInfo.WithLabelValues(hash).Set(1)
}
