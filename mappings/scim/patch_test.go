package scim

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestApplyPatch(t *testing.T) {
	base := `{"userName":"bjensen","active":true,"name":{"givenName":"Barbara"},
	  "emails":[{"value":"a@x.com","type":"work"},{"value":"b@x.com","type":"home"}],
	  "members":[{"value":"1"},{"value":"2"},{"value":"3"}]}`
	for _, tc := range []struct{ name, ops, want string }{
		{"replace active", `[{"op":"Replace","path":"active","value":false}]`, `{"active":false}`},
		{"path-less replace", `[{"op":"replace","value":{"active":false,"name.familyName":"Jensen"}}]`, `{"active":false,"name":{"givenName":"Barbara","familyName":"Jensen"}}`},
		{"add sub-attribute", `[{"op":"add","path":"name.familyName","value":"J"}]`, `{"name":{"givenName":"Barbara","familyName":"J"}}`},
		{"replace filtered value", `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"c@x.com"}]`, `{"emails":[{"value":"c@x.com","type":"work"},{"value":"b@x.com","type":"home"}]}`},
		{"add creates filtered element", `[{"op":"add","path":"emails[type eq \"other\"].value","value":"d@x.com"}]`, `{"emails":[{"value":"a@x.com","type":"work"},{"value":"b@x.com","type":"home"},{"type":"other","value":"d@x.com"}]}`},
		{"remove without a filter removes every member, whatever the value (RFC 7644 §3.5.2.2)", `[{"op":"remove","path":"members","value":[{"value":"2"}]}]`, `{"members":null}`},
		{"remove member by filter", `[{"op":"remove","path":"members[value eq \"1\"]"}]`, `{"members":[{"value":"2"},{"value":"3"}]}`},
		{"add members appends once", `[{"op":"add","path":"members","value":[{"value":"3"},{"value":"4"}]}]`, `{"members":[{"value":"1"},{"value":"2"},{"value":"3"},{"value":"4"}]}`},
		{"extension path", `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"R&D"}]`, `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D"}}`},
		{"remove attribute", `[{"op":"remove","path":"name"}]`, `{"name":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc, want map[string]any
			must(t, json.Unmarshal([]byte(base), &doc))
			must(t, json.Unmarshal([]byte(tc.want), &want))
			var ops []PatchOperation
			must(t, json.Unmarshal([]byte(tc.ops), &ops))
			got, err := ApplyPatch(doc, ops)
			must(t, err)
			for k, v := range want {
				gj, _ := json.Marshal(got[k])
				wj, _ := json.Marshal(v)
				if string(gj) != string(wj) {
					t.Fatalf("%s = %s, want %s", k, gj, wj)
				}
			}
		})
	}
}

func TestApplyPatchAtomic(t *testing.T) {
	doc := map[string]any{"emails": []any{map[string]any{"type": "work", "value": "a"}}, "active": true}
	ops := []PatchOperation{
		{Op: "replace", Path: "active", Value: json.RawMessage(`false`)},
		{Op: "replace", Path: `emails[type eq "home"].value`, Value: json.RawMessage(`"x"`)},
	}
	_, err := ApplyPatch(doc, ops)
	var pe *PatchError
	if !errors.As(err, &pe) || pe.ScimType != "noTarget" {
		t.Fatalf("err = %v, want noTarget", err)
	}
	if doc["active"] != true {
		t.Fatal("a failed PATCH changed the document")
	}
}

func TestParsePatch(t *testing.T) {
	for _, tc := range []struct{ body, scimType string }{
		{`{"Operations":[{"op":"jump","path":"a"}]}`, "invalidSyntax"},
		{`{"Operations":[{"op":"remove"}]}`, "noTarget"},
		{`{"Operations":[{"op":"add","path":"a[b eq"}]}`, "invalidValue"},
		{`{"Operations":[{"op":"add","path":"a[b eq","value":1}]}`, "invalidPath"},
		{`{"schemas":[]}`, "invalidSyntax"},
	} {
		_, err := ParsePatch([]byte(tc.body))
		var pe *PatchError
		if !errors.As(err, &pe) || pe.ScimType != tc.scimType {
			t.Fatalf("%s: err = %v, want %s", tc.body, err, tc.scimType)
		}
	}
	if _, err := ParsePatch([]byte(`{"Operations":[]}`)); err != nil {
		t.Fatalf("empty Operations: %v", err)
	}
}

func FuzzApplyPatch(f *testing.F) {
	f.Add(`{"a":1,"emails":[{"value":"x","type":"work"}]}`, `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"y"}]`)
	f.Add(`{}`, `[{"op":"add","value":{"name.givenName":"x"}}]`)
	f.Fuzz(func(t *testing.T, docJSON, opsJSON string) {
		var doc map[string]any
		var ops []PatchOperation
		if json.Unmarshal([]byte(docJSON), &doc) != nil || doc == nil || json.Unmarshal([]byte(opsJSON), &ops) != nil {
			return
		}
		before, _ := json.Marshal(doc)
		out, err := ApplyPatch(doc, ops)
		after, _ := json.Marshal(doc)
		if string(before) != string(after) {
			t.Fatal("ApplyPatch changed its input")
		}
		if err == nil {
			if _, err := json.Marshal(out); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
