package firehydrant

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/conformance"
)

// The emulator refuses what FireHydrant's API does not take.
func TestEmulatorIsStrict(t *testing.T) {
	srv := httptest.NewServer(NewEmulator(""))
	defer srv.Close()
	do := func(method, path, body, ct string) (int, gjson.Result) {
		t.Helper()
		r := conformance.Do(t, srv.URL+BasePath, method, path, "", body, "Authorization", "Bearer "+dialects.EmulatorToken, "Content-Type", ct)
		return r.Status, r.JSON
	}
	const scimJSON = "application/scim+json"
	status, u := do("POST", "/Users", `{"userName":"a@x.com","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"a@x.com","primary":true}],"roles":["member"]}`, scimJSON)
	if status != 201 || u.Get("schemas").Exists() || u.Get("meta").Exists() || !u.Get("active").Bool() {
		t.Fatalf("create: %d %s", status, u.Raw)
	}
	id := u.Get("id").String()
	status, g := do("POST", "/Groups", `{"displayName":"SRE","members":[]}`, scimJSON)
	gid := g.Get("id").String()
	if status != 201 {
		t.Fatalf("team: %d %s", status, g.Raw)
	}
	for _, c := range []struct {
		name, method, path, body, ct string
		status                       int
	}{
		{"application/json", "POST", "/Users", `{"userName":"b@x.com"}`, "application/json", 415},
		{"schemas", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@x.com","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"b@x.com","primary":true}]}`, scimJSON, 400},
		{"active on create", "POST", "/Users", `{"userName":"b@x.com","active":true,"name":{"givenName":"A","familyName":"B"},"emails":[{"value":"b@x.com","primary":true}]}`, scimJSON, 400},
		{"externalId", "POST", "/Users", `{"userName":"b@x.com","externalId":"e","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"b@x.com","primary":true}]}`, scimJSON, 400},
		{"no family name", "POST", "/Users", `{"userName":"b@x.com","name":{"givenName":"A"},"emails":[{"value":"b@x.com","primary":true}]}`, scimJSON, 400},
		{"email without primary", "POST", "/Users", `{"userName":"b@x.com","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"b@x.com"}]}`, scimJSON, 400},
		{"role object", "POST", "/Users", `{"userName":"b@x.com","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"b@x.com","primary":true}],"roles":[{"value":"member"}]}`, scimJSON, 400},
		{"unknown role", "POST", "/Users", `{"userName":"b@x.com","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"b@x.com","primary":true}],"roles":["admin"]}`, scimJSON, 400},
		{"duplicate", "POST", "/Users", `{"userName":"A@x.com","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"a@x.com","primary":true}]}`, scimJSON, 422},
		{"password on PUT", "PUT", "/Users/" + id, `{"userName":"a@x.com","password":"p","name":{"givenName":"A","familyName":"B"}}`, scimJSON, 400},
		{"userName change", "PUT", "/Users/" + id, `{"userName":"c@x.com","name":{"givenName":"A","familyName":"B"}}`, scimJSON, 400},
		{"PATCH without path", "PATCH", "/Users/" + id, `{"Operations":[{"op":"replace","value":{"active":false}}]}`, scimJSON, 400},
		{"PATCH with Replace", "PATCH", "/Users/" + id, `{"Operations":[{"op":"Replace","path":"active","value":false}]}`, scimJSON, 400},
		{"Team PATCH", "PATCH", "/Groups/" + gid, `{"Operations":[{"op":"add","path":"members","value":[{"value":"x"}]}]}`, scimJSON, 405},
		{"Team without members", "POST", "/Groups", `{"displayName":"Ops"}`, scimJSON, 400},
		{"filter sw", "GET", "/Users?filter=" + url.QueryEscape(`userName sw "a"`), "", "", 400},
		{"filter on name", "GET", "/Users?filter=" + url.QueryEscape(`name.familyName eq "B"`), "", "", 400},
	} {
		if status, body := do(c.method, c.path, c.body, c.ct); status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, status, c.status, body.Raw)
		}
	}
	if _, e := do("POST", "/Users", `{"userName":"b@x.com","name":{"givenName":"A"},"emails":[]}`, scimJSON); e.Get("detail").String() == "" || !e.Get("messages").IsArray() {
		t.Errorf("error body: %s", e.Raw)
	}
	if _, l := do("GET", "/Users?filter="+url.QueryEscape("email eq a@x.com"), "", ""); l.Get("totalResults").Int() != 1 {
		t.Errorf("email eq, unquoted: %s", l.Raw)
	}
	// DELETE deactivates.
	if status, _ := do("DELETE", "/Users/"+id, "", ""); status != 204 {
		t.Fatalf("delete: %d", status)
	}
	if _, u := do("GET", "/Users/"+id, "", ""); u.Get("active").Type != gjson.False {
		t.Fatalf("after delete: %s", u.Raw)
	}
}
