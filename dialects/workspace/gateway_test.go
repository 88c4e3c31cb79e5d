package workspace_test

import (
	"encoding/json"
	"github.com/scimgw/scimgw/gateway/gatewaytest"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/dialects/workspace"
)

const wsToken = "ws-token-123456"

// workspaceConfig has one emulated Workspace ONE tenant "ws", reached with
// OAuth client credentials at the vendor's token path.
func workspaceConfig(options string) string {
	return gatewaytest.OAuthTenant("ws", "workspace", wsToken, "/SAAS/auth/oauthtoken", options, gatewaytest.QuickRetry)
}

func newWorkspace(t *testing.T, options string) *harness {
	t.Helper()
	return newH(t, workspaceConfig(options))
}

func (h *harness) ws(method, path, body string, headers ...string) gatewaytest.Response {
	h.T.Helper()
	return h.Do(method, "/ws/scim/v2"+path, wsToken, body, headers...)
}

// enterpriseUser is what Entra ID sends for a user with the enterprise
// extension, a manager, two emails and a time zone.
func enterpriseUser(managerID string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
 "externalId":"8f1c2d3e-aaaa-4bbb-8ccc-000000000042","userName":"bjensen@example.com","active":true,
 "name":{"formatted":"Ms. Barbara J Jensen","givenName":"Barbara","middleName":"Jane","familyName":"Jensen"},
 "displayName":"Babs Jensen","title":"Tour Guide","preferredLanguage":"en-US","locale":"en-US","timezone":"Europe/Amsterdam",
 "emails":[{"value":"babs@home.example","type":"home"},{"value":"bjensen@example.com","type":"work","primary":true}],
 "phoneNumbers":[{"value":"+31 20 555 0100","type":"work"}],
 "roles":[],
 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","department":"Tour Operations","costCenter":"4130",
   "manager":{"value":"` + managerID + `"}}}`
}

const managerUser = `{"userName":"kmanager@example.com","externalId":"m-1","name":{"givenName":"Kim","familyName":"Manager"},"emails":[{"value":"kmanager@example.com","primary":true}]}`

// The whole lifecycle of an enterprise user and a group, with the exact
// SCIM 1.1 requests Workspace ONE receives kept in a golden file.
func TestWorkspaceLifecycle(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com}`)
	emu := h.Emu("ws")
	var golden strings.Builder
	section := func(title string, mark int) {
		golden.WriteString("### " + title + "\n" + gatewaytest.Sent(emu, mark) + "\n")
	}

	mgr := h.ws("POST", "/Users", managerUser).WantStatus(t, 201).JSON.Get("id").String()

	// Create: 1.1 URNs, workspace extension from the options, manager.managerId,
	// timeZone, one email (the primary), sendMail=false.
	mark := len(emu.Requests())
	r := h.ws("POST", "/Users", enterpriseUser(mgr)).WantStatus(t, 201)
	section("create", mark)
	id := r.JSON.Get("id").String()
	ent := r.JSON.Get(`urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User`)
	wsExt := r.JSON.Get(`urn:scim:schemas:extension:workspace:1\.0`)
	switch {
	case r.Header.Get("Location") != "https://gw.example.com/ws/scim/v2/Users/"+id:
		t.Fatalf("Location %q", r.Header.Get("Location"))
	case ent.Get("manager.value").String() != mgr || ent.Get("manager.managerId").Exists():
		t.Fatalf("manager not mapped back: %s", ent.Raw)
	case r.JSON.Get("timezone").String() != "Europe/Amsterdam" || r.JSON.Get("timeZone").Exists():
		t.Fatalf("timezone not mapped back: %s", r.Body)
	case !strings.Contains(wsExt.Get("firstLoginUrl").String(), "/SAAS/auth/login/ota"):
		t.Fatalf("no firstLoginUrl in the workspace extension: %s", wsExt.Raw)
	case r.JSON.Get("emails.#").Int() != 1 || r.JSON.Get("emails.0.value").String() != "bjensen@example.com":
		t.Fatalf("emails: %s", r.JSON.Get("emails").Raw)
	case !strings.Contains(r.JSON.Get("schemas").Raw, `"urn:ietf:params:scim:schemas:core:2.0:User"`) || strings.Contains(r.JSON.Get("schemas").Raw, "core:1.0"):
		t.Fatalf("schemas: %s", r.JSON.Get("schemas").Raw)
	case r.Header.Get("ETag") == "" || r.JSON.Get("meta.version").String() != r.Header.Get("ETag"):
		t.Fatalf("ETag %q, meta.version %q", r.Header.Get("ETag"), r.JSON.Get("meta.version").String())
	}

	// PATCH that translates operation by operation: one PATCH, one read.
	mark = len(emu.Requests())
	r = h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[
		{"op":"Replace","path":"title","value":"Senior Tour Guide"},
		{"op":"replace","path":"name.givenName","value":"Babs"},
		{"op":"remove","path":"name.middleName"},
		{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"701985"},
		{"op":"replace","path":"active","value":"False"}]}`).WantStatus(t, 200)
	section("patch: operations that translate one by one", mark)
	if got := len(emu.Requests()) - mark; got != 2 {
		t.Fatalf("%d backend calls, want PATCH and GET", got)
	}
	if r.JSON.Get("title").String() != "Senior Tour Guide" || r.JSON.Get("name.middleName").Exists() || r.JSON.Get("active").Bool() ||
		r.JSON.Get(`urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User.employeeNumber`).String() != "701985" {
		t.Fatalf("patch result: %s", r.Body)
	}

	// PATCH with a value filter: read, apply, send the difference, read.
	mark = len(emu.Requests())
	r = h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[
		{"op":"replace","path":"emails[type eq \"work\"].value","value":"babs.jensen@example.com"},
		{"op":"add","path":"phoneNumbers","value":[{"value":"+31 6 5555 0101","type":"mobile"}]},
		{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"`+id+`"}}]}`).WantStatus(t, 200)
	section("patch: a value filter resolved against the current user", mark)
	if r.JSON.Get("emails.0.value").String() != "babs.jensen@example.com" || r.JSON.Get("phoneNumbers.#").Int() != 2 ||
		r.JSON.Get(`urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User.manager.value`).String() != id {
		t.Fatalf("patch result: %s", r.Body)
	}

	// PUT (Okta's profile update): read, PATCH the difference, read.
	mark = len(emu.Requests())
	r = h.ws("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"`+id+`","userName":"bjensen@example.com",
		"name":{"givenName":"Barbara","familyName":"Jensen-Smith"},"emails":[{"value":"bjensen@example.com","type":"work","primary":true}],
		"active":true,"timezone":"Europe/Paris","groups":[]}`).WantStatus(t, 200)
	section("replace", mark)
	stored := gjson.ParseBytes(emu.Resource("Users", id))
	switch {
	case r.JSON.Get("name.familyName").String() != "Jensen-Smith" || r.JSON.Get("title").Exists() || r.JSON.Get("phoneNumbers").Exists():
		t.Fatalf("replace result: %s", r.Body)
	case stored.Get("externalId").String() != "8f1c2d3e-aaaa-4bbb-8ccc-000000000042":
		t.Fatalf("externalId lost by a PUT without it: %s", stored.Raw)
	case stored.Get("timeZone").String() != "Europe/Paris" || !stored.Get("active").Bool():
		t.Fatalf("stored: %s", stored.Raw)
	}

	// Roles: assigned through /scim/Roles members, by name (Okta's and
	// Entra's role values) or id, and read back on the user.
	roleNames := func(r gatewaytest.Response) string {
		var names []string
		for _, ro := range r.JSON.Get("roles").Array() {
			names = append(names, ro.Get("display").String())
		}
		return strings.Join(names, ",")
	}
	mark = len(emu.Requests())
	r = h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"add","path":"roles","value":[{"value":"Super Admin"},{"display":"ReadOnly Admin"}]}]}`).WantStatus(t, 200)
	section("patch: roles added", mark)
	if roleNames(r) != "User,Super Admin,ReadOnly Admin" {
		t.Fatalf("roles: %s", r.Body)
	}
	mark = len(emu.Requests())
	r = h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"remove","path":"roles[value eq \"Super Admin\"]"}]}`).WantStatus(t, 200)
	section("patch: a role removed by name", mark)
	if roleNames(r) != "User,ReadOnly Admin" {
		t.Fatalf("roles: %s", r.Body)
	}
	// A PUT's roles are the user's roles (the default one stays); a PUT
	// without roles leaves them as they are.
	put := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
		"name":{"givenName":"Barbara","familyName":"Jensen-Smith"},"emails":[{"value":"bjensen@example.com","type":"work","primary":true}],
		"active":true,"timezone":"Europe/Paris"`
	mark = len(emu.Requests())
	r = h.ws("PUT", "/Users/"+id, put+`,"roles":[{"value":"`+workspace.SuperAdminRoleID+`"}]}`).WantStatus(t, 200)
	section("replace: roles", mark)
	if roleNames(r) != "User,Super Admin" {
		t.Fatalf("roles: %s", r.Body)
	}
	if r = h.ws("PUT", "/Users/"+id, put+`}`).WantStatus(t, 200); roleNames(r) != "User,Super Admin" {
		t.Fatalf("roles after a PUT without them: %s", r.Body)
	}

	// Groups: create, add and remove members, find, replace, delete.
	mark = len(emu.Requests())
	g := h.ws("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Tour Guides","members":[{"value":"`+mgr+`"}]}`).WantStatus(t, 201)
	gid := g.JSON.Get("id").String()
	h.ws("PATCH", "/Groups/"+gid, gatewaytest.PatchOp+`[{"op":"add","path":"members","value":[{"value":"`+id+`","display":"Babs"}]}]}`).WantStatus(t, 200)
	r = h.ws("PATCH", "/Groups/"+gid, gatewaytest.PatchOp+`[{"op":"remove","path":"members[value eq \"`+mgr+`\"]"}]}`).WantStatus(t, 200)
	if r.JSON.Get("members.#").Int() != 1 || r.JSON.Get("members.0.value").String() != id || r.JSON.Get("members.0.display").String() != "Babs" {
		t.Fatalf("members: %s", r.Body)
	}
	// Entra ID removes members with a value list.
	h.ws("PATCH", "/Groups/"+gid, gatewaytest.PatchOp+`[{"op":"Remove","path":"members","value":[{"value":"`+id+`"}]}]}`).WantStatus(t, 200)
	r = h.ws("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Tour Guides"`), "").WantStatus(t, 200)
	if r.JSON.Get("totalResults").Int() != 1 || r.JSON.Get("Resources.0.members").Exists() {
		t.Fatalf("group list: %s", r.Body)
	}
	r = h.ws("PUT", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Senior Tour Guides","members":[{"value":"`+id+`"},{"value":"`+mgr+`"}]}`).WantStatus(t, 200)
	if r.JSON.Get("displayName").String() != "Senior Tour Guides" || r.JSON.Get("members.#").Int() != 2 {
		t.Fatalf("group replace: %s", r.Body)
	}
	if h.ws("GET", "/Users/"+id, "").JSON.Get("groups.0.value").String() != gid {
		t.Fatal("the user's groups do not show the group")
	}
	h.ws("DELETE", "/Groups/"+gid, "").WantStatus(t, 204)
	section("groups", mark)

	mark = len(emu.Requests())
	h.ws("DELETE", "/Users/"+id, "").WantStatus(t, 204)
	h.ws("GET", "/Users/"+id, "").WantError(t, 404, "")
	section("delete", mark)
	if emu.Resource("Users", id) != nil {
		t.Fatal("user still stored")
	}
	gatewaytest.CheckGolden(t, "testdata/lifecycle.golden", golden.String())
}

