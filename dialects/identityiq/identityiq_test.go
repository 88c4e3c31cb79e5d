package identityiq

import (
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects/conformance"

	"github.com/scimgw/scimgw/mappings/scim"
)

func TestCoerce(t *testing.T) {
	in := `{"active":"True","emails":[{"value":"a","primary":"true"},{"value":"b","primary":"false"},{"value":"c","primary":true}],
		"urn:ietf:params:scim:schemas:sailpoint:1.0:User":{"isManager":"false","capabilities":"[\"SystemAdministrator\",\"HelpDesk\"]","lastRefresh":"2022-02-11"},
		"meta":{"version":"W\"1644561244074\""}}`
	out, version := coerce([]byte(in))
	doc := gjson.ParseBytes(out)
	switch {
	case doc.Get("active").Type != gjson.True || doc.Get("emails.#.primary").Raw != `[true,false,true]`:
		t.Fatalf("booleans: %s", out)
	case doc.Get(extKey+".isManager").Type != gjson.False || doc.Get(extKey+".capabilities").Raw != `["SystemAdministrator","HelpDesk"]`:
		t.Fatalf("extension: %s", out)
	case doc.Get(extKey+".lastRefresh").String() != "2022-02-11":
		t.Fatalf("lastRefresh changed: %s", out)
	case version != `W/"1644561244074"` || doc.Get("meta.version").String() != version:
		t.Fatalf("version %q: %s", version, out)
	}
	// Well-formed values are left alone.
	good := `{"active":false,"emails":[{"primary":true}],"meta":{"version":"W/\"7\""}}`
	if out, v := coerce([]byte(good)); string(out) != good || v != `W/"7"` {
		t.Fatalf("changed a well-formed user: %s %s", out, v)
	}
}

// FuzzCoerce: any JSON object stays valid JSON.
func FuzzCoerce(f *testing.F) {
	f.Add(`{"active":"true","meta":{"version":"W\"1\""}}`)
	f.Add(`{"urn:ietf:params:scim:schemas:sailpoint:1.0:User":{"capabilities":"[1,2]"}}`)
	f.Fuzz(func(t *testing.T, s string) {
		if !gjson.Valid(s) || !gjson.Parse(s).IsObject() {
			return
		}
		if out, _ := coerce([]byte(s)); !gjson.ValidBytes(out) {
			t.Fatalf("%s -> invalid %s", s, out)
		}
	})
}

func TestUserNameLookup(t *testing.T) {
	for filter, want := range map[string]string{`userName eq "ann"`: "ann", `USERNAME eq "Ann"`: "Ann", `userName sw "a"`: "", `userName eq "a" and active eq true`: "", `emails.value eq "a"`: ""} {
		f, _ := scim.ParseFilter(filter)
		got, ok := userNameLookup(f)
		if got != want || ok != (want != "") {
			t.Errorf("%s: %q %v", filter, got, ok)
		}
	}
}

// The emulator behaves like the documented API and refuses what it does not take.
func TestEmulator(t *testing.T) {
	srv := httptest.NewServer(NewEmulator())
	defer srv.Close()
	do := func(method, path, body, auth string) (int, gjson.Result) {
		t.Helper()
		if auth == "" {
			auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(EmulatorUser+":"+EmulatorPassword))
		}
		r := conformance.Do(t, srv.URL+BasePath, method, path, "", body, "Authorization", auth)
		return r.Status, r.JSON
	}
	status, u := do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:sailpoint:1.0:User"],"userName":"ann","emails":[{"value":"a@x.com","primary":true}],"urn:ietf:params:scim:schemas:sailpoint:1.0:User":{"capabilities":["HelpDesk"]}}`, "")
	id := u.Get("id").String()
	switch {
	case status != 201:
		t.Fatalf("create: %d %s", status, u.Raw)
	case u.Get("emails.0.primary").Raw != `"true"` || u.Get("active").Raw != `"true"` || u.Get(extKey+".isManager").Raw != `"false"`:
		t.Fatalf("string booleans: %s", u.Raw)
	case u.Get(extKey+".capabilities").Raw != `"[\"HelpDesk\"]"`:
		t.Fatalf("capabilities: %s", u.Raw)
	case u.Get("meta.version").String() != `W"1"` || u.Get(extKey+".roles").Exists():
		t.Fatalf("version or roles: %s", u.Raw)
	}
	if _, u := do("GET", "/Users/"+id+"?attributes=urn:ietf:params:scim:schemas:sailpoint:1.0:User:roles", "", ""); !strings.Contains(u.Get(extKey+".roles.0.$ref").String(), "/iiq/scim/v2/Roles/") {
		t.Fatalf("roles on request: %s", u.Raw)
	}
	if _, u := do("GET", "/Users/ann?lookupByName=true", "", ""); u.Get("id").String() != id {
		t.Fatalf("lookupByName: %s", u.Raw)
	}
	if _, l := do("GET", "/Users", "", ""); l.Get("itemsPerPage").Exists() || l.Get("totalResults").Int() != 1 {
		t.Fatalf("list: %s", l.Raw)
	}
	for _, c := range []struct {
		name, method, path, body, auth string
		status                         int
	}{
		{"PATCH", "PATCH", "/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`, "", 405},
		{"externalId", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","externalId":"x"}`, "", 400},
		{"title", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","title":"x"}`, "", 400},
		{"read-only roles", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:sailpoint:1.0:User"],"userName":"b","urn:ietf:params:scim:schemas:sailpoint:1.0:User":{"roles":[]}}`, "", 400},
		{"costcenter not an array", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:sailpoint:1.0:User"],"userName":"b","urn:ietf:params:scim:schemas:sailpoint:1.0:User":{"costcenter":"x"}}`, "", 400},
		{"userName change", "PUT", "/Users/" + id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"anna"}`, "", 400},
		{"no groups", "GET", "/Groups", "", "", 404},
		{"wrong password", "GET", "/Users", "", "Basic d3Jvbmc6d3Jvbmc=", 401},
		{"409", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ANN"}`, "", 409},
	} {
		if status, body := do(c.method, c.path, c.body, c.auth); status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, status, c.status, body.Raw)
		}
	}
}
