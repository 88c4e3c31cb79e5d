package gateway

import (
	"fmt"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"net/http"
	"strings"
	"testing"
)

func TestUserLifecycle(t *testing.T) {
	h := newHarness(t, testConfig)

	created := h.acme("POST", "/Users", userBody).wantStatus(t, http.StatusCreated)
	id := created.json.Get("id").String()
	if id == "" {
		t.Fatalf("no id: %s", created.body)
	}
	wantLoc := "https://gw.example.com/acme/scim/v2/Users/" + id
	if created.header.Get("Location") != wantLoc || created.json.Get("meta.location").String() != wantLoc {
		t.Fatalf("Location %q / meta.location %q, want %q", created.header.Get("Location"), created.json.Get("meta.location"), wantLoc)
	}
	if created.json.Get("meta.resourceType").String() != "User" {
		t.Fatalf("meta.resourceType: %s", created.body)
	}
	if created.json.Get("password").Exists() {
		t.Fatal("password returned")
	}
	if ct := created.header.Get("Content-Type"); ct != "application/scim+json" {
		t.Fatalf("Content-Type %q", ct)
	}
	if created.header.Get("ETag") == "" || created.header.Get("ETag") != created.json.Get("meta.version").String() {
		t.Fatalf("ETag %q, meta.version %q", created.header.Get("ETag"), created.json.Get("meta.version"))
	}
	schemas := created.json.Get("schemas").String()
	if !strings.Contains(schemas, "core:2.0:User") || !strings.Contains(schemas, "enterprise:2.0:User") {
		t.Fatalf("schemas: %s", schemas)
	}

	got := h.acme("GET", "/Users/"+id, "").wantStatus(t, http.StatusOK)
	if got.json.Get("userName").String() != "bjensen@example.com" {
		t.Fatalf("get: %s", got.body)
	}

	// Filter, with Entra's + for spaces and a case-variant userName.
	list := h.acme("GET", "/Users?filter=userName+eq+%22BJensen@Example.com%22", "").wantStatus(t, http.StatusOK)
	if list.json.Get("totalResults").Int() != 1 || list.json.Get("Resources.0.id").String() != id {
		t.Fatalf("filter: %s", list.body)
	}
	if list.json.Get("schemas.0").String() != "urn:ietf:params:scim:api:messages:2.0:ListResponse" || list.json.Get("itemsPerPage").Int() != 1 {
		t.Fatalf("list shape: %s", list.body)
	}

	patched := h.acme("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`).wantStatus(t, http.StatusOK)
	if patched.json.Get("active").Bool() {
		t.Fatalf("patch not applied: %s", patched.body)
	}

	replaced := h.acme("PUT", "/Users/"+id, `{"userName":"bjensen@example.com","displayName":"Barbara J"}`).wantStatus(t, http.StatusOK)
	if replaced.json.Get("displayName").String() != "Barbara J" || replaced.json.Get("name").Exists() {
		t.Fatalf("replace: %s", replaced.body)
	}

	h.acme("DELETE", "/Users/"+id, "").wantStatus(t, http.StatusNoContent)
	h.acme("GET", "/Users/"+id, "").wantError(t, http.StatusNotFound, "")
	if n := h.emu("acme").Count("Users"); n != 0 {
		t.Fatalf("backend still has %d users", n)
	}
}

func TestRoutingAndAuth(t *testing.T) {
	h := newHarness(t, testConfig)
	for _, tc := range []struct {
		name, method, path, token string
		status                    int
	}{
		{"lower-case resource type", "GET", "/acme/scim/v2/users", acmeToken, 200},
		{"upper-case resource type", "GET", "/acme/scim/v2/USERS", acmeToken, 200},
		{"second token works", "GET", "/acme/scim/v2/Users", "second-token-123", 200},
		{"unknown tenant", "GET", "/nobody/scim/v2/Users", acmeToken, 404},
		{"no token", "GET", "/acme/scim/v2/Users", "", 401},
		{"wrong token", "GET", "/acme/scim/v2/Users", "nope-nope-nope", 401},
		{"other tenant's token", "GET", "/acme/scim/v2/Users", cubeToken, 401},
		{"unknown endpoint", "GET", "/acme/scim/v2/Widgets", acmeToken, 404},
		{"not a SCIM path", "GET", "/acme/other", acmeToken, 404},
		{"wrong method on collection", "DELETE", "/acme/scim/v2/Users", acmeToken, 405},
		{"wrong method on resource", "POST", "/acme/scim/v2/Users/x", acmeToken, 405},
		{"wrong method on search", "GET", "/acme/scim/v2/Users/.search", acmeToken, 405},
		{"wrong method on discovery", "POST", "/acme/scim/v2/Schemas", acmeToken, 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.method, tc.path, tc.token, "")
			if tc.status == 200 {
				r.wantStatus(t, 200)
				return
			}
			r.wantError(t, tc.status, "")
			if tc.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			if tc.status == 405 && r.header.Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
		})
	}
	if n := len(h.emu("acme").Requests()); n != 3 {
		t.Fatalf("backend saw %d requests, want only the 3 authorised lists", n)
	}
}