func TestWorkspaceCreateOptions(t *testing.T) {
	t.Run("client's own extension wins; password means no link; attributes forwarded", func(t *testing.T) {
		h := newWorkspace(t, `{domain: example.com, send_mail: true}`)
		r := h.ws("POST", "/Users?attributes=externalId,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
			`{"userName":"a@example.com","externalId":"e","password":"s3cret-pass","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"a@example.com"}],
			"urn:scim:schemas:extension:workspace:1.0":{"domain":"other.example","internalUserType":"PROVISIONED"}}`).WantStatus(t, 201)
		req := h.Emu("ws").Requests()[0]
		q, _ := url.ParseQuery(req.Query)
		if q.Get("sendMail") != "true" || q.Get("attributes") != "externalId,urn:scim:schemas:extension:enterprise:1.0:manager.managerId" {
			t.Fatalf("query %q", req.Query)
		}
		if gjson.Get(req.Body, `urn:scim:schemas:extension:workspace:1\.0.domain`).String() != "other.example" {
			t.Fatalf("body %s", req.Body)
		}
		if r.JSON.Get("externalId").String() != "e" || r.JSON.Get("name").Exists() || r.JSON.Get("id").String() == "" {
			t.Fatalf("answer %s", r.Body)
		}
		// GET forwards ?attributes= too, translated.
		mark := len(h.Emu("ws").Requests())
		h.ws("GET", "/Users/"+r.JSON.Get("id").String()+"?attributes=timezone", "").WantStatus(t, 200)
		if q, _ := url.ParseQuery(h.Emu("ws").Requests()[mark].Query); q.Get("attributes") != "timeZone" {
			t.Fatalf("GET query %v", q)
		}
		// With a password there is no set-password link.
		r = h.ws("POST", "/Users", `{"userName":"b@example.com","password":"s3cret-pass","name":{"givenName":"A","familyName":"B"}}`).WantStatus(t, 201)
		if r.JSON.Get(`urn:scim:schemas:extension:workspace:1\.0.firstLoginUrl`).Exists() || r.JSON.Get("password").Exists() {
			t.Fatalf("answer %s", r.Body)
		}
	})
	t.Run("defaults fill what the client left out", func(t *testing.T) {
		h := newWorkspace(t, `{domain: example.com}`)
		h.ws("POST", "/Users", `{"userName":"kim@example.com","displayName":"Kim de Vries"}`).WantStatus(t, 201)
		body := gjson.Parse(h.Emu("ws").Requests()[0].Body)
		if body.Get("name.givenName").String() != "Kim de" || body.Get("name.familyName").String() != "Vries" ||
			body.Get("emails.0.value").String() != "kim@example.com" || body.Get("externalId").String() != "kim@example.com" ||
			body.Get(`urn:scim:schemas:extension:workspace:1\.0.internalUserType`).String() != "PROVISIONED" {
			t.Fatalf("body %s", body.Raw)
		}
	})
	gatewaytest.WantRefused(t, func(t *testing.T, o string) *gatewaytest.Harness { return newWorkspace(t, o).Harness }, "ws", wsToken, []gatewaytest.Refusal{
		{"extra emails refused", `{domain: example.com, extra_emails: reject}`,
			`{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"a@example.com"},{"value":"b@example.com"}]}`, "invalidValue"},
		{"no name", `{domain: example.com}`, `{"userName":"a@example.com"}`, "invalidValue"},
		{"no email", `{domain: example.com}`, `{"userName":"alice","name":{"givenName":"A","familyName":"B"}}`, "invalidValue"},
		{"externalId required", `{domain: example.com, external_id: require}`,
			`{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"}}`, "invalidValue"},
		{"roles refused", `{domain: example.com, roles: refuse}`,
			`{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"},"roles":[{"value":"Super Admin"}]}`, "mutability"},
	})
	t.Run("an unknown role", func(t *testing.T) {
		// Refused before anything is written: the gateway only reads the
		// roles (twice: the cached list, then a fresh one for the miss).
		h := newWorkspace(t, `{domain: example.com}`)
		emu := h.Emu("ws")
		h.ws("POST", "/Users", `{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"},"roles":[{"value":"admin"}]}`).WantError(t, 400, "invalidValue")
		if got := gatewaytest.Sent(emu, 0); strings.Count(got, "GET /SAAS/jersey/manager/api/scim/Roles") != 2 || strings.Contains(got, "POST") || strings.Contains(got, "PATCH") {
			t.Fatalf("sent:\n%s", got)
		}
	})
	t.Run("a local user needs none of it", func(t *testing.T) {
		h := newWorkspace(t, `{domain: example.com, internal_user_type: LOCAL}`)
		h.ws("POST", "/Users", `{"userName":"alice"}`).WantStatus(t, 201)
	})
}

