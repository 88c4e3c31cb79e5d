// Package gatewaytest runs a real gateway for a test: its config, its
// emulated backends, its logs. The dialects' own tests use it to drive
// their tenants through the whole pipeline, and keep what their backend
// received in golden files.
package gatewaytest

import (
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/dialects/conformance"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/gateway"
)

// -update rewrites golden files; a test binary that defines it already
// (the gateway's own) shares it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// Response is a gateway's answer (conformance.Response: WantStatus, WantError).
type Response = conformance.Response

// PatchOp begins a PatchOp message; add the operations and "}".
const PatchOp = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`

// QuickRetry is a retry policy for tests: three attempts, short waits.
const QuickRetry = `{max_attempts: 3, min_backoff: 10ms, max_backoff: 50ms}`

// EmulatedTenant is a config with one emulated tenant of the dialect;
// auth, options and retry are YAML in flow style.
func EmulatedTenant(id, dialect, token, auth, options, retry string) string {
	return `
server: {public_url: "https://gw.example.com", max_results: 200}
tenants:
  ` + id + `:
    dialect: ` + dialect + `
    inbound: {bearer_tokens: ["` + token + `"]}
    backend:
      emulated: true
      auth: ` + auth + `
      timeout: 2s
      retry: ` + retry + `
    options: ` + options + "\n"
}

// OAuthTenant is EmulatedTenant with the emulator's OAuth client at
// tokenPath (a path on the backend's host).
func OAuthTenant(id, dialect, token, tokenPath, options, retry string) string {
	return EmulatedTenant(id, dialect, token, `{type: oauth2, token_url: `+tokenPath+`, client_id: emulator-client, client_secret: emulator-client-secret}`, options, retry)
}

// Harness is a gateway behind a real HTTP server, with its logs captured.
type Harness struct {
	T        *testing.T
	GW       *gateway.Gateway
	URL      string // the SCIM listener
	AdminURL string // the admin listener
	Logs     *observer.ObservedLogs
}

// New serves the config (YAML) for the test; when it ends the gateway is
// closed and its logs are checked for secrets.
func New(t *testing.T, yaml string, secrets ...string) *Harness {
	t.Helper()
	return NewAt(t, "test.yaml", yaml, secrets...)
}

// NewAt is New with the config read as if from file.
func NewAt(t *testing.T, file, yaml string, secrets ...string) *Harness {
	t.Helper()
	cfg, err := gateway.ParseConfig(file, []byte(yaml), builtin.Registry())
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	gw, err := gateway.New(cfg, builtin.Registry(), zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler())
	admin := httptest.NewServer(gw.AdminHandler())
	t.Cleanup(func() {
		srv.Close()
		admin.Close()
		gw.Close()
		conformance.NoSecretsLogged(t, logs, append(secrets, "emulator-backend-token", "emulator-client-secret", "emulator-password", "Authorization", "Bearer ")...)
	})
	return &Harness{T: t, GW: gw, URL: srv.URL, AdminURL: admin.URL, Logs: logs}
}

// Admin sends a GET to the admin listener (AdminHandler).
func (h *Harness) Admin(path string) Response {
	h.T.Helper()
	return conformance.Do(h.T, h.AdminURL, "GET", path, "", "")
}

// Do sends a request; path is from the server root.
func (h *Harness) Do(method, path, token, body string, headers ...string) Response {
	h.T.Helper()
	return conformance.Do(h.T, h.URL, method, path, token, body, headers...)
}

// Emu returns the emulated backend of a tenant.
func (h *Harness) Emu(tenant string) *emulator.Server {
	return h.GW.Emulator(tenant).(*emulator.Server)
}

// WantBackendMessage checks that a backend's message stayed out of the
// client's error and went to the log under the response's request id.
func (h *Harness) WantBackendMessage(t *testing.T, r Response, msg string) {
	t.Helper()
	conformance.WantBackendMessage(t, h.Logs, r, msg)
}

// Refusal is a create the gateway must refuse with 400 before sending
// anything to the backend: a name, the tenant's options, the body and
// the scimType.
type Refusal = struct{ Name, Options, Body, ScimType string }

// WantRefused runs each refusal on a fresh gateway from newH (given the
// refusal's options) and checks that nothing reached the backend.
func WantRefused(t *testing.T, newH func(*testing.T, string) *Harness, tenant, token string, cases []Refusal) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			h := newH(t, c.Options)
			h.Do("POST", "/"+tenant+"/scim/v2/Users", token, c.Body).WantError(t, 400, c.ScimType)
			if n := len(h.Emu(tenant).Requests()); n != 0 {
				t.Fatalf("%d requests forwarded", n)
			}
		})
	}
}

// Sent returns the backend requests received since mark (Server.Sent).
func Sent(emu *emulator.Server, mark int) string { return emu.Sent(mark) }

// CheckGolden compares got with the golden file; go test -update
// rewrites it.
func CheckGolden(t *testing.T, file, got string) {
	t.Helper()
	if updating() {
		os.MkdirAll(filepath.Dir(file), 0o755)
		os.WriteFile(file, []byte(got), 0o644)
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs (go test -update rewrites it)\n--- got\n%s", file, got)
	}
}
