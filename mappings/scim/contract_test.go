package scim

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("invalid JSON: %s", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %s", want)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// wantErr fails unless err is an *Error of the scimType whose message
// contains the fragment.
func wantErr(t *testing.T, err error, scimType, fragment string) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("got %v (%T), want a %s error", err, err, scimType)
	}
	if e.ScimType != scimType || !strings.Contains(e.Msg, fragment) {
		t.Fatalf("got %s %q, want %s containing %q", e.ScimType, e.Msg, scimType, fragment)
	}
}

const (
	core   = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
	coreEx = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]`
	group  = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]`
	ent    = `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
)

func TestResourceCanonical(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		group          bool
	}{
		{"string booleans", `{"userName":"a","active":"True","emails":[{"value":"x","primary":"false"}]}`, `{` + core + `,"userName":"a","active":true,"emails":[{"value":"x","primary":false}]}`, false},
		{"attribute case", `{"UserName":"a","Name":{"GivenName":"b"},"emails":[{"value":"x","type":"Work"}]}`, `{` + core + `,"userName":"a","name":{"givenName":"b"},"emails":[{"value":"x","type":"work"}]}`, false},
		{"nulls and empty lists are unassigned", `{"userName":"a","addresses":null,"phoneNumbers":[],"name":{"honorificPrefix":null,"givenName":"b"}}`, `{` + core + `,"userName":"a","name":{"givenName":"b"}}`, false},
		{"read-only attributes ignored", `{"id":"1","meta":{"x":1},"groups":[],"userName":"a"}`, `{` + core + `,"userName":"a"}`, false},
		{"manager as a bare id", `{"userName":"a",` + ent + `:{"manager":"m-1","Department":"d"}}`, `{` + coreEx + `,"userName":"a",` + ent + `:{"manager":{"value":"m-1"},"department":"d"}}`, false},
		{"manager as a one-element array", `{"userName":"a",` + ent + `:{"manager":[{"value":"m-1","$ref":null}]}}`, `{` + coreEx + `,"userName":"a",` + ent + `:{"manager":{"value":"m-1"}}}`, false},
		{"schemas: the URIs the body uses, not what the client listed", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],"userName":"a"}`, `{` + core + `,"userName":"a"}`, false},
		{"ADSCIM group URI dropped", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"displayName":"g"}`, `{` + group + `,"displayName":"g"}`, true},
		{"an empty extension is left out", `{"userName":"a",` + ent + `:{"manager":null}}`, `{` + core + `,"userName":"a"}`, false},
		{"unknown extension and attribute pass to the mapping", `{"userName":"a","urn:x:y":{"a":"True"},"custom":1}`, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:x:y"],"userName":"a","urn:x:y":{"a":"True"},"custom":1}`, false},
		{"member type canonical case", `{"displayName":"g","members":[{"value":"1","type":"user"}]}`, `{` + group + `,"displayName":"g","members":[{"value":"1","type":"User"}]}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := UserResource
			if tc.group {
				rs = GroupResource
			}
			out, err := rs.Resource([]byte(tc.in), Lenient, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, out, tc.want)
		})
	}
}

func TestResourceRefused(t *testing.T) {
	for _, tc := range []struct {
		name, in, scimType, fragment string
		mode                         Mode
	}{
		{"no userName", `{"name":{"givenName":"x"}}`, "invalidValue", "userName is required", Lenient},
		{"userName not a string", `{"userName":42}`, "invalidValue", "userName must be a string", Lenient},
		{"two primaries", `{"userName":"a","emails":[{"value":"a","primary":true},{"value":"b","primary":"True"}]}`, "invalidValue", "at most one may be primary", Lenient},
		{"emails not an array", `{"userName":"a","emails":"a@x"}`, "invalidValue", "emails is multi-valued", Lenient},
		{"complex value a string", `{"userName":"a","emails":["a@x"]}`, "invalidValue", "emails is complex", Lenient},
		{"single-valued given many", `{"userName":"a","displayName":["a","b"]}`, "invalidValue", "displayName is single-valued", Lenient},
		{"boolean junk", `{"userName":"a","active":"yes"}`, "invalidValue", "active must be a boolean", Lenient},
		{"nested too deep for an attribute", `{"userName":"a","name":{"givenName":[[["x"]]]}}`, "invalidValue", "name.givenName", Lenient},
		{"extension not an object", `{"userName":"a",` + ent + `:"x"}`, "invalidValue", "must be an object", Lenient},
		{"a sub-attribute without a name", `{"userName":"a","name":{"":"x"}}`, "invalidValue", `name: "" is not an attribute name`, Lenient},
		{"an unknown sub-attribute with a bad name", `{"userName":"a","emails":[{"value":"a","1x":"y"}]}`, "invalidValue", `"1x" is not an attribute name`, Lenient},
		{"member type outside the RFC's", `{"displayName":"g","members":[{"value":"1","type":"Robot"}]}`, "invalidValue", "members.type must be one of User, Group", Lenient},
		{"strict: a string boolean", `{` + core + `,"userName":"a","active":"true"}`, "invalidValue", "active must be a boolean", Strict},
		{"strict: an attribute outside the schema", `{` + core + `,"userName":"a","nick":"x"}`, "invalidValue", `"nick" is not defined`, Strict},
		{"strict: an unknown schema URI", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],"userName":"a"}`, "invalidValue", "is not served here", Strict},
		{"strict: an extension not listed", `{` + core + `,"userName":"a",` + ent + `:{"department":"d"}}`, "invalidValue", "does not list it", Strict},
		{"strict: no schemas", `{"userName":"a"}`, "invalidSyntax", `"schemas" must be an array`, Strict},
		{"strict: a one-element array for a single value", `{` + coreEx + `,"userName":"a",` + ent + `:{"manager":[{"value":"m"}]}}`, "invalidValue", "manager is single-valued", Strict},
		{"strict: unknown sub-attribute", `{` + core + `,"userName":"a","name":{"nick":"x"}}`, "invalidValue", `no sub-attribute "nick"`, Strict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := UserResource
			if strings.Contains(tc.in, "displayName\":\"g") {
				rs = GroupResource
			}
			_, err := rs.Resource([]byte(tc.in), tc.mode, Limits{})
			wantErr(t, err, tc.scimType, tc.fragment)
		})
	}
}

