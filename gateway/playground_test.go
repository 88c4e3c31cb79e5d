package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/mappings"
)

// play posts a PlayRun to the playground API of the shipped config.
func play(t *testing.T, srv *httptest.Server, run PlayRun) PlayResult {
	t.Helper()
	body, _ := json.Marshal(run)
	resp, err := http.Post(srv.URL+"/api/run", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("run: %d", resp.StatusCode)
	}
	var res PlayResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// playWith runs r with mapping.
func playWith(t *testing.T, srv *httptest.Server, r PlayRun, mapping string) PlayResult {
	r.Mapping = mapping
	return play(t, srv, r)
}

// The playground API tries a tenant's mapping as it is edited, with the
// code of translate and schema: the mapping's problems by line and column,
// else the backend's requests, the client's error, the effective schema.
func TestPlaygroundAPI(t *testing.T) {
	cfg, err := LoadConfig("../config.yaml", builtin.Registry())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewPlayground(cfg, builtin.Registry()).Handler(""))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/api/tenants")
	if err != nil {
		t.Fatal(err)
	}
	var ts []PlayTenant
	json.NewDecoder(resp.Body).Decode(&ts)
	resp.Body.Close()
	var cube *PlayTenant
	for i := range ts {
		if ts[i].ID == "cube-demo" {
			cube = &ts[i]
		}
	}
	if len(ts) != 6 || cube == nil || cube.Dialect != "cube" || !strings.Contains(cube.Mapping, "dialect: cube") || cube.Override {
		t.Fatalf("tenants: %+v", ts)
	}

	create := PlayRun{Tenant: "cube-demo", Op: "create", Input: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","name":{"givenName":"Barbara","familyName":"Jensen"},"emails":[{"value":"bjensen@example.com","primary":true}],"active":true}`}
	res := play(t, srv, create)
	if len(res.Lints) != 0 || res.Error != "" || !strings.HasPrefix(res.Output, "POST ") || !strings.Contains(res.Output, "bjensen@example.com") || !strings.Contains(res.Schema, "userName") {
		t.Fatalf("the tenant's own mapping: %+v", res)
	}

	// The same through the gateway to a fresh emulated backend: the
	// answer, every call, what it stores.
	if e := res.Emulated; e == nil || e.Status != 201 || !strings.HasPrefix(e.Calls, "POST /api/scim/v2/Users") ||
		!strings.Contains(e.Stored, "bjensen@example.com") || !strings.Contains(string(e.Answer), `"id"`) {
		t.Fatalf("emulated: %+v", res.Emulated)
	}
	// A PATCH on Workspace ONE, on the current resource given: the read,
	// the SCIM 1.1 PATCH and the read back.
	ws := play(t, srv, PlayRun{Tenant: "workspace-demo", Op: "patch", Input: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Guide"}]}`,
		Current: `{"schemas":["urn:scim:schemas:core:1.0"],"userName":"kim","name":{"givenName":"K","familyName":"M"},"emails":[{"value":"kim@example.com"}],"externalId":"kim"}`})
	if e := ws.Emulated; e == nil || e.Status != 200 || !strings.Contains(e.Calls, "PATCH /SAAS/jersey/manager/api/scim/Users/") || !strings.Contains(e.Stored, `"title": "Guide"`) {
		t.Fatalf("emulated patch: %+v", ws.Emulated)
	}
	if ws = play(t, srv, PlayRun{Tenant: "workspace-demo", Op: "patch", Input: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`}); ws.Emulated == nil || !strings.Contains(ws.Emulated.Note, "current resource") {
		t.Fatalf("a patch with nothing to patch: %+v", ws.Emulated)
	}

	// A broken mapping: its problem at its line and column, nothing else.
	lines := strings.Split(cube.Mapping, "\n")
	at := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "User:") {
			at = i
		}
	}
	broken := append(append(append([]string{}, lines[:at+1]...), "  nonsense: 1"), lines[at+1:]...)
	create.Mapping = strings.Join(broken, "\n")
	res = play(t, srv, create)
	if len(res.Lints) == 0 || res.Lints[0].Line != at+2 || res.Lints[0].Col != 3 || res.Output != "" {
		t.Fatalf("broken mapping (the line added is %d): %+v", at+2, res)
	}

	// Fixed, and changed to drop the given name: the backend request
	// changes with it.
	if !strings.Contains(playWith(t, srv, create, cube.Mapping).Output, `"givenName": "Barbara"`) {
		t.Fatal("the built-in mapping does not send the given name")
	}
	create.Mapping = strings.Replace(cube.Mapping, "    name.givenName: {}\n", "    name.givenName: {drop: true}\n", 1)
	if create.Mapping == cube.Mapping {
		t.Fatal("cube's mapping has no name.givenName rule to change")
	}
	res = play(t, srv, create)
	if len(res.Lints) != 0 || res.Error != "" || strings.Contains(res.Output, "Barbara") || !strings.Contains(res.Output, "Jensen") {
		t.Fatalf("changed mapping: %+v", res)
	}

	// What the gateway refuses is the client's SCIM error.
	res = play(t, srv, PlayRun{Tenant: "cube-demo", Op: "create", Input: `{"userName":`})
	if !strings.HasPrefix(res.Error, "400 invalidSyntax") {
		t.Fatalf("bad input: %+v", res)
	}
	if r, _ := http.Post(srv.URL+"/api/run", "application/json", strings.NewReader(`{"tenant":"nope"}`)); r.StatusCode != 400 {
		t.Fatalf("unknown tenant: %d", r.StatusCode)
	}
}

// Beyond loopback the playground needs a token, and checks it.
func TestPlaygroundToken(t *testing.T) {
	for _, c := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8090", "", true}, {"[::1]:8090", "", true}, {"localhost:8090", "", true},
		{"0.0.0.0:8090", "", false}, {":8090", "", false}, {"10.1.2.3:8090", "", false},
		{"0.0.0.0:8090", "s3cret-token", true}, {"nonsense", "", false},
	} {
		if err := PlaygroundListen(c.addr, c.token); (err == nil) != c.ok {
			t.Errorf("%s with token %q: %v", c.addr, c.token, err)
		}
	}
	cfg, err := LoadConfig("../config.yaml", builtin.Registry())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewPlayground(cfg, builtin.Registry()).Handler("s3cret-token"))
	defer srv.Close()
	for auth, want := range map[string]int{"": 401, "Bearer wrong": 401, "Bearer s3cret-token": 200} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/tenants", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Authorization %q: %d, want %d", auth, resp.StatusCode, want)
		}
	}
}

// A try saved as a test case is a mapping test file that scimgw test
// passes beside the edited mapping, and that fails once the mapping
// changes what it pinned.
func TestPlaygroundTestCase(t *testing.T) {
	cfg, err := LoadConfig("../config.yaml", builtin.Registry())
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlayground(cfg, builtin.Registry())
	ts, _ := p.Tenants()
	mapping := ""
	for _, pt := range ts {
		if pt.ID == "workspace-demo" {
			mapping = pt.Mapping
		}
	}
	edited := strings.Replace(mapping, "    x509Certificates: {drop: true}\n", "    x509Certificates: {drop: true}\n    nickName: {drop: true}\n", 1)
	if edited == mapping {
		t.Fatal("no place to edit the workspace mapping")
	}
	dir := t.TempDir()
	for _, c := range []struct{ op, input string }{
		{"create", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","nickName":"Babs","timezone":"Europe/Paris"}`},
		{"filter", `timezone eq "UTC"`},
		{"filter", `nickName eq "Babs"`}, // refused: the mapping drops nickName
	} {
		tc, err := p.TestCase(PlayRun{Tenant: "workspace-demo", Op: c.op, Input: c.input, Mapping: edited}, "from the playground")
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, tc.MappingFile), []byte(edited), 0o600)
		file := filepath.Join(dir, tc.File)
		os.WriteFile(file, []byte(tc.YAML), 0o600)
		results, err := mappings.RunTestFile(file, builtin.Registry().Mappings())
		if err != nil || len(results) != 1 || results[0].Err != nil {
			t.Fatalf("%s %s: %v %v\n%s", c.op, c.input, err, results, tc.YAML)
		}
		// The mapping changed back: the case that pinned nickName fails.
		if c.op == "create" || strings.HasPrefix(c.input, "nickName") {
			os.WriteFile(filepath.Join(dir, tc.MappingFile), []byte(mapping), 0o600)
			if results, _ := mappings.RunTestFile(file, builtin.Registry().Mappings()); len(results) != 1 || results[0].Err == nil {
				t.Fatalf("%s %s: the test passes on the mapping it did not pin:\n%s", c.op, c.input, tc.YAML)
			}
		}
	}
}

