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
	requests  map[string]float64 // tenant, op, status
	durations map[string]float64 // tenant, op -> sum of seconds
	counts    map[string]float64 // tenant, op -> count
	attempts  map[string]float64 // tenant, outcome
	recovered map[string]float64 // tenant
}

func newMetrics() *metrics {
	return &metrics{
		requests: map[string]float64{}, durations: map[string]float64{}, counts: map[string]float64{},
		attempts: map[string]float64{}, recovered: map[string]float64{},
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

func (m *metrics) request(tenant, op string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[labels("tenant", tenant, "op", op, "status", strconv.Itoa(status))]++
	k := labels("tenant", tenant, "op", op)
	m.durations[k] += d.Seconds()
	m.counts[k]++
}

func (m *metrics) attempt(tenant, outcome string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.attempts[labels("tenant", tenant, "outcome", outcome)]++
	m.mu.Unlock()
}

func (m *metrics) recoveredCreate(tenant string) {
	m.mu.Lock()
	m.recovered[labels("tenant", tenant)]++
	m.mu.Unlock()
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	series := func(name, typ, help string, vals map[string]float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		keys := make([]string, 0, len(vals))
		for k := range vals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s{%s} %s\n", name, k, strconv.FormatFloat(vals[k], 'g', -1, 64))
		}
	}
	series("scimgw_requests_total", "counter", "SCIM requests served, by tenant, operation and status.", m.requests)
	series("scimgw_request_duration_seconds_sum", "counter", "Total time spent serving SCIM requests.", m.durations)
	series("scimgw_request_duration_seconds_count", "counter", "Number of SCIM requests timed.", m.counts)
	series("scimgw_backend_attempts_total", "counter", "Backend HTTP attempts, by tenant and outcome (status code or error class).", m.attempts)
	series("scimgw_safe_create_recoveries_total", "counter", "Creates whose outcome was unknown and that were found on the backend instead of being repeated.", m.recovered)
}
