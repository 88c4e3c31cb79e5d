package gateway

import (
	"github.com/scimgw/scimgw/dialects/conformance"
	"github.com/scimgw/scimgw/dialects/purecloud"
	"github.com/scimgw/scimgw/dialects/scim2"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects/emulator"
)

// The SCIM contract end to end: what Entra ID and Okta really send,
// through real HTTP, and what each backend received.

const (
	patchHead = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`
	entURN    = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// sentSince returns the requests an emulated backend received after mark.
func sentSince(emu *emulator.Server, mark int) []emulator.Recorded { return emu.Requests()[mark:] }

// lastBody returns the body of the last request with the method.
func lastBody(t *testing.T, reqs []emulator.Recorded, method string) gjson.Result {
	t.Helper()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method {
			return gjson.Parse(reqs[i].Body)
		}
	}
	t.Fatalf("no %s reached the backend: %+v", method, reqs)
	return gjson.Result{}
}

// Finding 1: Entra's default member removal must remove only the members
// it lists. RFC 7644 §3.5.2.2 reads a remove of "members" without a filter
// as "remove all members", and the strict emulators do just that.
func TestContractMemberRemovalKeepsTheOthers(t *testing.T) {
	create := func(h *harness, tenant, token, members string) string {
		return h.do("POST", "/"+tenant+"/scim/v2/Groups", token, `{"displayName":"Ops","members":[`+members+`]}`).wantStatus(h.t, 201).json.Get("id").String()
	}
	users := func(h *harness, tenant, token string, userName func(i string) string) []string {
		var ids []string
		for _, i := range []string{"1", "2", "3"} {
			body := `{"userName":"` + userName(i) + `","displayName":"Member ` + i + `","name":{"givenName":"M","familyName":"` + i + `"}}`
			ids = append(ids, h.do("POST", "/"+tenant+"/scim/v2/Users", token, body).wantStatus(h.t, 201).json.Get("id").String())
		}
		return ids
	}
	for _, tc := range []struct {
		dialect, tenant, token string
		newH                   func(t *testing.T) *harness
		userName               func(string) string
		existing               bool // groups exist in the backend (Genesys Cloud)
	}{
		{"scim2", "acme", acmeToken, func(t *testing.T) *harness { return newHarness(t, testConfig) }, func(i string) string { return "m" + i }, false},
		{"cube", "cube", cubeToken, func(t *testing.T) *harness { return newHarness(t, testConfig) }, func(i string) string { return "m" + i }, false},
		{"purecloud", conformance.Tenant, conformance.Token, func(t *testing.T) *harness { return newHarness(t, conformance.Config(purecloud.Factory)) }, func(i string) string { return "m" + i + "@example.com" }, true},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			h := tc.newH(t)
			emu := h.emu(tc.tenant)
			ids := users(h, tc.tenant, tc.token, tc.userName)
			members := `{"value":"` + ids[0] + `"},{"value":"` + ids[1] + `"},{"value":"` + ids[2] + `"}`
			var gid string
			if tc.existing {
				gid = h.do("GET", "/"+tc.tenant+"/scim/v2/Groups?filter="+url.QueryEscape(`displayName eq "Support"`), tc.token, "").json.Get("Resources.0.id").String()
				h.do("PATCH", "/"+tc.tenant+"/scim/v2/Groups/"+gid, tc.token, patchHead+`[{"op":"add","path":"members","value":[`+members+`]}]}`).wantStatus(t, 200)
			} else {
				gid = create(h, tc.tenant, tc.token, members)
			}
			mark := len(emu.Requests())
			h.do("PATCH", "/"+tc.tenant+"/scim/v2/Groups/"+gid, tc.token,
				`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"`+ids[0]+`"},{"value":"`+ids[2]+`"}]}]}`).wantStatus(t, 200)
			sent := sentSince(emu, mark)
			body := lastBody(t, sent, "PATCH")
			op := body.Get("Operations.0")
			want := `members[value eq "` + ids[0] + `" or value eq "` + ids[2] + `"]`
			if op.Get("op").String() != "remove" || op.Get("path").String() != want || op.Get("value").Exists() {
				t.Fatalf("the backend received %s, want remove %s", body.Raw, want)
			}
			stored := gjson.ParseBytes(emu.Resource("Groups", gid))
			if n := stored.Get("members.#").Int(); n != 1 || stored.Get("members.0.value").String() != ids[1] {
				t.Fatalf("the group lost members it was not asked to: %s", stored.Raw)
			}
		})
	}
}

// Finding 2: a value filter on an attribute the backend does not keep is
// refused, never widened (Cube keeps no email type); on an RFC backend the
// filter selects exactly the values it names, and a replace that matches
// nothing is 400 noTarget.
func TestContractEmailValueFilters(t *testing.T) {
	h := newHarness(t, testConfig)
	const user = `{"userName":"e@example.com","emails":[{"value":"work@example.com","type":"work","primary":true},{"value":"home@example.com","type":"home"}],"name":{"givenName":"E","familyName":"F"}}`
	cid := h.cube("POST", "/Users", user).wantStatus(t, 201).json.Get("id").String()
	mark := len(h.emu("cube").Requests())
	for _, op := range []string{
		`{"op":"replace","path":"emails[type eq \"work\"].value","value":"new@example.com"}`,
		`{"op":"remove","path":"emails[type eq \"home\"]"}`,
		`{"op":"replace","path":"emails[type eq \"nonexistent\"].value","value":"x@example.com"}`,
	} {
		r := h.cube("PATCH", "/Users/"+cid, patchHead+`[`+op+`]}`).wantError(t, 400, "invalidPath")
		if !strings.Contains(r.json.Get("detail").String(), "emails.type") {
			t.Fatalf("detail does not say why: %s", r.body)
		}
	}
	if n := len(h.emu("cube").Requests()) - mark; n != 0 {
		t.Fatalf("%d refused requests reached Cube", n)
	}
	if got := gjson.ParseBytes(h.emu("cube").Resource("Users", cid)).Get("emails.#").Int(); got != 2 {
		t.Fatalf("Cube's emails changed: %d", got)
	}

	id := h.acme("POST", "/Users", user).wantStatus(t, 201).json.Get("id").String()
	stored := func() gjson.Result { return gjson.ParseBytes(h.emu("acme").Resource("Users", id)) }
	h.acme("PATCH", "/Users/"+id, patchHead+`[{"op":"replace","path":"emails[type eq \"work\"].value","value":"new@example.com"}]}`).wantStatus(t, 200)
	if s := stored(); s.Get(`emails.#(type=="work").value`).String() != "new@example.com" || s.Get(`emails.#(type=="home").value`).String() != "home@example.com" {
		t.Fatalf("replace rewrote more than the work email: %s", s.Get("emails").Raw)
	}
	h.acme("PATCH", "/Users/"+id, patchHead+`[{"op":"replace","path":"emails[type eq \"nonexistent\"].value","value":"x@example.com"}]}`).wantError(t, 400, "noTarget")
	h.acme("PATCH", "/Users/"+id, patchHead+`[{"op":"remove","path":"emails[type eq \"home\"]"}]}`).wantStatus(t, 200)
	if s := stored(); s.Get("emails.#").Int() != 1 || s.Get("emails.0.value").String() != "new@example.com" {
		t.Fatalf("remove of the home email: %s", s.Get("emails").Raw)
	}
	// A new primary takes the flag from the old one (RFC 7644 §3.5.2).
	h.acme("PATCH", "/Users/"+id, patchHead+`[{"op":"add","path":"emails","value":[{"value":"other@example.com","type":"other","primary":true}]}]}`).wantStatus(t, 200)
	if s := stored(); s.Get(`emails.#(primary==true)#.value`).String() != `["other@example.com"]` {
		t.Fatalf("primaries after a new one: %s", s.Get("emails").Raw)
	}
}

