package gateway

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimgw/scimgw/dialects/builtin"
)

// TestEffectiveSchemaGoldens: every registered dialect's demo tenant in the
// shipped config.yaml publishes the schema its backend really keeps;
// testdata/<dialect>/schema.golden holds `scimgw schema` for it, and
// schema.json.golden its /Schemas and /ResourceTypes.
func TestEffectiveSchemaGoldens(t *testing.T) {
	reg := builtin.Registry()
	cfg, err := LoadConfig(filepath.Join("..", "config.yaml"), reg)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for id, tc := range cfg.Tenants {
		if seen[tc.Dialect] || !strings.HasSuffix(id, "-demo") && tc.Dialect != "scim2" {
			continue
		}
		seen[tc.Dialect] = true
		t.Run(tc.Dialect, func(t *testing.T) {
			text, err := Schema(cfg, reg, id, false)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", tc.Dialect, "schema.golden"), text)
			doc, err := Schema(cfg, reg, id, true)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", tc.Dialect, "schema.json.golden"), doc)
		})
	}
	for _, name := range reg.Names() {
		if !seen[name] {
			t.Errorf("dialect %s has no demo tenant in config.yaml, so no schema golden", name)
		}
	}
}

// TestDiscoveryIsTheTenants: /Schemas and /ResourceTypes, through real
// HTTP, say what each tenant's backend keeps, requires and sets itself.
func TestDiscoveryIsTheTenants(t *testing.T) {
	h := newHarness(t, testConfig)
	cube := h.cube("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "").wantStatus(t, 200).json
	var names []string
	for _, a := range cube.Get("attributes").Array() {
		names = append(names, a.Get("name").String())
	}
	if got := strings.Join(names, ","); got != "userName,name,active,emails" {
		t.Fatalf("Cube publishes %s", got)
	}
	if subs := cube.Get(`attributes.#(name=="emails").subAttributes.#.name`).Raw; subs != `["value","primary"]` {
		t.Fatalf("Cube's emails: %s", subs)
	}
	if h.cube("GET", "/ResourceTypes/User", "").wantStatus(t, 200).json.Get("schemaExtensions").Exists() {
		t.Fatal("Cube keeps no enterprise attribute, yet the extension is published")
	}
	if n := h.cube("GET", "/Schemas", "").json.Get("totalResults").Int(); n != 2 {
		t.Fatalf("Cube publishes %d schemas, want User and Group", n)
	}

	ws := newWorkspace(t, `{domain: example.com}`)
	user := ws.ws("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "").wantStatus(t, 200).json
	for _, c := range []struct{ path, want string }{
		{`attributes.#(name=="name").subAttributes.#(name=="givenName").required`, "true"},
		{`attributes.#(name=="name").subAttributes.#(name=="familyName").required`, "true"},
		{`attributes.#(name=="emails").required`, "true"},
		{`attributes.#(name=="roles").mutability`, `"readOnly"`},
	} {
		if got := user.Get(c.path).Raw; got != c.want {
			t.Errorf("workspace %s = %s, want %s", c.path, got, c.want)
		}
	}
	rt := ws.ws("GET", "/ResourceTypes/User", "").wantStatus(t, 200).json
	if got := rt.Get("schemaExtensions.#.schema").Raw; got != `["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:scim:schemas:extension:workspace:1.0"]` {
		t.Fatalf("workspace schemaExtensions %s", got)
	}
	ext := ws.ws("GET", "/Schemas/urn:scim:schemas:extension:workspace:1.0", "").wantStatus(t, 200).json
	if ext.Get(`attributes.#(name=="firstLoginUrl").mutability`).String() != "readOnly" {
		t.Fatalf("workspace extension: %s", ext.Raw)
	}
}
