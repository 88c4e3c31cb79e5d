package workspace

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/conformance"
	"github.com/scimgw/scimgw/dialects/emulator"
)

// serveEmulator serves an emulator whose lists count from base, and
// returns it and a function that sends it a request with its token.
func serveEmulator(t *testing.T, base int) (*emulator.Server, func(method, path, body string) (int, gjson.Result)) {
	emu := NewEmulator(base)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, func(method, path, body string) (int, gjson.Result) {
		t.Helper()
		r := conformance.Do(t, srv.URL+BasePath, method, path, "", body, "Authorization", "Bearer "+dialects.EmulatorToken)
		return r.Status, r.JSON
	}
}

// The emulator must refuse what a real SCIM 1.1 Workspace ONE refuses, so
// that a gateway test cannot pass by sending SCIM 2.0 by accident.
func TestEmulatorIsStrictSCIM11(t *testing.T) {
	emu, do := serveEmulator(t, 0)
	const user = `{"schemas":["urn:scim:schemas:core:1.0","urn:scim:schemas:extension:workspace:1.0"],"userName":"a@x.com","externalId":"e1",
		"name":{"givenName":"A","familyName":"B"},"emails":[{"value":"a@x.com","primary":true}],
		"urn:scim:schemas:extension:workspace:1.0":{"internalUserType":"PROVISIONED","domain":"example.com"}}`
	status, body := do("POST", "/Users?sendMail=false", user)
	if status != 201 || body.Get(`urn:scim:schemas:extension:workspace:1\.0.firstLoginUrl`).String() == "" || body.Get("meta.resourceType").Exists() {
		t.Fatalf("create: %d %s", status, body.Raw)
	}
	id := body.Get("id").String()
	refused := []struct {
		name, method, path, body string
		status                   int
	}{
		{"SCIM 2.0 core URN", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b"}`, 400},
		{"no schemas", "POST", "/Users", `{"userName":"b"}`, 400},
		{"SCIM 2.0 extension key", "POST", "/Users", `{"schemas":["urn:scim:schemas:core:1.0"],"userName":"b","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{}}`, 400},
		{"SCIM 2.0 manager.value", "POST", "/Users", `{"schemas":["urn:scim:schemas:core:1.0"],"userName":"b","urn:scim:schemas:extension:enterprise:1.0":{"manager":{"value":"x"}}}`, 400},
		{"timezone spelled the 2.0 way", "POST", "/Users", `{"schemas":["urn:scim:schemas:core:1.0"],"userName":"c","timezone":"UTC"}`, 400},
		{"two emails for a provisioned user", "POST", "/Users", strings.Replace(strings.Replace(user, `"a@x.com","primary":true}`, `"a@x.com","primary":true},{"value":"z@x.com"}`, 1), `"userName":"a@x.com"`, `"userName":"d@x.com"`, 1), 400},
		{"provisioned user without externalId", "POST", "/Users", strings.Replace(strings.Replace(user, `"externalId":"e1",`, "", 1), `"userName":"a@x.com"`, `"userName":"e@x.com"`, 1), 400},
		{"duplicate userName", "POST", "/Users", user, 409},
		{"roles set on a user", "POST", "/Users", `{"schemas":["urn:scim:schemas:core:1.0"],"userName":"f","roles":[{"value":"r"}]}`, 400},
		{"active as a string", "POST", "/Users", `{"schemas":["urn:scim:schemas:core:1.0"],"userName":"g","active":"true"}`, 400},
		{"emails as an object", "POST", "/Users", `{"schemas":["urn:scim:schemas:core:1.0"],"userName":"h","emails":{"value":"h@x.com"}}`, 400},
		{"two primary phone numbers", "POST", "/Users", `{"schemas":["urn:scim:schemas:core:1.0"],"userName":"i","phoneNumbers":[{"value":"1","primary":true},{"value":"2","primary":true}]}`, 400},
		{"an attribute outside the schema", "POST", "/Users", `{"schemas":["urn:scim:schemas:core:1.0"],"userName":"j","shoeSize":44}`, 400},
		{"an extension not listed in schemas", "POST", "/Users", `{"schemas":["urn:scim:schemas:core:1.0"],"userName":"k","urn:scim:schemas:extension:enterprise:1.0":{"employeeNumber":"1"}}`, 400},
		{"PATCH: title as a number", "PATCH", "/Users/" + id, `{"schemas":["urn:scim:schemas:core:1.0"],"title":7}`, 400},
		{"PATCH: a second primary email", "PATCH", "/Users/" + id, `{"schemas":["urn:scim:schemas:core:1.0"],"emails":[{"value":"q@x.com","primary":true}]}`, 400},
		{"PATCH: unknown operation mark", "PATCH", "/Users/" + id, `{"schemas":["urn:scim:schemas:core:1.0"],"phoneNumbers":[{"value":"1","operation":"erase"}]}`, 400},
		{"PUT", "PUT", "/Users/" + id, user, 405},
		{"PatchOp body", "PATCH", "/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"x"}]}`, 400},
		{"ne filter", "GET", "/Users?filter=" + url.QueryEscape(`userName ne "x"`), "", 400},
		{"pr filter", "GET", "/Users?filter=" + url.QueryEscape(`title pr`), "", 400},
		{"value filter", "GET", "/Users?filter=" + url.QueryEscape(`emails[type eq "work"]`), "", 400},
		{"negative startIndex", "GET", "/Users?startIndex=-1", "", 404},
		{"count not a number", "GET", "/Users?count=ten", "", 404},
		{"bad sortBy", "GET", "/Users?sortBy=urn:ietf:params:scim:schemas:core:2.0:User:userName", "", 404},
	}
	stateful := map[string]bool{"two emails for a provisioned user": true, "provisioned user without externalId": true, "PATCH: a second primary email": true}
	for _, c := range refused {
		if status, body := do(c.method, c.path, c.body); status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, status, c.status, body.Raw)
		}
		// What the server refuses as a body, the wire check refuses too
		// (but for rules that need the stored user or Vendor.Check).
		rec := emulator.Recorded{Method: c.method, Path: BasePath + strings.Split(c.path, "?")[0], Body: c.body}
		if c.status == 400 && c.body != "" && !stateful[c.name] && emu.CheckWire(rec) == nil {
			t.Errorf("%s: CheckWire passed what the server refuses", c.name)
		}
	}
	if err := emu.CheckWire(emulator.Recorded{Method: "POST", Path: BasePath + "/Users", Body: user}); err != nil {
		t.Errorf("CheckWire refused a valid create: %v", err)
	}
	if err := emu.CheckState(); err != nil {
		t.Errorf("state: %v", err)
	}
	// Errors come in Workspace ONE's two shapes.
	if _, body := do("GET", "/Users/nope", ""); body.Get("Errors.0.code").String() != "404" {
		t.Errorf("404 body: %s", body.Raw)
	}
	if _, body := do("POST", "/Users", user); body.Get("errors.0.message").String() == "" {
		t.Errorf("409 body: %s", body.Raw)
	}
	// A partial-resource PATCH answers 204; lists count from the base.
	if status, _ := do("PATCH", "/Users/"+id, `{"schemas":["urn:scim:schemas:core:1.0"],"nickName":"N","name":{"middleName":"M"}}`); status != 204 {
		t.Fatalf("PATCH: %d", status)
	}
	if status, body := do("PATCH", "/Users/"+id, `{"schemas":["urn:scim:schemas:core:1.0"],"title":"T","meta":{"attributes":["nickName","name.middleName"]}}`); status != 204 {
		t.Fatalf("PATCH: %d %s", status, body.Raw)
	}
	if status, _ := do("PATCH", "/Users/"+id, `{"schemas":["urn:scim:schemas:core:1.0"],"meta":{"attributes":["name.givenName"]}}`); status != 400 {
		t.Fatalf("a provisioned user lost its givenName: %d", status)
	}
	_, got := do("GET", "/Users/"+id, "")
	if got.Get("title").String() != "T" || got.Get("nickName").Exists() || got.Get("name.middleName").Exists() || got.Get("name.givenName").String() != "A" {
		t.Fatalf("PATCH not applied: %s", got.Raw)
	}
	if _, list := do("GET", "/Users?startIndex=0&count=1", ""); list.Get("startIndex").Int() != 0 || list.Get("Resources.#").Int() != 1 || list.Get("schemas.0").String() != "urn:scim:schemas:core:1.0" {
		t.Fatalf("list: %s", list.Raw)
	}
}

