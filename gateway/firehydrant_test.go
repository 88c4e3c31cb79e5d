package gateway

import (
	"testing"
)

const fhToken = "fh-token-123456"

// firehydrantConfig has one emulated FireHydrant tenant "fh"; options are
// YAML in flow style.
func firehydrantConfig(options string) string {
	return `
server: {public_url: "https://gw.example.com", max_results: 200}
tenants:
  fh:
    dialect: firehydrant
    inbound: {bearer_tokens: ["` + fhToken + `"]}
    backend:
      emulated: true
      auth: {type: bearer, token: emulator-backend-token}
      timeout: 2s
      retry: ` + quickRetry + `
    options: ` + options + "\n"
}

func newFireHydrant(t *testing.T, options string) *harness {
	t.Helper()
	return newHarness(t, firehydrantConfig(options))
}

func (h *harness) fh(method, path, body string, headers ...string) response {
	h.t.Helper()
	return h.do(method, "/fh/scim/v2"+path, fhToken, body, headers...)
}

func TestFireHydrantReplay(t *testing.T) {
	replay(t, func(t *testing.T) *harness { return newFireHydrant(t, `{}`) }, "fh", fhToken, "firehydrant")
}
