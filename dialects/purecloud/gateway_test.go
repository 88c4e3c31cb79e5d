package purecloud_test

import (
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/dialects/purecloud"
	"github.com/scimgw/scimgw/gateway/gatewaytest"
)

const pcToken = "pc-token-123456"

// purecloudConfig has one emulated Genesys Cloud tenant "pc", reached with
// OAuth client credentials.
func purecloudConfig(options string) string {
	return purecloudConfigRetry(options, gatewaytest.QuickRetry)
}

func purecloudConfigRetry(options, retry string) string {
	return gatewaytest.OAuthTenant("pc", "purecloud", pcToken, "/oauth/token", options, retry)
}

func newPurecloud(t *testing.T, options string) *harness {
	t.Helper()
	return newH(t, purecloudConfig(options))
}

func (h *harness) pc(method, path, body string, headers ...string) gatewaytest.Response {
	h.T.Helper()
	return h.Do(method, "/pc/scim/v2"+path, pcToken, body, headers...)
}

// genesysUser is an enterprise user as Okta or Entra ID sends it, with what
// Genesys Cloud does not take: a name, the userName among the emails, phone
// numbers in local notation, a fax.
func genesysUser(managerID string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User"],
 "externalId":"00u1a2b3c4","userName":"bjensen@example.com","active":true,
 "name":{"formatted":"Barbara Jensen","givenName":"Barbara","familyName":"Jensen"},"title":"Tour Guide","locale":"en-US",
 "emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@home.example","type":"home"}],
 "phoneNumbers":[{"value":"+31 20 555 0100","type":"work"},{"value":"0031 (20) 555-0101 x12","type":"work"},{"value":"+31 6 5555 0102","type":"mobile"},{"value":"+31 20 555 0199","type":"fax"}],
 "roles":[{"value":"agent"},{"value":"admin"}],
 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","department":"Tours","division":"EMEA","costCenter":"4130","manager":{"value":"` + managerID + `","displayName":"Kim"}},
 "urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User":{"routingSkills":[{"name":"Dutch","proficiency":4.5}]}}`
}

// The lifecycle of a user and a group's membership, with the exact
// requests Genesys Cloud receives kept in a golden file.
func TestPurecloudLifecycle(t *testing.T) {
	h := newPurecloud(t, `{role_map: {admin: Master Admin}}`)
	emu := h.Emu("pc")
	var golden strings.Builder
	section := func(title string, mark int) {
		golden.WriteString("### " + title + "\n" + gatewaytest.Sent(emu, mark) + "\n")
	}
	mgr := h.pc("POST", "/Users", `{"userName":"kim@example.com","displayName":"Kim Manager"}`).WantStatus(t, 201).JSON.Get("id").String()

	mark := len(emu.Requests())
	r := h.pc("POST", "/Users", genesysUser(mgr)).WantStatus(t, 201)
	section("create", mark)
	id := r.JSON.Get("id").String()
	body := gjson.Parse(emu.Requests()[mark].Body)
	switch {
	case body.Get("name").Exists() || body.Get("locale").Exists() || body.Get(`urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User.costCenter`).Exists():
		t.Fatalf("sent what Genesys does not hold: %s", body.Raw)
	case body.Get("displayName").String() != "Barbara Jensen":
		t.Fatalf("displayName not composed: %s", body.Raw)
	case body.Get("emails").Raw != `[{"value":"babs@home.example","type":"work"}]`:
		t.Fatalf("emails: %s", body.Get("emails").Raw)
	case body.Get("phoneNumbers").Raw != `[{"value":"+31205550100","type":"work"},{"value":"tel:+31205550101;ext=12","type":"work2"},{"value":"+31655550102","type":"mobile"}]`:
		t.Fatalf("phoneNumbers: %s", body.Get("phoneNumbers").Raw)
	case body.Get("roles").Raw != `[{"value":"agent"},{"value":"Master Admin"}]`:
		t.Fatalf("roles: %s", body.Get("roles").Raw)
	}
	switch {
	case r.JSON.Get("roles").Raw != `[{"value":"agent"},{"value":"admin"}]`:
		t.Fatalf("roles back: %s", r.JSON.Get("roles").Raw)
	case r.JSON.Get("name.givenName").String() != "Barbara" || r.JSON.Get("name.familyName").String() != "Jensen":
		t.Fatalf("name back: %s", r.JSON.Get("name").Raw)
	case r.JSON.Get(`emails.#(type=="other").value`).String() != "bjensen@example.com":
		t.Fatalf("emails back: %s", r.JSON.Get("emails").Raw)
	case r.JSON.Get(`urn:ietf:params:scim:schemas:extension:genesys:purecloud:2\.0:User.routingSkills.0.name`).String() != "Dutch":
		t.Fatalf("genesys extension: %s", r.Body)
	case r.Header.Get("ETag") != `"1"` || r.JSON.Get("meta.version").String() != `"1"`:
		t.Fatalf("ETag %q, meta.version %s", r.Header.Get("ETag"), r.JSON.Get("meta.version").Raw)
	}

	// PATCH is native; a name change becomes a displayName change, and
	// only the given name needs the current displayName.
	mark = len(emu.Requests())
	r = h.pc("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"Replace","path":"name.givenName","value":"Babs"},
		{"op":"replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+31 6 5555 0199"},
		{"op":"Add","path":"roles","value":[{"value":"admin"}]},
		{"op":"replace","path":"active","value":false}]}`).WantStatus(t, 200)
	section("patch", mark)
	if r.JSON.Get("displayName").String() != "Babs Jensen" || r.JSON.Get("active").Bool() || r.JSON.Get(`phoneNumbers.#(type=="mobile").value`).String() != "+31655550199" {
		t.Fatalf("patch: %s", r.Body)
	}

	// PUT replaces; the answer carries the new version.
	mark = len(emu.Requests())
	r = h.pc("PUT", "/Users/"+id, `{"userName":"bjensen@example.com","name":{"givenName":"Barbara","familyName":"Jensen-Smith"},"active":true,
		"emails":[{"value":"bjensen@example.com","type":"work","primary":true}]}`, "If-Match", r.Header.Get("ETag")).WantStatus(t, 200)
	section("replace", mark)
	if r.JSON.Get("displayName").String() != "Barbara Jensen-Smith" || r.JSON.Get("title").Exists() || r.Header.Get("ETag") != `"3"` {
		t.Fatalf("replace: %s %s", r.Header.Get("ETag"), r.Body)
	}

	// Groups exist in Genesys: find one, change its members.
	mark = len(emu.Requests())
	g := h.pc("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Support"`), "").WantStatus(t, 200)
	gid := g.JSON.Get("Resources.0.id").String()
	h.pc("PATCH", "/Groups/"+gid, gatewaytest.PatchOp+`[{"op":"add","path":"members","value":[{"value":"`+id+`"},{"value":"`+mgr+`"}]}]}`).WantStatus(t, 200)
	r = h.pc("PATCH", "/Groups/"+gid, gatewaytest.PatchOp+`[{"op":"remove","path":"members[value eq \"`+mgr+`\"]"}]}`).WantStatus(t, 200)
	if r.JSON.Get("members.#").Int() != 1 || r.JSON.Get("members.0.value").String() != id {
		t.Fatalf("members: %s", r.Body)
	}
	r = h.pc("PUT", "/Groups/"+gid, `{"displayName":"Support","members":[{"value":"`+mgr+`"}]}`).WantStatus(t, 200)
	if r.JSON.Get("members.#").Int() != 1 || r.JSON.Get("members.0.value").String() != mgr {
		t.Fatalf("members after PUT: %s", r.Body)
	}
	if h.pc("GET", "/Users/"+mgr, "").JSON.Get("groups.0.value").String() != gid {
		t.Fatal("the user's groups do not show the group")
	}
	section("group membership", mark)

	mark = len(emu.Requests())
	h.pc("DELETE", "/Users/"+id, "").WantStatus(t, 204)
	section("delete", mark)
	if emu.Resource("Users", id) != nil {
		t.Fatal("user still stored")
	}
	gatewaytest.CheckGolden(t, "testdata/lifecycle.golden", golden.String())
}

func TestPurecloudRefusedBeforeSending(t *testing.T) {
	gatewaytest.WantRefused(t, func(t *testing.T, o string) *gatewaytest.Harness { return newPurecloud(t, o).Harness }, "pc", pcToken, []gatewaytest.Refusal{
		{"userName not an email", `{}`, `{"userName":"bjensen","displayName":"B J"}`, "invalidValue"},
		{"userName with a display name", `{}`, `{"userName":"Babs <bjensen@example.com>","displayName":"B J"}`, "invalidValue"},
		{"no displayName and no name", `{}`, `{"userName":"bjensen@example.com"}`, "invalidValue"},
		{"a local phone number", `{}`, `{"userName":"bjensen@example.com","displayName":"B J","phoneNumbers":[{"value":"555-0100","type":"work"}]}`, "invalidValue"},
		{"five work numbers", `{}`, `{"userName":"bjensen@example.com","displayName":"B J","phoneNumbers":[{"value":"+31205550101"},{"value":"+31205550102"},{"value":"+31205550103"},{"value":"+31205550104"},{"value":"+31205550105"}]}`, "invalidValue"},
		{"two home numbers", `{}`, `{"userName":"bjensen@example.com","displayName":"B J","phoneNumbers":[{"value":"+31205550101","type":"home"},{"value":"+31205550102","type":"home"}]}`, "invalidValue"},
	})
	t.Run("composed from given and family name", func(t *testing.T) {
		h := newPurecloud(t, `{}`)
		h.pc("POST", "/Users", `{"userName":"bjensen@example.com","name":{"givenName":"Barbara","familyName":"Jensen"}}`).WantStatus(t, 201)
		if d := gjson.Get(h.Emu("pc").Requests()[0].Body, "displayName").String(); d != "Barbara Jensen" {
			t.Fatalf("displayName %q", d)
		}
	})
	t.Run("a PATCH to a userName that is not an email", func(t *testing.T) {
		h := newPurecloud(t, `{}`)
		id := h.pc("POST", "/Users", `{"userName":"bjensen@example.com","displayName":"B J"}`).JSON.Get("id").String()
		mark := len(h.Emu("pc").Requests())
		h.pc("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"userName","value":"bjensen"}]}`).WantError(t, 400, "invalidValue")
		if len(h.Emu("pc").Requests()) != mark {
			t.Fatal("forwarded")
		}
	})
}