// seedUsers creates users named u0..u(n-1) with titles t0, t1, t2, ...
func seedUsers(t *testing.T, h *harness, n int) []string {
	return seedUsersAs(t, h, "u", n)
}

func seedUsersAs(t *testing.T, h *harness, prefix string, n int) []string {
	var ids []string
	for i := range n {
		name := prefix + strconv.Itoa(i) + "@example.com"
		body := `{"userName":"` + name + `","name":{"givenName":"U","familyName":"` + strconv.Itoa(i) + `"},"title":"t` + strconv.Itoa(i%3) + `",
			"emails":[{"value":"` + name + `","type":"work","primary":true}],"timezone":"Zone` + strconv.Itoa(i%2) + `"}`
		ids = append(ids, h.ws("POST", "/Users", body).WantStatus(t, 201).JSON.Get("id").String())
	}
	return ids
}

func TestWorkspaceFilters(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com, start_index_base: "0", scan_limit: 8}`)
	emu := h.Emu("ws")
	seedUsers(t, h, 7)
	cases := []struct {
		filter, backend string // backend: the filter Workspace ONE received ("" none)
		ids             []string
	}{
		{`userName eq "u3@example.com"`, `userName eq "u3@example.com"`, []string{"u3"}},
		{`timezone eq "Zone1" and title sw "t1"`, `timeZone eq "Zone1" and title sw "t1"`, []string{"u1"}},
		{`title eq "t0" or title eq "t2"`, `title eq "t0" or title eq "t2"`, []string{"u0", "u2", "u3", "u5", "u6"}},
		// Evaluated by the gateway over a wider query:
		{`title eq "t1" and userName ne "u1@example.com"`, `title eq "t1"`, []string{"u4"}},
		{`userName ew "5@example.com"`, ``, []string{"u5"}},
		{`not (title eq "t0") and timezone eq "Zone0"`, `timeZone eq "Zone0"`, []string{"u2", "u4"}},
		{`emails[type eq "work" and value sw "u6"]`, `emails.type eq "work" and emails.value sw "u6"`, []string{"u6"}},
		{`nickName pr`, ``, nil},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			mark := len(emu.Requests())
			r := h.ws("GET", "/Users?filter="+url.QueryEscape(c.filter), "").WantStatus(t, 200)
			var got []string
			for _, u := range r.JSON.Get("Resources.#.userName").Array() {
				got = append(got, strings.TrimSuffix(u.String(), "@example.com"))
			}
			if strings.Join(got, ",") != strings.Join(c.ids, ",") || r.JSON.Get("totalResults").Int() != int64(len(c.ids)) {
				t.Fatalf("got %v (total %d), want %v", got, r.JSON.Get("totalResults").Int(), c.ids)
			}
			q, _ := url.ParseQuery(emu.Requests()[mark].Query)
			if q.Get("filter") != c.backend || q.Get("startIndex") != "0" {
				t.Fatalf("backend query %v", q)
			}
		})
	}
	t.Run("paging counts from 1 for the client, from 0 for the backend", func(t *testing.T) {
		mark := len(emu.Requests())
		r := h.ws("GET", "/Users?startIndex=3&count=2&sortBy=userName", "").WantStatus(t, 200)
		if r.JSON.Get("startIndex").Int() != 3 || r.JSON.Get("Resources.#.userName").String() != `["u2@example.com","u3@example.com"]` || r.JSON.Get("totalResults").Int() != 7 {
			t.Fatalf("page: %s", r.Body)
		}
		if q, _ := url.ParseQuery(emu.Requests()[mark].Query); q.Get("startIndex") != "2" || q.Get("count") != "2" || q.Get("sortBy") != "userName" {
			t.Fatalf("backend query %v", q)
		}
		// The same page of a gateway-evaluated filter.
		r = h.ws("GET", "/Users?startIndex=2&count=2&filter="+url.QueryEscape(`userName ne "u0@example.com"`), "").WantStatus(t, 200)
		if r.JSON.Get("startIndex").Int() != 2 || r.JSON.Get("Resources.#.userName").String() != `["u2@example.com","u3@example.com"]` || r.JSON.Get("totalResults").Int() != 6 {
			t.Fatalf("filtered page: %s", r.Body)
		}
	})
	t.Run("too wide to scan", func(t *testing.T) {
		seedUsersAs(t, h, "v", 2)
		h.ws("GET", "/Users?filter="+url.QueryEscape(`title ne "x"`), "").WantError(t, 400, "tooMany")
	})
	t.Run("the backend's 404 for paging is 400", func(t *testing.T) {
		emu.Inject(emulator.Fault{Method: "GET", Status: 404})
		r := h.ws("GET", "/Users?count=5", "").WantError(t, 400, "invalidValue")
		if !strings.Contains(r.JSON.Get("detail").String(), "paging") {
			t.Fatalf("detail: %s", r.Body)
		}
	})
	t.Run("filters on what Workspace ONE does not hold are refused", func(t *testing.T) {
		h.ws("GET", "/Users?filter="+url.QueryEscape(`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"`), "").WantError(t, 400, "invalidFilter")
	})
}

