package mappings

import (
	"encoding/json"
	"testing"
)

// benchMapping is a realistic IdentityIQ-style mapping: relocations into and
// out of extensions, a value map, coercions, reshaping and a drop.
const benchMapping = `
version: 1
User:
  attributes:
    title: {to: "urn:ietf:params:scim:schemas:sailpoint:1.0:User:jobtitle"}
    urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber: {to: "urn:ietf:params:scim:schemas:sailpoint:1.0:User:empId"}
    urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department: {to: "urn:ietf:params:scim:schemas:sailpoint:1.0:User:Department"}
    urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter: {to: "urn:ietf:params:scim:schemas:sailpoint:1.0:User:costcenter", type: array}
    active: {type: string}
    userType: {map: {Employee: EMP, Contractor: CTR}}
    roles: {strings: value}
    emails: {keep: primary, sub: [value, type, primary]}
    password: {drop: true}
`

// benchEnterpriseUser is a realistic enterprise user of about 2 KB.
const benchEnterpriseUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"00ub0oNGTSWTBKOLGLNR","userName":"barbara.jensen@example.com","name":{"formatted":"Ms. Barbara J Jensen III","familyName":"Jensen","givenName":"Barbara","middleName":"Jane","honorificPrefix":"Ms.","honorificSuffix":"III"},"displayName":"Babs Jensen","nickName":"Babs","profileUrl":"https://login.example.com/bjensen","title":"Tour Guide","userType":"Employee","preferredLanguage":"en-US","locale":"en-US","timezone":"America/Los_Angeles","active":true,"password":"t1meMa$heen","emails":[{"value":"bjensen@example.com","type":"work","primary":true,"display":"Work"},{"value":"babs@jensen.org","type":"home"}],"phoneNumbers":[{"value":"555-555-5555","type":"work"},{"value":"555-555-4444","type":"mobile"}],"addresses":[{"type":"work","streetAddress":"100 Universal City Plaza","locality":"Hollywood","region":"CA","postalCode":"91608","country":"USA","formatted":"100 Universal City Plaza\nHollywood, CA 91608 USA","primary":true},{"type":"home","streetAddress":"456 Hollywood Blvd","locality":"Hollywood","region":"CA","postalCode":"91608","country":"USA","formatted":"456 Hollywood Blvd\nHollywood, CA 91608 USA"}],"roles":[{"value":"guide"},{"value":"trainer"}],"entitlements":[{"value":"tours:lead"}],"ims":[{"value":"someaimhandle","type":"aim"}],"photos":[{"value":"https://photos.example.com/profilephoto/72930000000Ccne/F","type":"photo"}],"x509Certificates":[{"value":"MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","costCenter":"4130","organization":"Universal Studios","division":"Theme Park","department":"Tour Operations","manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d","$ref":"../Users/26118915-6090-4610-87e4-49d8ca9f808d","displayName":"John Smith"}}}`

const (
	entURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	spURN  = "urn:ietf:params:scim:schemas:sailpoint:1.0:User"
)

// applyWithMaps does what benchMapping does, the usual way: decode into
// map[string]any, edit, encode. It is the baseline the engine must beat.
func applyWithMaps(body []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	sp := map[string]any{}
	if v, ok := doc["title"]; ok {
		sp["jobtitle"] = v
		delete(doc, "title")
	}
	if ent, ok := doc[entURN].(map[string]any); ok {
		if v, ok := ent["employeeNumber"]; ok {
			sp["empId"] = v
			delete(ent, "employeeNumber")
		}
		if v, ok := ent["department"]; ok {
			sp["Department"] = v
			delete(ent, "department")
		}
		if v, ok := ent["costCenter"]; ok {
			sp["costcenter"] = []any{v}
			delete(ent, "costCenter")
		}
	}
	if len(sp) > 0 {
		doc[spURN] = sp
		doc["schemas"] = []any{"urn:ietf:params:scim:schemas:core:2.0:User", spURN, entURN}
	}
	if v, ok := doc["active"].(bool); ok {
		doc["active"] = map[bool]string{true: "true", false: "false"}[v]
	}
	if v, ok := doc["userType"].(string); ok {
		if m, ok := map[string]string{"Employee": "EMP", "Contractor": "CTR"}[v]; ok {
			doc["userType"] = m
		}
	}
	if roles, ok := doc["roles"].([]any); ok {
		out := make([]any, 0, len(roles))
		for _, r := range roles {
			if m, ok := r.(map[string]any); ok {
				out = append(out, m["value"])
			}
		}
		doc["roles"] = out
	}
	if emails, ok := doc["emails"].([]any); ok && len(emails) > 0 {
		pick := emails[0]
		for _, e := range emails {
			if m, ok := e.(map[string]any); ok && m["primary"] == true {
				pick = e
				break
			}
		}
		if m, ok := pick.(map[string]any); ok {
			kept := map[string]any{}
			for _, k := range []string{"value", "type", "primary"} {
				if v, ok := m[k]; ok {
					kept[k] = v
				}
			}
			pick = kept
		}
		doc["emails"] = []any{pick}
	}
	delete(doc, "password")
	return json.Marshal(doc)
}

// TestBenchBaselineAgrees makes sure the baseline does the same work.
func TestBenchBaselineAgrees(t *testing.T) {
	m := mustLoad(t, benchMapping, Options{})
	got, err := m.Request(User, []byte(benchEnterpriseUser))
	if err != nil {
		t.Fatal(err)
	}
	want, err := applyWithMaps([]byte(benchEnterpriseUser))
	if err != nil {
		t.Fatal(err)
	}
	jsonEq(t, got, string(want))
}

// BenchmarkApply compares the compiled mapping with the map[string]any
// baseline on the same 2 KB user, in one run.
func BenchmarkApply(b *testing.B) {
	m := mustLoad(b, benchMapping, Options{})
	body := []byte(benchEnterpriseUser)
	b.Run("mapping", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			if _, err := m.Request(User, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("maps-baseline", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			if _, err := applyWithMaps(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("response", func(b *testing.B) {
		out, _ := m.Request(User, body)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := m.Response(User, out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
