package emulator

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAdminAPIAndStrictness(t *testing.T) {
	emu := New(Profile{Name: "t", BasePath: "/api/scim/v2", Token: "tok", Patch: true,
		Allowed: map[string]map[string][]string{"User": {"userName": nil, "name": {"givenName"}}}})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	do := func(method, path, body string, auth bool) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if auth {
			req.Header.Set("Authorization", "Bearer tok")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if s, _ := do("GET", "/api/scim/v2/Users", "", false); s != 401 {
		t.Fatalf("no token: %d", s)
	}
	if s, b := do("POST", "/api/scim/v2/Users", `{"userName":"a","title":"x"}`, true); s != 400 || !strings.Contains(b, "title") {
		t.Fatalf("unknown attribute accepted: %d %s", s, b)
	}
	if s, b := do("POST", "/api/scim/v2/Users", `{"userName":"a","name":{"familyName":"x"}}`, true); s != 400 || !strings.Contains(b, "name.familyName") {
		t.Fatalf("unknown sub-attribute accepted: %d %s", s, b)
	}
	if s, b := do("POST", "/api/scim/v2/Groups", `{"displayName":"g"}`, true); s != 404 {
		t.Fatalf("groups served without Profile.Groups: %d %s", s, b)
	}
	if s, _ := do("POST", "/_emulator/faults", `{"status":418,"times":2}`, false); s != 204 {
		t.Fatalf("inject: %d", s)
	}
	for i := 0; i < 2; i++ {
		if s, _ := do("GET", "/api/scim/v2/Users", "", true); s != 418 {
			t.Fatalf("fault %d not applied: %d", i, s)
		}
	}
	if s, _ := do("GET", "/api/scim/v2/Users", "", true); s != 200 {
		t.Fatalf("fault outlived its count: %d", s)
	}
	do("POST", "/_emulator/faults", `{"reset":true}`, false)
	// A POST, since Go's transport would transparently resend a GET.
	if s, _ := do("POST", "/api/scim/v2/Users", `{"userName":"r"}`, true); s != 0 || emu.Count("Users") != 0 {
		t.Fatalf("reset fault answered %d", s)
	}
	do("POST", "/_emulator/faults", `{"status":503,"after":true,"method":"POST"}`, false)
	if s, _ := do("POST", "/api/scim/v2/Users", `{"userName":"b"}`, true); s != 503 {
		t.Fatalf("after-fault: %d", s)
	}
	if emu.Count("Users") != 1 {
		t.Fatal("an after-fault must still apply the request")
	}
	if s, b := do("GET", "/_emulator/requests", "", false); s != 200 || !strings.Contains(b, `"method":"POST"`) || strings.Contains(b, "Bearer") {
		t.Fatalf("requests: %d %s", s, b)
	}
	if s, _ := do("DELETE", "/_emulator/state", "", false); s != 204 || emu.Count("Users") != 0 {
		t.Fatal("state not reset")
	}
	// A rate limit: two requests an hour, then 429 with Retry-After.
	if s, _ := do("POST", "/_emulator/ratelimit", `{"requests":2,"per":3600000000000,"retry_after":9}`, false); s != 204 {
		t.Fatalf("rate limit: %d", s)
	}
	for i, want := range []int{200, 200, 429} {
		if s, _ := do("GET", "/api/scim/v2/Users", "", true); s != want {
			t.Fatalf("request %d under the rate limit: %d, want %d", i, s, want)
		}
	}
	if s, _ := do("POST", "/_emulator/ratelimit", `{"requests":0}`, false); s != 204 {
		t.Fatal("rate limit not lifted")
	}
	if s, _ := do("GET", "/api/scim/v2/Users", "", true); s != 200 {
		t.Fatalf("after lifting the rate limit: %d", s)
	}
}
