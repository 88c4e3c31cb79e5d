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
		Allowed: map[string]map[string][]string{"User": {"schemas": nil, "userName": nil, "name": {"givenName"}}}})
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
	if s, b := do("POST", "/api/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","title":"x"}`, true); s != 400 || !strings.Contains(b, "title") {
		t.Fatalf("unknown attribute accepted: %d %s", s, b)
	}
	if s, b := do("POST", "/api/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","name":{"familyName":"x"}}`, true); s != 400 || !strings.Contains(b, "name.familyName") {
		t.Fatalf("unknown sub-attribute accepted: %d %s", s, b)
	}
	if s, b := do("POST", "/api/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g"}`, true); s != 404 {
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
	if s, _ := do("POST", "/api/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"r"}`, true); s != 0 || emu.Count("Users") != 0 {
		t.Fatalf("reset fault answered %d", s)
	}
	do("POST", "/_emulator/faults", `{"status":503,"after":true,"method":"POST"}`, false)
	if s, _ := do("POST", "/api/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b"}`, true); s != 503 {
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

// TestStrictRFC: the generic emulator is an RFC 7643/7644 server that
// takes no IdP quirk, so a gateway test cannot pass because of leniency.
func TestStrictRFC(t *testing.T) {
	emu := New(Profile{Name: "rfc", BasePath: "/scim/v2", Token: "tok", Patch: true, Groups: true})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/scim/v2"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const (
		user  = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
		group = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]`
		patch = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`
	)
	if s, b := do("POST", "/Users", `{`+user+`,"userName":"u1","emails":[{"value":"w@x","type":"work","primary":true},{"value":"h@x","type":"home"}]}`); s != 201 {
		t.Fatalf("create: %d %s", s, b)
	}
	do("POST", "/Users", `{`+user+`,"userName":"u2"}`)
	if s, b := do("POST", "/Groups", `{`+group+`,"displayName":"g","members":[{"value":"u-0001"},{"value":"u-0002"}]}`); s != 201 {
		t.Fatalf("group: %d %s", s, b)
	}
	for _, c := range []struct{ name, method, path, body, want string }{
		{"string boolean", "POST", "/Users", `{` + user + `,"userName":"x","active":"True"}`, "must be a boolean"},
		{"unknown schema URI", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],"userName":"x"}`, "not served"},
		{"attribute outside the schema", "POST", "/Users", `{` + user + `,"userName":"x","shoeSize":42}`, "not defined"},
		{"two primaries", "POST", "/Users", `{` + user + `,"userName":"x","emails":[{"value":"a","primary":true},{"value":"b","primary":true}]}`, "at most one"},
		{"duplicate keys", "POST", "/Users", `{` + user + `,"userName":"x","userName":"y"}`, "appears twice"},
		{"a one-element array for the manager", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[{"value":"m"}]}}`, "single-valued"},
		{"a string member", "PATCH", "/Groups/g-0003", patch + `[{"op":"add","path":"members","value":"string id 1"}]}`, "multi-valued"},
		{"a capitalised op", "PATCH", "/Users/u-0001", patch + `[{"op":"Replace","path":"active","value":false}]}`, "not add, remove or replace"},
		{"a dotted key in a path-less replace", "PATCH", "/Users/u-0001", patch + `[{"op":"replace","value":{"name.givenName":"x"}}]}`, "not an attribute"},
		{"an unqualified extension attribute", "PATCH", "/Users/u-0001", patch + `[{"op":"replace","path":"employeeNumber","value":"1"}]}`, "not defined"},
		{"a non-matching value filter on replace", "PATCH", "/Users/u-0001", patch + `[{"op":"replace","path":"emails[type eq \"nonexistent\"].value","value":"x"}]}`, "noTarget"},
	} {
		if s, b := do(c.method, c.path, c.body); s != 400 || !strings.Contains(b, c.want) {
			t.Errorf("%s: %d %s, want 400 with %q", c.name, s, b, c.want)
		}
	}
	// A new primary takes the flag from the old one (RFC 7644 §3.5.2).
	if s, b := do("PATCH", "/Users/u-0001", patch+`[{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}]}`); s != 200 ||
		!strings.Contains(b, `{"primary":false,"type":"work","value":"w@x"}`) || !strings.Contains(b, `{"primary":true,"type":"home","value":"h@x"}`) {
		t.Fatalf("new primary: %d %s", s, b)
	}
	// remove on members without a filter removes them all, whatever value
	// a client added (RFC 7644 §3.5.2.2): what a gateway must never send
	// for Entra's "remove these members".
	if s, b := do("PATCH", "/Groups/g-0003", patch+`[{"op":"remove","path":"members","value":[{"value":"u-0001"}]}]}`); s != 200 || strings.Contains(b, "members") {
		t.Fatalf("remove all members: %d %s", s, b)
	}
}
