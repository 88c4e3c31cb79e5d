// Package conformance is the suite every registered dialect runs, in the
// spirit of dex's storage conformance tests: a dialect gets it by being
// registered. For each dialect it runs, through a real gateway and the
// dialect's emulator,
//
//   - the dialect's mapping tests (dialects/<name>/mapping_test.yaml);
//   - a user (and group) lifecycle;
//   - every replay file (testdata/replay: the conversations Entra ID and
//     Okta really have, with what a dialect skips or refuses, and why),
//     and, for a dialect whose backend drops attributes, every file again
//     with the gateway keeping them (shadow: unheld) and nothing waived;
//
// and checks every request the gateway sent against the backend's wire
// contract (emulator.CheckWire) and the backend's state after every step
// (emulator.CheckState).
//
// The gateway's tests call RunAll with a Gateway; the package itself does
// not import the gateway, which depends on the dialects.
package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"go.uber.org/zap/zaptest/observer"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/mappings"
)

// Gateway serves a gateway config (YAML) for the duration of the test:
// its handler, and the emulated backend of a tenant.
type Gateway func(t *testing.T, config string) (http.Handler, func(tenant string) *emulator.Server)

// Tenant and Token are the tenant the suite provisions and its bearer token.
const (
	Tenant = "conformance"
	Token  = "conformance-token-123456"
)

// Config is the gateway config of one emulated tenant of the dialect, as
// its Factory.Demo reaches the emulator.
func Config(f *dialects.Factory) string {
	auth, options := f.Demo.Auth, f.Demo.Options
	if auth == "" {
		auth = "{type: none}"
	}
	if options == "" {
		options = "{}"
	}
	return `
server: {public_url: "https://gw.example.com", max_results: 200}
tenants:
  ` + Tenant + `:
    dialect: ` + f.Name + `
    inbound: {bearer_tokens: ["` + Token + `"]}
    backend:
      emulated: true
      auth: ` + auth + `
      timeout: 2s
      retry: {max_attempts: 3, min_backoff: 10ms, max_backoff: 50ms}
    options: ` + options + "\n"
}

// ShadowConfig is Config with the tenant keeping, in an embedded state
// file in dir, every attribute its backend drops (shadow: unheld).
func ShadowConfig(f *dialects.Factory, dir string) string {
	c := Config(f)
	c = strings.Replace(c, "\ntenants:\n", "\nstate: {path: \""+filepath.Join(dir, "state.db")+"\"}\ntenants:\n", 1)
	return c + "    shadow: unheld\n"
}

// RunAll runs the suite for every dialect in the registry.
func RunAll(t *testing.T, reg *dialects.Registry, gw Gateway) {
	for _, name := range reg.Names() {
		f, _ := reg.Lookup(name)
		t.Run(name, func(t *testing.T) { Run(t, reg, f, gw) })
	}
}

// Run runs the suite for one dialect.
func Run(t *testing.T, reg *dialects.Registry, f *dialects.Factory, gw Gateway) {
	if f.NewEmulator == nil {
		t.Fatalf("dialect %s has no emulator: the suite needs one", f.Name)
	}
	t.Run("mapping", func(t *testing.T) { mappingTests(t, reg, f) })
	t.Run("lifecycle", func(t *testing.T) { lifecycle(t, New(t, gw, f)) })
	t.Run("replay", func(t *testing.T) { replay(t, func(t *testing.T) *Client { return New(t, gw, f) }, f.Name, false) })
	if dropsAttributes(f.Name) {
		// The same conversations with the gateway keeping what the backend
		// drops: every expectation holds, none is waived.
		t.Run("replay-shadow", func(t *testing.T) {
			replay(t, func(t *testing.T) *Client { return newWith(t, gw, ShadowConfig(f, t.TempDir())) }, f.Name, true)
		})
	}
}

// mappingTests runs the dialect's mapping_test.yaml, beside its mapping.
func mappingTests(t *testing.T, reg *dialects.Registry, f *dialects.Factory) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, filepath.Dir(f.Mapping.File), "mapping_test.yaml")
	results, err := mappings.RunTestFile(file, reg.Mappings())
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(results) == 0 {
		t.Fatalf("%s has no test cases", file)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Error(r)
		}
	}
}

