package gateway

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects/emulator"
)

const fhToken = "fh-token-123456"

// firehydrantConfig has one emulated FireHydrant tenant "fh", reached
// with an API key; options are YAML in flow style.
func firehydrantConfig(options string) string {
	return emulatedTenant("fh", "firehydrant", fhToken, `{type: bearer, token: emulator-backend-token}`, options, quickRetry)
}

func newFireHydrant(t *testing.T, options string) *harness {
	t.Helper()
	return newHarness(t, firehydrantConfig(options))
}

func (h *harness) fh(method, path, body string, headers ...string) response {
	h.t.Helper()
	return h.do(method, "/fh/scim/v2"+path, fhToken, body, headers...)
}

// The lifecycle of a user and a Team, with the exact requests FireHydrant
// receives kept in a golden file.
func TestFireHydrantLifecycle(t *testing.T) {
	h := newFireHydrant(t, `{}`)
	emu := h.emu("fh")
	var golden strings.Builder
	section := func(title string, mark int) {
		golden.WriteString("### " + title + "\n" + sent(emu, mark) + "\n")
	}

	// Create: no given/family name (derived from displayName), no primary
	// email, roles as objects, inactive, with what FireHydrant does not keep.
	mark := len(emu.Requests())
	r := h.fh("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","externalId":"00u1",
		"displayName":"Barbara Jensen","title":"Tour Guide","active":false,"password":"s3cret-pass",
		"emails":[{"value":"bjensen@example.com","type":"work"},{"value":"babs@home.example","type":"home"}],
		"roles":[{"value":"member","primary":true}]}`).wantStatus(t, 201)
	section("create (inactive)", mark)
	id := r.json.Get("id").String()
	reqs := emu.Requests()[mark:]
	if len(reqs) != 2 || reqs[0].Method != "POST" || reqs[1].Method != "PATCH" {
		t.Fatalf("want POST then PATCH, got %d requests", len(reqs))
	}
	sentBody := gjson.Parse(reqs[0].Body)
	switch {
	case sentBody.Get("name.givenName").String() != "Barbara" || sentBody.Get("name.familyName").String() != "Jensen" || len(sentBody.Get("name").Map()) != 2:
		t.Fatalf("name: %s", sentBody.Raw)
	case sentBody.Get("emails.#.primary").Raw != `[true,false]` || sentBody.Get("emails.#.type").Raw != `[]` || sentBody.Get("emails.1.value").String() != "babs@home.example":
		t.Fatalf("emails: %s", sentBody.Get("emails").Raw)
	case sentBody.Get("roles").Raw != `["member"]`:
		t.Fatalf("roles: %s", sentBody.Get("roles").Raw)
	case sentBody.Get("active").Exists() || sentBody.Get("externalId").Exists() || sentBody.Get("displayName").Exists() || sentBody.Get("schemas").Exists():
		t.Fatalf("sent what FireHydrant's create does not take: %s", sentBody.Raw)
	}
	switch {
	case r.json.Get("active").Type != gjson.False:
		t.Fatalf("not inactive: %s", r.body)
	case r.json.Get("roles").Raw != `[{"value":"member"}]`:
		t.Fatalf("roles back: %s", r.json.Get("roles").Raw)
	case r.json.Get("schemas.0").String() != "urn:ietf:params:scim:schemas:core:2.0:User" || r.json.Get("meta.resourceType").String() != "User" ||
		r.json.Get("meta.location").String() != "https://gw.example.com/fh/scim/v2/Users/"+id || r.header.Get("Location") == "":
		t.Fatalf("schemas/meta not synthesised: %s", r.body)
	}

	// PATCH: Okta's path-less replace becomes one operation per attribute.
	mark = len(emu.Requests())
	r = h.fh("PATCH", "/Users/"+id, patchOp+`[{"op":"Replace","value":{"active":true,"name":{"givenName":"Babs"},"roles":[{"value":"owner"}]}}]}`).wantStatus(t, 200)
	section("patch (path-less)", mark)
	if !r.json.Get("active").Bool() || r.json.Get("name.givenName").String() != "Babs" || r.json.Get("roles.0.value").String() != "owner" {
		t.Fatalf("patch: %s", r.body)
	}

	// PUT: FireHydrant's allowed attributes, no password.
	mark = len(emu.Requests())
	r = h.fh("PUT", "/Users/"+id, `{"userName":"bjensen@example.com","name":{"givenName":"Barbara","familyName":"Jensen-Smith"},"password":"s3cret-pass",
		"emails":[{"value":"bjensen@example.com"}],"roles":[{"value":"collaborator"}],"active":true}`).wantStatus(t, 200)
	section("replace", mark)
	if r.json.Get("name.familyName").String() != "Jensen-Smith" || r.json.Get("roles.0.value").String() != "collaborator" {
		t.Fatalf("replace: %s", r.body)
	}

	// Teams: create, PATCH by roster PUT (untouched members stay), list, PUT, delete.
	second := h.fh("POST", "/Users", `{"userName":"kim@example.com","name":{"givenName":"Kim","familyName":"Li"}}`).wantStatus(t, 201).json.Get("id").String()
	third := h.fh("POST", "/Users", `{"userName":"lee@example.com","name":{"givenName":"Lee","familyName":"Ng"}}`).wantStatus(t, 201).json.Get("id").String()
	mark = len(emu.Requests())
	g := h.fh("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"SRE"}`).wantStatus(t, 201)
	gid := g.json.Get("id").String()
	h.fh("PATCH", "/Groups/"+gid, patchOp+`[{"op":"add","path":"members","value":[{"value":"`+id+`"},{"value":"`+second+`"}]}]}`).wantStatus(t, 200)
	r = h.fh("PATCH", "/Groups/"+gid, patchOp+`[{"op":"add","path":"members","value":[{"value":"`+third+`"}]},{"op":"remove","path":"members[value eq \"`+id+`\"]"}]}`).wantStatus(t, 200)
	if got := r.json.Get("members.#.value").String(); got != `["`+second+`","`+third+`"]` {
		t.Fatalf("members after PATCH: %s", got)
	}
	l := h.fh("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "SRE"`), "").wantStatus(t, 200)
	if l.json.Get("totalResults").Int() != 1 || l.json.Get("Resources.0.id").String() != gid {
		t.Fatalf("list: %s", l.body)
	}
	r = h.fh("PUT", "/Groups/"+gid, `{"displayName":"SRE","members":[{"value":"`+id+`"}]}`).wantStatus(t, 200)
	if r.json.Get("members.#").Int() != 1 {
		t.Fatalf("PUT roster: %s", r.body)
	}
	h.fh("DELETE", "/Groups/"+gid, "").wantStatus(t, 204)
	section("teams", mark)
	for _, rq := range emu.Requests()[mark:] {
		if rq.Method == "PATCH" {
			t.Fatal("a Team PATCH reached FireHydrant, which has none")
		}
	}

	// DELETE only deactivates.
	mark = len(emu.Requests())
	h.fh("DELETE", "/Users/"+id, "").wantStatus(t, 204)
	section("delete", mark)
	if r := h.fh("GET", "/Users/"+id, "").wantStatus(t, 200); r.json.Get("active").Type != gjson.False {
		t.Fatalf("after DELETE: %s", r.body)
	}
	checkGolden(t, "testdata/firehydrant/lifecycle.golden", golden.String())
}

