package firehydrant_test

import (
	"github.com/scimgw/scimgw/gateway/gatewaytest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects/emulator"
)

const fhToken = "fh-token-123456"

// firehydrantConfig has one emulated FireHydrant tenant "fh", reached
// with an API key; options are YAML in flow style.
func firehydrantConfig(options string) string {
	return gatewaytest.EmulatedTenant("fh", "firehydrant", fhToken, `{type: bearer, token: emulator-backend-token}`, options, gatewaytest.QuickRetry)
}

func newFireHydrant(t *testing.T, options string) *harness {
	t.Helper()
	return newH(t, firehydrantConfig(options))
}

func (h *harness) fh(method, path, body string, headers ...string) gatewaytest.Response {
	h.T.Helper()
	return h.Do(method, "/fh/scim/v2"+path, fhToken, body, headers...)
}

// The lifecycle of a user and a Team, with the exact requests FireHydrant
// receives kept in a golden file.
func TestFireHydrantLifecycle(t *testing.T) {
	h := newFireHydrant(t, `{}`)
	emu := h.Emu("fh")
	var golden strings.Builder
	section := func(title string, mark int) {
		golden.WriteString("### " + title + "\n" + gatewaytest.Sent(emu, mark) + "\n")
	}

	// Create: no given/family name (derived from displayName), no primary
	// email, roles as objects, inactive, with what FireHydrant does not keep.
	mark := len(emu.Requests())
	r := h.fh("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","externalId":"00u1",
		"displayName":"Barbara Jensen","title":"Tour Guide","active":false,"password":"s3cret-pass",
		"emails":[{"value":"bjensen@example.com","type":"work"},{"value":"babs@home.example","type":"home"}],
		"roles":[{"value":"member","primary":true}]}`).WantStatus(t, 201)
	section("create (inactive)", mark)
	id := r.JSON.Get("id").String()
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
	case r.JSON.Get("active").Type != gjson.False:
		t.Fatalf("not inactive: %s", r.Body)
	case r.JSON.Get("roles").Raw != `[{"value":"member"}]`:
		t.Fatalf("roles back: %s", r.JSON.Get("roles").Raw)
	case r.JSON.Get("schemas.0").String() != "urn:ietf:params:scim:schemas:core:2.0:User" || r.JSON.Get("meta.resourceType").String() != "User" ||
		r.JSON.Get("meta.location").String() != "https://gw.example.com/fh/scim/v2/Users/"+id || r.Header.Get("Location") == "":
		t.Fatalf("schemas/meta not synthesised: %s", r.Body)
	}

	// PATCH: Okta's path-less replace becomes one operation per attribute.
	mark = len(emu.Requests())
	r = h.fh("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"Replace","value":{"active":true,"name":{"givenName":"Babs"},"roles":[{"value":"owner"}]}}]}`).WantStatus(t, 200)
	section("patch (path-less)", mark)
	if !r.JSON.Get("active").Bool() || r.JSON.Get("name.givenName").String() != "Babs" || r.JSON.Get("roles.0.value").String() != "owner" {
		t.Fatalf("patch: %s", r.Body)
	}

	// PUT: FireHydrant's allowed attributes, no password.
	mark = len(emu.Requests())
	r = h.fh("PUT", "/Users/"+id, `{"userName":"bjensen@example.com","name":{"givenName":"Barbara","familyName":"Jensen-Smith"},"password":"s3cret-pass",
		"emails":[{"value":"bjensen@example.com"}],"roles":[{"value":"collaborator"}],"active":true}`).WantStatus(t, 200)
	section("replace", mark)
	if r.JSON.Get("name.familyName").String() != "Jensen-Smith" || r.JSON.Get("roles.0.value").String() != "collaborator" {
		t.Fatalf("replace: %s", r.Body)
	}

	// Teams: create, PATCH by roster PUT (untouched members stay), list, PUT, delete.
	second := h.fh("POST", "/Users", `{"userName":"kim@example.com","name":{"givenName":"Kim","familyName":"Li"}}`).WantStatus(t, 201).JSON.Get("id").String()
	third := h.fh("POST", "/Users", `{"userName":"lee@example.com","name":{"givenName":"Lee","familyName":"Ng"}}`).WantStatus(t, 201).JSON.Get("id").String()
	mark = len(emu.Requests())
	g := h.fh("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"SRE"}`).WantStatus(t, 201)
	gid := g.JSON.Get("id").String()
	h.fh("PATCH", "/Groups/"+gid, gatewaytest.PatchOp+`[{"op":"add","path":"members","value":[{"value":"`+id+`"},{"value":"`+second+`"}]}]}`).WantStatus(t, 200)
	r = h.fh("PATCH", "/Groups/"+gid, gatewaytest.PatchOp+`[{"op":"add","path":"members","value":[{"value":"`+third+`"}]},{"op":"remove","path":"members[value eq \"`+id+`\"]"}]}`).WantStatus(t, 200)
	if got := r.JSON.Get("members.#.value").String(); got != `["`+second+`","`+third+`"]` {
		t.Fatalf("members after PATCH: %s", got)
	}
	l := h.fh("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "SRE"`), "").WantStatus(t, 200)
	if l.JSON.Get("totalResults").Int() != 1 || l.JSON.Get("Resources.0.id").String() != gid {
		t.Fatalf("list: %s", l.Body)
	}
	r = h.fh("PUT", "/Groups/"+gid, `{"displayName":"SRE","members":[{"value":"`+id+`"}]}`).WantStatus(t, 200)
	if r.JSON.Get("members.#").Int() != 1 {
		t.Fatalf("PUT roster: %s", r.Body)
	}
	h.fh("DELETE", "/Groups/"+gid, "").WantStatus(t, 204)
	section("teams", mark)
	for _, rq := range emu.Requests()[mark:] {
		if rq.Method == "PATCH" {
			t.Fatal("a Team PATCH reached FireHydrant, which has none")
		}
	}

	// DELETE only deactivates.
	mark = len(emu.Requests())
	h.fh("DELETE", "/Users/"+id, "").WantStatus(t, 204)
	section("delete", mark)
	if r := h.fh("GET", "/Users/"+id, "").WantStatus(t, 200); r.JSON.Get("active").Type != gjson.False {
		t.Fatalf("after DELETE: %s", r.Body)
	}
	gatewaytest.CheckGolden(t, "testdata/lifecycle.golden", golden.String())
}

func TestFireHydrantRefusedBeforeSending(t *testing.T) {
	gatewaytest.WantRefused(t, func(t *testing.T, o string) *gatewaytest.Harness { return newFireHydrant(t, o).Harness }, "fh", fhToken, []gatewaytest.Refusal{
		{"no name at all", `{}`, `{"userName":"a@example.com","emails":[{"value":"a@example.com"}]}`, "invalidValue"},
		{"a one-word displayName", `{}`, `{"userName":"a@example.com","displayName":"Cher"}`, "invalidValue"},
		{"no email and a userName that is not one", `{}`, `{"userName":"ann","name":{"givenName":"A","familyName":"B"}}`, "invalidValue"},
		{"a role FireHydrant does not have", `{}`, `{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"},"roles":[{"value":"admin"}]}`, "invalidValue"},
		{"a role outside the tenant's set", `{allowed_roles: "owner,member"}`, `{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"},"roles":["collaborator"]}`, "invalidValue"},
	})
	t.Run("a custom role set is accepted", func(t *testing.T) {
		h := newFireHydrant(t, `{allowed_roles: "owner,responder"}`)
		h.fh("POST", "/Users", `{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"},"roles":[{"value":"responder"}]}`).WantStatus(t, 201)
	})
	t.Run("userName cannot change", func(t *testing.T) {
		h := newFireHydrant(t, `{}`)
		emu := h.Emu("fh")
		id := h.fh("POST", "/Users", `{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"}}`).JSON.Get("id").String()
		mark := len(emu.Requests())
		h.fh("PUT", "/Users/"+id, `{"userName":"b@example.com","name":{"givenName":"A","familyName":"B"}}`).WantError(t, 400, "mutability")
		h.fh("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"userName","value":"b@example.com"}]}`).WantError(t, 400, "mutability")
		h.fh("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"roles","value":[{"value":"admin"}]}]}`).WantError(t, 400, "invalidValue")
		for _, r := range emu.Requests()[mark:] {
			if r.Method != "GET" {
				t.Fatalf("%s sent", r.Method)
			}
		}
	})
}

func TestFireHydrantFilters(t *testing.T) {
	h := newFireHydrant(t, `{scan_limit: 20}`)
	emu := h.Emu("fh")
	for i := range 5 {
		h.fh("POST", "/Users", `{"userName":"u`+strconv.Itoa(i)+`@example.com","name":{"givenName":"U","familyName":"N`+strconv.Itoa(i)+`"},
			"emails":[{"value":"u`+strconv.Itoa(i)+`@example.com"},{"value":"alt`+strconv.Itoa(i)+`@example.org"}]}`).WantStatus(t, 201)
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
		r := h.fh("GET", "/Users?filter="+url.QueryEscape(c.filter), "").WantStatus(t, 200)
		if r.JSON.Get("totalResults").Int() != c.want {
			t.Errorf("%s: %s", c.filter, r.Body)
		}
		q, _ := url.ParseQuery(emu.Requests()[mark].Query)
		if q.Get("filter") != c.sent {
			t.Errorf("%s: FireHydrant received filter %q, want %q", c.filter, q.Get("filter"), c.sent)
		}
	}
	for i := range 20 {
		h.fh("POST", "/Users", `{"userName":"v`+strconv.Itoa(i)+`@example.com","name":{"givenName":"V","familyName":"N"}}`).WantStatus(t, 201)
	}
	h.fh("GET", "/Users?filter="+url.QueryEscape(`userName sw "v"`), "").WantError(t, 400, "tooMany")
}

func TestFireHydrantErrorsAndDiscovery(t *testing.T) {
	h := newFireHydrant(t, `{}`)
	emu := h.Emu("fh")
	h.fh("POST", "/Users", `{"userName":"a@example.com","name":{"givenName":"A","familyName":"B"}}`).WantStatus(t, 201)
	// FireHydrant reports a duplicate as 422 "has already been taken".
	r := h.fh("POST", "/Users", `{"userName":"A@example.com","name":{"givenName":"A","familyName":"B"}}`).WantError(t, 409, "uniqueness")
	if !strings.Contains(r.JSON.Get("detail").String(), "already taken") {
		t.Fatalf("409: %s", r.Body)
	}
	emu.Inject(emulator.Fault{Method: "GET", Status: 429, RetryAfter: "30"})
	if r := h.fh("GET", "/Users", "").WantError(t, 429, ""); r.Header.Get("Retry-After") != "30" {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	for _, r := range emu.Requests() {
		if r.Auth != "Bearer emulator-backend-token" {
			t.Fatalf("Authorization %q", r.Auth)
		}
	}
	spc := h.fh("GET", "/ServiceProviderConfig", "").WantStatus(t, 200)
	if !spc.JSON.Get("patch.supported").Bool() || spc.JSON.Get("sort.supported").Bool() || spc.JSON.Get("etag.supported").Bool() || !spc.JSON.Get("filter.supported").Bool() {
		t.Fatalf("ServiceProviderConfig: %s", spc.Body)
	}
	rt := h.fh("GET", "/ResourceTypes/User", "").WantStatus(t, 200)
	if rt.JSON.Get("schemaExtensions").Exists() {
		t.Fatalf("FireHydrant keeps no enterprise extension: %s", rt.Body)
	}
	if h.fh("GET", "/Schemas", "").JSON.Get("totalResults").Int() != 2 {
		t.Fatal("Schemas: User and Group")
	}
}

// harness is the gateway under test, with this file's tenant shortcuts.
type harness struct{ *gatewaytest.Harness }

func newH(t *testing.T, yaml string) *harness {
	t.Helper()
	return &harness{gatewaytest.New(t, yaml, fhToken, "s3cret-pass")}
}