func TestWorkspaceVersions(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com}`)
	emu := h.Emu("ws")
	id := seedUsers(t, h, 1)[0]
	etag := h.ws("GET", "/Users/"+id, "").Header.Get("ETag")
	put := `{"userName":"u0@example.com","name":{"givenName":"U","familyName":"Zero"},"emails":[{"value":"u0@example.com","type":"work","primary":true}]}`

	// A stale If-Match: the replace is refused before anything is sent,
	// the PATCH (sent directly) by the backend; nothing changes.
	mark := len(emu.Requests())
	h.ws("PUT", "/Users/"+id, put, "If-Match", `W/"999"`).WantError(t, 412, "")
	for _, r := range emu.Requests()[mark:] {
		if r.Method == "PATCH" {
			t.Fatal("a write was sent despite a stale If-Match")
		}
	}
	h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"title","value":"x"}]}`, "If-Match", `W/"999"`).WantError(t, 412, "")
	if gjson.GetBytes(emu.Resource("Users", id), "title").String() != "t0" {
		t.Fatal("a write with a stale If-Match changed the user")
	}
	r := h.ws("PUT", "/Users/"+id, put, "If-Match", etag).WantStatus(t, 200)
	if r.Header.Get("ETag") == etag || r.JSON.Get("name.familyName").String() != "Zero" {
		t.Fatalf("replace: %s %s", r.Header.Get("ETag"), r.Body)
	}
	if h.ws("GET", "/Users/"+id, "", "If-None-Match", r.Header.Get("ETag")).Status != 304 {
		t.Fatal("If-None-Match with the current version should give 304")
	}

	// Another writer changes the user between the gateway's read and its
	// PATCH: the PATCH carries the version read, fails with 412, and the
	// gateway reads again and reapplies — nothing is overwritten.
	emu.Inject(emulator.Fault{Method: "PATCH", Status: 412})
	mark = len(emu.Requests())
	r = h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"emails[type eq \"work\"].value","value":"zero@example.com"}]}`).WantStatus(t, 200)
	var methods []string
	for _, rq := range emu.Requests()[mark:] {
		methods = append(methods, rq.Method)
		if rq.Method == "PATCH" && rq.Query != "" {
			t.Fatal("query on PATCH")
		}
	}
	if strings.Join(methods, " ") != "GET PATCH GET PATCH GET" || r.JSON.Get("emails.0.value").String() != "zero@example.com" {
		t.Fatalf("calls %v: %s", methods, r.Body)
	}
	// A client's own stale If-Match is not retried.
	emu.Inject(emulator.Fault{Method: "PATCH", Status: 412})
	h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"title","value":"y"}]}`, "If-Match", h.ws("GET", "/Users/"+id, "").Header.Get("ETag")).WantError(t, 412, "")
}