func TestBadInputIsNotForwarded(t *testing.T) {
	h := newHarness(t, testConfig)
	big := `{"userName":"x","displayName":"` + strings.Repeat("a", 5000) + `"}`
	for _, tc := range []struct {
		name, method, path, body, ctype string
		status                          int
		scimType                        string
	}{
		{"invalid JSON", "POST", "/Users", `{"userName":`, "", 400, "invalidSyntax"},
		{"not an object", "POST", "/Users", `["a"]`, "", 400, "invalidSyntax"},
		{"missing userName", "POST", "/Users", `{"name":{"givenName":"x"}}`, "", 400, "invalidValue"},
		{"empty userName", "POST", "/Users", `{"userName":"  "}`, "", 400, "invalidValue"},
		{"userName not a string", "PUT", "/Users/u-1", `{"userName":42}`, "", 400, "invalidValue"},
		{"missing displayName", "POST", "/Groups", `{"members":[]}`, "", 400, "invalidValue"},
		{"too large", "POST", "/Users", big, "", 413, ""},
		{"wrong media type", "POST", "/Users", `{"userName":"a"}`, "text/plain", 415, ""},
		{"malformed filter", "GET", "/Users?filter=userName+eq", "", "", 400, "invalidFilter"},
		{"unknown filter operator", "GET", "/Users?filter=userName+like+%22x%22", "", "", 400, "invalidFilter"},
		{"bad startIndex", "GET", "/Users?startIndex=abc", "", "", 400, "invalidValue"},
		{"bad sortOrder", "GET", "/Users?sortOrder=up", "", "", 400, "invalidValue"},
		{"bad attributes", "GET", "/Users?attributes=na%20me", "", "", 400, "invalidValue"},
		{"bad patch op", "PATCH", "/Users/u-1", `{"Operations":[{"op":"jump","path":"active"}]}`, "", 400, "invalidSyntax"},
		{"bad patch path", "PATCH", "/Users/u-1", `{"Operations":[{"op":"replace","path":"emails[type eq","value":1}]}`, "", 400, "invalidPath"},
		{"patch without Operations", "PATCH", "/Users/u-1", `{"op":"replace"}`, "", 400, "invalidSyntax"},
		{"search body not JSON", "POST", "/Users/.search", `nope`, "", 400, "invalidSyntax"},
		{"search with bad filter", "POST", "/Users/.search", `{"filter":"a eq"}`, "", 400, "invalidFilter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			if tc.ctype != "" {
				headers = []string{"Content-Type", tc.ctype}
			}
			h.acme(tc.method, tc.path, tc.body, headers...).wantError(t, tc.status, tc.scimType)
		})
	}
	if n := len(h.emu("acme").Requests()); n != 0 {
		t.Fatalf("bad input reached the backend %d times", n)
	}
}

func TestMediaTypes(t *testing.T) {
	h := newHarness(t, testConfig)
	for i, ct := range []string{"application/scim+json; charset=utf-8", "application/json", "application/json;charset=UTF-8"} {
		body := fmt.Sprintf(`{"userName":"user%d@example.com"}`, i)
		r := h.acme("POST", "/Users", body, "Content-Type", ct, "Accept", "text/html").wantStatus(t, 201)
		if r.header.Get("Content-Type") != "application/scim+json" {
			t.Fatalf("answered %q", r.header.Get("Content-Type"))
		}
	}
}

