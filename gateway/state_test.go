package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/gateway/store"
	"github.com/scimgw/scimgw/gateway/store/storetest"
)

// sharedBackend serves one emulated backend of a dialect over HTTP, for
// several gateways at once.
func sharedBackend(t *testing.T, dialect string) (*emulator.Server, string) {
	t.Helper()
	f, err := builtin.Registry().Lookup(dialect)
	if err != nil {
		t.Fatal(err)
	}
	emu := f.NewEmulator(dialects.Options{}).(*emulator.Server)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, srv.URL + emu.BasePath()
}

// replicaConfig is one tenant "r" of dialect on backend url, with state.
func replicaConfig(dialect, url, state string) string {
	return `
server: {public_url: "https://gw.example.com"}
` + state + `
tenants:
  r:
    dialect: ` + dialect + `
    inbound: {bearer_tokens: ["` + acmeToken + `"]}
    backend:
      url: "` + url + `"
      auth: {type: bearer, token: ` + dialects.EmulatorToken + `}
      timeout: 3s
      retry: {max_attempts: 3, min_backoff: 10ms, max_backoff: 50ms}
`
}

// replicas returns n gateways on one backend and one state: PostgreSQL
// for n > 1 (the embedded store serves one process), embedded otherwise.
func replicas(t *testing.T, n int, dialect string) ([]*harness, *emulator.Server) {
	t.Helper()
	emu, url := sharedBackend(t, dialect)
	state := ""
	if n > 1 {
		state = `state: {driver: postgres, dsn: "` + storetest.PostgresDSN(t) + `"}`
	}
	var hs []*harness
	for range n {
		hs = append(hs, newHarness(t, replicaConfig(dialect, url, state)))
	}
	return hs, emu
}

// together sends n requests at once and returns their answers in order.
func together(n int, send func(i int) response) []response {
	answers := make([]response, n)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = send(i)
		}()
	}
	wg.Wait()
	return answers
}

func posts(emu *emulator.Server, path string) int {
	n := 0
	for _, r := range emu.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, path) {
			n++
		}
	}
	return n
}

// Identical creates sent together, to one gateway or spread over two
// replicas, reach the backend once: every answer is the one user (201).
func TestLedgerOneCreate(t *testing.T) {
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d replicas", n), func(t *testing.T) {
			hs, emu := replicas(t, n, "scim2")
			// The first POST is slow, so that the others come while it runs.
			emu.Inject(emulator.Fault{Method: http.MethodPost, Delay: 300 * time.Millisecond, Slow: true})
			body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","externalId":"e-1"}`
			answers := together(50, func(i int) response {
				// userName is case-insensitive: so is the claim.
				b := body
				if i%3 == 0 {
					b = strings.Replace(body, "bjensen@", "BJensen@", 1)
				}
				return hs[i%n].do("POST", "/r/scim/v2/Users", acmeToken, b)
			})
			id := ""
			for i, r := range answers {
				switch {
				case r.status == 201 && (id == "" || r.json.Get("id").String() == id):
					id = r.json.Get("id").String()
				case r.status == 409 && r.json.Get("scimType").String() == "uniqueness":
				default:
					t.Fatalf("answer %d: %d %s", i, r.status, r.body)
				}
			}
			if got := emu.Count("Users"); got != 1 {
				t.Fatalf("%d users on the backend, want 1", got)
			}
			if got := posts(emu, "/Users"); got != 1 {
				t.Fatalf("the backend received %d POSTs, want 1", got)
			}
			// A create that comes after is a create of its own: 409.
			hs[0].do("POST", "/r/scim/v2/Users", acmeToken, body).wantStatus(t, 409)
		})
	}
}

