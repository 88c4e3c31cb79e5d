package gateway

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// scriptedBackend answers each "METHOD /path" with a canned response.
type scriptedBackend struct {
	srv     *httptest.Server
	mu      sync.Mutex
	answers map[string]canned
	seen    []string
}

type canned struct {
	status int
	header map[string]string
	body   string
}

func newScriptedBackend(t *testing.T, answers map[string]canned) *scriptedBackend {
	b := &scriptedBackend{answers: answers}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		b.mu.Lock()
		b.seen = append(b.seen, key)
		a, ok := b.answers[key]
		b.mu.Unlock()
		if !ok {
			w.WriteHeader(599)
			return
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		fmt.Fprint(w, a.body)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func scriptedConfig(url string) string {
	return acmeConfig(`{url: "` + url + `/v2", retry: {max_attempts: 2, min_backoff: 1ms, max_backoff: 2ms}}
    options: {etag: true}`)
}

func TestBackendShapes(t *testing.T) {
	user := `{"id":"42","userName":"a","meta":{"version":"W/\"7\"","location":"http://internal:9/v2/Users/42"}}`
	b := newScriptedBackend(t, map[string]canned{
		"GET /v2/Users":       {status: 404, body: `{"Errors":[{"description":"no users match","code":"404"}]}`},
		"GET /v2/Users/42":    {status: 200, body: user},
		"PATCH /v2/Users/42":  {status: 204},
		"GET /v2/Users/e11":   {status: 404, body: `{"Errors":[{"description":"Resource e11 not found","code":"404"}]}`},
		"GET /v2/Users/ws":    {status: 409, body: `{"errors":[{"code":"user.exists","message":"User name is taken"}]}`},
		"GET /v2/Users/gen":   {status: 429, header: map[string]string{"Retry-After": "0"}, body: `{"message":"Rate limited","code":"too.many.requests","status":429,"contextId":"ctx-9"}`},
		"GET /v2/Users/html":  {status: 400, body: `<html><body>Bad <b>request</b></body></html>`},
		"GET /v2/Users/junk":  {status: 200, body: `this is not json`},
		"GET /v2/Users/noid":  {status: 200, body: `{"userName":"x"}`},
		"DELETE /v2/Users/42": {status: 200, body: `{}`},
		"PUT /v2/Users/42":    {status: 422, body: `{"detail":"title too long","code":"invalid"}`},
	})
	h := newHarness(t, scriptedConfig(b.srv.URL))

	// A backend 404 on a list is an empty list.
	l := h.acme("GET", "/Users?filter=userName+eq+%22nobody%22", "").wantStatus(t, 200)
	if l.json.Get("totalResults").Int() != 0 || !l.json.Get("Resources").IsArray() || len(l.json.Get("Resources").Array()) != 0 {
		t.Fatalf("404 list: %s", l.body)
	}
	// ETag from meta.version when the backend sends no header; location rewritten.
	g := h.acme("GET", "/Users/42", "").wantStatus(t, 200)
	if g.header.Get("ETag") != `W/"7"` || g.json.Get("meta.location").String() != "https://gw.example.com/acme/scim/v2/Users/42" {
		t.Fatalf("get: %v %s", g.header, g.body)
	}
	// PATCH answered 204 is followed by a GET and answered 200 with the resource.
	p := h.acme("PATCH", "/Users/42", `{"Operations":[{"op":"replace","path":"active","value":true}]}`).wantStatus(t, 200)
	if p.json.Get("id").String() != "42" {
		t.Fatalf("patch: %s", p.body)
	}
	// Any 2xx to DELETE is 204.
	h.acme("DELETE", "/Users/42", "").wantStatus(t, 204)

	// The client sees the gateway's words, the status and the vendor's
	// identifiers; the backend's message goes to the log under the request
	// id, and an error page goes nowhere.
	for _, tc := range []struct {
		path, detail, logged string
		status               int
		scimType             string
	}{
		{"/Users/e11", "scim2: the backend answered 404 Not Found; ", "Resource e11 not found", 404, ""},
		{"/Users/ws", "scim2: the backend answered 409 Conflict (vendorCode=user.exists); ", "User name is taken", 409, "uniqueness"},
		{"/Users/gen", "scim2: the backend answered 429 Too Many Requests (vendorCode=too.many.requests, correlationId=ctx-9); ", "Rate limited", 429, ""},
		{"/Users/html", "scim2: the backend answered 400 Bad Request", "", 400, ""},
		{"/Users/junk", "", "", 502, ""},
		{"/Users/noid", "", "", 502, ""},
	} {
		r := h.acme("GET", tc.path, "").wantError(t, tc.status, tc.scimType)
		if tc.detail != "" && !strings.HasPrefix(r.json.Get("detail").String(), tc.detail) {
			t.Errorf("%s: detail %q, want %q…", tc.path, r.json.Get("detail").String(), tc.detail)
		}
		if tc.logged != "" {
			h.wantBackendMessage(t, r, tc.logged)
		}
		if strings.Contains(string(r.body), "request</b>") || strings.Contains(string(r.body), "Bad request") {
			t.Errorf("an error page reached the client: %s", r.body)
		}
		if tc.status == 429 && r.header.Get("Retry-After") != "0" {
			t.Errorf("Retry-After not passed through")
		}
		if tc.status == 502 && strings.Contains(string(r.body), "not json") {
			t.Errorf("backend body leaked: %s", r.body)
		}
	}
	h.acme("PUT", "/Users/42", `{"userName":"a","title":"x"}`).wantError(t, 400, "invalidValue")
}

// TestFoldUserName: with username_case: fold, a case-sensitive backend only
// ever sees lower-case userNames, so matching and uniqueness stay
// case-insensitive.
func TestFoldUserName(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.RawQuery+" "+string(body))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/scim+json")
		switch r.Method {
		case "POST":
			w.WriteHeader(201)
			fmt.Fprint(w, `{"id":"1","userName":"bjensen@example.com"}`)
		case "PATCH":
			fmt.Fprint(w, `{"id":"1","userName":"new@example.com"}`)
		default:
			fmt.Fprint(w, `{"totalResults":0,"Resources":[]}`)
		}
	}))
	defer srv.Close()
	h := newHarness(t, acmeConfig(`{url: "`+srv.URL+`"}
    username_case: fold`))
	h.acme("POST", "/Users", `{"userName":"BJensen@Example.com"}`).wantStatus(t, 201)
	h.acme("GET", "/Users?filter=userName+eq+%22BJENSEN@EXAMPLE.COM%22+or+title+eq+%22Boss%22", "").wantStatus(t, 200)
	h.acme("PATCH", "/Users/1", `{"Operations":[{"op":"replace","value":{"userName":"New@Example.com","title":"Boss"}}]}`).wantStatus(t, 200)
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(seen, "\n")
	for _, want := range []string{`"userName":"bjensen@example.com"`, `filter=userName+eq+%22bjensen%40example.com%22+or+title+eq+%22Boss%22`, `"path":"userName","value":"new@example.com"`, `"value":"Boss"`} {
		if !strings.Contains(all, want) {
			t.Errorf("backend never saw %s in:\n%s", want, all)
		}
	}
	if strings.Contains(all, "BJensen") || strings.Contains(all, "New@") {
		t.Errorf("mixed case reached the backend:\n%s", all)
	}
}

// TestNotImplemented: the gateway's own 501 explains itself; a backend's
// 501 text stays in the log like any backend 5xx.
func TestNotImplemented(t *testing.T) {
	b := newScriptedBackend(t, map[string]canned{
		"GET /v2/Users/x": {status: 501, body: `{"detail":"internal module zz9 not loaded at host db-7"}`},
	})
	h := newHarness(t, strings.Replace(scriptedConfig(b.srv.URL), "options: {etag: true}", "options: {etag: true, groups: false}", 1))
	r := h.acme("GET", "/Users/x", "").wantError(t, http.StatusNotImplemented, "")
	if strings.Contains(r.json.Get("detail").String(), "zz9") {
		t.Fatalf("backend 501 detail leaked: %s", r.body)
	}
	g := h.acme("POST", "/Groups", `{"displayName":"g"}`).wantError(t, http.StatusNotImplemented, "")
	if g.json.Get("detail").String() != "scim2 backends do not support Groups" {
		t.Fatalf("gateway 501 detail: %s", g.body)
	}
}