// Finding 3: Entra's legacy manager update (unqualified path, one-element
// array) reaches an RFC backend qualified and as one complex value.
func TestContractLegacyManager(t *testing.T) {
	h := newHarness(t, testConfig)
	mid := h.acme("POST", "/Users", `{"userName":"boss"}`).wantStatus(t, 201).json.Get("id").String()
	id := h.acme("POST", "/Users", `{"userName":"minion"}`).wantStatus(t, 201).json.Get("id").String()
	mark := len(h.emu("acme").Requests())
	h.acme("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"manager","value":[{"$ref":"../Users/`+mid+`","value":"`+mid+`"}]}]}`).wantStatus(t, 200)
	op := lastBody(t, sentSince(h.emu("acme"), mark), "PATCH").Get("Operations.0")
	if op.Get("op").String() != "add" || op.Get("path").String() != entURN+":manager" || !op.Get("value").IsObject() || op.Get("value.value").String() != mid {
		t.Fatalf("the backend received %s", op.Raw)
	}
	if got := gjson.ParseBytes(h.emu("acme").Resource("Users", id)).Get(strings.ReplaceAll(entURN, ".", `\.`) + ".manager.value").String(); got != mid {
		t.Fatalf("stored manager %q", got)
	}
}

// Finding 4: a backend receives exactly the schema URIs it serves that the
// body uses, whatever the client listed.
func TestContractSchemas(t *testing.T) {
	h := newHarness(t, testConfig)
	emu := h.emu("acme")
	for _, tc := range []struct{ name, path, body, want string }{
		{"Entra's misspelt enterprise URI", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],"userName":"s1"}`,
			`["urn:ietf:params:scim:schemas:core:2.0:User"]`},
		{"an extension used but not listed", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"s2","` + entURN + `":{"department":"D"}}`,
			`["urn:ietf:params:scim:schemas:core:2.0:User","` + entURN + `"]`},
		{"no schemas at all", "/Users", `{"userName":"s3"}`, `["urn:ietf:params:scim:schemas:core:2.0:User"]`},
		{"the ADSCIM group URI", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"displayName":"G"}`,
			`["urn:ietf:params:scim:schemas:core:2.0:Group"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mark := len(emu.Requests())
			h.acme("POST", tc.path, tc.body).wantStatus(t, 201)
			if got := lastBody(t, sentSince(emu, mark), "POST").Get("schemas").Raw; got != tc.want {
				t.Fatalf("the backend received schemas %s, want %s", got, tc.want)
			}
		})
	}
}