func TestCheckJSON(t *testing.T) {
	lim := Limits{MaxDepth: 6, MaxValues: 3, MaxString: 10, MaxFilter: 10}
	for _, tc := range []struct {
		name, in, scimType, fragment string
	}{
		{"invalid UTF-8", "{\"userName\":\"a\xff\"}", "invalidSyntax", "UTF-8"},
		{"duplicate key", `{"userName":"a","userName":"b"}`, "invalidSyntax", `"userName" appears twice`},
		{"duplicate key in another case", `{"name":{"givenName":"a","GivenName":"b"}}`, "invalidSyntax", `"name.GivenName" appears twice`},
		{"duplicate among many keys", `{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"j":1,"k":1,"l":1,"m":1,"n":1,"o":1,"p":1,"q":1,"A":1}`, "invalidSyntax", `"A" appears twice`},
		{"duplicate past the first 32 keys", `{"k0":1,"k1":1,"k2":1,"k3":1,"k4":1,"k5":1,"k6":1,"k7":1,"k8":1,"k9":1,"k10":1,"k11":1,"k12":1,"k13":1,"k14":1,"k15":1,"k16":1,"k17":1,"k18":1,"k19":1,"k20":1,"k21":1,"k22":1,"k23":1,"k24":1,"k25":1,"k26":1,"k27":1,"k28":1,"k29":1,"k30":1,"k31":1,"k32":1,"k33":1,"k34":1,"k35":1,"k36":1,"k37":1,"k38":1,"k39":1,"K39":2}`, "invalidSyntax", `"K39" appears twice`},
		{"duplicate in the first 32 keys, found past them", `{"k0":1,"k1":1,"k2":1,"k3":1,"k4":1,"k5":1,"k6":1,"k7":1,"k8":1,"k9":1,"k10":1,"k11":1,"k12":1,"k13":1,"k14":1,"k15":1,"k16":1,"k17":1,"k18":1,"k19":1,"k20":1,"k21":1,"k22":1,"k23":1,"k24":1,"k25":1,"k26":1,"k27":1,"k28":1,"k29":1,"k30":1,"k31":1,"k32":1,"k33":1,"k34":1,"k35":1,"k36":1,"k37":1,"k38":1,"k39":1,"K3":2}`, "invalidSyntax", `"K3" appears twice`},
		{"too deep", `{"a":[[[[[[1]]]]]]}`, "invalidSyntax", "nested deeper than 6"},
		{"too many values", `{"emails":[1,2,3,4]}`, "invalidValue", `"emails" has more than 3 values`},
		{"string too long", `{"userName":"abcdefghijk"}`, "invalidValue", "longer than 10 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, CheckJSON([]byte(tc.in), lim), tc.scimType, tc.fragment)
		})
	}
	if err := CheckJSON([]byte(`{"a":[{"b":"c"}],"d":{"e":"f"}}`), lim); err != nil {
		t.Fatal(err)
	}
}