// A tenant with a mapping file: the playground edits that file, over the
// built-in mapping, and its test case names both.
func TestPlaygroundOverride(t *testing.T) {
	dir := t.TempDir()
	over := "version: 1\nUser:\n  attributes:\n    title: {drop: true}\n"
	os.WriteFile(filepath.Join(dir, "acme.yaml"), []byte(over), 0o600)
	cfgFile := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgFile, []byte(strings.Replace(testConfig, "    options: {sort: true, etag: true}", "    options: {sort: true, etag: true}\n    mapping: acme.yaml", 1)), 0o600)
	cfg, err := LoadConfig(cfgFile, builtin.Registry())
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlayground(cfg, builtin.Registry())
	ts, _ := p.Tenants()
	if ts[0].ID != "acme" || !ts[0].Override || ts[0].Mapping != over {
		t.Fatalf("tenants: %+v", ts[0])
	}
	run := PlayRun{Tenant: "acme", Op: "create", Input: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","title":"Guide","nickName":"A"}`, Mapping: over}
	res, err := p.Run(run)
	if err != nil || res.Error != "" || strings.Contains(res.Output, "Guide") || !strings.Contains(res.Output, `"nickName": "A"`) {
		t.Fatalf("run: %v %+v", err, res)
	}
	bad := run
	bad.Mapping = over + "    nickName: {drop: maybe}\n"
	if res, _ := p.Run(bad); len(res.Lints) != 1 || res.Lints[0].Line != 5 {
		t.Fatalf("lints: %+v", res.Lints)
	}
	tc, err := p.TestCase(run, "title dropped")
	if err != nil || !strings.Contains(tc.YAML, "dialect: scim2") || tc.MappingFile != "acme.yaml" {
		t.Fatalf("test case: %v %+v", err, tc)
	}
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, tc.MappingFile), []byte(over), 0o600)
	os.WriteFile(filepath.Join(out, tc.File), []byte(tc.YAML), 0o600)
	if results, err := mappings.RunTestFile(filepath.Join(out, tc.File), builtin.Registry().Mappings()); err != nil || len(results) != 1 || results[0].Err != nil {
		t.Fatalf("the test: %v %v\n%s", err, results, tc.YAML)
	}
}

// Tries at once on a tenant with shadow attributes (whose state is a
// file): each gets its own emulated backend and state file, and the
// answer carries what the gateway keeps beside the backend.
func TestPlaygroundShadowTries(t *testing.T) {
	cfg, err := ParseConfig("test.yaml", []byte(`
server: {public_url: "https://gw.example.com"}
state: {path: "`+filepath.Join(t.TempDir(), "state.db")+`"}
tenants:
  s:
    dialect: cube
    inbound: {bearer_tokens: ["`+acmeToken+`"]}
    backend: {emulated: true, auth: {type: bearer, token: emulator-backend-token}}
    shadow: unheld
`), builtin.Registry())
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlayground(cfg, builtin.Registry())
	answers := make([]*PlayEmulated, 4)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, _ := p.Run(PlayRun{Tenant: "s", Op: "create", Input: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u` + strconv.Itoa(i) + `","title":"Guide"}`})
			answers[i] = res.Emulated
		}()
	}
	wg.Wait()
	for i, e := range answers {
		if e == nil || e.Status != 201 || !strings.Contains(string(e.Answer), `"title":"Guide"`) {
			t.Fatalf("try %d: %+v", i, e)
		}
	}
}