func TestFireHydrantRefusedBeforeSending(t *testing.T) {
	wantRefused(t, newFireHydrant, "fh", fhToken, []refusal{
		{"no name at all", `{}`, `{"userName":"a@example.com","emails":[{"value":"a@example.com"}]}`, "invalidValue"},
		{"a one-word displayName", `{}`, `{"userName":"a@example.com","displayName":"Cher"}`, "invalidValue"},
		{"no email and a userName that is not one", `{}`, `{"userName":"ann","name":{"givenName":"A","familyName":"B"}}`, "invalidValue"},
		{"a role FireHydrant does not have", `{}`, `{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"},"roles":[{"value":"admin"}]}`, "invalidValue"},
		{"a role outside the tenant's set", `{allowed_roles: "owner,member"}`, `{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"},"roles":["collaborator"]}`, "invalidValue"},
	})
	t.Run("a custom role set is accepted", func(t *testing.T) {
		h := newFireHydrant(t, `{allowed_roles: "owner,responder"}`)
		h.fh("POST", "/Users", `{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"},"roles":[{"value":"responder"}]}`).wantStatus(t, 201)
	})
	t.Run("userName cannot change", func(t *testing.T) {
		h := newFireHydrant(t, `{}`)
		emu := h.emu("fh")
		id := h.fh("POST", "/Users", `{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"}}`).json.Get("id").String()
		mark := len(emu.Requests())
		h.fh("PUT", "/Users/"+id, `{"userName":"b@example.com","name":{"givenName":"A","familyName":"B"}}`).wantError(t, 400, "mutability")
		h.fh("PATCH", "/Users/"+id, patchOp+`[{"op":"replace","path":"userName","value":"b@example.com"}]}`).wantError(t, 400, "mutability")
		h.fh("PATCH", "/Users/"+id, patchOp+`[{"op":"replace","path":"roles","value":[{"value":"admin"}]}]}`).wantError(t, 400, "invalidValue")
		for _, r := range emu.Requests()[mark:] {
			if r.Method != "GET" {
				t.Fatalf("%s sent", r.Method)
			}
		}
	})
}