// moduleRoot is the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", os.ErrNotExist
		}
		dir = up
	}
}

// Client sends SCIM requests to one tenant of a gateway under test.
type Client struct {
	t   *testing.T
	srv *httptest.Server
	emu func(string) *emulator.Server
}

// New serves the dialect's conformance tenant (Config) for the test.
func New(t *testing.T, gw Gateway, f *dialects.Factory) *Client {
	t.Helper()
	return newWith(t, gw, Config(f))
}

func newWith(t *testing.T, gw Gateway, config string) *Client {
	t.Helper()
	h, emu := gw(t, config)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Client{t: t, srv: srv, emu: emu}
}

// Emulator is the tenant's emulated backend.
func (c *Client) Emulator() *emulator.Server { return c.emu(Tenant) }

// Response is a gateway's answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   gjson.Result
}

// Do sends a request to the gateway; path is from the server root, token
// the bearer token ("" for none), headers pairs of name and value.
func Do(t *testing.T, base, method, path, token, body string, headers ...string) Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
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
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data, JSON: gjson.ParseBytes(data)}
}

// SCIM sends a request to the tenant's /scim/v2 with token (its own
// when token is "", none when it is "-").
func (c *Client) SCIM(method, path, token, body string, headers ...string) Response {
	c.t.Helper()
	switch token {
	case "":
		token = Token
	case "-":
		token = ""
	}
	return Do(c.t, c.srv.URL, method, "/"+Tenant+"/scim/v2"+path, token, body, headers...)
}

// WantStatus fails unless the response has the status.
func (r Response) WantStatus(t *testing.T, status int) Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
	return r
}

// WantError checks a SCIM error response (RFC 7644 §3.12): the Error
// schema, the status as a string, the scimType, a detail.
func (r Response) WantError(t *testing.T, status int, scimType string) Response {
	t.Helper()
	r.WantStatus(t, status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
		t.Fatalf("error Content-Type %q", ct)
	}
	if r.JSON.Get("schemas.0").String() != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Fatalf("error without the Error schema: %s", r.Body)
	}
	if s := r.JSON.Get("status"); s.Type != gjson.String || s.Str != strconv.Itoa(status) {
		t.Fatalf("error status must be the string %q: %s", strconv.Itoa(status), r.Body)
	}
	if r.JSON.Get("scimType").String() != scimType {
		t.Fatalf("scimType %q, want %q: %s", r.JSON.Get("scimType").String(), scimType, r.Body)
	}
	if r.JSON.Get("detail").String() == "" {
		t.Fatalf("error without detail: %s", r.Body)
	}
	return r
}

// NoSecretsLogged fails the test when a log line holds one of secrets.
func NoSecretsLogged(t testing.TB, logs *observer.ObservedLogs, secrets ...string) {
	NoSecretsIn(t, logs.All(), secrets...)
}

// NoSecretsIn is NoSecretsLogged for log entries already taken.
func NoSecretsIn(t testing.TB, entries []observer.LoggedEntry, secrets ...string) {
	for _, e := range entries {
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

// WantBackendMessage checks that a backend's message stayed out of the
// client's error and went to the log under the response's request id.
func WantBackendMessage(t *testing.T, logs *observer.ObservedLogs, r Response, msg string) {
	t.Helper()
	if strings.Contains(string(r.Body), msg) {
		t.Fatalf("the backend's message reached the client: %s", r.Body)
	}
	rid := r.Header.Get("X-Request-Id")
	if !strings.Contains(r.JSON.Get("detail").String(), rid) {
		t.Fatalf("detail does not name the request id %s: %s", rid, r.Body)
	}
	for _, e := range logs.All() {
		if m := e.ContextMap(); m["request_id"] == rid && strings.Contains(fmt.Sprint(m["backend_message"]), msg) {
			return
		}
	}
	t.Fatalf("no log line with request id %s holds the backend's message %q", rid, msg)
}
