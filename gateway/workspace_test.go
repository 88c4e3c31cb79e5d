package gateway

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/emulator"
)

const wsToken = "ws-token-123456"

// workspaceConfig has one emulated Workspace ONE tenant "ws", reached with
// OAuth client credentials at the vendor's token path.
func workspaceConfig(options string) string {
	return oauthTenant("ws", "workspace", wsToken, "/SAAS/auth/oauthtoken", options, quickRetry)
}

func newWorkspace(t *testing.T, options string) *harness {
	t.Helper()
	return newHarness(t, workspaceConfig(options))
}

func (h *harness) ws(method, path, body string, headers ...string) response {
	h.t.Helper()
	return h.do(method, "/ws/scim/v2"+path, wsToken, body, headers...)
}

// sent returns the backend requests received since mark, as
// "METHOD path?query" lines with the bodies indented below.
func sent(emu *emulator.Server, mark int) string {
	var b strings.Builder
	for _, r := range emu.Requests()[mark:] {
		b.WriteString(r.Method + " " + r.Path)
		if r.Query != "" {
			q, _ := url.QueryUnescape(r.Query)
			b.WriteString("?" + q)
		}
		b.WriteByte('\n')
		if r.IfMatch != "" {
			b.WriteString("  If-Match: " + r.IfMatch + "\n")
		}
		if r.Body != "" {
			var buf bytes.Buffer
			json.Indent(&buf, []byte(r.Body), "  ", "  ")
			b.WriteString("  " + buf.String() + "\n")
		}
	}
	return b.String()
}

func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		os.MkdirAll(filepath.Dir(file), 0o755)
		os.WriteFile(file, []byte(got), 0o644)
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs (go test -update rewrites it)\n--- got\n%s", file, got)
	}
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

