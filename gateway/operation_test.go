package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/scimgw/scimgw/dialects/emulator"
)

// Every request's log line and the metrics say how many backend requests
// the operation sent: an IdentityIQ PATCH whose PUT meets a concurrent
// change is GET, PUT (412), GET, PUT.
func TestOperationBackendCalls(t *testing.T) {
	h := newIdentityIQ(t)
	id := h.iiq("POST", "/Users", `{"userName":"ann","displayName":"Ann"}`).wantStatus(t, 201).json.Get("id").String()
	h.emu("iiq").Inject(emulator.Fault{Method: "PUT", Status: 412})
	h.iiq("PATCH", "/Users/"+id, patchOp+`[{"op":"replace","path":"displayName","value":"Ann S"}]}`).wantStatus(t, 200)
	calls := map[string]int64{}
	for _, e := range h.logs.FilterMessage("request").All() {
		calls[e.ContextMap()["op"].(string)] = e.ContextMap()["backend_calls"].(int64)
	}
	if calls["users.create"] != 1 || calls["users.patch"] != 4 {
		t.Fatalf("backend_calls in the log lines: %v", calls)
	}
	m := string(h.do("GET", "/metrics", "", "").wantStatus(t, 200).body)
	for _, want := range []string{`scimgw_operation_backend_calls_total{tenant="iiq",op="users.patch"} 4`, `scimgw_operation_backend_calls_total{tenant="iiq",op="users.create"} 1`} {
		if !strings.Contains(m, want) {
			t.Fatalf("metrics lack %q:\n%s", want, m)
		}
	}
}

// backend.deadline bounds the whole operation, not each call: a PATCH by
// replace whose GET (a slow 503, retried) and PUT each take most of it
// fails with 504 when the deadline passes, though every call is well
// within backend.timeout.
func TestOperationDeadline(t *testing.T) {
	h := newHarness(t, strings.Replace(identityiqConfig(), "      timeout: 2s\n", "      timeout: 2s\n      deadline: 400ms\n", 1))
	id := h.iiq("POST", "/Users", `{"userName":"ann","displayName":"Ann"}`).wantStatus(t, 201).json.Get("id").String()
	emu := h.emu("iiq")
	emu.Inject(emulator.Fault{Method: "GET", Delay: 300 * time.Millisecond})
	emu.Inject(emulator.Fault{Method: "PUT", Delay: 300 * time.Millisecond})
	start := time.Now()
	r := h.iiq("PATCH", "/Users/"+id, patchOp+`[{"op":"replace","path":"displayName","value":"Ann S"}]}`)
	if took := time.Since(start); took > time.Second {
		t.Fatalf("the PATCH took %s with a 400ms deadline", took)
	}
	if r.status != 504 && r.status != 502 {
		t.Fatalf("status %d, want 504 or 502: %s", r.status, r.body)
	}
	var calls []string
	for _, rq := range emu.Requests() {
		calls = append(calls, rq.Method)
	}
	if strings.Join(calls, " ") != "POST GET GET PUT" {
		t.Fatalf("backend requests %v (%d %s)", calls, r.status, r.body)
	}
}
