package gateway

import (
	"context"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/gateway/store"
	"github.com/scimgw/scimgw/gateway/store/storetest"
	"github.com/scimgw/scimgw/mappings/scim"
)

// shadowTenant is an emulated tenant "s" of dialect with shadow: unheld,
// its state in a file of the test.
func shadowTenant(t *testing.T, dialect, auth, shadow string) *harness {
	return newHarness(t, `
server: {public_url: "https://gw.example.com"}
state: {path: "`+filepath.Join(t.TempDir(), "state.db")+`"}
tenants:
  s:
    dialect: `+dialect+`
    inbound: {bearer_tokens: ["`+acmeToken+`"]}
    backend: {emulated: true, auth: `+auth+`, timeout: 2s, retry: {max_attempts: 3, min_backoff: 10ms, max_backoff: 50ms}}
    shadow: `+shadow+`
`)
}

func backendHas(emu *emulator.Server, endpoint, id, attr string) bool {
	return gjson.GetBytes(emu.Resource(endpoint, id), attr).Exists()
}

// What IdentityIQ and FireHydrant drop is kept by the gateway: written,
// read back, found by a filter, patched, replaced and deleted — and never
// sent to the backend.
func TestShadowUnheld(t *testing.T) {
	for _, tc := range []struct{ dialect, auth, create string }{
		{"identityiq", `{type: basic, username: spadmin, password: emulator-password}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen","externalId":"ext-1","name":{"givenName":"Barbara","familyName":"Jensen"},"emails":[{"value":"bjensen@example.com","type":"work","primary":true}]}`},
		{"firehydrant", `{type: bearer, token: emulator-backend-token}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","externalId":"ext-1","displayName":"Barbara Jensen","title":"Tour Guide","emails":[{"value":"bjensen@example.com","primary":true}]}`},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			h := shadowTenant(t, tc.dialect, tc.auth, "unheld")
			emu := h.emu("s")
			r := h.do("POST", "/s/scim/v2/Users", acmeToken, tc.create).wantStatus(t, 201)
			id := r.json.Get("id").String()
			if r.json.Get("externalId").String() != "ext-1" {
				t.Fatalf("create answer lacks externalId: %s", r.body)
			}
			for _, rq := range emu.Requests() {
				if strings.Contains(rq.Body, "ext-1") {
					t.Fatalf("externalId reached the backend: %s %s", rq.Method, rq.Body)
				}
			}
			if backendHas(emu, "Users", id, "externalId") {
				t.Fatal("the backend holds externalId")
			}
			if tc.dialect == "firehydrant" {
				if r.json.Get("title").String() != "Tour Guide" || r.json.Get("displayName").String() != "Barbara Jensen" {
					t.Fatalf("create answer: %s", r.body)
				}
			}
			h.do("GET", "/s/scim/v2/Users/"+id, acmeToken, "").wantStatus(t, 200)
			if g := h.do("GET", "/s/scim/v2/Users/"+id, acmeToken, ""); g.json.Get("externalId").String() != "ext-1" {
				t.Fatalf("get: %s", g.body)
			}
			// Entra's and Okta's lookups by externalId, case-exact.
			l := h.do("GET", `/s/scim/v2/Users?filter=externalId+eq+%22ext-1%22`, acmeToken, "").wantStatus(t, 200)
			if l.json.Get("totalResults").Int() != 1 || l.json.Get("Resources.0.id").String() != id || l.json.Get("Resources.0.externalId").String() != "ext-1" {
				t.Fatalf("filter externalId: %s", l.body)
			}
			if l := h.do("GET", `/s/scim/v2/Users?filter=externalId+eq+%22EXT-1%22`, acmeToken, ""); l.json.Get("totalResults").Int() != 0 {
				t.Fatalf("externalId is case-exact: %s", l.body)
			}
			if l := h.do("GET", `/s/scim/v2/Users?filter=externalId+eq+%22ext-1%22+and+active+eq+false`, acmeToken, ""); l.json.Get("totalResults").Int() != 0 {
				t.Fatalf("and-ed filter: %s", l.body)
			}
			h.do("GET", `/s/scim/v2/Users?filter=externalId+co+%22ext%22`, acmeToken, "").wantError(t, 400, "invalidFilter")
			// A list merges them too.
			if l := h.do("GET", "/s/scim/v2/Users", acmeToken, ""); l.json.Get("Resources.0.externalId").String() != "ext-1" {
				t.Fatalf("list: %s", l.body)
			}
			// PATCH: the shadow part is the gateway's, the rest the backend's.
			p := h.do("PATCH", "/s/scim/v2/Users/"+id, acmeToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"externalId","value":"ext-2"},{"op":"replace","value":{"externalId":"ext-3","name":{"givenName":"Babs","familyName":"Jensen"}}}]}`).wantStatus(t, 200)
			if p.json.Get("externalId").String() != "ext-3" || p.json.Get("name.givenName").String() != "Babs" {
				t.Fatalf("patch answer: %s", p.body)
			}
			if gjson.GetBytes(emu.Resource("Users", id), "name.givenName").String() != "Babs" || backendHas(emu, "Users", id, "externalId") {
				t.Fatalf("backend after patch: %s", emu.Resource("Users", id))
			}
			if l := h.do("GET", `/s/scim/v2/Users?filter=externalId+eq+%22ext-1%22`, acmeToken, ""); l.json.Get("totalResults").Int() != 0 {
				t.Fatalf("the old value still finds the user: %s", l.body)
			}
			if l := h.do("GET", `/s/scim/v2/Users?filter=externalId+eq+%22ext-3%22`, acmeToken, ""); l.json.Get("totalResults").Int() != 1 {
				t.Fatalf("the new value does not: %s", l.body)
			}
			h.do("PATCH", "/s/scim/v2/Users/"+id, acmeToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"externalId"}]}`).wantStatus(t, 200)
			if g := h.do("GET", "/s/scim/v2/Users/"+id, acmeToken, ""); g.json.Get("externalId").Exists() {
				t.Fatalf("removed externalId still there: %s", g.body)
			}
			// Delete removes them.
			h.do("DELETE", "/s/scim/v2/Users/"+id, acmeToken, "").wantStatus(t, 204)
			if doc, _ := h.gw.store.Shadow(t.Context(), shadowKey(h.gw.tenant("s"), 0, id)); doc != nil {
				t.Fatalf("shadow left after delete: %s", doc)
			}
		})
	}
}