const patchOp = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`

// The whole lifecycle of an enterprise user and a group, with the exact
// SCIM 1.1 requests Workspace ONE receives kept in a golden file.
func TestWorkspaceLifecycle(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com}`)
	emu := h.emu("ws")
	var golden strings.Builder
	section := func(title string, mark int) {
		golden.WriteString("### " + title + "\n" + sent(emu, mark) + "\n")
	}

	mgr := h.ws("POST", "/Users", managerUser).wantStatus(t, 201).json.Get("id").String()

	// Create: 1.1 URNs, workspace extension from the options, manager.managerId,
	// timeZone, one email (the primary), sendMail=false.
	mark := len(emu.Requests())
	r := h.ws("POST", "/Users", enterpriseUser(mgr)).wantStatus(t, 201)
	section("create", mark)
	id := r.json.Get("id").String()
	ent := r.json.Get(`urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User`)
	wsExt := r.json.Get(`urn:scim:schemas:extension:workspace:1\.0`)
	switch {
	case r.header.Get("Location") != "https://gw.example.com/ws/scim/v2/Users/"+id:
		t.Fatalf("Location %q", r.header.Get("Location"))
	case ent.Get("manager.value").String() != mgr || ent.Get("manager.managerId").Exists():
		t.Fatalf("manager not mapped back: %s", ent.Raw)
	case r.json.Get("timezone").String() != "Europe/Amsterdam" || r.json.Get("timeZone").Exists():
		t.Fatalf("timezone not mapped back: %s", r.body)
	case !strings.Contains(wsExt.Get("firstLoginUrl").String(), "/SAAS/auth/login/ota"):
		t.Fatalf("no firstLoginUrl in the workspace extension: %s", wsExt.Raw)
	case r.json.Get("emails.#").Int() != 1 || r.json.Get("emails.0.value").String() != "bjensen@example.com":
		t.Fatalf("emails: %s", r.json.Get("emails").Raw)
	case !strings.Contains(r.json.Get("schemas").Raw, `"urn:ietf:params:scim:schemas:core:2.0:User"`) || strings.Contains(r.json.Get("schemas").Raw, "core:1.0"):
		t.Fatalf("schemas: %s", r.json.Get("schemas").Raw)
	case r.header.Get("ETag") == "" || r.json.Get("meta.version").String() != r.header.Get("ETag"):
		t.Fatalf("ETag %q, meta.version %q", r.header.Get("ETag"), r.json.Get("meta.version").String())
	}

	// PATCH that translates operation by operation: one PATCH, one read.
	mark = len(emu.Requests())
	r = h.ws("PATCH", "/Users/"+id, patchOp+`[
		{"op":"Replace","path":"title","value":"Senior Tour Guide"},
		{"op":"replace","path":"name.givenName","value":"Babs"},
		{"op":"remove","path":"name.middleName"},
		{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"701985"},
		{"op":"replace","path":"active","value":"False"}]}`).wantStatus(t, 200)
	section("patch: operations that translate one by one", mark)
	if got := len(emu.Requests()) - mark; got != 2 {
		t.Fatalf("%d backend calls, want PATCH and GET", got)
	}
	if r.json.Get("title").String() != "Senior Tour Guide" || r.json.Get("name.middleName").Exists() || r.json.Get("active").Bool() ||
		r.json.Get(`urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User.employeeNumber`).String() != "701985" {
		t.Fatalf("patch result: %s", r.body)
	}

	// PATCH with a value filter: read, apply, send the difference, read.
	mark = len(emu.Requests())
	r = h.ws("PATCH", "/Users/"+id, patchOp+`[
		{"op":"replace","path":"emails[type eq \"work\"].value","value":"babs.jensen@example.com"},
		{"op":"add","path":"phoneNumbers","value":[{"value":"+31 6 5555 0101","type":"mobile"}]},
		{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"`+id+`"}}]}`).wantStatus(t, 200)
	section("patch: a value filter resolved against the current user", mark)
	if r.json.Get("emails.0.value").String() != "babs.jensen@example.com" || r.json.Get("phoneNumbers.#").Int() != 2 ||
		r.json.Get(`urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User.manager.value`).String() != id {
		t.Fatalf("patch result: %s", r.body)
	}

	// PUT (Okta's profile update): read, PATCH the difference, read.
	mark = len(emu.Requests())
	r = h.ws("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"`+id+`","userName":"bjensen@example.com",
		"name":{"givenName":"Barbara","familyName":"Jensen-Smith"},"emails":[{"value":"bjensen@example.com","type":"work","primary":true}],
		"active":true,"timezone":"Europe/Paris","groups":[]}`).wantStatus(t, 200)
	section("replace", mark)
	stored := gjson.ParseBytes(emu.Resource("Users", id))
	switch {
	case r.json.Get("name.familyName").String() != "Jensen-Smith" || r.json.Get("title").Exists() || r.json.Get("phoneNumbers").Exists():
		t.Fatalf("replace result: %s", r.body)
	case stored.Get("externalId").String() != "8f1c2d3e-aaaa-4bbb-8ccc-000000000042":
		t.Fatalf("externalId lost by a PUT without it: %s", stored.Raw)
	case stored.Get("timeZone").String() != "Europe/Paris" || !stored.Get("active").Bool():
		t.Fatalf("stored: %s", stored.Raw)
	}

	// Groups: create, add and remove members, find, replace, delete.
	mark = len(emu.Requests())
	g := h.ws("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Tour Guides","members":[{"value":"`+mgr+`"}]}`).wantStatus(t, 201)
	gid := g.json.Get("id").String()
	h.ws("PATCH", "/Groups/"+gid, patchOp+`[{"op":"add","path":"members","value":[{"value":"`+id+`","display":"Babs"}]}]}`).wantStatus(t, 200)
	r = h.ws("PATCH", "/Groups/"+gid, patchOp+`[{"op":"remove","path":"members[value eq \"`+mgr+`\"]"}]}`).wantStatus(t, 200)
	if r.json.Get("members.#").Int() != 1 || r.json.Get("members.0.value").String() != id || r.json.Get("members.0.display").String() != "Babs" {
		t.Fatalf("members: %s", r.body)
	}
	// Entra ID removes members with a value list.
	h.ws("PATCH", "/Groups/"+gid, patchOp+`[{"op":"Remove","path":"members","value":[{"value":"`+id+`"}]}]}`).wantStatus(t, 200)
	r = h.ws("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Tour Guides"`), "").wantStatus(t, 200)
	if r.json.Get("totalResults").Int() != 1 || r.json.Get("Resources.0.members").Exists() {
		t.Fatalf("group list: %s", r.body)
	}
	r = h.ws("PUT", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Senior Tour Guides","members":[{"value":"`+id+`"},{"value":"`+mgr+`"}]}`).wantStatus(t, 200)
	if r.json.Get("displayName").String() != "Senior Tour Guides" || r.json.Get("members.#").Int() != 2 {
		t.Fatalf("group replace: %s", r.body)
	}
	if h.ws("GET", "/Users/"+id, "").json.Get("groups.0.value").String() != gid {
		t.Fatal("the user's groups do not show the group")
	}
	h.ws("DELETE", "/Groups/"+gid, "").wantStatus(t, 204)
	section("groups", mark)

	mark = len(emu.Requests())
	h.ws("DELETE", "/Users/"+id, "").wantStatus(t, 204)
	h.ws("GET", "/Users/"+id, "").wantError(t, 404, "")
	section("delete", mark)
	if emu.Resource("Users", id) != nil {
		t.Fatal("user still stored")
	}
	checkGolden(t, "testdata/workspace/lifecycle.golden", golden.String())
}