func TestFireHydrantFilters(t *testing.T) {
	h := newFireHydrant(t, `{scan_limit: 20}`)
	emu := h.emu("fh")
	for i := range 5 {
		h.fh("POST", "/Users", `{"userName":"u`+itoa(i)+`@example.com","name":{"givenName":"U","familyName":"N`+itoa(i)+`"},
			"emails":[{"value":"u`+itoa(i)+`@example.com"},{"value":"alt`+itoa(i)+`@example.org"}]}`).wantStatus(t, 201)
	}
	cases := []struct {
		filter, sent string
		want         int64
	}{
		{`userName eq "u1@example.com"`, `userName eq "u1@example.com"`, 1},
		{`emails.value eq "alt2@example.org"`, `email eq "alt2@example.org"`, 1},
		{`emails[value eq "alt3@example.org"]`, `email eq "alt3@example.org"`, 1},
		{`userName eq "u1@example.com" and name.familyName eq "N2"`, `userName eq "u1@example.com"`, 0},
		{`userName sw "u"`, ``, 5},
		{`name.familyName eq "N4" or userName eq "u0@example.com"`, ``, 2},
		{`active eq true`, ``, 5},
	}
	for _, c := range cases {
		mark := len(emu.Requests())
		r := h.fh("GET", "/Users?filter="+url.QueryEscape(c.filter), "").wantStatus(t, 200)
		if r.json.Get("totalResults").Int() != c.want {
			t.Errorf("%s: %s", c.filter, r.body)
		}
		q, _ := url.ParseQuery(emu.Requests()[mark].Query)
		if q.Get("filter") != c.sent {
			t.Errorf("%s: FireHydrant received filter %q, want %q", c.filter, q.Get("filter"), c.sent)
		}
	}
	for i := range 20 {
		h.fh("POST", "/Users", `{"userName":"v`+itoa(i)+`@example.com","name":{"givenName":"V","familyName":"N"}}`).wantStatus(t, 201)
	}
	h.fh("GET", "/Users?filter="+url.QueryEscape(`userName sw "v"`), "").wantError(t, 400, "tooMany")
}

func TestFireHydrantErrorsAndDiscovery(t *testing.T) {
	h := newFireHydrant(t, `{}`)
	emu := h.emu("fh")
	h.fh("POST", "/Users", `{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"}}`).wantStatus(t, 201)
	// FireHydrant reports a duplicate as 422 "has already been taken".
	r := h.fh("POST", "/Users", `{"userName":"A@example.com","name":{"givenName":"A","familyName":"B"}}`).wantError(t, 409, "uniqueness")
	if !strings.Contains(r.json.Get("detail").String(), "already taken") {
		t.Fatalf("409: %s", r.body)
	}
	emu.Inject(emulator.Fault{Method: "GET", Status: 429, RetryAfter: "30"})
	if r := h.fh("GET", "/Users", "").wantError(t, 429, ""); r.header.Get("Retry-After") != "30" {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	for _, r := range emu.Requests() {
		if r.Auth != "Bearer emulator-backend-token" {
			t.Fatalf("Authorization %q", r.Auth)
		}
	}
	spc := h.fh("GET", "/ServiceProviderConfig", "").wantStatus(t, 200)
	if !spc.json.Get("patch.supported").Bool() || spc.json.Get("sort.supported").Bool() || spc.json.Get("etag.supported").Bool() || !spc.json.Get("filter.supported").Bool() {
		t.Fatalf("ServiceProviderConfig: %s", spc.body)
	}
	rt := h.fh("GET", "/ResourceTypes/User", "").wantStatus(t, 200)
	if rt.json.Get("schemaExtensions").Exists() {
		t.Fatalf("FireHydrant keeps no enterprise extension: %s", rt.body)
	}
	if h.fh("GET", "/Schemas", "").json.Get("totalResults").Int() != 2 {
		t.Fatal("Schemas: User and Group")
	}
}