// The effective schema publishes what the gateway keeps.
func TestShadowInSchema(t *testing.T) {
	for shadow, want := range map[string]bool{"[externalId, title]": true, "[externalId]": false} {
		h := shadowTenant(t, "firehydrant", `{type: bearer, token: emulator-backend-token}`, shadow)
		r := h.do("GET", "/s/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", acmeToken, "").wantStatus(t, 200)
		if got := strings.Contains(r.json.Get("attributes.#.name").Raw, `"title"`); got != want {
			t.Fatalf("shadow %s: title published %v: %s", shadow, got, r.json.Get("attributes.#.name").Raw)
		}
	}
}

func TestShadowLint(t *testing.T) {
	for _, tc := range []struct{ shadow, want string }{
		{"[userName]", "userName cannot be shadowed"},
		{"[title]", "title is kept by the User backend"},
		{"[nope]", "nope is not an attribute"},
		{"everything", "must be unheld or a list"},
	} {
		_, err := ParseConfig("c.yaml", []byte(`
tenants:
  s:
    dialect: identityiq
    inbound: {bearer_tokens: ["token-aaaaaaaaaaaa"]}
    backend: {emulated: true}
    shadow: `+tc.shadow+"\n"), builtin.Registry())
		if err == nil || !strings.Contains(err.Error(), "c.yaml:7:13: tenants.s.shadow") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("shadow %s: %v, want %q at 7:13", tc.shadow, err, tc.want)
		}
	}
}

// flakyStore fails PutShadow a number of times, or Shadow always.
type flakyStore struct {
	store.Store
	putFailures atomic.Int32
	readsFail   bool
}

func (f *flakyStore) PutShadow(ctx context.Context, k store.Key, doc []byte, index map[string]string) error {
	if f.putFailures.Add(-1) >= 0 {
		return errBroken
	}
	return f.Store.PutShadow(ctx, k, doc, index)
}

func (f *flakyStore) Shadow(ctx context.Context, k store.Key) ([]byte, error) {
	if f.readsFail {
		return nil, errBroken
	}
	return f.Store.Shadow(ctx, k)
}