func TestWorkspaceCreateOptions(t *testing.T) {
	t.Run("client's own extension wins; password means no link; attributes forwarded", func(t *testing.T) {
		h := newWorkspace(t, `{domain: example.com, send_mail: true}`)
		r := h.ws("POST", "/Users?attributes=externalId,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
			`{"userName":"a@example.com","externalId":"e","password":"s3cret-pass","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"a@example.com"}],
			"urn:scim:schemas:extension:workspace:1.0":{"domain":"other.example","internalUserType":"PROVISIONED"}}`).wantStatus(t, 201)
		req := h.emu("ws").Requests()[0]
		q, _ := url.ParseQuery(req.Query)
		if q.Get("sendMail") != "true" || q.Get("attributes") != "externalId,urn:scim:schemas:extension:enterprise:1.0:manager.managerId" {
			t.Fatalf("query %q", req.Query)
		}
		if gjson.Get(req.Body, `urn:scim:schemas:extension:workspace:1\.0.domain`).String() != "other.example" {
			t.Fatalf("body %s", req.Body)
		}
		if r.json.Get("externalId").String() != "e" || r.json.Get("name").Exists() || r.json.Get("id").String() == "" {
			t.Fatalf("answer %s", r.body)
		}
		// GET forwards ?attributes= too, translated.
		mark := len(h.emu("ws").Requests())
		h.ws("GET", "/Users/"+r.json.Get("id").String()+"?attributes=timezone", "").wantStatus(t, 200)
		if q, _ := url.ParseQuery(h.emu("ws").Requests()[mark].Query); q.Get("attributes") != "timeZone" {
			t.Fatalf("GET query %v", q)
		}
		// With a password there is no set-password link.
		r = h.ws("POST", "/Users", `{"userName":"b@example.com","password":"s3cret-pass","name":{"givenName":"A","familyName":"B"}}`).wantStatus(t, 201)
		if r.json.Get(`urn:scim:schemas:extension:workspace:1\.0.firstLoginUrl`).Exists() || r.json.Get("password").Exists() {
			t.Fatalf("answer %s", r.body)
		}
	})
	t.Run("defaults fill what the client left out", func(t *testing.T) {
		h := newWorkspace(t, `{domain: example.com}`)
		h.ws("POST", "/Users", `{"userName":"kim@example.com","displayName":"Kim de Vries"}`).wantStatus(t, 201)
		body := gjson.Parse(h.emu("ws").Requests()[0].Body)
		if body.Get("name.givenName").String() != "Kim de" || body.Get("name.familyName").String() != "Vries" ||
			body.Get("emails.0.value").String() != "kim@example.com" || body.Get("externalId").String() != "kim@example.com" ||
			body.Get(`urn:scim:schemas:extension:workspace:1\.0.internalUserType`).String() != "PROVISIONED" {
			t.Fatalf("body %s", body.Raw)
		}
	})
	wantRefused(t, newWorkspace, "ws", wsToken, []refusal{
		{"extra emails refused", `{domain: example.com, extra_emails: reject}`,
			`{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"a@example.com"},{"value":"b@example.com"}]}`, "invalidValue"},
		{"no name", `{domain: example.com}`, `{"userName":"a@example.com"}`, "invalidValue"},
		{"no email", `{domain: example.com}`, `{"userName":"alice","name":{"givenName":"A","familyName":"B"}}`, "invalidValue"},
		{"externalId required", `{domain: example.com, external_id: require}`,
			`{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"}}`, "invalidValue"},
		{"roles", `{domain: example.com}`,
			`{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"},"roles":[{"value":"admin"}]}`, "mutability"},
	})
	t.Run("a local user needs none of it", func(t *testing.T) {
		h := newWorkspace(t, `{domain: example.com, internal_user_type: LOCAL}`)
		h.ws("POST", "/Users", `{"userName":"alice"}`).wantStatus(t, 201)
	})
}