// A refusal is shared too: identical creates sent together while the
// backend refuses the first get its answer, and the backend sees one POST.
func TestLedgerSharesARefusal(t *testing.T) {
	hs, emu := replicas(t, 1, "scim2")
	emu.Inject(emulator.Fault{Method: http.MethodPost, Delay: 300 * time.Millisecond, Status: 400})
	answers := together(10, func(int) response {
		return hs[0].do("POST", "/r/scim/v2/Users", acmeToken, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com"}`)
	})
	for i, r := range answers {
		if r.status != 400 || r.json.Get("schemas.0").String() != "urn:ietf:params:scim:api:messages:2.0:Error" {
			t.Fatalf("answer %d: %d %s", i, r.status, r.body)
		}
	}
	if got := posts(emu, "/Users"); got != 1 {
		t.Fatalf("the backend received %d POSTs, want 1", got)
	}
}

// A claim left by a replica that died is taken over: the create looks the
// user up first, and finds the one the dead replica created.
func TestLedgerTakeOver(t *testing.T) {
	hs, emu := replicas(t, 1, "scim2")
	h := hs[0]
	id := emu.Seed("Users", map[string]any{"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "bjensen@example.com"})
	if _, err := h.gw.store.Claim(context.Background(), "create/r/User/bjensen@example.com", "dead-replica", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	mark := len(emu.Requests())
	r := h.do("POST", "/r/scim/v2/Users", acmeToken, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com"}`).wantStatus(t, 201)
	if r.json.Get("id").String() != id {
		t.Fatalf("answered %s, want the existing user %s", r.body, id)
	}
	for _, rq := range emu.Requests()[mark:] {
		if rq.Method != http.MethodGet {
			t.Fatalf("the backend received %s %s, want only the lookup", rq.Method, rq.Path)
		}
	}
}

// brokenStore fails every operation.
type brokenStore struct{ store.Store }

var errBroken = errors.New("connection refused")

func (brokenStore) Claim(context.Context, string, string, time.Duration) (store.Claim, error) {
	return store.Claim{}, errBroken
}

func (brokenStore) Ping(context.Context) error { return errBroken }
func (brokenStore) Close() error               { return nil }

// A write that needs the store is refused with a SCIM 503 when the store
// is unreachable, and nothing is sent to the backend; reads still work.
func TestStateUnreachable(t *testing.T) {
	hs, emu := replicas(t, 1, "firehydrant")
	h := hs[0]
	h.gw.store = brokenStore{}
	r := h.do("POST", "/r/scim/v2/Users", acmeToken, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","name":{"givenName":"B","familyName":"J"},"emails":[{"value":"bjensen@example.com"}]}`)
	r.wantStatus(t, 503)
	if !strings.Contains(r.json.Get("detail").String(), "state store is unavailable") || r.json.Get("status").String() != "503" {
		t.Fatalf("answer: %s", r.body)
	}
	g := emu.Seed("Groups", map[string]any{"displayName": "Ops"})
	r = h.do("PATCH", "/r/scim/v2/Groups/"+g, acmeToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Ops 2"}]}`)
	r.wantStatus(t, 503)
	// Every refusal is counted; the first of each second is logged.
	if n := h.logs.FilterMessageSnippet("state store unavailable").Len(); n != 1 {
		t.Fatalf("%d log lines for 2 refusals within a second", n)
	}
	if m := h.adminGet("/metrics"); !strings.Contains(string(m.body), `scimgw_state_errors_total{op="claim",tenant="r"} 1`) || !strings.Contains(string(m.body), `scimgw_state_errors_total{op="lock",tenant="r"} 1`) {
		t.Fatalf("metrics:\n%s", m.body)
	}
	if len(emu.Requests()) != 0 {
		t.Fatalf("the backend received %d requests", len(emu.Requests()))
	}
	h.do("GET", "/r/scim/v2/Groups/"+g, acmeToken, "").wantStatus(t, 200)
	if resp, _ := http.Get(h.srv.URL + "/readyz"); resp.StatusCode != 503 {
		t.Fatalf("/readyz %d with the store unreachable", resp.StatusCode)
	}
}

// Concurrent member adds on one FireHydrant Team (no PATCH, no versions:
// the gateway reads, applies and replaces), spread over two replicas, all
// land: the store's lock serialises them.
func TestLockSerialisesReadModifyWrite(t *testing.T) {
	hs, emu := replicas(t, 2, "firehydrant")
	var users []string
	for i := range 40 {
		users = append(users, emu.Seed("Users", map[string]any{"userName": fmt.Sprintf("u%d@example.com", i), "name": map[string]any{"givenName": "U", "familyName": fmt.Sprint(i)}, "emails": []any{map[string]any{"value": fmt.Sprintf("u%d@example.com", i), "primary": true}}}))
	}
	team := emu.Seed("Groups", map[string]any{"displayName": "Responders"})
	adds := together(len(users), func(i int) response {
		return hs[i%2].do("PATCH", "/r/scim/v2/Groups/"+team, acmeToken,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+users[i]+`"}]}]}`)
	})
	for i, r := range adds {
		if r.status != 200 {
			t.Errorf("add %s: %d %s", users[i], r.status, r.body)
		}
	}
	r := hs[0].do("GET", "/r/scim/v2/Groups/"+team, acmeToken, "").wantStatus(t, 200)
	if n := len(r.json.Get("members").Array()); n != 40 {
		t.Fatalf("%d members after 40 concurrent adds, want 40", n)
	}
}
