package gateway

import (
	"encoding/json"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects"
)

func TestNormalize(t *testing.T) {
	tn := &tenant{base: "https://gw.example.com/acme/scim/v2"}
	in := `{"schemas":["urn:scim:schemas:core:1.0"],"id":"u 1","userName":"a","password":"secret",
	 "groups":[{"value":"g1","$ref":"https://b.example.com/api/scim/v2/groups/g1"},{"value":"g2"}],
	 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"x","manager":{"value":"m1","$ref":"http://10.0.0.1/scim/Users/m1"}},
	 "roles":[{"value":"r1","$ref":"http://iiq.internal/iiq/scim/v2/Roles/r1"},{"value":"r2","$ref":"https://docs.example.com/roles/r2"}],
	 "urn:ietf:params:scim:schemas:sailpoint:1.0:User":{"region":"EMEA","regionOwner":{"value":"o1","$ref":"http://iiq.internal/iiq/scim/v2/Users/o1"},
	   "accounts":[{"value":"a1","$ref":"http://iiq.internal/iiq/scim/v2/Accounts/a1"}]},
	 "meta":{"resourceType":"Person","location":"https://b.example.com/Users/u%201","version":"W/\"3\"","created":"2020-01-01T00:00:00Z"}}`
	n, err := tn.normalize(dialects.User, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out := n.body
	if n.id != "u 1" || n.version != `W/"3"` {
		t.Fatalf("id %q version %q", n.id, n.version)
	}
	if !json.Valid(out) {
		t.Fatalf("invalid JSON: %s", out)
	}
	doc := gjson.ParseBytes(out)
	for path, want := range map[string]string{
		"schemas":           `["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:ietf:params:scim:schemas:sailpoint:1.0:User"]`,
		"meta.location":     `"https://gw.example.com/acme/scim/v2/Users/u%201"`,
		"meta.resourceType": `"User"`,
		"meta.version":      `"W/\"3\""`,
		"groups.0.$ref":     `"https://gw.example.com/acme/scim/v2/Groups/g1"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User.manager.$ref`: `"https://gw.example.com/acme/scim/v2/Users/m1"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User.department`:   `"x"`,
		// $refs in any attribute or extension: to Users and Groups they point
		// at the gateway; to backend resources it does not serve they are
		// left out; other URLs are left alone.
		`urn:ietf:params:scim:schemas:sailpoint:1\.0:User.regionOwner.$ref`: `"https://gw.example.com/acme/scim/v2/Users/o1"`,
		`urn:ietf:params:scim:schemas:sailpoint:1\.0:User.accounts`:         `[{"value":"a1"}]`,
		`urn:ietf:params:scim:schemas:sailpoint:1\.0:User.region`:           `"EMEA"`,
		"roles": `[{"value":"r1"},{"value":"r2","$ref":"https://docs.example.com/roles/r2"}]`,
	} {
		if got := doc.Get(path).Raw; got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
	if doc.Get("password").Exists() || doc.Get("groups.1.$ref").Exists() {
		t.Fatalf("%s", out)
	}
	for _, bad := range []string{`[]`, `{"userName":"no id"}`, `{"id":7}`} {
		if _, err := tn.normalize(dialects.User, []byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add(`{"id":"1","members":[{"value":"x","$ref":"http://h/Users/x"}],"meta":{}}`)
	f.Add(`{"id":"1","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"$ref":"/Users/2"}}}`)
	tn := &tenant{base: "https://gw/t/scim/v2"}
	proj, _ := projectionFrom("userName,members.value", "")
	f.Fuzz(func(t *testing.T, s string) {
		if !gjson.Valid(s) {
			return
		}
		n, err := tn.normalize(dialects.Group, []byte(s))
		if err != nil {
			return
		}
		out := n.body
		if !json.Valid(out) {
			t.Fatalf("normalize(%s) = invalid %s", s, out)
		}
		if p := proj.apply(out); !json.Valid(p) {
			t.Fatalf("projection of %s invalid: %s", out, p)
		}
	})
}