func TestEmulatorOAuth(t *testing.T) {
	srv := httptest.NewServer(NewEmulator(1))
	defer srv.Close()
	token := func(id, secret string) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+TokenPath, strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, gjson.GetBytes(b, "access_token").String()
	}
	if status, _ := token(EmulatorClientID, "wrong"); status != 401 {
		t.Fatalf("wrong secret: %d", status)
	}
	status, tok := token(EmulatorClientID, EmulatorClientSecret)
	if status != 200 || tok == "" {
		t.Fatalf("token: %d %q", status, tok)
	}
	for auth, want := range map[string]int{"Bearer " + tok: 200, "Bearer not-issued": 401, "": 401} {
		req, _ := http.NewRequest("GET", srv.URL+BasePath+"/Users", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%q: %d, want %d", auth, resp.StatusCode, want)
		}
		if want == 401 && gjson.GetBytes(b, "errors.0.code").String() != "forbidden" {
			t.Errorf("401 body: %s", b)
		}
	}
}

// /Roles is as strict as Workspace ONE: SCIM 1.1 member PATCHes only,
// answered 204, with delete marks to remove; unknown roles 404, unknown
// users 400; a user's roles show on the user.
func TestEmulatorRoles(t *testing.T) {
	emu, do := serveEmulator(t, 1)
	emu.Seed("Users", map[string]any{"userName": "a"})
	uid := ""
	for id := range emu.All("Users") {
		uid = id
	}
	member := func(op string) string {
		m := `{"value":"` + uid + `","type":"User"` + op + `}`
		return `{"schemas":["urn:scim:schemas:core:1.0"],"members":[` + m + `]}`
	}
	status, list := do("GET", "/Roles", "")
	if status != 200 || list.Get("totalResults").Int() != 4 || list.Get("startIndex").Int() != 1 || list.Get("Resources.1.displayName").String() != "Super Admin" {
		t.Fatalf("list: %d %s", status, list.Raw)
	}
	if _, l := do("GET", "/Roles?filter="+url.QueryEscape(`displayName eq "super admin"`), ""); l.Get("totalResults").Int() != 1 {
		t.Fatalf("filtered: %s", l.Raw)
	}
	roleNames := func() string {
		_, u := do("GET", "/Users/"+uid, "")
		return u.Get("roles.#.display").Raw
	}
	if status, _ := do("PATCH", "/Roles/"+SuperAdminRoleID, member("")); status != 204 || roleNames() != `["User","Super Admin"]` {
		t.Fatalf("add: %d, roles %s", status, roleNames())
	}
	if _, r := do("GET", "/Roles/"+SuperAdminRoleID, ""); r.Get("members.0.value").String() != uid {
		t.Fatalf("role: %s", r.Raw)
	}
	if status, _ := do("PATCH", "/Roles/"+SuperAdminRoleID, member(`,"operation":"delete"`)); status != 204 || roleNames() != `["User"]` {
		t.Fatalf("remove: %d, roles %s", status, roleNames())
	}
	for _, c := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"unknown role", "PATCH", "/Roles/nope", member(""), 404},
		{"unknown role read", "GET", "/Roles/nope", "", 404},
		{"unknown user", "PATCH", "/Roles/" + SuperAdminRoleID, strings.Replace(member(""), uid, "nobody", 1), 400},
		{"a PatchOp", "PATCH", "/Roles/" + SuperAdminRoleID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"` + uid + `"}]}]}`, 400},
		{"no schemas", "PATCH", "/Roles/" + SuperAdminRoleID, `{"members":[{"value":"` + uid + `"}]}`, 400},
		{"renaming a role", "PATCH", "/Roles/" + SuperAdminRoleID, `{"schemas":["urn:scim:schemas:core:1.0"],"displayName":"x"}`, 400},
		{"an unknown mark", "PATCH", "/Roles/" + SuperAdminRoleID, member(`,"operation":"remove"`), 400},
		{"the default role", "PATCH", "/Roles/" + UserRoleID, member(""), 400},
		{"creating a role", "POST", "/Roles", `{"schemas":["urn:scim:schemas:core:1.0"],"displayName":"x"}`, 405},
		{"deleting a role", "DELETE", "/Roles/" + SuperAdminRoleID, "", 405},
		{"a filter it does not take", "GET", "/Roles?filter=" + url.QueryEscape(`displayName co "Admin"`), "", 400},
	} {
		if status, body := do(c.method, c.path, c.body); status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, status, c.status, body.Raw)
		}
		if c.status == 400 && c.body != "" && c.name != "unknown user" && c.name != "the default role" &&
			emu.CheckWire(emulator.Recorded{Method: c.method, Path: BasePath + c.path, Body: c.body}) == nil {
			t.Errorf("%s: CheckWire passed what the server refuses", c.name)
		}
	}
	if err := emu.CheckWire(emulator.Recorded{Method: "PATCH", Path: BasePath + "/Roles/" + SuperAdminRoleID, Body: member(`,"operation":"delete"`)}); err != nil {
		t.Errorf("CheckWire refused a valid PATCH: %v", err)
	}
}

// FuzzRolesPatch: the emulator's reading of a Role PATCH never panics, and
// what it accepts names a user in every member.
func FuzzRolesPatch(f *testing.F) {
	f.Add([]byte(`{"schemas":["urn:scim:schemas:core:1.0"],"members":[{"value":"u1","type":"User","operation":"delete"}]}`))
	f.Add([]byte(`{"schemas":["urn:scim:schemas:core:1.0"],"members":[]}`))
	f.Add([]byte(`{"schemas":["urn:scim:schemas:core:1.0"],"displayName":"x"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ms, err := readPatch(body)
		if err != nil {
			return
		}
		if len(ms) == 0 {
			t.Fatal("accepted a PATCH that changes nothing")
		}
		for _, m := range ms {
			if m.value == "" {
				t.Fatalf("accepted a member without a user: %s", body)
			}
		}
	})
}