const patchHead = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`

func TestPatchCanonical(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		group          bool
	}{
		{"Entra without the flag", `{"Operations":[{"op":"Replace","path":"active","value":"False"},{"op":"Add","path":"nickName","value":"Babs"}]}`,
			patchHead + `{"op":"replace","path":"active","value":false},{"op":"add","path":"nickName","value":"Babs"}]}`, false},
		{"path-less dotted and URN keys", `{"Operations":[{"op":"replace","value":{"name.givenName":"K","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"A","active":"false"}}]}`,
			patchHead + `{"op":"replace","path":"name.givenName","value":"K"},{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"A"},{"op":"replace","path":"active","value":false}]}`, false},
		{"Okta group rename echoes id", `{"Operations":[{"op":"replace","value":{"id":"g-1","displayName":"New"}}]}`,
			patchHead + `{"op":"replace","path":"displayName","value":"New"}]}`, true},
		{"manager as a bare id on its URN path", `{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-2"}]}`,
			patchHead + `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m-2"}}]}`, false},
		{"Entra's legacy manager: unqualified path, one-element array", `{"Operations":[{"op":"Add","path":"manager","value":[{"$ref":"../Users/m-3","value":"m-3"}]}]}`,
			patchHead + `{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"$ref":"../Users/m-3","value":"m-3"}}]}`, false},
		{"extension object in a path-less op", `{"Operations":[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D"}}}]}`,
			patchHead + `{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"D"}]}`, false},
		{"URN path with an object value in a path-less op", `{"Operations":[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":{"value":"m"}}}]}`,
			patchHead + `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m"}}]}`, false},
		{"Entra's member removal becomes a value filter", `{"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u1"},{"value":"u2"}]}]}`,
			patchHead + `{"op":"remove","path":"members[value eq \"u1\" or value eq \"u2\"]"}]}`, true},
		{"a removal of no listed values changes nothing", `{"Operations":[{"op":"remove","path":"members","value":[]}]}`, patchHead + `]}`, true},
		{"remove without a value stays remove-all", `{"Operations":[{"op":"remove","path":"members"}]}`, patchHead + `{"op":"remove","path":"members"}]}`, true},
		{"primary as a string in a value path, names canonical", `{"Operations":[{"op":"replace","path":"Emails[Type eq \"work\"].Primary","value":"true"}]}`,
			patchHead + `{"op":"replace","path":"emails[type eq \"work\"].primary","value":true}]}`, false},
		{"one member as an object", `{"Operations":[{"op":"add","path":"members","value":{"value":"u1"}}]}`, patchHead + `{"op":"add","path":"members","value":[{"value":"u1"}]}]}`, true},
		{"replace with null is a remove", `{"Operations":[{"op":"replace","path":"title","value":null},{"op":"add","path":"nickName","value":null}]}`, patchHead + `{"op":"remove","path":"title"}]}`, false},
		{"core URN on the path dropped", `{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:userName","value":"b"}]}`, patchHead + `{"op":"replace","path":"userName","value":"b"}]}`, false},
		{"empty", `{"Operations":[]}`, patchHead + `]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := UserResource
			if tc.group {
				rs = GroupResource
			}
			pr, err := rs.Patch([]byte(tc.in), Lenient)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, pr.Marshal(), tc.want)
			// Canonical is a fixed point, and what a strict server takes.
			again, err := rs.Patch(pr.Marshal(), Lenient)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, again.Marshal(), tc.want)
			if len(pr.Operations) > 0 {
				if _, err := rs.Patch(pr.Marshal(), Strict); err != nil {
					t.Fatalf("strict refuses the canonical form: %v", err)
				}
			}
		})
	}
}

func TestPatchRefused(t *testing.T) {
	for _, tc := range []struct {
		name, in, scimType, fragment string
		mode                         Mode
	}{
		{"a member as a string", `{"Operations":[{"op":"add","path":"members","value":"string id 1"}]}`, "invalidValue", "members is multi-valued", Lenient},
		{"two new primaries", `{"Operations":[{"op":"add","path":"emails","value":[{"value":"a","primary":true},{"value":"b","primary":true}]}]}`, "invalidValue", "at most one may be primary", Lenient},
		{"remove without a path", `{"Operations":[{"op":"remove"}]}`, "noTarget", "has no path", Lenient},
		{"unknown op", `{"Operations":[{"op":"merge","path":"title","value":"x"}]}`, "invalidSyntax", "not add, remove or replace", Lenient},
		{"a value filter on a simple attribute", `{"Operations":[{"op":"replace","path":"title[value eq \"x\"]","value":"y"}]}`, "invalidPath", "not one", Lenient},
		{"ordering on a boolean in a value filter", `{"Operations":[{"op":"remove","path":"emails[primary gt true]"}]}`, "invalidPath", "ordering comparisons", Lenient},
		{"read-only attribute", `{"Operations":[{"op":"replace","path":"groups","value":[]}]}`, "mutability", "groups is read-only", Lenient},
		{"member removal without ids", `{"Operations":[{"op":"remove","path":"members","value":[{"display":"x"}]}]}`, "invalidValue", `each value as {"value"`, Lenient},
		{"sub-attribute of a simple attribute", `{"Operations":[{"op":"replace","path":"title.x","value":"y"}]}`, "invalidPath", "title has no sub-attributes", Lenient},
		{"strict: capitalised op", patchHead + `{"op":"Add","path":"title","value":"x"}]}`, "invalidSyntax", "not add, remove or replace", Strict},
		{"strict: no PatchOp schema", `{"Operations":[{"op":"add","path":"title","value":"x"}]}`, "invalidSyntax", "schemas", Strict},
		{"strict: dotted key in a path-less op", patchHead + `{"op":"replace","value":{"name.givenName":"x"}}]}`, "invalidPath", "is not an attribute", Strict},
		{"strict: unqualified extension attribute", patchHead + `{"op":"add","path":"manager","value":{"value":"m"}}]}`, "invalidPath", `"manager" is not defined`, Strict},
		{"strict: one-element array for a single value", patchHead + `{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":[{"value":"m"}]}]}`, "invalidValue", "single-valued", Strict},
		{"strict: unknown attribute", patchHead + `{"op":"add","path":"nick","value":"x"}]}`, "invalidPath", `"nick" is not defined`, Strict},
		{"strict: no operations", patchHead + `]}`, "invalidValue", "at least one", Strict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := UserResource
			if strings.Contains(tc.in, "members") {
				rs = GroupResource
			}
			_, err := rs.Patch([]byte(tc.in), tc.mode)
			wantErr(t, err, tc.scimType, tc.fragment)
		})
	}
}

