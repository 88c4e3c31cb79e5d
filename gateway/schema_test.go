package gateway_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/dialects/conformance"
	"github.com/scimgw/scimgw/dialects/cube"
	"github.com/scimgw/scimgw/dialects/workspace"
	"github.com/scimgw/scimgw/gateway"
	"github.com/scimgw/scimgw/gateway/gatewaytest"
)

// TestEffectiveSchemaGoldens: every registered dialect's demo tenant in the
// shipped config.yaml publishes the schema its backend really keeps;
// dialects/<dialect>/testdata/schema.golden holds `scimgw schema` for it, and
// schema.json.golden its /Schemas and /ResourceTypes.
func TestEffectiveSchemaGoldens(t *testing.T) {
	reg := builtin.Registry()
	cfg, err := gateway.LoadConfig(filepath.Join("..", "config.yaml"), reg)
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
			text, err := gateway.Schema(cfg, reg, id, false)
			if err != nil {
				t.Fatal(err)
			}
			gatewaytest.CheckGolden(t, filepath.Join("..", "dialects", tc.Dialect, "testdata", "schema.golden"), text)
			doc, err := gateway.Schema(cfg, reg, id, true)
			if err != nil {
				t.Fatal(err)
			}
			gatewaytest.CheckGolden(t, filepath.Join("..", "dialects", tc.Dialect, "testdata", "schema.json.golden"), doc)
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
	h := gatewaytest.New(t, conformance.Config(cube.Factory))
	get := func(h *gatewaytest.Harness, path string) gatewaytest.Response {
		t.Helper()
		return h.Do("GET", "/"+conformance.Tenant+"/scim/v2"+path, conformance.Token, "").WantStatus(t, 200)
	}
	cubeUser := get(h, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").JSON
	var names []string
	for _, a := range cubeUser.Get("attributes").Array() {
		names = append(names, a.Get("name").String())
	}
	if got := strings.Join(names, ","); got != "userName,name,active,emails" {
		t.Fatalf("Cube publishes %s", got)
	}
	if subs := cubeUser.Get(`attributes.#(name=="emails").subAttributes.#.name`).Raw; subs != `["value","primary"]` {
		t.Fatalf("Cube's emails: %s", subs)
	}
	if get(h, "/ResourceTypes/User").JSON.Get("schemaExtensions").Exists() {
		t.Fatal("Cube keeps no enterprise attribute, yet the extension is published")
	}
	if n := get(h, "/Schemas").JSON.Get("totalResults").Int(); n != 2 {
		t.Fatalf("Cube publishes %d schemas, want User and Group", n)
	}

	ws := gatewaytest.New(t, conformance.Config(workspace.Factory))
	user := get(ws, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").JSON
	for _, c := range []struct{ path, want string }{
		{`attributes.#(name=="name").subAttributes.#(name=="givenName").required`, "true"},
		{`attributes.#(name=="name").subAttributes.#(name=="familyName").required`, "true"},
		{`attributes.#(name=="emails").required`, "true"},
		// Roles are assigned through Workspace ONE's Roles endpoint
		// (options.roles: assign, the default).
		{`attributes.#(name=="roles").mutability`, `"readWrite"`},
	} {
		if got := user.Get(c.path).Raw; got != c.want {
			t.Errorf("workspace %s = %s, want %s", c.path, got, c.want)
		}
	}
	refusing := strings.Replace(conformance.Config(workspace.Factory), "{domain: example.com}", "{domain: example.com, roles: refuse}", 1)
	if got := get(gatewaytest.New(t, refusing), "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").JSON.Get(`attributes.#(name=="roles").mutability`).Raw; got != `"readOnly"` {
		t.Errorf("workspace with roles: refuse: roles %s", got)
	}
	rt := get(ws, "/ResourceTypes/User").JSON
	if got := rt.Get("schemaExtensions.#.schema").Raw; got != `["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:scim:schemas:extension:workspace:1.0"]` {
		t.Fatalf("workspace schemaExtensions %s", got)
	}
	ext := get(ws, "/Schemas/urn:scim:schemas:extension:workspace:1.0").JSON
	if ext.Get(`attributes.#(name=="firstLoginUrl").mutability`).String() != "readOnly" {
		t.Fatalf("workspace extension: %s", ext.Raw)
	}
}
