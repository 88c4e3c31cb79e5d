package gateway

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/scimgw/scimgw/dialects/emulator"
)

// After backend.circuit.failures consecutive failed calls the circuit
// opens: calls are refused at once with 503 and Retry-After, and nothing
// reaches the backend — not even a create's look-ups, since nothing was
// sent. After open_for one probe goes through and closes it again; a 4xx
// is a working backend and never opens it.
func TestCircuitBreaker(t *testing.T) {
	h := newHarness(t, acmeConfig(`{emulated: true, auth: {type: bearer, token: emulator-backend-token}, timeout: 1s, retry: {max_attempts: 1}, circuit: {failures: 2, open_for: 1s}}`))
	emu := h.emu("acme")
	for range 3 {
		h.acme("GET", "/Users/nosuch", "").wantError(t, 404, "")
	}
	emu.Inject(emulator.Fault{Method: "GET", Status: 500, Times: 2})
	h.acme("GET", "/Users", "").wantStatus(t, 500)
	h.acme("GET", "/Users", "").wantStatus(t, 500)
	sent := len(emu.Requests())
	r := h.acme("GET", "/Users", "")
	r.wantError(t, http.StatusServiceUnavailable, "")
	if r.header.Get("Retry-After") != "1" || !strings.Contains(r.json.Get("detail").String(), "backend.circuit") {
		t.Fatalf("open circuit: %s %v", r.body, r.header)
	}
	h.acme("POST", "/Users", `{"userName":"while.open@example.com"}`).wantError(t, http.StatusServiceUnavailable, "")
	if n := len(emu.Requests()); n != sent {
		t.Fatalf("the open circuit let %d requests through", n-sent)
	}
	if s := testutil.ToFloat64(h.gw.metrics.breaker.WithLabelValues("acme")); s != 2 {
		t.Fatalf("scimgw_backend_circuit_state %v, want 2 (open)", s)
	}
	time.Sleep(1100 * time.Millisecond)
	h.acme("GET", "/Users", "").wantStatus(t, 200) // the probe
	h.acme("POST", "/Users", `{"userName":"after.open@example.com"}`).wantStatus(t, 201)
	if s := testutil.ToFloat64(h.gw.metrics.breaker.WithLabelValues("acme")); s != 0 {
		t.Fatalf("scimgw_backend_circuit_state %v, want 0 (closed)", s)
	}
	if n := testutil.ToFloat64(h.gw.metrics.breakerOpened.WithLabelValues("acme")); n != 1 {
		t.Fatalf("scimgw_backend_circuit_opened_total %v", n)
	}
}

// backend.circuit.failures: 0 turns the breaker off.
func TestCircuitOff(t *testing.T) {
	h := newHarness(t, acmeConfig(`{emulated: true, auth: {type: bearer, token: emulator-backend-token}, retry: {max_attempts: 1}, circuit: {failures: 0}}`))
	h.emu("acme").Inject(emulator.Fault{Method: "GET", Status: 500, Times: 8})
	for range 8 {
		h.acme("GET", "/Users", "").wantStatus(t, 500)
	}
	h.acme("GET", "/Users", "").wantStatus(t, 200)
}

// backend.max_concurrent: a call beyond the cap waits for a slot instead
// of reaching the backend beside the others.
func TestBackendConcurrencyCap(t *testing.T) {
	h := newHarness(t, acmeConfig(`{emulated: true, auth: {type: bearer, token: emulator-backend-token}, max_concurrent: 1}`))
	h.emu("acme").Inject(emulator.Fault{Method: "GET", Delay: 300 * time.Millisecond, Slow: true})
	start := time.Now()
	first := make(chan time.Duration)
	go func() {
		statusOf("GET", h.srv.URL+"/acme/scim/v2/Users", acmeToken, "")
		first <- time.Since(start)
	}()
	time.Sleep(50 * time.Millisecond)
	h.acme("GET", "/Users", "").wantStatus(t, 200)
	second := time.Since(start)
	if f := <-first; second < f || second < 300*time.Millisecond {
		t.Fatalf("the second call ended at %s, the slow first at %s: it did not wait for the slot", second, f)
	}
}
