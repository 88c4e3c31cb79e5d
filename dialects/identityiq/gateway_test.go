package identityiq_test

import (
	"github.com/scimgw/scimgw/gateway/gatewaytest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects/emulator"
)

const iiqToken = "iiq-token-123456"

// identityiqConfig has one emulated IdentityIQ tenant "iiq", reached with
// HTTP Basic as an IdentityIQ identity.
func identityiqConfig() string {
	return gatewaytest.EmulatedTenant("iiq", "identityiq", iiqToken, `{type: basic, username: spadmin, password: emulator-password}`, `{}`, gatewaytest.QuickRetry)
}

func newIdentityIQ(t *testing.T) *harness {
	t.Helper()
	return newH(t, identityiqConfig())
}

func (h *harness) iiq(method, path, body string, headers ...string) gatewaytest.Response {
	h.T.Helper()
	return h.Do(method, "/iiq/scim/v2"+path, iiqToken, body, headers...)
}

// iiqUser is an enterprise user with what IdentityIQ keeps elsewhere
// (title, employeeNumber, department, costCenter), what it does not keep
// (externalId, phoneNumbers, locale) and what is read-only there.
func iiqUser(managerID string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
 "userName":"bjensen","externalId":"00u1a2b3c4","active":true,"userType":"Employee","password":"s3cret-pass",
 "name":{"formatted":"Barbara Jensen","givenName":"Barbara","familyName":"Jensen"},"displayName":"Babs Jensen","title":"Tour Guide","locale":"en-US",
 "emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@home.example","type":"home"}],
 "phoneNumbers":[{"value":"+31 20 555 0100","type":"work"}],"roles":[{"value":"admin"}],
 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","department":"Tours","costCenter":"4130","manager":{"value":"` + managerID + `"}},
 "urn:ietf:params:scim:schemas:sailpoint:1.0:User":{"region":"EMEA","capabilities":["HelpDesk"],"riskScore":99}}`
}

// The lifecycle of a user, with the exact requests IdentityIQ receives
// kept in a golden file.
func TestIdentityIQLifecycle(t *testing.T) {
	h := newIdentityIQ(t)
	emu := h.Emu("iiq")
	var golden strings.Builder
	section := func(title string, mark int) {
		golden.WriteString("### " + title + "\n" + gatewaytest.Sent(emu, mark) + "\n")
	}
	mgr := h.iiq("POST", "/Users", `{"userName":"kim","name":{"givenName":"Kim","familyName":"Manager"}}`).WantStatus(t, 201).JSON.Get("id").String()

	mark := len(emu.Requests())
	r := h.iiq("POST", "/Users", iiqUser(mgr)).WantStatus(t, 201)
	section("create", mark)
	id := r.JSON.Get("id").String()
	sentBody := gjson.Parse(emu.Requests()[mark].Body)
	sp := `urn:ietf:params:scim:schemas:sailpoint:1\.0:User`
	switch {
	case sentBody.Get("externalId").Exists() || sentBody.Get("phoneNumbers").Exists() || sentBody.Get("locale").Exists() || sentBody.Get("roles").Exists():
		t.Fatalf("sent what IdentityIQ does not hold: %s", sentBody.Raw)
	case sentBody.Get(sp+".riskScore").Exists() || sentBody.Get(sp+".roles").Exists():
		t.Fatalf("sent read-only attributes: %s", sentBody.Raw)
	case sentBody.Get(sp+".jobtitle").String() != "Tour Guide" || sentBody.Get(sp+".empId").String() != "701984" ||
		sentBody.Get(sp+".Department").String() != "Tours" || sentBody.Get(sp+".costcenter").Raw != `["4130"]`:
		t.Fatalf("not relocated: %s", sentBody.Raw)
	}
	ent := r.JSON.Get(`urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User`)
	switch {
	case r.JSON.Get("title").String() != "Tour Guide" || ent.Get("employeeNumber").String() != "701984" || ent.Get("department").String() != "Tours" || ent.Get("costCenter").String() != "4130":
		t.Fatalf("not relocated back: %s", r.Body)
	case ent.Get("manager.$ref").String() != "https://gw.example.com/iiq/scim/v2/Users/"+mgr:
		t.Fatalf("manager $ref: %s", ent.Raw)
	case r.JSON.Get("emails.0.primary").Type != gjson.True || r.JSON.Get("active").Type != gjson.True || r.JSON.Get(sp+".isManager").Type != gjson.False:
		t.Fatalf("string booleans left: %s", r.Body)
	case r.JSON.Get(sp+".capabilities").Raw != `["HelpDesk"]`:
		t.Fatalf("capabilities: %s", r.JSON.Get(sp+".capabilities").Raw)
	case r.JSON.Get("meta.version").String() != `W/"1"` || r.Header.Get("ETag") != `W/"1"`:
		t.Fatalf("version %q, ETag %q", r.JSON.Get("meta.version").String(), r.Header.Get("ETag"))
	case r.JSON.Get("roles").Exists():
		t.Fatalf("roles returned without being asked for: %s", r.Body)
	}

	// Roles and entitlements come back when asked for, as SCIM roles and
	// entitlements; their $refs name IdentityIQ resources the gateway does
	// not serve, so they are left out.
	mark = len(emu.Requests())
	r = h.iiq("GET", "/Users/"+id+"?attributes=roles,entitlements,title", "").WantStatus(t, 200)
	section("get with attributes", mark)
	if r.JSON.Get("roles.0.value").String() != "r-employee" || r.JSON.Get("entitlements.0.value").String() != "e-mail" ||
		r.JSON.Get("title").String() != "Tour Guide" || r.JSON.Get("emails").Exists() || strings.Contains(string(r.Body), "/iiq/scim/v2/Roles") {
		t.Fatalf("get: %s", r.Body)
	}
	// As core roles and entitlements declare them: value, display, type
	// (IdentityIQ's acquired, application, accountName and $ref left out).
	shape := func(v gjson.Result) string {
		var out []string
		for _, e := range v.Array() {
			out = append(out, e.Get("value").String()+"|"+e.Get("display").String()+"|"+e.Get("type").String()+"|"+strconv.Itoa(len(e.Map())))
		}
		return strings.Join(out, ",")
	}
	if got := shape(r.JSON.Get("roles")) + " " + shape(r.JSON.Get("entitlements")); got != "r-employee|Employee|business|3 e-mail|Mail user|group|3" {
		t.Fatalf("roles and entitlements: %s", r.Body)
	}
	// The same in a lookup (GET by name) and in a list.
	for _, q := range []string{"?filter=" + url.QueryEscape(`userName eq "bjensen"`) + "&attributes=roles", "?filter=" + url.QueryEscape(`name.familyName eq "Jensen"`) + "&attributes=entitlements,roles"} {
		r := h.iiq("GET", "/Users"+q, "").WantStatus(t, 200)
		if shape(r.JSON.Get("Resources.0.roles")) != "r-employee|Employee|business|3" || r.JSON.Get("Resources.0.emails").Exists() {
			t.Fatalf("%s: %s", q, r.Body)
		}
		if strings.Contains(q, "entitlements") != r.JSON.Get("Resources.0.entitlements").Exists() {
			t.Fatalf("%s: %s", q, r.Body)
		}
	}
	r = h.iiq("GET", "/Users/"+id+"?excludedAttributes=emails,name", "").WantStatus(t, 200)
	if r.JSON.Get("emails").Exists() || r.JSON.Get("name").Exists() || !r.JSON.Get("userName").Exists() {
		t.Fatalf("excluded: %s", r.Body)
	}
	if q := emu.Requests()[len(emu.Requests())-1].Query; !strings.Contains(q, "excludedAttributes=emails%2Cname") {
		t.Fatalf("excludedAttributes not forwarded: %s", q)
	}

	// PATCH: read, apply, PUT with the version read.
	mark = len(emu.Requests())
	r = h.iiq("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"title","value":"Senior Tour Guide"},
		{"op":"replace","path":"emails[type eq \"work\"].value","value":"babs.jensen@example.com"},
		{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"}]}`).WantStatus(t, 200)
	section("patch", mark)
	if r.JSON.Get("title").String() != "Senior Tour Guide" || r.JSON.Get(`emails.#(type=="work").value`).String() != "babs.jensen@example.com" ||
		r.JSON.Get(`urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User.costCenter`).Exists() || r.Header.Get("ETag") != `W/"2"` {
		t.Fatalf("patch: %s %s", r.Header.Get("ETag"), r.Body)
	}
	if got := len(emu.Requests()) - mark; got != 2 || emu.Requests()[mark+1].IfMatch != `W/"1"` {
		t.Fatalf("%d calls, If-Match %q", got, emu.Requests()[mark+1].IfMatch)
	}
	if gjson.GetBytes(emu.Resource("Users", id), sp+".riskScore").Int() != 12 {
		t.Fatal("the PUT lost a read-only attribute")
	}

	// PUT: userName checked against the current one first.
	mark = len(emu.Requests())
	r = h.iiq("PUT", "/Users/"+id, `{"userName":"bjensen","name":{"givenName":"Barbara","familyName":"Jensen-Smith"},"active":false,
		"roles":[{"value":"r-employee"}]}`).WantStatus(t, 200)
	section("replace", mark)
	if r.JSON.Get("name.familyName").String() != "Jensen-Smith" || r.JSON.Get("active").Type != gjson.False || r.JSON.Get("title").Exists() {
		t.Fatalf("replace: %s", r.Body)
	}

	// A lookup by userName is one GET with lookupByName.
	mark = len(emu.Requests())
	r = h.iiq("GET", "/Users?filter="+url.QueryEscape(`userName eq "bjensen"`), "").WantStatus(t, 200)
	section("lookup by userName", mark)
	if r.JSON.Get("totalResults").Int() != 1 || r.JSON.Get("itemsPerPage").Int() != 1 || r.JSON.Get("Resources.0.id").String() != id {
		t.Fatalf("lookup: %s", r.Body)
	}
	if r := h.iiq("GET", "/Users?filter="+url.QueryEscape(`userName eq "nobody"`), "").WantStatus(t, 200); r.JSON.Get("totalResults").Int() != 0 {
		t.Fatalf("lookup of nobody: %s", r.Body)
	}
	// IdentityIQ's lists have no itemsPerPage; the client's do.
	r = h.iiq("GET", "/Users?count=1&sortBy=userName", "").WantStatus(t, 200)
	if r.JSON.Get("itemsPerPage").Int() != 1 || r.JSON.Get("totalResults").Int() != 2 || r.JSON.Get("Resources.0.emails.0.primary").Type == gjson.String {
		t.Fatalf("list: %s", r.Body)
	}

	mark = len(emu.Requests())
	h.iiq("DELETE", "/Users/"+id, "").WantStatus(t, 204)
	section("delete", mark)
	gatewaytest.CheckGolden(t, "testdata/lifecycle.golden", golden.String())
}

