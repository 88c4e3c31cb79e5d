package gateway

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is an OTLP/HTTP trace receiver that keeps what it is sent.
type collector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(nil)
}

const (
	clientTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	clientParent = "00f067aa0ba902b7"
)

// With server.tracing.endpoint the gateway follows the client's W3C
// traceparent: its server span, the validation, the dialect and each
// backend attempt are spans of the client's trace, exported over OTLP;
// the backend gets a traceparent naming the attempt's span, and the log
// line names the trace. No span carries a query, a body or a token.
func TestTracing(t *testing.T) {
	col := &collector{}
	cs := httptest.NewServer(col)
	defer cs.Close()
	h := newHarness(t, strings.Replace(testConfig, "server:\n", "server:\n  tracing: {endpoint: \""+cs.URL+"\"}\n", 1))
	tp := "00-" + clientTrace + "-" + clientParent + "-01"
	h.acme("POST", "/Users", `{"userName":"traced.user@example.com","password":"s3cret-Passw0rd"}`, "traceparent", tp).wantStatus(t, 201)
	h.acme("GET", "/Users?filter=userName+eq+%22traced.user@example.com%22", "", "traceparent", tp).wantStatus(t, 200)
	sent := h.emu("acme").Requests()
	h.gw.Close() // flushes the spans

	byID := map[string]*tracepb.Span{}
	names := map[string]*tracepb.Span{}
	for _, s := range col.spans {
		if hex.EncodeToString(s.TraceId) != clientTrace {
			t.Fatalf("span %q is in trace %x, not the client's", s.Name, s.TraceId)
		}
		byID[hex.EncodeToString(s.SpanId)] = s
		names[s.Name] = s
		for _, a := range s.Attributes {
			v := a.Value.String()
			for _, secret := range []string{"traced.user", "s3cret", acmeToken, "emulator-backend-token", "filter"} {
				if strings.Contains(v, secret) {
					t.Fatalf("span %q attribute %s carries %q", s.Name, a.Key, secret)
				}
			}
		}
	}
	for _, want := range []string{"POST /acme/scim/v2/Users", "validate User", "dialect create User", "backend POST /Users", "GET /acme/scim/v2/Users", "dialect list User", "backend GET /Users"} {
		if names[want] == nil {
			var got []string
			for n := range names {
				got = append(got, n)
			}
			t.Fatalf("no span %q; spans: %v", want, got)
		}
	}
	if hex.EncodeToString(names["POST /acme/scim/v2/Users"].ParentSpanId) != clientParent {
		t.Fatal("the server span is not the client span's child")
	}
	// The backend got the attempt's span as its parent.
	if !strings.HasPrefix(sent[0].Traceparent, "00-"+clientTrace+"-") {
		t.Fatalf("the backend got traceparent %q", sent[0].Traceparent)
	}
	attempt := byID[strings.Split(sent[0].Traceparent, "-")[2]]
	if attempt == nil || attempt.Name != "backend POST /Users" || attempt.Kind != tracepb.Span_SPAN_KIND_CLIENT {
		t.Fatalf("the backend's parent span is %v", attempt)
	}
	if d := byID[hex.EncodeToString(attempt.ParentSpanId)]; d == nil || d.Name != "dialect create User" {
		t.Fatalf("the attempt's parent is %v", d)
	}
	lines := h.logs.FilterMessage("request").All()
	if len(lines) == 0 || lines[0].ContextMap()["trace_id"] != clientTrace {
		t.Fatalf("the request log line lacks the trace id: %v", lines)
	}
}

// Tracing off (the default): no span, nothing propagated, no trace id.
func TestTracingOff(t *testing.T) {
	h := newHarness(t, testConfig)
	h.acme("GET", "/Users", "", "traceparent", "00-"+clientTrace+"-"+clientParent+"-01").wantStatus(t, 200)
	if tp := h.emu("acme").Requests()[0].Traceparent; tp != "" {
		t.Fatalf("traceparent %q forwarded with tracing off", tp)
	}
	if _, ok := h.logs.FilterMessage("request").All()[0].ContextMap()["trace_id"]; ok {
		t.Fatal("a trace id logged with tracing off")
	}
}
