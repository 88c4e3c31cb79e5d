package workspace

import (
	"encoding/json"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

func TestDirect(t *testing.T) {
	cases := []struct {
		name, ops, want string // want "" means: needs the current resource
	}{
		{"single-valued and sub-attributes", `[{"op":"replace","path":"title","value":"T"},{"op":"replace","path":"name.givenName","value":"G"},{"op":"add","path":"name.familyName","value":"F"}]`,
			`{"name":{"familyName":"F","givenName":"G"},"title":"T"}`},
		{"extension attribute and removal", `[{"op":"replace","path":"urn:scim:schemas:extension:enterprise:1.0:manager.managerId","value":"m"},{"op":"remove","path":"urn:scim:schemas:extension:enterprise:1.0:employeeNumber"}]`,
			`{"meta":{"attributes":["urn:scim:schemas:extension:enterprise:1.0:employeeNumber"]},"urn:scim:schemas:extension:enterprise:1.0":{"manager":{"managerId":"m"}}}`},
		{"members added", `[{"op":"add","path":"members","value":[{"value":"u1"},{"value":"u2"}]}]`, `{"members":[{"value":"u1"},{"value":"u2"}]}`},
		{"one member added as an object", `[{"op":"add","path":"members","value":{"value":"u1"}}]`, `{"members":[{"value":"u1"}]}`},
		{"member removed by filter", `[{"op":"remove","path":"members[value eq \"u1\"]"}]`, `{"members":[{"operation":"delete","value":"u1"}]}`},
		{"members removed by value (Entra)", `[{"op":"remove","path":"members","value":[{"value":"u1"},{"value":"u2"}]}]`,
			`{"members":[{"operation":"delete","value":"u1"},{"operation":"delete","value":"u2"}]}`},
		{"all members removed", `[{"op":"remove","path":"members"}]`, `{"meta":{"attributes":["members"]}}`},
		{"null value removes", `[{"op":"replace","path":"nickName","value":null}]`, `{"meta":{"attributes":["nickName"]}}`},
		{"replace of all members", `[{"op":"replace","path":"members","value":[{"value":"u1"}]}]`, ``},
		{"other value filters", `[{"op":"remove","path":"members[display eq \"x\"]"}]`, ``},
		{"sub-attribute of a multi-valued one", `[{"op":"replace","path":"phoneNumbers.value","value":"1"}]`, ``},
		{"emails", `[{"op":"add","path":"emails","value":[{"value":"a@x"}]}]`, ``},
		{"roles", `[{"op":"add","path":"roles","value":[{"value":"r"}]}]`, ``},
		{"path-less", `[{"op":"replace","value":{"title":"T"}}]`, ``},
		{"two operations on one attribute", `[{"op":"remove","path":"name"},{"op":"replace","path":"name.givenName","value":"G"}]`, ``},
		{"members added and removed", `[{"op":"add","path":"members","value":[{"value":"u1"}]},{"op":"remove","path":"members[value eq \"u2\"]"}]`, ``},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, ok := direct([]byte(`{"Operations":` + c.ops + `}`))
			if c.want == "" {
				if ok {
					t.Fatalf("translated without the current resource: %s", body)
				}
				return
			}
			var got, want any
			json.Unmarshal(body, &got)
			json.Unmarshal([]byte(c.want), &want)
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if !ok || string(g) != string(w) {
				t.Fatalf("ok=%v got %s, want %s", ok, g, w)
			}
		})
	}
}

// FuzzDirect: any PatchOp translates or declines, never panics, and what it
// translates is a JSON object that applies cleanly as a SCIM 1.1 PATCH.
func FuzzDirect(f *testing.F) {
	f.Add(`{"Operations":[{"op":"replace","path":"title","value":"T"}]}`)
	f.Add(`{"Operations":[{"op":"remove","path":"members[value eq \"u1\"]"}]}`)
	f.Add(`{"Operations":[{"op":"add","path":"urn:x:1.0:a.b","value":{"c":1}}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		out, ok := direct([]byte(body))
		if !ok {
			return
		}
		var partial map[string]any
		if !gjson.ValidBytes(out) || json.Unmarshal(out, &partial) != nil {
			t.Fatalf("not a JSON object: %s", out)
		}
		scim.ApplyPartial(map[string]any{"userName": "a", "members": []any{map[string]any{"value": "u1"}}}, partial)
	})
}