func TestIdentityIQUserNameIsImmutable(t *testing.T) {
	h := newIdentityIQ(t)
	emu := h.Emu("iiq")
	id := h.iiq("POST", "/Users", `{"userName":"ann","name":{"givenName":"Ann"}}`).WantStatus(t, 201).JSON.Get("id").String()
	for name, call := range map[string]func() gatewaytest.Response{
		"PUT": func() gatewaytest.Response { return h.iiq("PUT", "/Users/"+id, `{"userName":"anna"}`) },
		"PATCH": func() gatewaytest.Response {
			return h.iiq("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"userName","value":"anna"}]}`)
		},
		"path-less PATCH": func() gatewaytest.Response {
			return h.iiq("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","value":{"userName":"anna","displayName":"A"}}]}`)
		},
	} {
		mark := len(emu.Requests())
		call().WantError(t, 400, "mutability")
		for _, r := range emu.Requests()[mark:] {
			if r.Method == "PUT" {
				t.Fatalf("%s: a PUT was sent", name)
			}
		}
	}
	// Only the case differs: the same userName (IdentityIQ compares
	// names without case).
	h.iiq("PUT", "/Users/"+id, `{"userName":"ANN"}`).WantStatus(t, 200)
}

func TestIdentityIQPatchSafety(t *testing.T) {
	h := newIdentityIQ(t)
	emu := h.Emu("iiq")
	id := h.iiq("POST", "/Users", `{"userName":"ann","title":"t"}`).WantStatus(t, 201).JSON.Get("id").String()

	// Atomic: a failing operation writes nothing.
	mark := len(emu.Requests())
	h.iiq("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"title","value":"x"},{"op":"replace","path":"emails[type eq \"work\"].value","value":"a@x.com"}]}`).WantError(t, 400, "noTarget")
	for _, r := range emu.Requests()[mark:] {
		if r.Method != "GET" {
			t.Fatalf("%s sent for a PATCH that fails", r.Method)
		}
	}
	// Read-only attributes: 400 mutability, nothing read or written.
	mark = len(emu.Requests())
	for _, op := range []string{
		`{"op":"add","path":"roles","value":[{"value":"admin"}]}`,
		`{"op":"replace","path":"urn:ietf:params:scim:schemas:sailpoint:1.0:User:riskScore","value":1}`,
		`{"op":"replace","value":{"entitlements":[{"value":"x"}]}}`,
		`{"op":"add","path":"urn:ietf:params:scim:schemas:sailpoint:1.0:User:entitlements","value":[{"value":"x"}]}`,
	} {
		h.iiq("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[`+op+`]}`).WantError(t, 400, "mutability")
	}
	if len(emu.Requests()) != mark {
		t.Fatal("a PATCH of a read-only attribute reached IdentityIQ")
	}
	// A concurrent change between the read and the PUT: IdentityIQ refuses
	// the stale version, the gateway reads again and applies the PATCH to
	// the new state.
	emu.Inject(emulator.Fault{Method: "PUT", Status: 412})
	mark = len(emu.Requests())
	r := h.iiq("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"displayName","value":"Ann S"}]}`).WantStatus(t, 200)
	var calls []string
	for _, rq := range emu.Requests()[mark:] {
		calls = append(calls, rq.Method)
	}
	if strings.Join(calls, " ") != "GET PUT GET PUT" || r.JSON.Get("displayName").String() != "Ann S" {
		t.Fatalf("calls %v: %s", calls, r.Body)
	}
	// The client's own stale If-Match is 412, not retried.
	h.iiq("PATCH", "/Users/"+id, gatewaytest.PatchOp+`[{"op":"replace","path":"displayName","value":"B"}]}`, "If-Match", `W/"1"`).WantError(t, 412, "")
	if gjson.GetBytes(emu.Resource("Users", id), "displayName").String() != "Ann S" {
		t.Fatal("a stale PATCH was applied")
	}
}

func TestIdentityIQGroupsAndDiscovery(t *testing.T) {
	h := newIdentityIQ(t)
	for _, c := range []struct{ method, path, body string }{{"GET", "/Groups", ""}, {"POST", "/Groups", `{"displayName":"G"}`}, {"GET", "/Groups/1", ""}, {"DELETE", "/Groups/1", ""}} {
		r := h.iiq(c.method, c.path, c.body).WantError(t, 501, "")
		if !strings.Contains(r.JSON.Get("detail").String(), "no SCIM groups") {
			t.Fatalf("%s %s: %s", c.method, c.path, r.Body)
		}
	}
	if n := len(h.Emu("iiq").Requests()); n != 0 {
		t.Fatalf("%d requests reached IdentityIQ", n)
	}
	rts := h.iiq("GET", "/ResourceTypes", "").WantStatus(t, 200)
	if rts.JSON.Get("totalResults").Int() != 1 || rts.JSON.Get("Resources.0.id").String() != "User" {
		t.Fatalf("ResourceTypes: %s", rts.Body)
	}
	h.iiq("GET", "/ResourceTypes/Group", "").WantStatus(t, 404)
	if !h.iiq("GET", "/ServiceProviderConfig", "").JSON.Get("patch.supported").Bool() {
		t.Fatal("PATCH works (emulated) and should say so")
	}
}

func TestIdentityIQUnheldAttributes(t *testing.T) {
	// A tenant mapping may refuse what IdentityIQ does not hold instead of
	// dropping it.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "strict.yaml"), []byte("version: 1\nUser:\n  unmapped: reject\n"), 0o644)
	cfg := strings.Replace(identityiqConfig(), "    backend:", "    mapping: strict.yaml\n    backend:", 1)
	h := newAt(t, filepath.Join(dir, "config.yaml"), cfg)
	r := h.iiq("POST", "/Users", `{"userName":"ann","externalId":"x"}`).WantError(t, 400, "invalidValue")
	if !strings.Contains(r.JSON.Get("detail").String(), "externalId") || len(h.Emu("iiq").Requests()) != 0 {
		t.Fatalf("reject: %s", r.Body)
	}
}

func TestIdentityIQOAuth(t *testing.T) {
	cfg := strings.Replace(identityiqConfig(), "auth: {type: basic, username: spadmin, password: emulator-password}",
		"auth: {type: oauth2, token_url: /identityiq/oauth2/token, client_id: emulator-client, client_secret: emulator-client-secret}", 1)
	h := newH(t, cfg)
	h.iiq("POST", "/Users", `{"userName":"ann"}`).WantStatus(t, 201)
	if a := h.Emu("iiq").Requests()[0].Auth; !strings.HasPrefix(a, "Bearer ") {
		t.Fatalf("Authorization %q", a)
	}
	hb := newIdentityIQ(t)
	hb.iiq("POST", "/Users", `{"userName":"ann"}`).WantStatus(t, 201)
	if a := hb.Emu("iiq").Requests()[0].Auth; !strings.HasPrefix(a, "Basic ") {
		t.Fatalf("Authorization %q", a)
	}
}

// harness is the gateway under test, with this file's tenant shortcuts.
type harness struct{ *gatewaytest.Harness }

func newH(t *testing.T, yaml string) *harness {
	t.Helper()
	return &harness{gatewaytest.New(t, yaml, iiqToken, "s3cret-pass")}
}

func newAt(t *testing.T, file, yaml string) *harness {
	t.Helper()
	return &harness{gatewaytest.NewAt(t, file, yaml, iiqToken, "s3cret-pass")}
}
