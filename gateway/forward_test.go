package gateway

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/dialects/emulator"
)

func TestRetriesIdempotentRequests(t *testing.T) {
	h := newHarness(t, testConfig)
	id := h.acme("POST", "/Users", `{"userName":"r@example.com"}`).wantStatus(t, 201).json.Get("id").String()
	emu := h.emu("acme")
	for _, tc := range []struct {
		name  string
		fault emulator.Fault
	}{
		{"503", emulator.Fault{Status: 503}},
		{"502", emulator.Fault{Status: 502}},
		{"504", emulator.Fault{Status: 504}},
		{"429", emulator.Fault{Status: 429, RetryAfter: "0"}},
		{"connection reset", emulator.Fault{Reset: true}},
		{"timeout", emulator.Fault{Delay: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(emu.Requests())
			f := tc.fault
			f.Times = 2
			emu.Inject(f)
			h.acme("GET", "/Users/"+id, "").wantStatus(t, 200)
			if n := len(emu.Requests()) - before; n != 3 {
				t.Fatalf("%d attempts, want 3", n)
			}
		})
	}
}

func TestRetriesExhausted(t *testing.T) {
	h := newHarness(t, testConfig)
	emu := h.emu("acme")
	emu.Inject(emulator.Fault{Times: 3, Status: 503, RetryAfter: "7"})
	r := h.acme("GET", "/Users", "").wantError(t, 503, "")
	if r.header.Get("Retry-After") != "7" {
		t.Fatalf("Retry-After not passed through: %v", r.header)
	}
	if strings.Contains(r.json.Get("detail").String(), "injected") {
		t.Fatalf("backend 5xx detail leaked: %s", r.body)
	}
	rid := r.header.Get("X-Request-Id")
	if rid == "" || !strings.Contains(r.json.Get("detail").String(), rid) {
		t.Fatalf("detail lacks request id %q: %s", rid, r.body)
	}
	if h.logs.FilterField(zap.String("request_id", rid)).Len() == 0 {
		t.Fatal("request id not in the log")
	}
	// A 429 asking for a longer wait than max_backoff (50ms) is not
	// waited for: the client gets it, with its Retry-After, at once.
	mark := len(emu.Requests())
	emu.Inject(emulator.Fault{Times: 1, Status: 429, RetryAfter: "1"})
	r = h.acme("GET", "/Users", "").wantError(t, 429, "")
	if r.header.Get("Retry-After") != "1" || len(emu.Requests())-mark != 1 {
		t.Fatalf("429: Retry-After %q after %d attempts", r.header.Get("Retry-After"), len(emu.Requests())-mark)
	}
	// One that fits is waited for and retried.
	emu.Inject(emulator.Fault{Times: 2, Status: 429, RetryAfter: "0"})
	h.acme("GET", "/Users", "").wantStatus(t, 200)
	emu.Inject(emulator.Fault{Times: 3, Delay: time.Second})
	h.acme("GET", "/Users", "").wantError(t, 504, "")
}

func TestBackendDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	h := newHarness(t, strings.Replace(testConfig, "emulated: true", "url: http://"+addr+"/scim/v2", 1))
	h.acme("GET", "/Users", "").wantError(t, 502, "")
	h.acme("POST", "/Users", `{"userName":"x@example.com"}`).wantError(t, 502, "")
	// Each request: 3 attempts, since a refused connection sent nothing. The
	// create is not looked up afterwards: nothing can have been applied.
	if attempts := h.logs.FilterMessage("backend attempt failed").Len(); attempts != 6 {
		t.Fatalf("%d attempts, want 6", attempts)
	}
}

// TestSafeCreate: a create that reaches the backend but whose answer is lost
// must not create a duplicate, and must still answer 201 with the user.
func TestSafeCreate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fault   emulator.Fault
		creates int // POSTs the backend should see
	}{
		{"timeout after the write", emulator.Fault{Method: "POST", After: true, Delay: time.Second}, 1},
		{"reset after the write", emulator.Fault{Method: "POST", After: true, Reset: true}, 1},
		{"503 after the write", emulator.Fault{Method: "POST", After: true, Status: 503}, 1},
		{"reset before the write", emulator.Fault{Method: "POST", Reset: true}, 2},
		{"502 before the write", emulator.Fault{Method: "POST", Status: 502}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, testConfig)
			emu := h.emu("acme")
			emu.Inject(tc.fault)
			r := h.acme("POST", "/Users", userBody).wantStatus(t, 201)
			if r.json.Get("userName").String() != "bjensen@example.com" || r.header.Get("Location") == "" || r.json.Get("password").Exists() {
				t.Fatalf("create answer: %v %s", r.header, r.body)
			}
			if n := emu.Count("Users"); n != 1 {
				t.Fatalf("backend has %d users, want exactly 1", n)
			}
			posts := 0
			for _, req := range emu.Requests() {
				if req.Method == "POST" {
					posts++
				}
			}
			if posts != tc.creates {
				t.Fatalf("backend saw %d POSTs, want %d", posts, tc.creates)
			}
		})
	}
}