// seedUsers creates users named u0..u(n-1) with titles t0, t1, t2, ...
func seedUsers(t *testing.T, h *harness, n int) []string {
	return seedUsersAs(t, h, "u", n)
}

func seedUsersAs(t *testing.T, h *harness, prefix string, n int) []string {
	var ids []string
	for i := range n {
		name := prefix + itoa(i) + "@example.com"
		body := `{"userName":"` + name + `","name":{"givenName":"U","familyName":"` + itoa(i) + `"},"title":"t` + itoa(i%3) + `",
			"emails":[{"value":"` + name + `","type":"work","primary":true}],"timezone":"Zone` + itoa(i%2) + `"}`
		ids = append(ids, h.ws("POST", "/Users", body).wantStatus(t, 201).json.Get("id").String())
	}
	return ids
}

func TestWorkspaceFilters(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com, start_index_base: "0", scan_limit: 8}`)
	emu := h.emu("ws")
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
			r := h.ws("GET", "/Users?filter="+url.QueryEscape(c.filter), "").wantStatus(t, 200)
			var got []string
			for _, u := range r.json.Get("Resources.#.userName").Array() {
				got = append(got, strings.TrimSuffix(u.String(), "@example.com"))
			}
			if strings.Join(got, ",") != strings.Join(c.ids, ",") || r.json.Get("totalResults").Int() != int64(len(c.ids)) {
				t.Fatalf("got %v (total %d), want %v", got, r.json.Get("totalResults").Int(), c.ids)
			}
			q, _ := url.ParseQuery(emu.Requests()[mark].Query)
			if q.Get("filter") != c.backend || q.Get("startIndex") != "0" {
				t.Fatalf("backend query %v", q)
			}
		})
	}
	t.Run("paging counts from 1 for the client, from 0 for the backend", func(t *testing.T) {
		mark := len(emu.Requests())
		r := h.ws("GET", "/Users?startIndex=3&count=2&sortBy=userName", "").wantStatus(t, 200)
		if r.json.Get("startIndex").Int() != 3 || r.json.Get("Resources.#.userName").String() != `["u2@example.com","u3@example.com"]` || r.json.Get("totalResults").Int() != 7 {
			t.Fatalf("page: %s", r.body)
		}
		if q, _ := url.ParseQuery(emu.Requests()[mark].Query); q.Get("startIndex") != "2" || q.Get("count") != "2" || q.Get("sortBy") != "userName" {
			t.Fatalf("backend query %v", q)
		}
		// The same page of a gateway-evaluated filter.
		r = h.ws("GET", "/Users?startIndex=2&count=2&filter="+url.QueryEscape(`userName ne "u0@example.com"`), "").wantStatus(t, 200)
		if r.json.Get("startIndex").Int() != 2 || r.json.Get("Resources.#.userName").String() != `["u2@example.com","u3@example.com"]` || r.json.Get("totalResults").Int() != 6 {
			t.Fatalf("filtered page: %s", r.body)
		}
	})
	t.Run("too wide to scan", func(t *testing.T) {
		seedUsersAs(t, h, "v", 2)
		h.ws("GET", "/Users?filter="+url.QueryEscape(`title ne "x"`), "").wantError(t, 400, "tooMany")
	})
	t.Run("the backend's 404 for paging is 400", func(t *testing.T) {
		emu.Inject(emulator.Fault{Method: "GET", Status: 404})
		r := h.ws("GET", "/Users?count=5", "").wantError(t, 400, "invalidValue")
		if !strings.Contains(r.json.Get("detail").String(), "paging") {
			t.Fatalf("detail: %s", r.body)
		}
	})
	t.Run("filters on what Workspace ONE does not hold are refused", func(t *testing.T) {
		h.ws("GET", "/Users?filter="+url.QueryEscape(`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"`), "").wantError(t, 400, "invalidFilter")
	})
}

