package gateway

import (
	"github.com/scimgw/scimgw/dialects/conformance"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/dialects/emulator"
)

// Tokens used by the test configs.
const (
	acmeToken = "acme-token-123456"
	cubeToken = "cube-token-123456"
)

// testConfig has an emulated scim2 tenant and an emulated cube tenant.
const testConfig = `
server:
  listen: "127.0.0.1:0"
  public_url: "https://gw.example.com"
  max_body_bytes: 4096
  max_results: 50
tenants:
  acme:
    dialect: scim2
    inbound: {bearer_tokens: ["` + acmeToken + `", "second-token-123"]}
    backend:
      emulated: true
      auth: {type: bearer, token: emulator-backend-token}
      timeout: 300ms
      retry: {max_attempts: 3, min_backoff: 10ms, max_backoff: 50ms}
    options: {sort: true, etag: true}
  cube:
    dialect: cube
    inbound: {bearer_tokens: ["` + cubeToken + `"]}
    backend:
      emulated: true
      auth: {type: bearer, token: emulator-backend-token}
      timeout: 300ms
      retry: {max_attempts: 3, min_backoff: 10ms, max_backoff: 50ms}
`

// acmeConfig is a config with one scim2 tenant "acme" whose backend (and
// anything after it) is given as YAML in flow style.
func acmeConfig(backend string) string {
	return `
server: {public_url: "https://gw.example.com"}
tenants:
  acme:
    dialect: scim2
    inbound: {bearer_tokens: ["` + acmeToken + `"]}
    backend: ` + backend + "\n"
}

// harness is a gateway behind a real HTTP server, with its logs captured.
type harness struct {
	t     *testing.T
	gw    *Gateway
	srv   *httptest.Server
	admin *httptest.Server
	logs  *observer.ObservedLogs
}

func newHarness(t *testing.T, yaml string) *harness {
	t.Helper()
	return newHarnessAt(t, "test.yaml", yaml)
}

// newHarnessAt is newHarness with the config read as if from file.
func newHarnessAt(t *testing.T, file, yaml string) *harness {
	t.Helper()
	return newHarnessLogging(t, file, yaml, zapcore.DebugLevel)
}

// newHarnessLogging is newHarnessAt observing the logs from level up.
func newHarnessLogging(t *testing.T, file, yaml string, level zapcore.Level) *harness {
	t.Helper()
	gw, logs := newGatewayLogging(t, file, yaml, level)
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(srv.Close)
	admin := httptest.NewServer(gw.AdminHandler())
	t.Cleanup(admin.Close)
	return &harness{t: t, gw: gw, srv: srv, admin: admin, logs: logs}
}

// newGateway builds a gateway from a config for the test, observing its
// logs; when the test ends it is closed and its logs checked for secrets.
func newGateway(t testing.TB, file, yaml string) (*Gateway, *observer.ObservedLogs) {
	t.Helper()
	return newGatewayLogging(t, file, yaml, zapcore.DebugLevel)
}

func newGatewayLogging(t testing.TB, file, yaml string, level zapcore.Level) (*Gateway, *observer.ObservedLogs) {
	t.Helper()
	cfg, err := ParseConfig(file, []byte(yaml), builtin.Registry())
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	core, logs := observer.New(level)
	gw, err := New(cfg, builtin.Registry(), zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		gw.Close()
		assertNoSecretsLogged(t, logs)
	})
	return gw, logs
}

// emu returns the emulated backend of a tenant.
func (h *harness) emu(tenant string) *emulator.Server {
	return h.gw.Emulator(tenant).(*emulator.Server)
}

type response struct {
	status int
	header http.Header
	body   []byte
	json   gjson.Result
}

func (h *harness) do(method, path, token, body string, headers ...string) response {
	h.t.Helper()
	r := conformance.Do(h.t, h.srv.URL, method, path, token, body, headers...)
	return response{status: r.Status, header: r.Header, body: r.Body, json: r.JSON}
}

// adminGet sends a GET to the admin listener.
func (h *harness) adminGet(path string) response {
	h.t.Helper()
	r := conformance.Do(h.t, h.admin.URL, "GET", path, "", "")
	return response{status: r.Status, header: r.Header, body: r.Body, json: r.JSON}
}

func (r response) conformance() conformance.Response {
	return conformance.Response{Status: r.status, Header: r.header, Body: r.body, JSON: r.json}
}

// acme is a shortcut for requests to the acme tenant.
func (h *harness) acme(method, path, body string, headers ...string) response {
	h.t.Helper()
	return h.do(method, "/acme/scim/v2"+path, acmeToken, body, headers...)
}

func (h *harness) cube(method, path, body string, headers ...string) response {
	h.t.Helper()
	return h.do(method, "/cube/scim/v2"+path, cubeToken, body, headers...)
}

// wantStatus fails unless the response has the status.
func (r response) wantStatus(t *testing.T, status int) response {
	t.Helper()
	r.conformance().WantStatus(t, status)
	return r
}

// wantError checks a SCIM error response (RFC 7644 §3.12).
func (r response) wantError(t *testing.T, status int, scimType string) response {
	t.Helper()
	r.conformance().WantError(t, status, scimType)
	return r
}

// secrets must never appear in logs.
var secrets = []string{acmeToken, cubeToken, "second-token-123", "emulator-backend-token", "s3cret-pass", "client-secret-xyz", "Authorization", "Bearer "}

func assertNoSecretsLogged(t testing.TB, logs *observer.ObservedLogs) {
	conformance.NoSecretsLogged(t, logs, secrets...)
}

const userBody = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
 "userName":"bjensen@example.com","externalId":"ext-1","password":"s3cret-pass","displayName":"Babs",
 "name":{"givenName":"Barbara","familyName":"Jensen","formatted":"Ms. Barbara J Jensen"},
 "emails":[{"value":"bjensen@example.com","type":"work","primary":true}],"active":true,
 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","department":"R&D"}}`

var _ dialects.Emulator = (*emulator.Server)(nil)

// wantBackendMessage checks that a backend's message stayed out of the
// client's error and went to the log under the response's request id.
func (h *harness) wantBackendMessage(t *testing.T, r response, msg string) {
	t.Helper()
	conformance.WantBackendMessage(t, h.logs, r.conformance(), msg)
}

// statusOf sends a request and returns its status, or 0 when it got no
// answer.
func statusOf(method, url, token, body string) int {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// inFlight sends a GET with acme's token in the background; its status
// arrives on the channel.
func inFlight(url string) <-chan int {
	status := make(chan int, 1)
	go func() { status <- statusOf("GET", url, acmeToken, "") }()
	return status
}
