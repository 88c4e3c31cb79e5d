package gateway

import (
	"testing"
)

const iiqToken = "iiq-token-123456"

// identityiqConfig has one emulated IdentityIQ tenant "iiq", reached with
// HTTP Basic as an IdentityIQ identity.
func identityiqConfig() string {
	return `
server: {public_url: "https://gw.example.com", max_results: 200}
tenants:
  iiq:
    dialect: identityiq
    inbound: {bearer_tokens: ["` + iiqToken + `"]}
    backend:
      emulated: true
      auth: {type: basic, username: spadmin, password: emulator-password}
      timeout: 2s
      retry: ` + quickRetry + "\n"
}

func newIdentityIQ(t *testing.T) *harness {
	t.Helper()
	return newHarness(t, identityiqConfig())
}

func (h *harness) iiq(method, path, body string, headers ...string) response {
	h.t.Helper()
	return h.do(method, "/iiq/scim/v2"+path, iiqToken, body, headers...)
}

func TestIdentityIQExplore(t *testing.T) {
	h := newIdentityIQ(t)
	mgr := h.iiq("POST", "/Users", `{"userName":"kim"}`).json.Get("id").String()
	r := h.iiq("POST", "/Users", enterpriseUser(mgr))
	t.Logf("%d %s", r.status, r.body)
	id := r.json.Get("id").String()
	r = h.iiq("PATCH", "/Users/"+id, patchOp+`[{"op":"replace","path":"title","value":"Boss"},{"op":"replace","path":"emails[type eq \"work\"].value","value":"b@x.com"}]}`)
	t.Logf("%d %s", r.status, r.body)
	r = h.iiq("GET", "/Users/"+id+"?attributes=roles,userName", "")
	t.Logf("%d %s", r.status, r.body)
	r = h.iiq("GET", "/Users?filter=userName%20eq%20%22bjensen@example.com%22", "")
	t.Logf("%d %s", r.status, r.body)
	for _, rq := range h.emu("iiq").Requests() {
		t.Logf("%s %s?%s %s", rq.Method, rq.Path, rq.Query, rq.Body)
	}
}

func TestIdentityIQReplay(t *testing.T) {
	replay(t, newIdentityIQ, "iiq", iiqToken, "identityiq")
}
