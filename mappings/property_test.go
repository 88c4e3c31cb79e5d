package mappings

import (
	"github.com/scimgw/scimgw/mappings/scim"

	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/tidwall/gjson"
)

// subset reports whether every member of want is in got with the same value.
func subset(want, got any) bool {
	wm, ok := want.(map[string]any)
	if !ok {
		return reflect.DeepEqual(want, got)
	}
	gm, ok := got.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range wm {
		if !subset(v, gm[k]) {
			return false
		}
	}
	return true
}

// TestRoundTrip: SCIM 2.0 -> dialect -> SCIM 2.0 gives back every attribute
// the dialect stores, for each mapping.
func TestRoundTrip(t *testing.T) {
	rules, _ := os.ReadFile("testdata/rules.yaml")
	for _, tc := range []struct {
		name   string
		src    Source
		rt     scim.ResourceType
		stored string // every attribute the mapping stores, in canonical SCIM form
	}{
		{"scim2 user", mustBuiltin(t, "scim2"), User, `{"userName":"a","title":"t","name":{"givenName":"g"},"emails":[{"value":"v","type":"work"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"}}}`},
		{"cube user", mustBuiltin(t, "cube"), User, `{"userName":"a","name":{"givenName":"g","familyName":"f"},"emails":[{"value":"v","primary":true}],"active":false,"externalId":"e"}`},
		{"cube group", mustBuiltin(t, "cube"), Group, `{"displayName":"d","members":[{"value":"1","display":"A"}]}`},
		{"every rule kind", Source{File: "rules.yaml", Data: rules}, User, `{
			"userName":"a","timezone":"UTC","title":"t","userType":"Contractor","preferredLanguage":"en-US",
			"active":true,"nickName":"n","locale":true,"roles":[{"value":"owner"}],
			"emails":[{"value":"w@x","type":"work","primary":true}],"phoneNumbers":[{"value":"555"}],
			"entitlements":[{"value":"a"},{"value":"b"}],"displayName":"d",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D","employeeNumber":"42","organization":"o","manager":{"value":"m"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Load(tc.src, nil, Options{Values: map[string]string{"domain": "example.com"}, Known: []string{"domain"}})
			if err != nil {
				t.Fatal(err)
			}
			backend, err := m.Request(tc.rt, []byte(tc.stored))
			if err != nil {
				t.Fatal(err)
			}
			back, err := m.Response(tc.rt, backend)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			json.Unmarshal([]byte(tc.stored), &want)
			json.Unmarshal(back, &got)
			if !subset(want, got) {
				t.Fatalf("round trip lost data:\n  in: %s\n via: %s\n out: %s", tc.stored, backend, back)
			}
		})
	}
}

// builtin reads a dialect's built-in mapping from its directory (the
// dialects import this package, so it cannot import them).
func builtin(name string) (Source, error) {
	file := "../dialects/" + name + "/mapping.yaml"
	data, err := os.ReadFile(file)
	return Source{File: file, Data: data}, err
}

func mustBuiltin(t *testing.T, name string) Source {
	src, err := builtin(name)
	if err != nil {
		t.Fatalf("no built-in mapping %s: %v", name, err)
	}
	return src
}

func FuzzLoad(f *testing.F) {
	for _, name := range []string{"scim2", "cube"} {
		src, _ := builtin(name)
		f.Add(string(src.Data))
	}
	rules, _ := os.ReadFile("testdata/rules.yaml")
	f.Add(string(rules))
	f.Fuzz(func(t *testing.T, s string) {
		_, err := Load(Source{File: "f.yaml", Data: []byte(s)}, nil, Options{Known: []string{"domain"}, Values: map[string]string{"domain": "d"}})
		if err == nil {
			return
		}
		ls, ok := err.(Lints)
		if !ok || len(ls) == 0 {
			t.Fatalf("error is not Lints: %T %v", err, err)
		}
		for _, l := range ls {
			if l.Line < 1 || l.Col < 1 {
				t.Fatalf("lint without a position: %v", l)
			}
		}
	})
}

// FuzzApply: valid JSON in gives valid JSON out (or a mapping error), in
// both directions and for PATCH, with a mapping that uses every rule kind.
func FuzzApply(f *testing.F) {
	rules, _ := os.ReadFile("testdata/rules.yaml")
	m, err := Load(Source{File: "rules.yaml", Data: rules}, nil, Options{Known: []string{"domain"}, Values: map[string]string{"domain": "d"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(`{"userName":"a","emails":[{"value":"v","type":"work","primary":true}],"roles":[{"value":"r"}]}`)
	f.Add(`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"}},"name.givenName":"x"}`)
	f.Add(`{"Operations":[{"op":"add","path":"emails[type eq \"work\"].value","value":"x"}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		if !gjson.Valid(s) {
			return
		}
		for name, fn := range map[string]func(scim.ResourceType, []byte) ([]byte, error){"request": m.Request, "response": m.Response} {
			out, err := fn(User, []byte(s))
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("%s: error of type %T", name, err)
				}
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("%s(%s) = invalid JSON %s", name, s, out)
			}
		}
		if !json.Valid([]byte(s)) || scim.CheckJSON([]byte(s), scim.DefaultLimits) != nil {
			return
		}
		if pr, err := m.Schema(User).Patch([]byte(s), scim.Lenient); err == nil {
			if out, _, err := m.Patch(User, pr); err == nil && !json.Valid(out) {
				t.Fatalf("patch(%s) = invalid JSON %s", s, out)
			}
		}
	})
}
