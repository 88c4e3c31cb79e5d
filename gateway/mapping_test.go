package gateway

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/dialects/emulator"
)

func mappedConfig(mapping string) string {
	return strings.Replace(testConfig, "    options: {sort: true, etag: true}", "    options: {sort: true, etag: true, max_results: 7}\n    mapping: "+mapping, 1)
}

// TestTenantMapping: a tenant's mapping file reshapes what reaches the
// backend, and the answers come back as SCIM 2.0.
func TestTenantMapping(t *testing.T) {
	cfg := mappedConfig("testdata/mapping/acme.yaml")
	// Paths in a config are relative to the config file.
	h := newHarnessAt(t, "config.yaml", cfg)
	r := h.acme("POST", "/Users", `{"userName":"m@example.com","title":"Guide","active":true,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984"}}`).wantStatus(t, http.StatusCreated)
	id := r.json.Get("id").String()
	if r.json.Get("title").String() != "Guide" || r.json.Get("active").Type != gjson.True {
		t.Fatalf("client sees: %s", r.body)
	}
	stored := gjson.ParseBytes(h.emu("acme").Resource("Users", id))
	if stored.Get("title").Exists() || stored.Get(`urn:example:params:scim:schemas:acme:1\.0:User.jobTitle`).String() != "Guide" || stored.Get(`urn:example:params:scim:schemas:acme:1\.0:User.employeeNo`).String() != "701984" || stored.Get("active").Type != gjson.True {
		t.Fatalf("backend stored: %s", stored.Raw)
	}
	if stored.Get(`urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User.department`).String() != "7" {
		t.Fatalf("default with ${options.x} not applied: %s", stored.Raw)
	}
	// The filter is translated too.
	l := h.acme("GET", "/Users?filter=title+eq+%22Guide%22", "").wantStatus(t, 200)
	if l.json.Get("totalResults").Int() != 1 || l.json.Get("Resources.0.title").String() != "Guide" {
		t.Fatalf("filter: %s", l.body)
	}
	reqs := h.emu("acme").Requests()
	if q := reqs[len(reqs)-1].Query; !strings.Contains(q, "jobTitle") {
		t.Fatalf("backend filter not translated: %s", q)
	}
	// And PATCH.
	p := h.acme("PATCH", "/Users/"+id, `{"Operations":[{"op":"replace","path":"title","value":"Boss"}]}`).wantStatus(t, 200)
	if p.json.Get("title").String() != "Boss" {
		t.Fatalf("patch: %s", p.body)
	}
	// A rejected attribute is a 400 and is not forwarded.
	before := len(h.emu("acme").Requests())
	h.acme("POST", "/Users", `{"userName":"n@example.com","nickName":"N"}`).wantError(t, 400, "invalidValue")
	h.acme("GET", "/Users?sortBy=nickName", "").wantError(t, 400, "invalidValue")
	if n := len(h.emu("acme").Requests()); n != before {
		t.Fatalf("rejected input reached the backend")
	}
}

func TestTenantMappingLints(t *testing.T) {
	_, err := ParseConfig("testdata/config.yaml", []byte(mappedConfig("mapping/bad.yaml")), builtin.Registry())
	if err == nil {
		t.Fatal("bad mapping accepted")
	}
	for _, want := range []string{
		`testdata/mapping/bad.yaml:4:13: unknown rule kind "too" in User.title (did you mean "to"?)`,
		`testdata/mapping/bad.yaml:5:20: User.active.type: unknown type "bool"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

// TestSafeCreateWhenExternalIDIsNotFilterable: the look-up after a lost
// create answer falls back to userName when the backend cannot filter on
// externalId.
func TestSafeCreateWhenExternalIDIsNotFilterable(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "m.yaml"), []byte("version: 1\nUser:\n  attributes:\n    externalId: {drop: true}\n"), 0o644)
	h := newHarnessAt(t, filepath.Join(dir, "config.yaml"), mappedConfig("m.yaml"))
	h.emu("acme").Inject(emulator.Fault{Method: "POST", After: true, Reset: true})
	r := h.acme("POST", "/Users", `{"userName":"x@example.com","externalId":"e-1"}`).wantStatus(t, http.StatusCreated)
	if r.json.Get("userName").String() != "x@example.com" || h.emu("acme").Count("Users") != 1 {
		t.Fatalf("create: %s", r.body)
	}
}