func TestCheckFilter(t *testing.T) {
	for _, tc := range []struct {
		filter string
		ok     bool
	}{
		{`active gt true`, false},
		{`active eq true`, true},
		{`emails[primary le false]`, false},
		{`emails[type eq "work" and value co "@"]`, true},
		{`title[value eq "x"]`, false},
		{`emails gt "a"`, false},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, true},
		{`x509Certificates.value gt "a"`, false},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`, true},
		{`unknownAttr gt true`, true}, // left to the mapping
	} {
		f, err := ParseFilter(tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		err = UserResource.CheckFilter(f)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.filter, err)
		}
		if err != nil {
			wantErr(t, err, "invalidFilter", "")
		}
	}
}

func TestApplyPatchRFC(t *testing.T) {
	doc := func() map[string]any {
		var m map[string]any
		json.Unmarshal([]byte(`{"emails":[{"value":"w@x","type":"work","primary":true},{"value":"h@x","type":"home"}],"members":[{"value":"1"},{"value":"2"}]}`), &m)
		return m
	}
	for _, tc := range []struct {
		name, ops, want string
	}{
		{"remove without a filter removes every value (RFC 7644 §3.5.2.2)", `[{"op":"remove","path":"members","value":[{"value":"1"}]}]`,
			`{"emails":[{"value":"w@x","type":"work","primary":true},{"value":"h@x","type":"home"}]}`},
		{"a new primary clears the old one", `[{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}]`,
			`{"emails":[{"value":"w@x","type":"work","primary":false},{"value":"h@x","type":"home","primary":true}],"members":[{"value":"1"},{"value":"2"}]}`},
		{"an added primary clears the old one", `[{"op":"add","path":"emails","value":[{"value":"o@x","type":"other","primary":true}]}]`,
			`{"emails":[{"value":"w@x","type":"work","primary":false},{"value":"h@x","type":"home"},{"value":"o@x","type":"other","primary":true}],"members":[{"value":"1"},{"value":"2"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ops []PatchOperation
			json.Unmarshal([]byte(tc.ops), &ops)
			out, err := ApplyPatch(doc(), ops)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(out)
			sameJSON(t, b, tc.want)
		})
	}
	var ops []PatchOperation
	json.Unmarshal([]byte(`[{"op":"replace","path":"emails[type eq \"work\"].primary","value":false},{"op":"replace","path":"emails[value pr].primary","value":true}]`), &ops)
	_, err := ApplyPatch(doc(), ops)
	wantErr(t, err, "invalidValue", "at most one may be primary")
	json.Unmarshal([]byte(`[{"op":"replace","path":"emails[type eq \"nonexistent\"].value","value":"x"}]`), &ops)
	_, err = ApplyPatch(doc(), ops)
	wantErr(t, err, "noTarget", "")
}