func TestListParameters(t *testing.T) {
	h := newHarness(t, testConfig)
	for i := 1; i <= 7; i++ {
		h.acme("POST", "/Users", fmt.Sprintf(`{"userName":"user%d@example.com","title":"t%d"}`, i, 8-i)).wantStatus(t, 201)
	}
	for _, tc := range []struct {
		name, query         string
		total, start, items int
		first               string
	}{
		{"defaults", "", 7, 1, 7, "user1@example.com"},
		{"paging", "?startIndex=3&count=2", 7, 3, 2, "user3@example.com"},
		{"startIndex below 1 means 1", "?startIndex=-4&count=1", 7, 1, 1, "user1@example.com"},
		{"negative count means 0", "?count=-1", 7, 1, 0, ""},
		{"count capped", "?count=100000", 7, 1, 7, "user1@example.com"},
		{"zero matches is 200", "?filter=userName+eq+%22nobody%22", 0, 1, 0, ""},
		{"random GUID lookup", "?filter=id+eq+%22f3d1c1b2-0000-4000-8000-000000000000%22", 0, 1, 0, ""},
		{"sorted", "?sortBy=title&sortOrder=ascending&count=1", 7, 1, 1, "user7@example.com"},
		{"sorted descending", "?sortBy=title&sortOrder=descending&count=1", 7, 1, 1, "user1@example.com"},
		{"complex filter", "?filter=" + strings.ReplaceAll(`(userName sw "user1" or userName sw "user2") and not (title eq "t7")`, " ", "%20"), 1, 1, 1, "user2@example.com"},
		{"unknown parameters ignored", "?foo=bar&count=1", 7, 1, 1, "user1@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.acme("GET", "/Users"+tc.query, "").wantStatus(t, 200)
			j := r.json
			if int(j.Get("totalResults").Int()) != tc.total || int(j.Get("startIndex").Int()) != tc.start || int(j.Get("itemsPerPage").Int()) != tc.items || len(j.Get("Resources").Array()) != tc.items {
				t.Fatalf("got %s", r.body)
			}
			if !j.Get("Resources").IsArray() {
				t.Fatalf("Resources must be an array: %s", r.body)
			}
			if tc.first != "" && j.Get("Resources.0.userName").String() != tc.first {
				t.Fatalf("first %q, want %q", j.Get("Resources.0.userName"), tc.first)
			}
		})
	}
	// POST .search takes the same parameters from the body.
	r := h.acme("POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName sw \"user\"","startIndex":2,"count":3,"attributes":["userName"]}`).wantStatus(t, 200)
	if r.json.Get("totalResults").Int() != 7 || r.json.Get("itemsPerPage").Int() != 3 || r.json.Get("Resources.0.title").Exists() {
		t.Fatalf(".search: %s", r.body)
	}
}

func TestAttributesProjection(t *testing.T) {
	h := newHarness(t, testConfig)
	id := h.acme("POST", "/Users", userBody).wantStatus(t, 201).json.Get("id").String()
	for _, tc := range []struct {
		name, query string
		present     []string
		absent      []string
	}{
		{"attributes", "?attributes=userName,name.givenName", []string{"id", "schemas", "userName", "name.givenName"}, []string{"name.familyName", "emails", "meta", "active"}},
		{"urn-qualified attributes", "?attributes=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", []string{"id", `urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User.department`}, []string{"userName", `urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User.employeeNumber`}},
		{"case-insensitive names", "?attributes=USERNAME", []string{"userName"}, []string{"active"}},
		{"excludedAttributes", "?excludedAttributes=emails,name.formatted", []string{"userName", "name.givenName", "meta"}, []string{"emails", "name.formatted"}},
		{"id cannot be excluded", "?excludedAttributes=id", []string{"id"}, nil},
		{"password cannot be requested", "?attributes=password", []string{"id"}, []string{"password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/Users/" + id + tc.query, "/Users" + tc.query} {
				r := h.acme("GET", path, "").wantStatus(t, 200)
				doc := r.json
				if strings.HasPrefix(path, "/Users?") {
					doc = r.json.Get("Resources.0")
				}
				for _, p := range tc.present {
					if !doc.Get(p).Exists() {
						t.Fatalf("%s: %s missing in %s", path, p, doc.Raw)
					}
				}
				for _, p := range tc.absent {
					if doc.Get(p).Exists() {
						t.Fatalf("%s: %s present in %s", path, p, doc.Raw)
					}
				}
			}
		})
	}
	// Also on write responses.
	r := h.acme("PATCH", "/Users/"+id+"?attributes=active", `{"Operations":[{"op":"replace","path":"active","value":false}]}`).wantStatus(t, 200)
	if r.json.Get("userName").Exists() || !r.json.Get("active").Exists() {
		t.Fatalf("patch projection: %s", r.body)
	}
}

func TestGroupsAndRefs(t *testing.T) {
	h := newHarness(t, testConfig)
	u1 := h.acme("POST", "/Users", `{"userName":"a@example.com"}`).wantStatus(t, 201).json.Get("id").String()
	u2 := h.acme("POST", "/Users", `{"userName":"b@example.com"}`).wantStatus(t, 201).json.Get("id").String()
	g := h.acme("POST", "/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"displayName":"Eng","members":[{"value":%q}]}`, u1)).wantStatus(t, 201)
	gid := g.json.Get("id").String()
	base := "https://gw.example.com/acme/scim/v2"
	if g.header.Get("Location") != base+"/Groups/"+gid || g.json.Get("meta.resourceType").String() != "Group" {
		t.Fatalf("group create: %v %s", g.header, g.body)
	}
	if ref := g.json.Get("members.0.$ref").String(); ref != base+"/Users/"+u1 {
		t.Fatalf("member $ref %q not rewritten", ref)
	}
	// Entra's member removal: only the listed members go.
	h.acme("PATCH", "/Groups/"+gid, fmt.Sprintf(`{"Operations":[{"op":"Add","path":"members","value":[{"value":%q}]}]}`, u2)).wantStatus(t, 200)
	r := h.acme("PATCH", "/Groups/"+gid, fmt.Sprintf(`{"Operations":[{"op":"Remove","path":"members","value":[{"value":%q}]}]}`, u1)).wantStatus(t, 200)
	if n := len(r.json.Get("members").Array()); n != 1 || r.json.Get("members.0.value").String() != u2 {
		t.Fatalf("members after remove: %s", r.body)
	}
	// The user's read-only groups carry gateway $refs.
	u := h.acme("GET", "/Users/"+u2, "").wantStatus(t, 200)
	if ref := u.json.Get("groups.0.$ref").String(); ref != base+"/Groups/"+gid {
		t.Fatalf("groups $ref %q", ref)
	}
	if strings.Contains(string(u.body), "127.0.0.1") {
		t.Fatalf("backend URL leaked: %s", u.body)
	}
	// Entra's group query.
	l := h.acme("GET", "/Groups?excludedAttributes=members&filter=displayName+eq+%22Eng%22", "").wantStatus(t, 200)
	if l.json.Get("totalResults").Int() != 1 || l.json.Get("Resources.0.members").Exists() {
		t.Fatalf("group query: %s", l.body)
	}
	h.acme("POST", "/Groups", `{"displayName":"eng"}`).wantError(t, http.StatusConflict, "uniqueness")
	h.acme("DELETE", "/Groups/"+gid, "").wantStatus(t, 204)
}