// Finding 6: values are checked against the schema, and bodies are
// bounded, before anything is forwarded.
func TestContractRefusedBeforeSending(t *testing.T) {
	h := newHarness(t, conformance.Config(scim2.Factory))
	uid := h.do("POST", "/"+conformance.Tenant+"/scim/v2/Users", conformance.Token, `{"userName":"u"}`).wantStatus(t, 201).json.Get("id").String()
	gid := h.do("POST", "/"+conformance.Tenant+"/scim/v2/Groups", conformance.Token, `{"displayName":"g"}`).wantStatus(t, 201).json.Get("id").String()
	deep := `{"userName":"d","name":{"givenName":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}}`
	many := `{"userName":"m","emails":[` + strings.TrimSuffix(strings.Repeat(`1,`, 100000), ",") + `]}`
	for _, tc := range []struct {
		name, method, path, body, scimType, detail string
		status                                     int
	}{
		{"a member as a string", "PATCH", "/Groups/" + gid, patchHead + `[{"op":"add","path":"members","value":"string id 1"}]}`, "invalidValue", "members", 400},
		{"two primary emails", "POST", "/Users", `{"userName":"p","emails":[{"value":"a@x","primary":true},{"value":"b@x","primary":true}]}`, "invalidValue", "primary", 400},
		{"two new primaries in a PATCH", "PATCH", "/Users/" + uid, patchHead + `[{"op":"add","path":"emails","value":[{"value":"a@x","primary":true},{"value":"b@x","primary":"True"}]}]}`, "invalidValue", "primary", 400},
		{"a boolean ordered", "GET", "/Users?filter=" + url.QueryEscape("active gt true"), "", "invalidFilter", "ordering", 400},
		{"a 10,000-deep array", "POST", "/Users", deep, "invalidSyntax", "nested deeper", 400},
		{"100,000 emails", "POST", "/Users", many, "invalidValue", "more than 10000 values", 400},
		{"invalid UTF-8", "POST", "/Users", "{\"userName\":\"bad\xff\"}", "invalidSyntax", "UTF-8", 400},
		{"two userNames", "POST", "/Users", `{"userName":"a","userName":"b"}`, "invalidSyntax", "appears twice", 400},
		{"two userNames in other cases", "PUT", "/Users/" + uid, `{"userName":"a","UserName":"b"}`, "invalidSyntax", "appears twice", 400},
		{"a 64 KB filter", "GET", "/Users?filter=" + url.QueryEscape(`userName eq "`+strings.Repeat("x", 64<<10)+`"`), "", "invalidFilter", "longer than", 400},
		{"an active that is no boolean", "POST", "/Users", `{"userName":"x","active":"maybe"}`, "invalidValue", "active must be a boolean", 400},
		{"a manager that is a number", "POST", "/Users", `{"userName":"x","` + entURN + `":{"manager":7}}`, "invalidValue", "manager is complex", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mark := len(h.emu(conformance.Tenant).Requests())
			r := h.do(tc.method, "/"+conformance.Tenant+"/scim/v2"+tc.path, conformance.Token, tc.body).wantError(t, tc.status, tc.scimType)
			if !strings.Contains(r.json.Get("detail").String(), tc.detail) {
				t.Fatalf("detail: %s", r.body)
			}
			if n := len(h.emu(conformance.Tenant).Requests()) - mark; n != 0 {
				t.Fatalf("%d request(s) reached the backend", n)
			}
		})
	}
}

