package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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

// quickRetry is a retry policy for tests: three attempts, short waits.
const quickRetry = `{max_attempts: 3, min_backoff: 10ms, max_backoff: 50ms}`

// emulatedTenant is a config with one emulated tenant of the dialect;
// auth, options and retry are YAML in flow style.
func emulatedTenant(id, dialect, token, auth, options, retry string) string {
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

// oauthTenant is emulatedTenant with the emulator's OAuth client at
// tokenPath (a path on the backend's host).
func oauthTenant(id, dialect, token, tokenPath, options, retry string) string {
	return emulatedTenant(id, dialect, token, `{type: oauth2, token_url: `+tokenPath+`, client_id: emulator-client, client_secret: emulator-client-secret}`, options, retry)
}

// refusal is a create the gateway must refuse with 400 before sending
// anything to the backend.
type refusal struct{ name, options, body, scimType string }

// wantRefused runs each refusal on a fresh gateway from newH (given the
// refusal's options), whose tenant's emulated backend must see nothing.
func wantRefused(t *testing.T, newH func(*testing.T, string) *harness, tenant, token string, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newH(t, c.options)
			h.do("POST", "/"+tenant+"/scim/v2/Users", token, c.body).wantError(t, 400, c.scimType)
			if n := len(h.emu(tenant).Requests()); n != 0 {
				t.Fatalf("%d requests forwarded", n)
			}
		})
	}
}

// harness is a gateway behind a real HTTP server, with its logs captured.
type harness struct {
	t    *testing.T
	gw   *Gateway
	srv  *httptest.Server
	logs *observer.ObservedLogs
}

func newHarness(t *testing.T, yaml string) *harness {
	t.Helper()
	return newHarnessAt(t, "test.yaml", yaml)
}

// newHarnessAt is newHarness with the config read as if from file.
func newHarnessAt(t *testing.T, file, yaml string) *harness {
	t.Helper()
	gw, logs := newGateway(t, file, yaml)
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, gw: gw, srv: srv, logs: logs}
}

// newGateway builds a gateway from a config for the test, observing its
// logs; when the test ends it is closed and its logs checked for secrets.
func newGateway(t *testing.T, file, yaml string) (*Gateway, *observer.ObservedLogs) {
	t.Helper()
	cfg, err := ParseConfig(file, []byte(yaml), builtin.Registry())
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
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
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: data, json: gjson.ParseBytes(data)}
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
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// wantError checks a SCIM error response (RFC 7644 §3.12).
func (r response) wantError(t *testing.T, status int, scimType string) response {
	t.Helper()
	r.wantStatus(t, status)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
		t.Fatalf("error Content-Type %q", ct)
	}
	if r.json.Get("schemas.0").String() != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Fatalf("error without the Error schema: %s", r.body)
	}
	if s := r.json.Get("status"); s.Type != gjson.String || s.Str != itoa(status) {
		t.Fatalf("error status must be the string %q: %s", itoa(status), r.body)
	}
	if r.json.Get("scimType").String() != scimType {
		t.Fatalf("scimType %q, want %q: %s", r.json.Get("scimType").String(), scimType, r.body)
	}
	if r.json.Get("detail").String() == "" {
		t.Fatalf("error without detail: %s", r.body)
	}
	return r
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// secrets must never appear in logs.
var secrets = []string{acmeToken, cubeToken, "second-token-123", "emulator-backend-token", "s3cret-pass", "client-secret-xyz", "Authorization", "Bearer "}

func assertNoSecretsLogged(t *testing.T, logs *observer.ObservedLogs) {
	for _, e := range logs.All() {
		var buf bytes.Buffer
		buf.WriteString(e.Message)
		for k, v := range e.ContextMap() {
			buf.WriteString(" " + k + "=")
			b, _ := json.Marshal(v)
			buf.Write(b)
		}
		for _, s := range secrets {
			if strings.Contains(buf.String(), s) {
				t.Errorf("log line contains secret %q: %s", s, buf.String())
			}
		}
	}
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
	if strings.Contains(string(r.body), msg) {
		t.Fatalf("the backend's message reached the client: %s", r.body)
	}
	rid := r.header.Get("X-Request-Id")
	if !strings.Contains(r.json.Get("detail").String(), rid) {
		t.Fatalf("detail does not name the request id %s: %s", rid, r.body)
	}
	for _, e := range h.logs.All() {
		if m := e.ContextMap(); m["request_id"] == rid && strings.Contains(fmt.Sprint(m["backend_message"]), msg) {
			return
		}
	}
	t.Fatalf("no log line with request id %s holds the backend's message %q", rid, msg)
}