func TestWorkspaceErrors(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com}`)
	emu := h.Emu("ws")
	id := seedUsers(t, h, 1)[0]

	r := h.ws("POST", "/Users", `{"userName":"U0@example.com","name":{"givenName":"U","familyName":"0"}}`).WantError(t, 409, "uniqueness")
	h.WantBackendMessage(t, r, "already taken")
	r = h.ws("GET", "/Users/00000000-nope", "").WantError(t, 404, "")
	h.WantBackendMessage(t, r, "not found") // SCIM 1.1 Errors[] shape
	mark := len(emu.Requests())
	r = h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"roles","value":[{"value":"admin"}]}]}`).WantError(t, 400, "invalidValue")
	if !strings.Contains(r.JSON.Get("detail").String(), "Super Admin") {
		t.Fatalf("the detail names no role there is: %s", r.Body)
	}
	for _, rq := range emu.Requests()[mark:] {
		if rq.Method != "GET" {
			t.Fatalf("%s %s sent for an unknown role", rq.Method, rq.Path)
		}
	}
	h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"remove","path":"name.givenName"}]}`).WantStatus(t, 400)

	// A user synced from a directory cannot be changed through SCIM.
	req := httptest.NewRequest("POST", "/SAAS/jersey/manager/api/scim/Users", strings.NewReader(
		`{"schemas":["urn:scim:schemas:core:1.0","urn:scim:schemas:extension:workspace:1.0"],"userName":"ad.user",
		"urn:scim:schemas:extension:workspace:1.0":{"internalUserType":"LOCAL","domain":"corp.example","userStoreUuid":"19175b6d-a656-451a-9d25-b62e12d90a24"}}`))
	req.Header.Set("Authorization", "Bearer "+dialects.EmulatorToken)
	rec := httptest.NewRecorder()
	emu.ServeHTTP(rec, req)
	if rec.Code != 201 {
		t.Fatalf("seed directory user: %d %s", rec.Code, rec.Body)
	}
	var seeded struct{ ID string }
	json.Unmarshal(rec.Body.Bytes(), &seeded)
	r = h.ws("PATCH", "/Users/"+seeded.ID, gatewaytest.PatchOp+`[{"op":"replace","path":"title","value":"x"}]}`).WantError(t, 403, "")
	if d := r.JSON.Get("detail").String(); !strings.Contains(d, "synced into Workspace ONE") {
		t.Fatalf("403 detail: %s", d)
	}
	h.WantBackendMessage(t, r, "not a local user")
}

// OAuth: the gateway takes a token from Workspace ONE's token endpoint
// with client credentials sent as HTTP Basic, and never the static token.
func TestWorkspaceOAuth(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com}`)
	seedUsers(t, h, 1)
	for _, r := range h.Emu("ws").Requests() {
		if !strings.HasPrefix(r.Auth, "Bearer ") || strings.Contains(r.Auth, dialects.EmulatorToken) {
			t.Fatalf("backend saw Authorization %q", r.Auth)
		}
	}
	bad := strings.Replace(workspaceConfig(`{domain: example.com}`), "client_secret: emulator-client-secret", "client_secret: client-secret-xyz", 1)
	hb := newH(t, bad)
	hb.ws("GET", "/Users", "").WantError(t, 502, "")
}

