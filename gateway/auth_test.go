package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// oauthBackend is a SCIM backend behind an OAuth2 client-credentials
// token endpoint, counting token grants.
type oauthBackend struct {
	srv    *httptest.Server
	grants atomic.Int32
	mu     sync.Mutex
	valid  map[string]bool
}

func newOAuthBackend(t *testing.T) *oauthBackend {
	b := &oauthBackend{valid: map[string]bool{}}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oauth/token":
			id, secret, ok := r.BasicAuth()
			r.ParseForm()
			if !ok || id != "my%3Aclient" || secret != "client-secret-xyz" || r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("scope") != "scim admin" {
				w.WriteHeader(401)
				fmt.Fprint(w, `{"error":"invalid_client"}`)
				return
			}
			time.Sleep(20 * time.Millisecond) // let concurrent requests pile up
			n := b.grants.Add(1)
			tok := fmt.Sprintf("tok-%d", n)
			b.mu.Lock()
			b.valid[tok] = true
			b.mu.Unlock()
			json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
		case "/scim/v2/Users":
			b.mu.Lock()
			ok := b.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
			b.mu.Unlock()
			if !ok {
				w.WriteHeader(401)
				fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"token expired"}`)
				return
			}
			w.Header().Set("Content-Type", "application/scim+json")
			fmt.Fprint(w, `{"totalResults":0,"Resources":[]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *oauthBackend) revokeAll() {
	b.mu.Lock()
	b.valid = map[string]bool{}
	b.mu.Unlock()
}

func oauthConfig(url string) string {
	return acmeConfig(`{url: "` + url + `/scim/v2", timeout: 2s, retry: {max_attempts: 2, min_backoff: 10ms, max_backoff: 20ms},
      auth: {type: oauth2, token_url: "` + url + `/oauth/token", client_id: "my:client", client_secret: client-secret-xyz, scopes: [scim, admin]}}`)
}

func TestOAuth2ClientCredentials(t *testing.T) {
	b := newOAuthBackend(t)
	h := newHarness(t, oauthConfig(b.srv.URL))

	// Many concurrent requests share one token grant.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := h.acme("GET", "/Users", ""); r.status != 200 {
				t.Errorf("status %d: %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	if n := b.grants.Load(); n != 1 {
		t.Fatalf("%d token grants for concurrent requests, want 1", n)
	}
	h.acme("GET", "/Users", "").wantStatus(t, 200)
	if n := b.grants.Load(); n != 1 {
		t.Fatalf("cached token not reused: %d grants", n)
	}
	// A backend 401 refreshes the token once and retries.
	b.revokeAll()
	h.acme("GET", "/Users", "").wantStatus(t, 200)
	if n := b.grants.Load(); n != 2 {
		t.Fatalf("%d grants after a revoked token, want 2", n)
	}
}

func TestOAuth2TokenExpiry(t *testing.T) {
	b := newOAuthBackend(t)
	now := time.Now()
	src := &oauth2Source{cfg: AuthConfig{TokenURL: b.srv.URL + "/oauth/token", ClientID: "my:client", ClientSecret: "client-secret-xyz", Scopes: []string{"scim", "admin"}, ClientAuth: "basic"}, hc: http.DefaultClient, now: func() time.Time { return now }}
	h1, err := src.header(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(3600*time.Second - refreshMargin - time.Second)
	if h2, _ := src.header(t.Context()); h2 != h1 {
		t.Fatal("token refreshed too early")
	}
	now = now.Add(2 * time.Second)
	if h3, _ := src.header(t.Context()); h3 == h1 {
		t.Fatal("token not refreshed before expiry")
	}
}

func TestOAuth2Refused(t *testing.T) {
	b := newOAuthBackend(t)
	h := newHarness(t, strings.Replace(oauthConfig(b.srv.URL), "client-secret-xyz", "wrong-secret-xyz", 1))
	r := h.acme("GET", "/Users", "").wantError(t, 502, "")
	if !strings.Contains(r.json.Get("detail").String(), "credentials") {
		t.Fatalf("detail: %s", r.body)
	}
}

func TestStaticBackendAuth(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"totalResults":0,"Resources":[]}`)
	}))
	defer srv.Close()
	for _, tc := range []struct{ auth, want string }{
		{`{type: bearer, token: abc}`, "Bearer abc"},
		{`{type: basic, username: svc, password: s3cret-pass}`, "Basic c3ZjOnMzY3JldC1wYXNz"},
		{`{type: none}`, ""},
	} {
		h := newHarness(t, acmeConfig(`{url: "`+srv.URL+`", auth: `+tc.auth+`}`))
		h.acme("GET", "/Users", "").wantStatus(t, 200)
		if got.Load() != tc.want {
			t.Fatalf("%s: backend got Authorization %q, want %q", tc.auth, got.Load(), tc.want)
		}
	}
}

func TestInboundTokensConstantTime(t *testing.T) {
	ts := newTokenSet([]string{"first-token-1", "second-token-2"})
	for _, tc := range []struct {
		h  string
		ok bool
	}{
		{"Bearer first-token-1", true},
		{"bearer second-token-2", true},
		{"Bearer first-token-", false},
		{"Bearer first-token-12", false},
		{"Basic first-token-1", false},
		{"first-token-1", false},
		{"", false},
	} {
		if ts.allows(tc.h) != tc.ok {
			t.Errorf("allows(%q) = %v", tc.h, !tc.ok)
		}
	}
}