// Finding 7: an id is one opaque path segment.
func TestContractIDs(t *testing.T) {
	h := newHarness(t, testConfig)
	for _, raw := range []string{"..", ".", "..%5C", "a%00b", "%2e%2e", "a%5Cb", "x%1Fy", strings.Repeat("i", 300)} {
		for _, method := range []string{"GET", "DELETE", "PATCH", "PUT"} {
			mark := len(h.emu("acme").Requests())
			body := ""
			switch method {
			case "PATCH":
				body = patchHead + `[{"op":"replace","path":"title","value":"x"}]}`
			case "PUT":
				body = `{"userName":"x"}`
			}
			req, _ := http.NewRequest(method, h.srv.URL+"/acme/scim/v2/Users/"+raw, strings.NewReader(body))
			req.URL.RawPath = "/acme/scim/v2/Users/" + raw
			req.Header.Set("Authorization", "Bearer "+acmeToken)
			req.Header.Set("Content-Type", "application/scim+json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 404 && resp.StatusCode != 400 {
				t.Errorf("%s /Users/%s: %d", method, raw, resp.StatusCode)
			}
			if n := len(h.emu("acme").Requests()) - mark; n != 0 {
				t.Errorf("%s /Users/%s reached the backend: %+v", method, raw, sentSince(h.emu("acme"), mark))
			}
		}
	}
	// An ordinary id with reserved characters is escaped, one segment.
	mark := len(h.emu("acme").Requests())
	h.acme("GET", "/Users/a%20b%3Fc", "").wantError(t, 404, "")
	if reqs := sentSince(h.emu("acme"), mark); len(reqs) != 1 || reqs[0].Path != "/scim/v2/Users/a b?c" {
		t.Fatalf("sent %+v", reqs)
	}
}

// Finding 8: what the service does not implement is 501 (RFC 7644 §3.11,
// §3.12); a known path with a wrong method keeps 405 and Allow.
func TestContractNotImplemented(t *testing.T) {
	h := newHarness(t, testConfig)
	h.acme("GET", "/Me", "").wantError(t, 501, "")
	h.acme("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[]}`).wantError(t, 501, "")
	h.acme("BREW", "/Users", "").wantError(t, 501, "")
	h.do("BREW", "/acme/scim/v2/Users", "", "").wantError(t, 401, "")
	r := h.acme("DELETE", "/Users", "").wantError(t, 405, "")
	if r.header.Get("Allow") != "GET, POST" {
		t.Fatalf("Allow %q", r.header.Get("Allow"))
	}
}
