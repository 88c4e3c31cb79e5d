package gateway

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The secrets planted by TestNoSecretAnywhere: every one is distinctive,
// so that finding it anywhere is a leak.
const (
	echoInbound   = "inbound-token-echo-Hy4p"
	basicInbound  = "inbound-token-basic-Lq9d"
	iiqInbound    = "inbound-token-iiq-Tm3s"
	oauthClient   = "echo-client"
	oauthSecret   = "oauth-client-secret-Qv7e"
	oauthToken    = "oauth-access-token-Zk2m"
	basicUser     = "basic-user"
	basicPassword = "basic-pass-Wn5t"
	userPassword  = "user-pass-Rf8v!"
	patchPassword = "patched-pass-Gz6w"
)

// echoBackend is a hostile backend: its error bodies repeat the request's
// Authorization header and body, in the message, the vendor code and the
// correlation id. It records the Authorization headers it got, by path.
type echoBackend struct {
	mu    sync.Mutex
	auths []string
}

func (e *echoBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	auth := r.Header.Get("Authorization")
	e.mu.Lock()
	e.auths = append(e.auths, r.URL.Path+" "+auth)
	e.mu.Unlock()
	if r.URL.Path == "/oauth/token" {
		if id, secret, _ := r.BasicAuth(); id != oauthClient || secret != oauthSecret {
			http.Error(w, `{"error":"invalid_client"}`, 401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, oauthToken)
		return
	}
	echo := "you sent Authorization: " + auth + " with body " + string(body)
	q, _ := json.Marshal(echo)
	switch r.Method {
	case "POST": // a SCIM error
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue","detail":%s}`, q)
	case "PATCH": // Genesys-shaped, the token as code and correlation id
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(409)
		tok := strings.TrimPrefix(strings.TrimPrefix(auth, "Bearer "), "Basic ")
		fmt.Fprintf(w, `{"message":%s,"code":%q,"contextId":%q,"status":409}`, q, tok, tok)
	case "DELETE": // FireHydrant-shaped
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(403)
		fmt.Fprintf(w, `{"detail":%s,"messages":[%s]}`, q, q)
	default: // an HTML page
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(500)
		fmt.Fprintf(w, "<html><body><h1>Internal error</h1><p>%s</p></body></html>", echo)
	}
}

// Distinctive passwords, inbound tokens, backend tokens, Basic
// credentials and OAuth client secrets, and a backend whose errors echo
// the credentials it was sent: none of them appears in any response, in
// the logs at any level, in the metrics or in the traces, and no inbound
// token reaches a backend.
func TestNoSecretAnywhere(t *testing.T) {
	backend := &echoBackend{}
	bs := httptest.NewServer(backend)
	defer bs.Close()
	col := &collector{}
	cs := httptest.NewServer(col)
	defer cs.Close()
	yaml := `
server: {public_url: "https://gw.example.com", log_level: debug, tracing: {endpoint: "` + cs.URL + `"}}
tenants:
  echo:
    dialect: scim2
    inbound: {bearer_tokens: ["` + echoInbound + `"]}
    backend:
      url: "` + bs.URL + `/echo/scim/v2"
      auth: {type: oauth2, token_url: /oauth/token, client_id: ` + oauthClient + `, client_secret: "` + oauthSecret + `"}
      retry: {max_attempts: 1}
      circuit: {failures: 0}
  basic:
    dialect: scim2
    inbound: {bearer_tokens: ["` + basicInbound + `"]}
    backend:
      url: "` + bs.URL + `/basic/scim/v2"
      auth: {type: basic, username: ` + basicUser + `, password: "` + basicPassword + `"}
      retry: {max_attempts: 1}
      circuit: {failures: 0}
  iiq:
    dialect: identityiq
    inbound: {bearer_tokens: ["` + iiqInbound + `"]}
    backend: {emulated: true, auth: {type: basic, username: spadmin, password: emulator-password}}
`
	h := newHarness(t, yaml)
	secrets := []string{echoInbound, basicInbound, iiqInbound, oauthSecret, oauthToken, basicPassword, userPassword, patchPassword,
		base64.StdEncoding.EncodeToString([]byte(basicUser + ":" + basicPassword)), "emulator-password"}
	user := `{"userName":"secret.keeper@example.com","password":"` + userPassword + `","name":{"givenName":"S","familyName":"K"}}`
	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"password","value":"` + patchPassword + `"}]}`
	var answers []response
	for _, c := range []struct{ tenant, token string }{{"echo", echoInbound}, {"basic", basicInbound}} {
		base := "/" + c.tenant + "/scim/v2/Users"
		answers = append(answers,
			h.do("POST", base, c.token, user),
			h.do("GET", base+"?filter=userName+eq+%22secret.keeper@example.com%22", c.token, ""),
			h.do("GET", base+"/u1", c.token, ""),
			h.do("PATCH", base+"/u1", c.token, patch),
			h.do("DELETE", base+"/u1", c.token, ""),
			h.do("GET", base, c.token+"x", ""),             // a wrong token
			h.do("GET", "/iiq/scim/v2/Users", c.token, ""), // another tenant's token
		)
	}
	id := h.do("POST", "/iiq/scim/v2/Users", iiqInbound, user).wantStatus(t, 201).json.Get("id").String()
	answers = append(answers,
		h.do("PATCH", "/iiq/scim/v2/Users/"+id, iiqInbound, patch),
		h.do("GET", "/iiq/scim/v2/Users/"+id, iiqInbound, ""),
		h.do("POST", "/iiq/scim/v2/Users", iiqInbound, `{"userName":"x","password":"`+userPassword+`"`), // bad JSON
	)
	for i, want := range []int{400, 500, 500, 409, 403, 401, 401} {
		if answers[i].status != want || answers[7+i].status != want {
			t.Fatalf("request %d: echo %d, basic %d, want %d: %s", i, answers[i].status, answers[7+i].status, want, answers[i].body)
		}
	}
	metrics := string(h.adminGet("/metrics").body)
	h.gw.Close() // flushes the spans

	where := map[string]string{"metrics": metrics}
	for i, a := range answers {
		hdr, _ := json.Marshal(a.header)
		where[fmt.Sprintf("response %d", i)] = string(hdr) + string(a.body)
	}
	for _, e := range h.logs.All() {
		b, _ := json.Marshal(e.ContextMap())
		where["log "+e.Message] += string(b)
	}
	if h.logs.FilterMessage("backend refused the request").Len() == 0 || h.logs.FilterMessage("request failed").Len() == 0 {
		t.Fatal("the backend's messages were not logged (redacted) at all")
	}
	for _, s := range col.spans {
		b, _ := json.Marshal(s)
		where["span "+s.Name] += string(b)
	}
	if len(col.spans) == 0 {
		t.Fatal("no spans exported")
	}
	for place, text := range where {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s carries %q: %s", place, s, text)
			}
		}
	}
	backend.mu.Lock()
	defer backend.mu.Unlock()
	for _, a := range backend.auths {
		for _, s := range []string{echoInbound, basicInbound, iiqInbound} {
			if strings.Contains(a, s) {
				t.Errorf("an inbound token reached the backend: %s", a)
			}
		}
		if strings.HasPrefix(a, "/basic/") && strings.Contains(a, oauthToken) {
			t.Errorf("tenant echo's token reached tenant basic's backend: %s", a)
		}
	}
	if n := testutil.ToFloat64(h.gw.metrics.tokens.WithLabelValues("echo", "ok")); n != 1 {
		t.Fatalf("token fetches: %v", n)
	}
}

func TestRedact(t *testing.T) {
	tn := &tenant{secrets: []string{"configured-secret-1"}}
	for _, c := range []struct{ in, want string }{
		{"user not found", "user not found"},
		{"the token expired", "the token expired"},
		{"bad password=hunter2&x=1", "bad password=[redacted]&x=1"},
		{`{"client_secret":"abc"}`, `{"client_secret":"[redacted]"}`},
		{"got Bearer abc.def-ghi", "got [redacted]"},
		{"header Authorization: Basic Zm9vOmJhcg== was wrong", "header [redacted] was wrong"},
		{"echo configured-secret-1 back", "echo [redacted] back"},
	} {
		if got := tn.redact(nil, c.in); got != c.want {
			t.Errorf("redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
