package gateway

import (
	"testing"
)

const pcToken = "pc-token-123456"

// purecloudConfig has one emulated Genesys Cloud tenant "pc", reached with
// OAuth client credentials; options are given as YAML in flow style.
func purecloudConfig(options string) string {
	return `
server: {public_url: "https://gw.example.com", max_results: 200}
tenants:
  pc:
    dialect: purecloud
    inbound: {bearer_tokens: ["` + pcToken + `"]}
    backend:
      emulated: true
      auth: {type: oauth2, token_url: /oauth/token, client_id: emulator-client, client_secret: emulator-client-secret}
      timeout: 2s
      retry: {max_attempts: 3, min_backoff: 10ms, max_backoff: 50ms}
    options: ` + options + "\n"
}

func newPurecloud(t *testing.T, options string) *harness {
	t.Helper()
	return newHarness(t, purecloudConfig(options))
}

func (h *harness) pc(method, path, body string, headers ...string) response {
	h.t.Helper()
	return h.do(method, "/pc/scim/v2"+path, pcToken, body, headers...)
}

func TestPurecloudExplore(t *testing.T) {
	h := newPurecloud(t, `{}`)
	r := h.pc("POST", "/Users", enterpriseUser("m-1"))
	t.Logf("%d %s", r.status, r.body)
	id := r.json.Get("id").String()
	r = h.pc("PATCH", "/Users/"+id, patchOp+`[{"op":"replace","path":"name.givenName","value":"Babs"},{"op":"Replace","path":"active","value":false}]}`)
	t.Logf("%d %s", r.status, r.body)
	r = h.pc("GET", "/Users", "")
	t.Logf("%d %s", r.status, r.body)
	r = h.pc("GET", "/Groups", "")
	t.Logf("%d %s", r.status, r.body)
	for _, rq := range h.emu("pc").Requests() {
		t.Logf("%s %s?%s %s", rq.Method, rq.Path, rq.Query, rq.Body)
	}
}

func TestPurecloudReplay(t *testing.T) {
	replay(t, func(t *testing.T) *harness { return newPurecloud(t, `{}`) }, "pc", pcToken, "purecloud")
}
