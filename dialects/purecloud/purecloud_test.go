package purecloud

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/conformance"
	"github.com/scimgw/scimgw/mappings/scim"
)

func TestPhoneNumber(t *testing.T) {
	cases := map[string]string{
		"+31205550100":             "+31205550100",
		"+31 20 555 0100":          "+31205550100",
		"+1 (415) 555-0100":        "+14155550100",
		"0031 20.555.0100":         "+31205550100",
		"+1 415 555 0100 x12":      "tel:+14155550100;ext=12",
		"+1 415 555 0100 ext. 7":   "tel:+14155550100;ext=7",
		"+14155550100;ext=99":      "tel:+14155550100;ext=99",
		"tel:+14155550100;ext=99":  "tel:+14155550100;ext=99",
		"tel:+14155550100":         "tel:+14155550100",
		"555-0100":                 "",
		"(415) 555-0100":           "",
		"+0123456789":              "",
		"+1234":                    "",
		"+1234567890123456":        "",
		"call me":                  "",
		"":                         "",
		"tel:+14155550100;ext=abc": "",
	}
	for in, want := range cases {
		got, ok := phoneNumber(in)
		if got != want || ok != (want != "") {
			t.Errorf("%q: got %q %v, want %q", in, got, ok, want)
		}
	}
}

// FuzzPhoneNumber: whatever comes in, what goes out is E.164 or a tel URI.
func FuzzPhoneNumber(f *testing.F) {
	for _, s := range []string{"+31 20 555 0100", "0031 (20) 555-0101 x12", "tel:+1;ext=", "ext 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := phoneNumber(s)
		if ok && !e164RE.MatchString(out) && !telURIRE.MatchString(out) {
			t.Fatalf("%q -> %q", s, out)
		}
		if ok {
			if again, ok2 := phoneNumber(out); !ok2 || again != out {
				t.Fatalf("not stable: %q -> %q -> %q", s, out, again)
			}
		}
	})
}

func TestWorkEmail(t *testing.T) {
	cases := []struct{ emails, want string }{
		{`[{"value":"a@x.com","type":"work","primary":true}]`, `[]`},
		{`[{"value":"A@X.com"},{"value":"b@x.com","type":"home"}]`, `[{"value":"b@x.com","type":"work"}]`},
		{`[{"value":"c@x.com","type":"other"},{"value":"b@x.com"},{"value":"d@x.com","primary":true}]`, `[{"value":"d@x.com","type":"work","primary":true}]`},
	}
	for _, c := range cases {
		if got := string(workEmail(gjson.Parse(c.emails), "a@x.com")); got != c.want {
			t.Errorf("%s: got %s, want %s", c.emails, got, c.want)
		}
	}
}

func TestBackendFilter(t *testing.T) {
	cases := []struct {
		rt           dialects.ResourceType
		filter, sent string
		exact        bool
	}{
		{dialects.User, `userName eq "a@x.com"`, `userName eq "a@x.com"`, true},
		{dialects.User, `emails.value eq "a@x.com"`, `email eq "a@x.com"`, true},
		{dialects.User, `emails[value eq "a@x.com"]`, `email eq "a@x.com"`, true},
		{dialects.User, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`, `manager eq "m"`, true},
		{dialects.User, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division eq "EMEA"`, `division eq "EMEA"`, true},
		{dialects.User, `active eq false`, `active eq false`, true},
		{dialects.User, `title eq "x" and externalId eq "e" and userName eq "u@x.com"`, `userName eq "u@x.com"`, false},
		{dialects.User, `division eq "x"`, ``, false},
		{dialects.User, `userName sw "a"`, ``, false},
		{dialects.User, `userName eq "a" or userName eq "b"`, ``, false},
		{dialects.User, `displayName eq "A"`, ``, false},
		{dialects.User, `active eq "false"`, ``, false},
		{dialects.Group, `displayName eq "Support"`, `displayName eq "Support"`, true},
		{dialects.Group, `userName eq "a"`, ``, false},
	}
	for _, c := range cases {
		f, err := scim.ParseFilter(c.filter)
		if err != nil {
			t.Fatal(err)
		}
		name, v, exact := backendFilter(c.rt, f)
		got := ""
		if name != "" {
			got = name + " eq " + v.Raw
		}
		if got != c.sent || exact != c.exact {
			t.Errorf("%s: got %q exact=%v, want %q exact=%v", c.filter, got, exact, c.sent, c.exact)
		}
	}
}