func TestWorkspaceVersions(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com}`)
	emu := h.emu("ws")
	id := seedUsers(t, h, 1)[0]
	etag := h.ws("GET", "/Users/"+id, "").header.Get("ETag")
	put := `{"userName":"u0@example.com","name":{"givenName":"U","familyName":"Zero"},"emails":[{"value":"u0@example.com","type":"work","primary":true}]}`

	// A stale If-Match: the replace is refused before anything is sent,
	// the PATCH (sent directly) by the backend; nothing changes.
	mark := len(emu.Requests())
	h.ws("PUT", "/Users/"+id, put, "If-Match", `W/"999"`).wantError(t, 412, "")
	for _, r := range emu.Requests()[mark:] {
		if r.Method == "PATCH" {
			t.Fatal("a write was sent despite a stale If-Match")
		}
	}
	h.ws("PATCH", "/Users/"+id, patchOp+`[{"op":"replace","path":"title","value":"x"}]}`, "If-Match", `W/"999"`).wantError(t, 412, "")
	if gjson.GetBytes(emu.Resource("Users", id), "title").String() != "t0" {
		t.Fatal("a write with a stale If-Match changed the user")
	}
	r := h.ws("PUT", "/Users/"+id, put, "If-Match", etag).wantStatus(t, 200)
	if r.header.Get("ETag") == etag || r.json.Get("name.familyName").String() != "Zero" {
		t.Fatalf("replace: %s %s", r.header.Get("ETag"), r.body)
	}
	if h.ws("GET", "/Users/"+id, "", "If-None-Match", r.header.Get("ETag")).status != 304 {
		t.Fatal("If-None-Match with the current version should give 304")
	}

	// Another writer changes the user between the gateway's read and its
	// PATCH: the PATCH carries the version read, fails with 412, and the
	// gateway reads again and reapplies — nothing is overwritten.
	emu.Inject(emulator.Fault{Method: "PATCH", Status: 412})
	mark = len(emu.Requests())
	r = h.ws("PATCH", "/Users/"+id, patchOp+`[{"op":"replace","path":"emails[type eq \"work\"].value","value":"zero@example.com"}]}`).wantStatus(t, 200)
	var methods []string
	for _, rq := range emu.Requests()[mark:] {
		methods = append(methods, rq.Method)
		if rq.Method == "PATCH" && rq.Query != "" {
			t.Fatal("query on PATCH")
		}
	}
	if strings.Join(methods, " ") != "GET PATCH GET PATCH GET" || r.json.Get("emails.0.value").String() != "zero@example.com" {
		t.Fatalf("calls %v: %s", methods, r.body)
	}
	// A client's own stale If-Match is not retried.
	emu.Inject(emulator.Fault{Method: "PATCH", Status: 412})
	h.ws("PATCH", "/Users/"+id, patchOp+`[{"op":"replace","path":"title","value":"y"}]}`, "If-Match", h.ws("GET", "/Users/"+id, "").header.Get("ETag")).wantError(t, 412, "")
}

func TestWorkspaceErrors(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com}`)
	emu := h.emu("ws")
	id := seedUsers(t, h, 1)[0]

	r := h.ws("POST", "/Users", `{"userName":"U0@example.com","name":{"givenName":"U","familyName":"0"}}`).wantError(t, 409, "uniqueness")
	h.wantBackendMessage(t, r, "already taken")
	r = h.ws("GET", "/Users/00000000-nope", "").wantError(t, 404, "")
	h.wantBackendMessage(t, r, "not found") // SCIM 1.1 Errors[] shape
	h.ws("PATCH", "/Users/"+id, patchOp+`[{"op":"replace","path":"roles","value":[{"value":"admin"}]}]}`).wantError(t, 400, "mutability")
	h.ws("PATCH", "/Users/"+id, patchOp+`[{"op":"remove","path":"name.givenName"}]}`).wantStatus(t, 400)

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
	r = h.ws("PATCH", "/Users/"+seeded.ID, patchOp+`[{"op":"replace","path":"title","value":"x"}]}`).wantError(t, 403, "")
	if d := r.json.Get("detail").String(); !strings.Contains(d, "synced into Workspace ONE") {
		t.Fatalf("403 detail: %s", d)
	}
	h.wantBackendMessage(t, r, "not a local user")
}

