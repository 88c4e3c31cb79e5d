package gateway

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// metrics are the gateway's counters, served at /metrics in the Prometheus
// text exposition format. A handful of series need no client library.
type metrics struct {
	mu        sync.Mutex
	requests  map[series]float64 // tenant, op, status
	durations map[series]float64 // tenant, op -> sum of seconds
	counts    map[series]float64 // tenant, op -> count
	calls     map[series]float64 // tenant, op -> backend requests sent
	attempts  map[series]float64 // tenant, outcome
	recovered map[series]float64 // tenant
	ledger    map[series]float64 // tenant, op: shared (answered with another create's outcome), taken_over
	state     map[series]float64 // tenant, op: state store failures
}

// series is a label set: up to three label values, named when written.
type series struct {
	tenant, op, status string
}

func newMetrics() *metrics {
	return &metrics{
		requests: map[series]float64{}, durations: map[series]float64{}, counts: map[series]float64{}, calls: map[series]float64{},
		attempts: map[series]float64{}, recovered: map[series]float64{},
		ledger: map[series]float64{}, state: map[series]float64{},
	}
}

func labels(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kv[i])
		b.WriteString("=")
		b.WriteString(strconv.Quote(kv[i+1]))
	}
	return b.String()
}

func (m *metrics) request(tenant, op string, status int, d time.Duration, calls int) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[series{tenant, op, strconv.Itoa(status)}]++
	k := series{tenant: tenant, op: op}
	m.durations[k] += d.Seconds()
	m.counts[k]++
	m.calls[k] += float64(calls)
}

func (m *metrics) attempt(tenant, outcome string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.attempts[series{tenant: tenant, op: outcome}]++
	m.mu.Unlock()
}

func (m *metrics) recoveredCreate(tenant string) {
	m.mu.Lock()
	m.recovered[series{tenant: tenant}]++
	m.mu.Unlock()
}

func (m *metrics) ledgerEvent(tenant, what string) {
	m.mu.Lock()
	m.ledger[series{tenant: tenant, op: what}]++
	m.mu.Unlock()
}

func (m *metrics) stateError(tenant, op string) {
	m.mu.Lock()
	m.state[series{tenant: tenant, op: op}]++
	m.mu.Unlock()
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	family := func(name, help string, vals map[series]float64, names ...string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
		lines := make([]string, 0, len(vals))
		for k, v := range vals {
			values := []string{k.tenant, k.op, k.status}
			var kv []string
			for i, n := range names {
				kv = append(kv, n, values[i])
			}
			lines = append(lines, fmt.Sprintf("%s{%s} %s\n", name, labels(kv...), strconv.FormatFloat(v, 'g', -1, 64)))
		}
		sort.Strings(lines)
		for _, l := range lines {
			io.WriteString(w, l)
		}
	}
	family("scimgw_requests_total", "SCIM requests served, by tenant, operation and status.", m.requests, "tenant", "op", "status")
	family("scimgw_request_duration_seconds_sum", "Total time spent serving SCIM requests.", m.durations, "tenant", "op")
	family("scimgw_request_duration_seconds_count", "Number of SCIM requests timed.", m.counts, "tenant", "op")
	family("scimgw_operation_backend_calls_total", "Backend HTTP requests sent for SCIM operations, by tenant and operation (divide by scimgw_request_duration_seconds_count for calls per operation).", m.calls, "tenant", "op")
	family("scimgw_backend_attempts_total", "Backend HTTP attempts, by tenant and outcome (status code or error class).", m.attempts, "tenant", "outcome")
	family("scimgw_safe_create_recoveries_total", "Creates whose outcome was unknown and that were found on the backend instead of being repeated.", m.recovered, "tenant")
	family("scimgw_create_ledger_total", "Creates answered with the outcome of a concurrent or earlier create of the same name (shared), and claims taken over from a create that did not settle (taken_over).", m.ledger, "tenant", "event")
	family("scimgw_state_errors_total", "State store operations that failed, by operation.", m.state, "tenant", "op")
}