func TestUserBack(t *testing.T) {
	d := &dialect{rolesBack: map[string]string{"Master Admin": "admin"}, nameFromDisplay: true}
	out, err := d.userBack([]byte(`{"displayName":"Anna Maria de Vries","roles":["Master Admin","employee"],"emails":[{"value":"a@x.com","type":"other"},{"value":"w@x.com","type":"work"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	doc := gjson.ParseBytes(out)
	if doc.Get("roles").Raw != `[{"value":"admin"},{"value":"employee"}]` {
		t.Errorf("roles %s", doc.Get("roles").Raw)
	}
	if doc.Get("emails.0.primary").Raw != "true" || doc.Get("emails.1.primary").Exists() {
		t.Errorf("emails %s", doc.Get("emails").Raw)
	}
	if doc.Get("name.givenName").String() != "Anna Maria de" || doc.Get("name.familyName").String() != "Vries" || doc.Get("name.formatted").String() != "Anna Maria de Vries" {
		t.Errorf("name %s", doc.Get("name").Raw)
	}
}

// The emulator refuses what Genesys Cloud refuses.
func TestEmulatorIsStrict(t *testing.T) {
	srv := httptest.NewServer(NewEmulator())
	defer srv.Close()
	do := func(method, path, body string, header ...string) (int, http.Header, gjson.Result) {
		t.Helper()
		r := conformance.Do(t, srv.URL+BasePath, method, path, "", body, append([]string{"Authorization", "Bearer " + dialects.EmulatorToken}, header...)...)
		return r.Status, r.Header, r.JSON
	}
	status, h, user := do("POST", "/users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x.com","displayName":"A"}`)
	if status != 201 || h.Get("ETag") != `"1"` || user.Get("roles.0.value").String() != "employee" || user.Get("emails.0.type").String() != "other" {
		t.Fatalf("create: %d %s", status, user.Raw)
	}
	id := user.Get("id").String()
	q := url.QueryEscape
	refused := []struct {
		name, method, path, body string
		status                   int
	}{
		{"upper-case path", "GET", "/Users", "", 404},
		{"name", "POST", "/users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@x.com","displayName":"B","name":{"givenName":"B"}}`, 400},
		{"userName not an email", "POST", "/users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","displayName":"B"}`, 400},
		{"no displayName", "POST", "/users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@x.com"}`, 400},
		{"the userName email", "POST", "/users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@x.com","displayName":"B","emails":[{"value":"b@x.com","type":"work"}]}`, 400},
		{"a home email", "POST", "/users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@x.com","displayName":"B","emails":[{"value":"h@x.com","type":"home"}]}`, 400},
		{"a local phone number", "POST", "/users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@x.com","displayName":"B","phoneNumbers":[{"value":"555 0100","type":"work"}]}`, 400},
		{"a fax", "POST", "/users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@x.com","displayName":"B","phoneNumbers":[{"value":"+31205550100","type":"fax"}]}`, 400},
		{"roles as strings", "POST", "/users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@x.com","displayName":"B","roles":["admin"]}`, 400},
		{"group create", "POST", "/groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G"}`, 405},
		{"PatchOp without schemas", "PATCH", "/users/" + id, `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`, 400},
		{"PatchOp with Replace", "PATCH", "/users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"title","value":"x"}]}`, 400},
		{"two conditions", "GET", "/users?filter=" + q(`userName eq "a@x.com" and active eq true`), "", 400},
		{"sw", "GET", "/users?filter=" + q(`userName sw "a"`), "", 400},
		{"unknown filter name", "GET", "/users?filter=" + q(`title eq "x"`), "", 400},
		{"count above 25", "GET", "/users?count=26", "", 429},
		{"stale If-Match", "PUT", "/users/" + id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x.com","displayName":"A"}`, 400},
	}
	for _, c := range refused {
		var header []string
		if c.name == "stale If-Match" {
			header = []string{"If-Match", `"7"`}
		}
		status, _, b := do(c.method, c.path, c.body, header...)
		if status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, status, c.status, b.Raw)
		}
		if c.name == "stale If-Match" && b.Get("scimType").String() != "invalidVers" {
			t.Errorf("stale If-Match: %s", b.Raw)
		}
		if c.status == 429 && b.Get("status").Type != gjson.Number {
			t.Errorf("429 without the platform body: %s", b.Raw)
		}
	}
	// Without a filter only active users are listed.
	do("PATCH", "/users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`)
	if _, _, list := do("GET", "/users", ""); list.Get("totalResults").Int() != 0 {
		t.Fatalf("an inactive user is listed by default: %s", list.Raw)
	}
	if _, _, list := do("GET", "/users?filter="+q("active eq false"), ""); list.Get("totalResults").Int() != 1 {
		t.Fatalf("active eq false: %s", list.Raw)
	}
	if _, _, list := do("GET", "/users?filter="+q("email eq a@x.com"), ""); list.Get("totalResults").Int() != 1 {
		t.Fatalf("email eq, unquoted: %s", list.Raw)
	}
}