func TestSafeCreateGivesUp(t *testing.T) {
	h := newHarness(t, testConfig)
	emu := h.emu("acme")
	emu.Inject(emulator.Fault{Method: "POST", Times: 10, Status: 503})
	r := h.acme("POST", "/Users", `{"userName":"never@example.com"}`).wantError(t, 503, "")
	if n := emu.Count("Users"); n != 0 {
		t.Fatalf("%d users", n)
	}
	if !strings.Contains(r.json.Get("detail").String(), "request id") {
		t.Fatalf("detail: %s", r.body)
	}
}

func TestPatchIsNotRepeated(t *testing.T) {
	h := newHarness(t, testConfig)
	id := h.acme("POST", "/Users", `{"userName":"p@example.com"}`).wantStatus(t, 201).json.Get("id").String()
	emu := h.emu("acme")
	for _, f := range []emulator.Fault{{Method: "PATCH", Status: 503}, {Method: "PATCH", After: true, Reset: true}, {Method: "PATCH", After: true, Delay: time.Second}} {
		before := len(emu.Requests())
		emu.Inject(f)
		r := h.acme("PATCH", "/Users/"+id, `{"Operations":[{"op":"add","path":"emails","value":[{"value":"x@example.com"}]}]}`)
		if r.status < 500 {
			t.Fatalf("fault %+v: status %d", f, r.status)
		}
		r.wantError(t, r.status, "")
		if n := len(emu.Requests()) - before; n != 1 {
			t.Fatalf("fault %+v: PATCH sent %d times", f, n)
		}
	}
	// A refused connection or a 429 means nothing was applied: retried.
	emu.Inject(emulator.Fault{Method: "PATCH", Status: 429, RetryAfter: "0"})
	h.acme("PATCH", "/Users/"+id, `{"Operations":[{"op":"replace","path":"active","value":false}]}`).wantStatus(t, 200)
}

// A PUT whose first attempt was applied but lost (reset after the write)
// and whose retries are refused (429) is an unknown outcome, 502, never
// the backend's "nothing done" 429: the soak found this.
func TestRefusalAfterAnUncertainAttempt(t *testing.T) {
	h := newHarness(t, testConfig)
	id := h.acme("POST", "/Users", `{"userName":"u@example.com"}`).wantStatus(t, 201).json.Get("id").String()
	emu := h.emu("acme")
	emu.Inject(emulator.Fault{Method: "PUT", After: true, Reset: true})
	emu.Inject(emulator.Fault{Method: "PUT", Status: 429, RetryAfter: "0", Times: 5})
	r := h.acme("PUT", "/Users/"+id, `{"userName":"u@example.com","displayName":"Changed"}`)
	r.wantError(t, http.StatusBadGateway, "")
	if !strings.Contains(r.json.Get("detail").String(), "may or may not have applied") {
		t.Fatalf("detail: %s", r.json.Get("detail"))
	}
	if !strings.Contains(string(emu.Resource("Users", id)), "Changed") {
		t.Fatal("the first attempt was not applied: the test does not test what it says")
	}
	// With no uncertain attempt, a 429 is the client's 429.
	emu.Inject(emulator.Fault{Method: "PUT", Status: 429, RetryAfter: "0", Times: 5})
	h.acme("PUT", "/Users/"+id, `{"userName":"u@example.com","displayName":"Again"}`).wantError(t, http.StatusTooManyRequests, "")
}

func TestDeleteRetriedAfterLostAnswer(t *testing.T) {
	h := newHarness(t, testConfig)
	id := h.acme("POST", "/Users", `{"userName":"d@example.com"}`).wantStatus(t, 201).json.Get("id").String()
	h.emu("acme").Inject(emulator.Fault{Method: "DELETE", After: true, Reset: true})
	h.acme("DELETE", "/Users/"+id, "").wantStatus(t, 204)
	h.acme("DELETE", "/Users/"+id, "").wantError(t, 404, "")
}