// FuzzContract: whatever a client sends, the contract answers with an
// *Error — CheckJSON's, when CheckJSON refuses the body — or with
// canonical JSON that it reads back unchanged.
func FuzzContract(f *testing.F) {
	f.Add(`{"userName":"a","active":"True","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m"}}`)
	f.Add(`{"Operations":[{"op":"Replace","value":{"name.givenName":"x","active":"false"}}]}`)
	f.Add(`{"Operations":[{"op":"Remove","path":"members","value":[{"value":"a"},{"value":"b"}]}]}`)
	f.Add(`{"Operations":[{"op":"add","path":"manager","value":[{"value":"m"}]}]}`)
	f.Add(`{"displayName":"g","members":[{"value":"1","type":"user"}],"userName":"u","emails":[{"value":"a","primary":true}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		body := []byte(s)
		if jerr := CheckJSON(body, DefaultLimits); jerr != nil {
			for _, mode := range []Mode{Lenient, Strict} {
				if _, err := UserResource.Resource(body, mode, Limits{}); err == nil || err.Error() != jerr.Error() {
					t.Fatalf("Resource(%q) = %v; CheckJSON says %v", s, err, jerr)
				}
			}
			return
		}
		for _, rs := range []*ResourceSchema{UserResource, GroupResource} {
			if out, err := rs.Resource(body, Lenient, Limits{}); err == nil {
				if !json.Valid(out) {
					t.Fatalf("Resource(%s) = invalid %s", s, out)
				}
				again, err := rs.Resource(out, Lenient, Limits{})
				if err != nil || string(again) != string(out) {
					t.Fatalf("Resource not a fixed point: %s -> %s -> %s (%v)", s, out, again, err)
				}
			} else if _, ok := err.(*Error); !ok {
				t.Fatalf("Resource(%s): %T", s, err)
			}
			if pr, err := rs.Patch(body, Lenient); err == nil {
				out := pr.Marshal()
				again, err := rs.Patch(out, Lenient)
				if err != nil || string(again.Marshal()) != string(out) {
					t.Fatalf("Patch not a fixed point: %s -> %s (%v)", s, out, err)
				}
			} else if _, ok := err.(*Error); !ok {
				t.Fatalf("Patch(%s): %T", s, err)
			}
		}
	})
}

// FuzzCheckJSON: with limits out of reach, CheckJSON accepts exactly the
// UTF-8 texts encoding/json calls valid, but for a member name given twice.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,-0.5e+3,"x\u00e9\n",true,false,null,{}]`, `{"a":{"A":2}}`, `{"a":1,}`, `01`, `"\ud800"`, ` {"x" : [ ] } `, `{"a":1}x`, `1.`, `-`, `[1e]`} {
		f.Add(s)
	}
	huge := Limits{MaxDepth: 1 << 20, MaxValues: 1 << 30, MaxString: 1 << 30, MaxFilter: 1}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		err := CheckJSON([]byte(s), huge)
		valid := json.Valid([]byte(s))
		switch {
		case err == nil && !valid:
			t.Fatalf("CheckJSON accepted invalid JSON %q", s)
		case err != nil && valid && !strings.Contains(err.Error(), "appears twice"):
			t.Fatalf("CheckJSON refused valid JSON %q: %v", s, err)
		case err != nil && err.(*Error).ScimType == "":
			t.Fatalf("error without a scimType: %v", err)
		}
	})
}