func TestETags(t *testing.T) {
	h := newHarness(t, testConfig)
	c := h.acme("POST", "/Users", `{"userName":"e@example.com"}`).wantStatus(t, 201)
	id, etag := c.json.Get("id").String(), c.header.Get("ETag")
	h.acme("GET", "/Users/"+id, "", "If-None-Match", etag).wantStatus(t, http.StatusNotModified)
	h.acme("PUT", "/Users/"+id, `{"userName":"e@example.com","title":"x"}`, "If-Match", `W/"999"`).wantError(t, http.StatusPreconditionFailed, "")
	r := h.acme("PUT", "/Users/"+id, `{"userName":"e@example.com","title":"x"}`, "If-Match", etag).wantStatus(t, 200)
	if r.header.Get("ETag") == etag || r.header.Get("ETag") == "" {
		t.Fatalf("ETag did not change: %q", r.header.Get("ETag"))
	}
}

func TestUniqueness(t *testing.T) {
	h := newHarness(t, testConfig)
	h.acme("POST", "/Users", `{"userName":"dup@example.com"}`).wantStatus(t, 201)
	h.acme("POST", "/Users", `{"userName":"DUP@example.com"}`).wantError(t, http.StatusConflict, "uniqueness")
	if n := h.emu("acme").Count("Users"); n != 1 {
		t.Fatalf("%d users", n)
	}
}