func TestWorkspaceDiscovery(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com}`)
	r := h.ws("GET", "/ServiceProviderConfig", "").WantStatus(t, 200)
	if !r.JSON.Get("patch.supported").Bool() || !r.JSON.Get("filter.supported").Bool() || !r.JSON.Get("etag.supported").Bool() || !r.JSON.Get("sort.supported").Bool() {
		t.Fatalf("ServiceProviderConfig: %s", r.Body)
	}
	if h.ws("GET", "/ResourceTypes", "").JSON.Get("Resources.#").Int() != 2 {
		t.Fatal("Users and Groups expected")
	}
}

// A create whose answer is lost is found, not repeated; a PATCH whose answer
// is lost is not blindly sent again; reads are retried.
func TestWorkspaceNoLostOrDuplicateWrites(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com}`)
	emu := h.Emu("ws")
	emu.Inject(emulator.Fault{Method: "POST", After: true, Reset: true})
	r := h.ws("POST", "/Users", enterpriseUser("m-1")).WantStatus(t, 201)
	if emu.Count("Users") != 1 || r.JSON.Get("userName").String() != "bjensen@example.com" {
		t.Fatalf("%d users after a lost create answer: %s", emu.Count("Users"), r.Body)
	}
	id := r.JSON.Get("id").String()

	emu.Inject(emulator.Fault{Method: "GET", Status: 503, RetryAfter: "0"})
	h.ws("GET", "/Users/"+id, "").WantStatus(t, 200)

	mark := len(emu.Requests())
	emu.Inject(emulator.Fault{Method: "PATCH", After: true, Reset: true})
	h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"title","value":"T"}]}`).WantStatus(t, 502)
	patches := 0
	for _, rq := range emu.Requests()[mark:] {
		if rq.Method == "PATCH" {
			patches++
		}
	}
	if patches != 1 || gjson.GetBytes(emu.Resource("Users", id), "title").String() != "T" {
		t.Fatalf("%d PATCHes sent", patches)
	}
}

// harness is the gateway under test, with this file's tenant shortcuts.
type harness struct{ *gatewaytest.Harness }

func newH(t *testing.T, yaml string) *harness {
	t.Helper()
	return &harness{gatewaytest.New(t, yaml, wsToken, "s3cret-pass")}
}

// Roles on create, and a failure after the user was written: the answer
// says what was done and what was not, and the next PUT with the same
// roles finishes it.
func TestWorkspaceRoles(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com}`)
	emu := h.Emu("ws")
	user := func(name, roles string) string {
		return `{"userName":"` + name + `@example.com","name":{"givenName":"A","familyName":"B"},"roles":` + roles + `}`
	}
	r := h.ws("POST", "/Users", user("a", `[{"value":"Super Admin"}]`)).WantStatus(t, 201)
	id := r.JSON.Get("id").String()
	sent := gatewaytest.Sent(emu, 0)
	if r.JSON.Get("roles.#").Int() != 2 || r.JSON.Get("roles.1.value").String() != workspace.SuperAdminRoleID ||
		!strings.Contains(sent, "PATCH /SAAS/jersey/manager/api/scim/Roles/"+workspace.SuperAdminRoleID) {
		t.Fatalf("create: %s\nsent:\n%s", r.Body, sent)
	}
	for _, rq := range emu.Requests() {
		if rq.Method == "POST" && strings.Contains(rq.Body, "roles") {
			t.Fatalf("roles sent on the user: %s", rq.Body)
		}
	}

	// The role call fails after the user was created.
	emu.Inject(emulator.Fault{Method: "PATCH", Status: 500})
	r = h.ws("POST", "/Users", user("b", `[{"value":"Super Admin"}]`)).WantError(t, 500, "")
	detail := r.JSON.Get("detail").String()
	if !strings.Contains(detail, "was created") || !strings.Contains(detail, "not done: Super Admin (add)") {
		t.Fatalf("detail: %s", r.Body)
	}
	list := h.ws("GET", "/Users?filter="+url.QueryEscape(`userName eq "b@example.com"`), "").WantStatus(t, 200)
	bid := list.JSON.Get("Resources.0.id").String()
	if bid == "" || list.JSON.Get("Resources.0.roles.#").Int() != 1 {
		t.Fatalf("the user was not created, or has the role: %s", list.Body)
	}
	r = h.ws("PUT", "/Users/"+bid, user("b", `[{"value":"Super Admin"}]`)).WantStatus(t, 200)
	if r.JSON.Get("roles.#").Int() != 2 {
		t.Fatalf("the next PUT did not finish: %s", r.Body)
	}
	// Entra ID's roles with a value list replaced; all roles removed.
	r = h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"Replace","path":"roles","value":[{"primary":false,"type":"WindowsAzureActiveDirectoryRole","value":"Directory Admin"}]}]}`).WantStatus(t, 200)
	if r.JSON.Get("roles.#").Int() != 2 || r.JSON.Get("roles.1.display").String() != "Directory Admin" {
		t.Fatalf("replace roles: %s", r.Body)
	}
	// Entra ID's SingleAppRoleAssignment: the "primary" role is the one
	// role besides the default (Workspace ONE keeps no primary).
	for _, c := range []struct{ op, want string }{
		{`{"op":"Add","path":"roles[primary eq \"True\"].value","value":"Super Admin"}`, "User,Super Admin"},
		{`{"op":"Replace","path":"roles[primary eq \"True\"].value","value":"ReadOnly Admin"}`, "User,ReadOnly Admin"},
		{`{"op":"Remove","path":"roles[primary eq \"True\"]"}`, "User"},
	} {
		r = h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[`+c.op+`]}`).WantStatus(t, 200)
		var names []string
		for _, ro := range r.JSON.Get("roles").Array() {
			names = append(names, ro.Get("display").String())
		}
		if strings.Join(names, ",") != c.want {
			t.Fatalf("%s: %s", c.op, r.Body)
		}
	}
	h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"add","path":"roles","value":[{"value":"Super Admin"}]}]}`).WantStatus(t, 200)
	r = h.ws("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"remove","path":"roles"}]}`).WantStatus(t, 200)
	if r.JSON.Get("roles.#").Int() != 1 || r.JSON.Get("roles.0.display").String() != "User" {
		t.Fatalf("remove roles: %s", r.Body)
	}
}