// OAuth: the gateway takes a token from Workspace ONE's token endpoint
// with client credentials sent as HTTP Basic, and never the static token.
func TestWorkspaceOAuth(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com}`)
	seedUsers(t, h, 1)
	for _, r := range h.emu("ws").Requests() {
		if !strings.HasPrefix(r.Auth, "Bearer ") || strings.Contains(r.Auth, dialects.EmulatorToken) {
			t.Fatalf("backend saw Authorization %q", r.Auth)
		}
	}
	bad := strings.Replace(workspaceConfig(`{domain: example.com}`), "client_secret: emulator-client-secret", "client_secret: client-secret-xyz", 1)
	hb := newHarness(t, bad)
	hb.ws("GET", "/Users", "").wantError(t, 502, "")
}

func TestWorkspaceDiscovery(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com}`)
	r := h.ws("GET", "/ServiceProviderConfig", "").wantStatus(t, 200)
	if !r.json.Get("patch.supported").Bool() || !r.json.Get("filter.supported").Bool() || !r.json.Get("etag.supported").Bool() || !r.json.Get("sort.supported").Bool() {
		t.Fatalf("ServiceProviderConfig: %s", r.body)
	}
	if h.ws("GET", "/ResourceTypes", "").json.Get("Resources.#").Int() != 2 {
		t.Fatal("Users and Groups expected")
	}
}

// A create whose answer is lost is found, not repeated; a PATCH whose answer
// is lost is not blindly sent again; reads are retried.
func TestWorkspaceNoLostOrDuplicateWrites(t *testing.T) {
	h := newWorkspace(t, `{domain: example.com}`)
	emu := h.emu("ws")
	emu.Inject(emulator.Fault{Method: "POST", After: true, Reset: true})
	r := h.ws("POST", "/Users", enterpriseUser("m-1")).wantStatus(t, 201)
	if emu.Count("Users") != 1 || r.json.Get("userName").String() != "bjensen@example.com" {
		t.Fatalf("%d users after a lost create answer: %s", emu.Count("Users"), r.body)
	}
	id := r.json.Get("id").String()

	emu.Inject(emulator.Fault{Method: "GET", Status: 503, RetryAfter: "0"})
	h.ws("GET", "/Users/"+id, "").wantStatus(t, 200)

	mark := len(emu.Requests())
	emu.Inject(emulator.Fault{Method: "PATCH", After: true, Reset: true})
	h.ws("PATCH", "/Users/"+id, patchOp+`[{"op":"replace","path":"title","value":"T"}]}`).wantStatus(t, 502)
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