func TestBackendErrorsNormalised(t *testing.T) {
	h := newHarness(t, testConfig)
	emu := h.emu("acme")
	emu.Inject(emulator.Fault{Status: 500})
	r := h.acme("GET", "/Users/whatever", "").wantError(t, 500, "")
	if strings.Contains(r.json.Get("detail").String(), "injected") {
		t.Fatalf("500 detail leaked: %s", r.body)
	}
	emu.Inject(emulator.Fault{Status: 403})
	h.acme("GET", "/Users/whatever", "").wantError(t, 403, "")
}

func TestBackendCredentialsRejected(t *testing.T) {
	h := newHarness(t, strings.Replace(testConfig, "token: emulator-backend-token}", "token: wrong-token}", 1))
	r := h.acme("GET", "/Users", "").wantError(t, 502, "")
	if !strings.Contains(r.json.Get("detail").String(), "credentials") {
		t.Fatalf("detail: %s", r.body)
	}
	if r.header.Get("WWW-Authenticate") != "" {
		t.Fatal("a backend 401 must not ask the IdP for new credentials")
	}
	// A create is not looked up or repeated: nothing was applied.
	h.acme("POST", "/Users", `{"userName":"c@example.com"}`).wantError(t, 502, "")
	if n := len(h.emu("acme").Requests()); n != 2 {
		t.Fatalf("%d backend requests, want 2", n)
	}
}

func TestRetryAfterParsingAndBackoff(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{"Thu, 01 Jan 2026 00:00:10 GMT", 10 * time.Second, true},
		{"Wed, 31 Dec 2025 23:59:00 GMT", 0, true},
		{"soon", 0, false},
		{"-1", 0, false},
		{"", 0, false},
	} {
		got, ok := retryAfter(tc.v, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v %v, want %v %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"3600"}}}
	if d := backoff(10*time.Millisecond, 2*time.Second, 0, resp); d != 2*time.Second {
		t.Errorf("Retry-After not capped by max_backoff: %v", d)
	}
	for attempt := 0; attempt < 40; attempt++ {
		d := backoff(100*time.Millisecond, time.Second, attempt, nil)
		if d < 50*time.Millisecond || d > time.Second {
			t.Fatalf("attempt %d: backoff %v out of bounds", attempt, d)
		}
	}
}

func TestClientDeadlineStopsRetries(t *testing.T) {
	h := newHarness(t, strings.Replace(testConfig, "max_attempts: 3, min_backoff: 10ms", "max_attempts: 20, min_backoff: 30ms", 1))
	h.emu("acme").Inject(emulator.Fault{Times: 10, Status: 503, RetryAfter: "0"})
	client := &http.Client{Timeout: 20 * time.Millisecond}
	req, _ := http.NewRequest("GET", h.srv.URL+"/acme/scim/v2/Users", nil)
	req.Header.Set("Authorization", "Bearer "+acmeToken)
	if _, err := client.Do(req); err == nil {
		t.Log("request finished before the client deadline")
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(h.emu("acme").Requests()); n > 3 {
		t.Fatalf("retries went on after the client left: %d attempts", n)
	}
}

// The outbound pool keeps backend.max_idle_conns idle connections (default
// 64), so a busy tenant reuses its connections instead of opening new ones.
func TestBackendPool(t *testing.T) {
	for yaml, want := range map[string]int{
		`{url: "http://127.0.0.1:1/scim/v2"}`:                    64,
		`{url: "http://127.0.0.1:1/scim/v2", max_idle_conns: 8}`: 8,
	} {
		cfg, err := ParseConfig("pool.yaml", []byte(acmeConfig(yaml)), builtin.Registry())
		if err != nil {
			t.Fatal(err)
		}
		b := newBackend(cfg.Tenants["acme"], "http://127.0.0.1:1/scim/v2", zap.NewNop(), nil, nil)
		tr := b.client.HTTPClient.Transport.(*http.Transport)
		if tr.MaxIdleConnsPerHost != want || tr.MaxIdleConns != want || tr.IdleConnTimeout != 90*time.Second {
			t.Fatalf("%s: %d idle per host, %d in all, timeout %s", yaml, tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tr.IdleConnTimeout)
		}
	}
}