// A resource type may serve many extensions: "schemas" lists every one a
// body uses, however long the list (the canonical form leaves room for a
// short one before the members and copies for a longer one).
func TestResourceManyExtensions(t *testing.T) {
	var exts []Schema
	var in, want strings.Builder
	in.WriteString(`{"userName":"a"`)
	want.WriteString(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"`)
	for i := range 10 {
		urn := "urn:example:params:scim:schemas:extension:tenant-specific:" + strings.Repeat("x", i) + ":User"
		exts = append(exts, Schema{ID: urn, Attributes: []Attribute{Attr("n", "integer", "a number")}})
		in.WriteString(`,"` + urn + `":{"N":1}`)
		want.WriteString(`,"` + urn + `"`)
	}
	in.WriteString("}")
	want.WriteString(`],"userName":"a"`)
	for _, e := range exts {
		want.WriteString(`,"` + e.ID + `":{"n":1}`)
	}
	want.WriteString("}")
	rs := NewResourceSchema(UserResource.def, exts...)
	out, err := rs.Resource([]byte(in.String()), Strict, Limits{})
	if err == nil {
		t.Fatalf("Strict accepted extensions the body does not list: %s", out)
	}
	out, err = rs.Resource([]byte(in.String()), Lenient, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != want.String() {
		t.Fatalf("got  %s\nwant %s", out, want.String())
	}
	two := `{"userName":"a","` + exts[0].ID + `":{"n":2}}`
	out, err = rs.Resource([]byte(two), Lenient, Limits{})
	if err != nil || string(out) != `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","`+exts[0].ID+`"],"userName":"a","`+exts[0].ID+`":{"n":2}}` {
		t.Fatalf("one extension: %s %v", out, err)
	}
}