func TestDiscovery(t *testing.T) {
	h := newHarness(t, testConfig)
	spc := h.acme("GET", "/ServiceProviderConfig", "").wantStatus(t, 200).json
	if !spc.Get("patch.supported").Bool() || !spc.Get("sort.supported").Bool() || !spc.Get("etag.supported").Bool() || spc.Get("bulk.supported").Bool() || spc.Get("filter.maxResults").Int() != 50 {
		t.Fatalf("acme SPC: %s", spc.Raw)
	}
	if spc.Get("meta.location").String() != "https://gw.example.com/acme/scim/v2/ServiceProviderConfig" {
		t.Fatalf("SPC location: %s", spc.Raw)
	}
	cspc := h.cube("GET", "/serviceproviderconfig", "").wantStatus(t, 200).json
	if cspc.Get("sort.supported").Bool() || cspc.Get("etag.supported").Bool() || !cspc.Get("patch.supported").Bool() {
		t.Fatalf("cube SPC must be honest: %s", cspc.Raw)
	}
	rts := h.acme("GET", "/ResourceTypes", "").wantStatus(t, 200).json
	if rts.Get("totalResults").Int() != 2 || rts.Get(`Resources.#(id=="User").schemaExtensions.0.schema`).String() != "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" {
		t.Fatalf("resource types: %s", rts.Raw)
	}
	crts := h.cube("GET", "/ResourceTypes", "").wantStatus(t, 200).json
	if crts.Get(`Resources.#(id=="User").schemaExtensions`).Exists() {
		t.Fatalf("cube stores no enterprise extension: %s", crts.Raw)
	}
	h.acme("GET", "/ResourceTypes/user", "").wantStatus(t, 200)
	h.acme("GET", "/ResourceTypes/Widget", "").wantError(t, 404, "")
	s := h.acme("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "").wantStatus(t, 200).json
	if s.Get(`attributes.#(name=="userName").uniqueness`).String() != "server" || s.Get(`attributes.#(name=="password").returned`).String() != "never" {
		t.Fatalf("user schema: %s", s.Raw)
	}
	if n := h.acme("GET", "/Schemas", "").wantStatus(t, 200).json.Get("totalResults").Int(); n != 3 {
		t.Fatalf("%d schemas", n)
	}
	h.acme("GET", "/Schemas?filter=id+eq+%22x%22", "").wantError(t, http.StatusForbidden, "")
	if n := len(h.emu("acme").Requests()); n != 0 {
		t.Fatalf("discovery reached the backend %d times", n)
	}
}

// The admin listener serves the probes and a Prometheus exposition that
// passes client_golang's linter, with histograms, the Go runtime and the
// process; its labels never carry an id or a userName, and an unknown
// tenant is "-". The SCIM listener keeps the probes, not the metrics.
func TestHealthAndMetrics(t *testing.T) {
	h := newHarness(t, testConfig)
	for _, p := range []string{"/healthz", "/readyz"} {
		h.do("GET", p, "", "").wantStatus(t, 200)
		h.adminGet(p).wantStatus(t, 200)
	}
	h.do("GET", "/metrics", "", "").wantError(t, http.StatusNotFound, "")
	h.adminGet("/debug/pprof/").wantStatus(t, http.StatusNotFound)
	id := h.acme("POST", "/Users", `{"userName":"metrics.probe@example.com"}`).wantStatus(t, 201).json.Get("id").String()
	h.acme("GET", "/Users", "").wantStatus(t, 200)
	h.do("GET", "/nosuch/scim/v2/Users", "", "").wantStatus(t, 404)
	m := string(h.adminGet("/metrics").wantStatus(t, 200).body)
	for _, want := range []string{
		`scimgw_requests_total{op="users.list",status="200",tenant="acme"} 1`,
		`scimgw_requests_total{op="unknown",status="404",tenant="-"} 1`,
		`scimgw_backend_attempts_total{outcome="200",tenant="acme"} 1`,
		`scimgw_request_duration_seconds_count{class="2xx",op="users.create",tenant="acme"} 1`,
		`scimgw_backend_attempt_duration_seconds_bucket{method="POST",outcome="201",tenant="acme",le="+Inf"} 1`,
		`scimgw_config_info{hash="`, "go_goroutines ", "process_cpu_seconds_total ",
	} {
		if !strings.Contains(m, want) {
			t.Fatalf("metrics lack %q:\n%s", want, m)
		}
	}
	for _, secret := range []string{id, "metrics.probe", acmeToken} {
		if strings.Contains(m, secret) {
			t.Fatalf("metrics carry %q", secret)
		}
	}
	problems, err := testutil.GatherAndLint(h.gw.metrics.reg)
	if err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", err, problems)
	}
	h.gw.Close()
	h.do("GET", "/readyz", "", "").wantStatus(t, 503)
	h.adminGet("/readyz").wantStatus(t, 503)
}

// server.pprof serves net/http/pprof on the admin listener only.
func TestAdminPprof(t *testing.T) {
	h := newHarness(t, strings.Replace(testConfig, "server:\n", "server:\n  pprof: true\n", 1))
	h.adminGet("/debug/pprof/").wantStatus(t, 200)
	h.do("GET", "/debug/pprof/", "", "").wantStatus(t, 404)
}
