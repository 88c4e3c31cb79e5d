package scim

import (
	"encoding/json"
	"reflect"
	"testing"
)

func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("invalid JSON: %s", got)
	}
	json.Unmarshal([]byte(want), &w)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestCanonicalize(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		group          bool
	}{
		{"string booleans", `{"userName":"a","active":"True","emails":[{"value":"x","primary":"false"}]}`, `{"userName":"a","active":true,"emails":[{"value":"x","primary":false}]}`, false},
		{"attribute case", `{"UserName":"a","Name":{"GivenName":"b"}}`, `{"userName":"a","name":{"givenName":"b"}}`, false},
		{"nulls and empty lists are unassigned", `{"userName":"a","addresses":null,"phoneNumbers":[],"name":{"honorificPrefix":null,"givenName":"b"}}`, `{"userName":"a","name":{"givenName":"b"}}`, false},
		{"read-only attributes ignored", `{"id":"1","meta":{"x":1},"groups":[],"userName":"a"}`, `{"userName":"a"}`, false},
		{"manager as a bare id", `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m-1","Department":"d"}}`, `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m-1"},"department":"d"}}`, false},
		{"manager as an array", `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[{"value":"m-1","$ref":null}]}}`, `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m-1"}}}`, false},
		{"unknown schemas and attributes pass", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"displayName":"g","urn:x:y":{"a":"True"}}`, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"displayName":"g","urn:x:y":{"a":"True"}}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := Canonicalize([]byte(tc.in), tc.group)
			sameJSON(t, out, tc.want)
		})
	}
}

func TestCanonicalizeRequiredName(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		group    bool
	}{
		{`{"UserName":"bjensen"}`, "bjensen", false},
		{`{"userName":42}`, "", false},
		{`{"name":{"givenName":"x"}}`, "", false},
		{`{"displayName":"Ops"}`, "Ops", true},
		{`{"userName":"u"}`, "", true},
	} {
		if _, got := Canonicalize([]byte(tc.in), tc.group); got != tc.want {
			t.Errorf("%s: name %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCanonicalizePatch(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		group          bool
	}{
		{"Entra without the flag", `{"Operations":[{"op":"Replace","path":"active","value":"False"},{"op":"Add","path":"nickName","value":"Babs"}]}`,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false},{"op":"add","path":"nickName","value":"Babs"}]}`, false},
		{"path-less dotted and URN keys", `{"Operations":[{"op":"replace","value":{"name.givenName":"K","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"A","active":"false"}}]}`,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"name.givenName","value":"K"},{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"A"},{"op":"replace","path":"active","value":false}]}`, false},
		{"Okta group rename echoes id", `{"Operations":[{"op":"replace","value":{"id":"g-1","displayName":"New"}}]}`,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"New"}]}`, true},
		{"manager as a bare id on its URN path", `{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-2"}]}`,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m-2"}}]}`, false},
		{"extension object in a path-less op", `{"Operations":[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D"}}}]}`,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"D"}]}`, false},
		{"member removal keeps its value", `{"Operations":[{"op":"Remove","path":"members","value":[{"value":"u1"}]}]}`,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members","value":[{"value":"u1"}]}]}`, true},
		{"primary as a string in a value path", `{"Operations":[{"op":"replace","path":"emails[type eq \"work\"].primary","value":"true"}]}`,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"work\"].primary","value":true}]}`, false},
		{"empty", `{"Operations":[]}`, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sameJSON(t, CanonicalizePatch([]byte(tc.in), tc.group), tc.want)
		})
	}
}

func FuzzCanonicalize(f *testing.F) {
	f.Add(`{"userName":"a","active":"True","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m"}}`)
	f.Add(`{"Operations":[{"op":"Replace","value":{"name.givenName":"x","active":"false"}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		for _, group := range []bool{false, true} {
			if out, _ := Canonicalize([]byte(s), group); !json.Valid(out) {
				t.Fatalf("Canonicalize(%s) = invalid %s", s, out)
			}
			if out := CanonicalizePatch([]byte(s), group); !json.Valid(out) {
				t.Fatalf("CanonicalizePatch(%s) = invalid %s", s, out)
			}
		}
	})
}

func TestCanonicalizeCleanFastPath(t *testing.T) {
	clean := `{"userName":"a","active":true,"emails":[{"value":"v","primary":true}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"}}}`
	out, name := Canonicalize([]byte(clean), false)
	if string(out) != clean || name != "a" {
		t.Fatalf("clean body changed: %s %q", out, name)
	}
	for _, dirty := range []string{
		`{"userName":"a","id":"1"}`, `{"userName":"a","meta" : {}}`, `{"userName":"a","Groups":[]}`,
		`{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager": "m"}}`,
		`{"username":"a","active":"true"}`, `{"userName":"a","nickName":null}`,
	} {
		out, _ := Canonicalize([]byte(dirty), false)
		if string(out) == dirty {
			t.Errorf("%s was not canonicalised", dirty)
		}
	}
	if out, name := Canonicalize([]byte(`{"username":"lower"}`), false); name != "lower" || string(out) != `{"userName":"lower"}` {
		t.Fatalf("lower-case key: %s %q", out, name)
	}
}
