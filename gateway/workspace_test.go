package gateway

import (
	"testing"
)

const wsToken = "ws-token-123456"

// workspaceConfig has one emulated Workspace ONE tenant "ws", reached with
// OAuth client credentials at the vendor's token path; options are given
// as YAML in flow style.
func workspaceConfig(options string) string {
	return `
server: {public_url: "https://gw.example.com", max_results: 50}
tenants:
  ws:
    dialect: workspace
    inbound: {bearer_tokens: ["` + wsToken + `"]}
    backend:
      emulated: true
      auth: {type: oauth2, token_url: /SAAS/auth/oauthtoken, client_id: emulator-client, client_secret: emulator-client-secret}
      timeout: 2s
      retry: {max_attempts: 3, min_backoff: 10ms, max_backoff: 50ms}
    options: ` + options + "\n"
}

func (h *harness) ws(method, path, body string, headers ...string) response {
	h.t.Helper()
	return h.do(method, "/ws/scim/v2"+path, wsToken, body, headers...)
}

func TestWorkspaceExplore(t *testing.T) {
	h := newHarness(t, workspaceConfig(`{domain: example.com}`))
	r := h.ws("POST", "/Users", userBody)
	t.Logf("%d %s", r.status, r.body)
	id := r.json.Get("id").String()
	r = h.ws("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Boss"},{"op":"replace","path":"emails[type eq \"work\"].value","value":"b@x.com"}]}`)
	t.Logf("%d %s", r.status, r.body)
	r = h.ws("PUT", "/Users/"+id, `{"userName":"bjensen@example.com","externalId":"ext-1","name":{"givenName":"B","familyName":"J"},"emails":[{"value":"c@x.com","primary":true}]}`)
	t.Logf("%d %s", r.status, r.body)
	r = h.ws("GET", "/Users?filter=userName%20ne%20%22x%22", "")
	t.Logf("%d %s", r.status, r.body)
	for _, rq := range h.emu("ws").Requests() {
		t.Logf("%s %s?%s %s", rq.Method, rq.Path, rq.Query, rq.Body)
	}
}

func TestWorkspaceReplay(t *testing.T) {
	replay(t, func(t *testing.T) *harness { return newHarness(t, workspaceConfig(`{domain: example.com}`)) }, "ws", wsToken, "workspace")
}