// seedGenesys creates n users p0@example.com… with titles t0, t1, t2 and
// deactivates every user whose number is in inactive.
func seedGenesys(t *testing.T, h *harness, prefix string, n int, inactive ...int) []string {
	var ids []string
	for i := range n {
		active := "true"
		for _, x := range inactive {
			if x == i {
				active = "false"
			}
		}
		r := h.pc("POST", "/Users", `{"userName":"`+prefix+strconv.Itoa(i)+`@example.com","displayName":"P `+strconv.Itoa(i)+`","title":"t`+strconv.Itoa(i%3)+`","active":`+active+`,
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"`+strconv.Itoa(1000+i)+`"}}`).WantStatus(t, 201)
		ids = append(ids, r.JSON.Get("id").String())
	}
	return ids
}

func TestPurecloudLists(t *testing.T) {
	h := newPurecloud(t, `{scan_limit: 100}`)
	emu := h.Emu("pc")
	seedGenesys(t, h, "p", 8, 2, 5)
	names := func(r gatewaytest.Response) string {
		var out []string
		for _, u := range r.JSON.Get("Resources.#.userName").Array() {
			out = append(out, strings.TrimSuffix(u.String(), "@example.com"))
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		filter string
		want   string   // userNames, without the domain
		sent   []string // the filters Genesys received
	}{
		{``, "p0,p1,p3,p4,p6,p7,p2,p5", []string{"", "active eq false"}},
		{`userName eq "p2@example.com"`, "p2", []string{`userName eq "p2@example.com"`}},
		{`emails[value eq "p3@example.com"]`, "p3", []string{`email eq "p3@example.com"`}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1004"`, "p4", []string{`employeeNumber eq "1004"`}},
		{`active eq false`, "p2,p5", []string{`active eq false`}},
		{`active eq true`, "p0,p1,p3,p4,p6,p7", []string{""}},
		// Evaluated by the gateway:
		{`title eq "t2" and userName eq "p5@example.com"`, "p5", []string{`userName eq "p5@example.com"`}},
		{`userName sw "p1"`, "p1", []string{"", "active eq false"}},
		{`title eq "t1" or title eq "t0"`, "p0,p1,p3,p4,p6,p7", []string{"", "active eq false"}},
		{`active eq false and title eq "t2"`, "p2,p5", []string{`active eq false`}},
		{`not (active eq true)`, "p2,p5", []string{"", "active eq false"}},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			mark := len(emu.Requests())
			q := ""
			if c.filter != "" {
				q = "?filter=" + url.QueryEscape(c.filter)
			}
			r := h.pc("GET", "/Users"+q, "").WantStatus(t, 200)
			if got := names(r); got != c.want || r.JSON.Get("totalResults").Int() != int64(len(strings.Split(c.want, ","))) {
				t.Fatalf("got %s (total %d), want %s", got, r.JSON.Get("totalResults").Int(), c.want)
			}
			var sent []string
			for _, rq := range emu.Requests()[mark:] {
				v, _ := url.ParseQuery(rq.Query)
				sent = append(sent, v.Get("filter"))
			}
			if strings.Join(sent, "|") != strings.Join(c.sent, "|") {
				t.Fatalf("Genesys received filters %q, want %q", sent, c.sent)
			}
		})
	}
	t.Run("pages above 25 take several calls", func(t *testing.T) {
		h := newPurecloud(t, `{}`)
		emu := h.Emu("pc")
		seedGenesys(t, h, "q", 60, 10, 50)
		mark := len(emu.Requests())
		r := h.pc("GET", "/Users?count=100", "").WantStatus(t, 200)
		if r.JSON.Get("totalResults").Int() != 60 || r.JSON.Get("itemsPerPage").Int() != 60 || len(r.JSON.Get("Resources").Array()) != 60 {
			t.Fatalf("total %d, items %d", r.JSON.Get("totalResults").Int(), r.JSON.Get("itemsPerPage").Int())
		}
		for _, rq := range emu.Requests()[mark:] {
			v, _ := url.ParseQuery(rq.Query)
			if n, err := strconv.Atoi(v.Get("count")); err != nil || n > 25 {
				t.Fatalf("a call asked for %q users", v.Get("count"))
			}
		}
		// The second page spans the active and the inactive users.
		r = h.pc("GET", "/Users?startIndex=41&count=30", "").WantStatus(t, 200)
		if r.JSON.Get("itemsPerPage").Int() != 20 || r.JSON.Get("startIndex").Int() != 41 || names(r)[len(names(r))-7:] != "q10,q50" {
			t.Fatalf("second page: %d items, ends %s", r.JSON.Get("itemsPerPage").Int(), names(r))
		}
		// count=0: only the total.
		if r := h.pc("GET", "/Users?count=0", ""); r.JSON.Get("totalResults").Int() != 60 || r.JSON.Get("Resources.#").Int() != 0 {
			t.Fatalf("count=0: %s", r.Body)
		}
	})
	t.Run("too wide to scan", func(t *testing.T) {
		h := newPurecloud(t, `{scan_limit: 5}`)
		seedGenesys(t, h, "r", 6)
		h.pc("GET", "/Users?filter="+url.QueryEscape(`title eq "t1"`), "").WantError(t, 400, "tooMany")
	})
}

