package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scimgw/scimgw/dialects/conformance"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/dialects/identityiq"
	"github.com/scimgw/scimgw/gateway/gatewaytest"
)

// iiq sends a request to the conformance tenant of an IdentityIQ gateway.
func iiq(h *gatewaytest.Harness, method, path, body string) gatewaytest.Response {
	h.T.Helper()
	return h.Do(method, "/"+conformance.Tenant+"/scim/v2"+path, conformance.Token, body)
}

// Every request's log line and the metrics say how many backend requests
// the operation sent: an IdentityIQ PATCH whose PUT meets a concurrent
// change is GET, PUT (412), GET, PUT.
func TestOperationBackendCalls(t *testing.T) {
	h := gatewaytest.New(t, conformance.Config(identityiq.Factory))
	id := iiq(h, "POST", "/Users", `{"userName":"ann","displayName":"Ann"}`).WantStatus(t, 201).JSON.Get("id").String()
	h.Emu(conformance.Tenant).Inject(emulator.Fault{Method: "PUT", Status: 412})
	iiq(h, "PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"displayName","value":"Ann S"}]}`).WantStatus(t, 200)
	calls := map[string]int64{}
	for _, e := range h.Logs.FilterMessage("request").All() {
		calls[e.ContextMap()["op"].(string)] = e.ContextMap()["backend_calls"].(int64)
	}
	if calls["users.create"] != 1 || calls["users.patch"] != 4 {
		t.Fatalf("backend_calls in the log lines: %v", calls)
	}
	m := string(h.Admin("/metrics").WantStatus(t, 200).Body)
	for _, want := range []string{`scimgw_operation_backend_calls_total{op="users.patch",tenant="conformance"} 4`, `scimgw_operation_backend_calls_total{op="users.create",tenant="conformance"} 1`,
		`scimgw_rmw_conflicts_total{tenant="conformance"} 1`, `scimgw_backend_attempts_total{outcome="412",tenant="conformance"} 1`} {
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
	h := gatewaytest.New(t, strings.Replace(conformance.Config(identityiq.Factory), "      timeout: 2s\n", "      timeout: 2s\n      deadline: 400ms\n", 1))
	id := iiq(h, "POST", "/Users", `{"userName":"ann","displayName":"Ann"}`).WantStatus(t, 201).JSON.Get("id").String()
	emu := h.Emu(conformance.Tenant)
	emu.Inject(emulator.Fault{Method: "GET", Delay: 300 * time.Millisecond})
	emu.Inject(emulator.Fault{Method: "PUT", Delay: 300 * time.Millisecond})
	start := time.Now()
	r := iiq(h, "PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"displayName","value":"Ann S"}]}`)
	if took := time.Since(start); took > time.Second {
		t.Fatalf("the PATCH took %s with a 400ms deadline", took)
	}
	r.WantError(t, 504, "")
	var calls []string
	for _, rq := range emu.Requests() {
		calls = append(calls, rq.Method)
	}
	if strings.Join(calls, " ") != "POST GET GET PUT" {
		t.Fatalf("backend requests %v (%d %s)", calls, r.Status, r.Body)
	}
}