// The backend write comes first; a store write that fails after it is
// retried, and when it keeps failing the create still answers (the user
// exists) while the log and the metrics say what was not kept.
func TestShadowWriteFailure(t *testing.T) {
	h := shadowTenant(t, "identityiq", `{type: basic, username: spadmin, password: emulator-password}`, "unheld")
	fs := &flakyStore{Store: h.gw.store}
	h.gw.store = fs
	create := func(name string) response {
		return h.do("POST", "/s/scim/v2/Users", acmeToken, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`","externalId":"x-`+name+`","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"`+name+`@example.com","primary":true}]}`).wantStatus(t, 201)
	}
	// Two failures: the third attempt stores it.
	fs.putFailures.Store(2)
	r := create("retried")
	if g := h.do("GET", "/s/scim/v2/Users/"+r.json.Get("id").String(), acmeToken, ""); g.json.Get("externalId").String() != "x-retried" {
		t.Fatalf("after two failed store writes: %s", g.body)
	}
	// Failing for good: 201 (the backend holds the user), reported.
	fs.putFailures.Store(100)
	r = create("lost")
	if h.emu("s").Resource("Users", r.json.Get("id").String()) == nil {
		t.Fatal("the backend does not hold the user")
	}
	if h.logs.FilterMessageSnippet("shadow attributes could not be stored").Len() != 1 {
		t.Fatal("the failed store write was not logged")
	}
	if n := testutil.ToFloat64(h.gw.metrics.state.WithLabelValues("s", "shadow_write")); n != 1 {
		t.Fatalf("scimgw_state_errors_total{op=shadow_write}: %v", n)
	}
	// A read while the store is down is a 503, never a user missing values.
	fs.readsFail = true
	h.do("GET", "/s/scim/v2/Users/"+r.json.Get("id").String(), acmeToken, "").wantError(t, 503, "")
	// And a PATCH is refused before anything reaches the backend.
	sent := len(h.emu("s").Requests())
	h.do("PATCH", "/s/scim/v2/Users/"+r.json.Get("id").String(), acmeToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"name.givenName","value":"C"}]}`).wantError(t, 503, "")
	if n := len(h.emu("s").Requests()) - sent; n != 0 {
		t.Fatalf("%d requests reached the backend with the store down", n)
	}
}

// Replicas on one PostgreSQL share what they keep: written through one,
// read and found through the other.
func TestShadowAcrossReplicas(t *testing.T) {
	_, url := sharedBackend(t, "identityiq")
	state := `state: {driver: postgres, dsn: "` + storetest.PostgresDSN(t) + `"}`
	cfg := strings.Replace(replicaConfig("identityiq", url, state), "auth: {type: bearer, token: "+dialects.EmulatorToken+"}", "auth: {type: basic, username: spadmin, password: emulator-password}", 1) + "    shadow: unheld\n"
	a, b := newHarness(t, cfg), newHarness(t, cfg)
	r := a.do("POST", "/r/scim/v2/Users", acmeToken, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen","externalId":"ext-9","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"b@example.com","primary":true}]}`).wantStatus(t, 201)
	id := r.json.Get("id").String()
	if g := b.do("GET", "/r/scim/v2/Users/"+id, acmeToken, ""); g.json.Get("externalId").String() != "ext-9" {
		t.Fatalf("the other replica: %s", g.body)
	}
	if l := b.do("GET", `/r/scim/v2/Users?filter=externalId+eq+%22ext-9%22`, acmeToken, ""); l.json.Get("Resources.0.id").String() != id {
		t.Fatalf("the other replica's lookup: %s", l.body)
	}
}

// FuzzShadow: whatever a client sends and a backend answers, extracting
// and merging shadow attributes yields JSON objects, extract keeps only
// shadowed attributes, and a merge carries every shadowed value.
func FuzzShadow(f *testing.F) {
	f.Add([]byte(`{"userName":"a","externalId":"x","title":"t","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"d","manager":{"value":"m"}}}`),
		[]byte(`{"id":"1","userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"}}}`))
	f.Add([]byte(`{"externalId":null,"EXTERNALID":"y"}`), []byte(`{"externalId":1,"id":"2"}`))
	f.Add([]byte(`{}`), []byte(`[]`))
	s := &shadowSet{rt: dialects.User}
	for _, a := range []shadowAttr{{def: scimAttr("externalId", true)}, {def: scimAttr("title", false)}, {urn: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", def: scimAttr("department", false)}} {
		a.key = strings.ToLower(a.def.Name)
		s.attrs = append(s.attrs, a)
	}
	f.Fuzz(func(t *testing.T, body, answer []byte) {
		if !gjson.ValidBytes(body) || !gjson.ValidBytes(answer) {
			return
		}
		sh := s.extract(body)
		if !gjson.ValidBytes(sh) || !gjson.ParseBytes(sh).IsObject() {
			t.Fatalf("extract(%s) = %s", body, sh)
		}
		gjson.ParseBytes(sh).ForEach(func(k, v gjson.Result) bool {
			if v.IsObject() && strings.HasPrefix(strings.ToLower(k.Str), "urn:") {
				v.ForEach(func(sk, _ gjson.Result) bool {
					if s.find(scimPath(k.Str, sk.Str)) == nil {
						t.Fatalf("extract kept %s:%s", k.Str, sk.Str)
					}
					return true
				})
			} else if s.find(scimPath("", k.Str)) == nil {
				t.Fatalf("extract kept %s", k.Str)
			}
			return true
		})
		if !gjson.ParseBytes(answer).IsObject() {
			return
		}
		m := merge(answer, sh)
		if !gjson.ValidBytes(m) || !gjson.ParseBytes(m).IsObject() {
			t.Fatalf("merge(%s, %s) = %s", answer, sh, m)
		}
		s.index(sh) // must not panic
	})
}

func scimAttr(name string, caseExact bool) scim.Attribute {
	return scim.Attribute{Name: name, Type: "string", CaseExact: caseExact}
}

func scimPath(urn, attr string) scim.AttrPath { return scim.AttrPath{URN: urn, Attr: attr} }