func TestPurecloudVersions(t *testing.T) {
	h := newPurecloud(t, `{}`)
	emu := h.Emu("pc")
	id := seedGenesys(t, h, "v", 1)[0]
	r := h.pc("GET", "/Users/"+id, "").WantStatus(t, 200)
	etag := r.Header.Get("ETag")
	if h.pc("GET", "/Users/"+id, "", "If-None-Match", etag).Status != 304 {
		t.Fatal("If-None-Match with the current version should give 304")
	}
	// Genesys answers a stale If-Match with 400 invalidVers: the client sees 412.
	h.pc("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"title","value":"x"}]}`, "If-Match", `"9"`).WantError(t, 412, "")
	h.pc("PUT", "/Users/"+id, `{"userName":"v0@example.com","displayName":"V"}`, "If-Match", `"9"`).WantError(t, 412, "")
	if gjson.GetBytes(emu.Resource("Users", id), "title").String() != "t0" {
		t.Fatal("a stale write changed the user")
	}
	r = h.pc("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"title","value":"x"}]}`, "If-Match", etag).WantStatus(t, 200)
	if r.Header.Get("ETag") != `"2"` {
		t.Fatalf("ETag after PATCH %q", r.Header.Get("ETag"))
	}
}

func TestPurecloudRateLimits(t *testing.T) {
	t.Run("a wait that fits is waited for", func(t *testing.T) {
		h := newH(t, purecloudConfigRetry(`{}`, `{max_attempts: 3, min_backoff: 10ms, max_backoff: 2s}`))
		emu := h.Emu("pc")
		emu.Inject(emulator.Fault{Method: "POST", Status: 429, RetryAfter: "1"})
		start := time.Now()
		h.pc("POST", "/Users", `{"userName":"a@example.com","displayName":"A"}`).WantStatus(t, 201)
		if time.Since(start) < time.Second || emu.Count("Users") != 1 {
			t.Fatalf("after %v, %d users", time.Since(start), emu.Count("Users"))
		}
	})
	t.Run("a longer one goes to the client, with Retry-After, and nothing is created twice", func(t *testing.T) {
		h := newPurecloud(t, `{}`)
		emu := h.Emu("pc")
		emu.SetRateLimit(&emulator.RateLimit{Requests: 1, Per: time.Hour, RetryAfter: 30})
		h.pc("GET", "/Users/nope", "").WantError(t, 404, "")
		r := h.pc("POST", "/Users", `{"userName":"a@example.com","displayName":"A"}`).WantError(t, 429, "")
		if r.Header.Get("Retry-After") != "30" || !strings.Contains(r.JSON.Get("detail").String(), "429 Too Many Requests") {
			t.Fatalf("429: Retry-After %q, %s", r.Header.Get("Retry-After"), r.Body)
		}
		h.WantBackendMessage(t, r, "Rate limit exceeded")
		emu.SetRateLimit(nil)
		if emu.Count("Users") != 0 {
			t.Fatal("a refused create was applied")
		}
		h.pc("POST", "/Users", `{"userName":"a@example.com","displayName":"A"}`).WantStatus(t, 201)
		if emu.Count("Users") != 1 {
			t.Fatalf("%d users", emu.Count("Users"))
		}
	})
}

func TestPurecloudGroupsAndDiscovery(t *testing.T) {
	h := newPurecloud(t, `{}`)
	emu := h.Emu("pc")
	r := h.pc("POST", "/Groups", `{"displayName":"New"}`).WantError(t, 501, "")
	if !strings.Contains(r.JSON.Get("detail").String(), "created and deleted in Genesys Cloud") {
		t.Fatalf("detail: %s", r.Body)
	}
	gid := h.pc("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Sales"`), "").JSON.Get("Resources.0.id").String()
	h.pc("DELETE", "/Groups/"+gid, "").WantError(t, 501, "")
	if emu.Count("Groups") != 2 || len(emu.Requests()) != 1 {
		t.Fatalf("%d groups, %d requests", emu.Count("Groups"), len(emu.Requests()))
	}
	h.pc("GET", "/Groups/"+gid, "").WantStatus(t, 200)
	rt := h.pc("GET", "/ResourceTypes/Group", "").WantStatus(t, 200)
	if !strings.Contains(rt.JSON.Get("description").String(), "501") {
		t.Fatalf("discovery does not say groups cannot be created: %s", rt.Body)
	}
	spc := h.pc("GET", "/ServiceProviderConfig", "").WantStatus(t, 200)
	if !spc.JSON.Get("etag.supported").Bool() || spc.JSON.Get("sort.supported").Bool() {
		t.Fatalf("ServiceProviderConfig: %s", spc.Body)
	}
}

func TestPurecloudOAuth(t *testing.T) {
	h := newPurecloud(t, `{}`)
	seedGenesys(t, h, "o", 1)
	for _, r := range h.Emu("pc").Requests() {
		if !strings.HasPrefix(r.Auth, "Bearer ") || strings.Contains(r.Auth, "emulator-backend-token") {
			t.Fatalf("backend saw Authorization %q", r.Auth)
		}
	}
}

// Path-less PATCH operations (as Okta and Entra send them) get the same
// treatment as pathed ones.
func TestPurecloudPathlessPatch(t *testing.T) {
	h := newPurecloud(t, `{role_map: {admin: Master Admin}}`)
	emu := h.Emu("pc")
	id := h.pc("POST", "/Users", `{"userName":"a@example.com","displayName":"Ann Smith"}`).WantStatus(t, 201).JSON.Get("id").String()
	mark := len(emu.Requests())
	r := h.pc("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","value":{"name.familyName":"Jones","phoneNumbers":[{"value":"+44 20 7946 0000","type":"mobile"}],
		"roles":[{"value":"admin"}],"emails":[{"value":"a@example.com","type":"other"},{"value":"ann@work.example","type":"work"}]}}]}`).WantStatus(t, 200)
	if r.JSON.Get("displayName").String() != "Ann Jones" || r.JSON.Get("phoneNumbers.0.value").String() != "+442079460000" ||
		r.JSON.Get("roles.0.value").String() != "admin" || r.JSON.Get(`emails.#(type=="work").value`).String() != "ann@work.example" {
		t.Fatalf("patch: %s", r.Body)
	}
	if body := emu.Requests()[len(emu.Requests())-1].Body; strings.Contains(body, "familyName") || !strings.Contains(body, `"Master Admin"`) {
		t.Fatalf("sent %s (requests since mark: %d)", body, len(emu.Requests())-mark)
	}
}

// What the gateway adds to Genesys' users (name, the client's role values)
// can be filtered on.
func TestPurecloudFilterOnDerivedAttributes(t *testing.T) {
	h := newPurecloud(t, `{role_map: {admin: Master Admin}}`)
	h.pc("POST", "/Users", `{"userName":"a@example.com","displayName":"Ann Smith","roles":[{"value":"admin"}]}`).WantStatus(t, 201)
	h.pc("POST", "/Users", `{"userName":"b@example.com","displayName":"Bob Smith"}`).WantStatus(t, 201)
	for filter, want := range map[string]int64{`name.givenName eq "Ann"`: 1, `name.familyName eq "Smith"`: 2, `roles.value eq "admin"`: 1} {
		r := h.pc("GET", "/Users?filter="+url.QueryEscape(filter), "").WantStatus(t, 200)
		if r.JSON.Get("totalResults").Int() != want {
			t.Errorf("%s: %s", filter, r.Body)
		}
	}
}

// harness is the gateway under test, with this file's tenant shortcuts.
type harness struct{ *gatewaytest.Harness }

func newH(t *testing.T, yaml string) *harness {
	t.Helper()
	return &harness{gatewaytest.New(t, yaml, pcToken, "s3cret-pass")}
}

// newPurecloudOn is newPurecloud on the given emulated backend.
func newPurecloudOn(t *testing.T, emu *emulator.Server, options string) *harness {
	t.Helper()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return newH(t, strings.Replace(purecloudConfig(options), "emulated: true", `url: "`+srv.URL+emu.BasePath()+`"`, 1))
}

// Okta's reactivation looks the deactivated user up by userName (Entra ID
// by externalId). Where Genesys' filtered lookups hide deactivated users,
// inactive_lookup: also finds them among the deactivated; where they do
// not, it costs nothing.
func TestPurecloudInactiveLookup(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hides  bool   // the organisation's lookups hide deactivated users
		option string // inactive_lookup
		found  bool   // the lookup finds the deactivated user
		scan   bool   // the gateway read the deactivated users
	}{
		{"lookups find them, off", false, "off", true, false},
		{"lookups find them, also", false, "also", true, false},
		{"lookups hide them, off", true, "off", false, false},
		{"lookups hide them, also", true, "also", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := purecloud.NewEmulator()
			if tc.hides {
				emu = purecloud.NewEmulatorHidingInactive()
			}
			h := newPurecloudOn(t, emu, `{inactive_lookup: `+tc.option+`, scan_limit: 100}`)
			seedGenesys(t, h, "other", 3, 0, 1, 2) // deactivated users the scan reads past
			r := h.pc("POST", "/Users", `{"userName":"kim@example.com","externalId":"00u-kim","displayName":"Kim","active":true}`).WantStatus(t, 201)
			id := r.JSON.Get("id").String()
			h.pc("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"active","value":false}]}`).WantStatus(t, 200)
			for _, filter := range []string{`userName eq "kim@example.com"`, `externalId eq "00u-kim"`, `emails[value eq "kim@example.com"]`, `id eq "` + id + `"`} {
				mark := len(emu.Requests())
				list := h.pc("GET", "/Users?filter="+url.QueryEscape(filter), "").WantStatus(t, 200)
				found, scan := tc.found, tc.scan
				if strings.HasPrefix(filter, "id ") {
					// Genesys filters users on no id: the gateway reads
					// every user, the deactivated ones too, either way.
					found, scan = true, true
				}
				if got := list.JSON.Get("totalResults").Int() == 1 && list.JSON.Get("Resources.0.id").String() == id; got != found {
					t.Fatalf("%s: found %v: %s", filter, got, list.Body)
				}
				if found && list.JSON.Get("Resources.0.active").Bool() {
					t.Fatalf("%s: %s", filter, list.Body)
				}
				if scanned := strings.Contains(gatewaytest.Sent(emu, mark), "filter=active eq false"); scanned != scan {
					t.Fatalf("%s: the deactivated users read: %v; sent:\n%s", filter, scanned, gatewaytest.Sent(emu, mark))
				}
			}
			// A user that does not exist is not found either way (and
			// with also, only after the deactivated users were read).
			if r := h.pc("GET", "/Users?filter="+url.QueryEscape(`userName eq "nobody@example.com"`), "").WantStatus(t, 200); r.JSON.Get("totalResults").Int() != 0 {
				t.Fatalf("nobody found: %s", r.Body)
			}
			if !tc.found {
				// What Okta does next: create the user it did not find.
				h.pc("POST", "/Users", `{"userName":"kim@example.com","displayName":"Kim","active":true}`).WantError(t, 409, "uniqueness")
			}
		})
	}
	// More deactivated users than scan_limit: the lookup is refused, not
	// answered "none" (which would make the IdP create a duplicate).
	h := newPurecloudOn(t, purecloud.NewEmulatorHidingInactive(), `{inactive_lookup: also, scan_limit: 2}`)
	seedGenesys(t, h, "other", 3, 0, 1, 2)
	h.pc("GET", "/Users?filter="+url.QueryEscape(`userName eq "nobody@example.com"`), "").WantError(t, 400, "tooMany")
}
