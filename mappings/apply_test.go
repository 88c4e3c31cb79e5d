package mappings

import (
	"encoding/json"
	"reflect"
	"testing"
)

func mustLoad(t testing.TB, yaml string, opts Options) *Mapping {
	t.Helper()
	m, err := Load(Source{File: "m.yaml", Data: []byte(yaml)}, nil, opts)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return m
}

func jsonEq(t testing.TB, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("output is not JSON: %s", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestCubeBuiltin(t *testing.T) {
	m, err := Load(mustBuiltin(t, "cube"), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Request(User, []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"a","displayName":"x","name":{"givenName":"G","formatted":"F"},"emails":[{"value":"v","type":"work","primary":true}],"active":"True","externalId":"e","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"d"}}`))
	if err != nil {
		t.Fatal(err)
	}
	jsonEq(t, out, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","name":{"givenName":"G"},"emails":[{"value":"v","primary":true}],"active":true,"externalId":"e"}`)
	if _, err := m.Request(User, []byte(`{"name":{"givenName":"G"}}`)); err == nil {
		t.Fatal("missing userName accepted")
	}
}

// "schemas" lists every extension the output carries: renamed, filled by a
// rule, or copied as it came (RFC 7643 §3).
func TestSchemasListCopiedExtensions(t *testing.T) {
	m := mustLoad(t, `
version: 1
User:
  unmapped: keep
  schemas:
    urn:ietf:params:scim:schemas:core:2.0:User: urn:scim:schemas:core:1.0
  attributes:
    urn:x:mapped:1.0:a: {default: "d"}
`, Options{})
	out, err := m.Request(User, []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:x:copied:1.0"],"userName":"u","urn:x:copied:1.0":{"b":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	jsonEq(t, out, `{"schemas":["urn:scim:schemas:core:1.0","urn:x:copied:1.0","urn:x:mapped:1.0"],"userName":"u","urn:x:copied:1.0":{"b":1},"urn:x:mapped:1.0":{"a":"d"}}`)
}

// An extension no rule reads is copied whole; one a rule writes into is
// merged with what the client sent, whichever comes first in the body.
func TestUnreadExtensionCopiedOrMerged(t *testing.T) {
	m := mustLoad(t, `
version: 1
User:
  unmapped: keep
  attributes:
    title: {to: "urn:x:out:1.0:jobTitle"}
`, Options{})
	for _, in := range []string{
		`{"userName":"u","urn:x:out:1.0":{"other":1},"title":"t","urn:x:kept:1.0":{ "b" : [1, {"c":2}] }}`,
		`{"userName":"u","title":"t","urn:x:out:1.0":{"other":1},"urn:x:kept:1.0":{ "b" : [1, {"c":2}] }}`,
	} {
		out, err := m.Request(User, []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		jsonEq(t, out, `{"userName":"u","urn:x:out:1.0":{"other":1,"jobTitle":"t"},"urn:x:kept:1.0":{"b":[1,{"c":2}]}}`)
	}
}
