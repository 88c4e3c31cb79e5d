package gateway

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/scimgw/scimgw/dialects/emulator"
)

// limitedConfig is testConfig with acme's inbound limits set.
func limitedConfig(limits string) string {
	return strings.Replace(testConfig, `"second-token-123"]}`, `"second-token-123"], `+limits+`}`, 1)
}

// Beyond its rate a tenant gets 429 with Retry-After, as a SCIM Error,
// and the backend sees nothing of it; other tenants are not affected.
func TestInboundRate(t *testing.T) {
	h := newHarness(t, limitedConfig("rate: 0.5, burst: 2"))
	h.acme("GET", "/Users", "").wantStatus(t, 200)
	h.acme("GET", "/Users", "").wantStatus(t, 200)
	r := h.acme("GET", "/Users", "")
	r.wantError(t, http.StatusTooManyRequests, "")
	if ra := r.header.Get("Retry-After"); ra != "2" {
		t.Fatalf("Retry-After %q, want 2 (one request every 2 s)", ra)
	}
	if d := r.json.Get("detail").String(); !strings.Contains(d, "tenants.acme.inbound.rate") {
		t.Fatalf("detail %q", d)
	}
	if n := len(h.emu("acme").Requests()); n != 2 {
		t.Fatalf("the backend got %d requests, want 2", n)
	}
	h.do("GET", "/cube/scim/v2/Users", cubeToken, "").wantStatus(t, 200)
	if n := testutil.ToFloat64(h.gw.metrics.throttled.WithLabelValues("acme", "inbound")); n != 1 {
		t.Fatalf("scimgw_throttled_total{direction=inbound}: %v", n)
	}
	if n := testutil.ToFloat64(h.gw.metrics.requests.WithLabelValues("acme", "throttled", "429")); n != 1 {
		t.Fatalf("scimgw_requests_total{op=throttled}: %v", n)
	}
}

// Beyond its requests in progress a tenant gets 429 at once; a slot is
// free again when a request ends.
func TestInboundConcurrency(t *testing.T) {
	h := newHarness(t, limitedConfig("max_concurrent: 1"))
	h.emu("acme").Inject(emulator.Fault{Method: "GET", Delay: 200 * time.Millisecond, Slow: true})
	done := inFlight(h.srv.URL + "/acme/scim/v2/Users")
	time.Sleep(50 * time.Millisecond)
	r := h.acme("GET", "/Users", "")
	r.wantError(t, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") != "1" || !strings.Contains(r.json.Get("detail").String(), "max_concurrent") {
		t.Fatalf("429: %s %v", r.body, r.header)
	}
	if s := <-done; s != 200 {
		t.Fatalf("the request in progress got %d", s)
	}
	h.acme("GET", "/Users", "").wantStatus(t, 200)
}
