package gateway

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/mappings/scim"
)

var (
	tokenRE       = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$") // RFC 9110 §5.6.2
	headerValueRE = regexp.MustCompile(`^[^\x00-\x08\x0a-\x1f\x7f]*$`)
)

// gatewayMade are statuses only the gateway answers: the backend was not
// called for them.
var gatewayMade = map[int]bool{401: true, 405: true, 406: true, 413: true, 415: true, 429: true, 501: true}

// FuzzServeHTTP drives the whole handler with any method, path, query,
// headers and body, at two emulated tenants. Whatever comes in: no panic;
// every SCIM answer is application/scim+json and every 4xx/5xx a SCIM
// Error with the status as a string; what the gateway refused itself
// reached no backend; a tenant's backend hears only requests sent to that
// tenant with its token, carrying the backend's credentials and never an
// inbound token, and each passes the vendor's wire contract.
func FuzzServeHTTP(f *testing.F) {
	for _, s := range []struct {
		method, path, query, headers, body string
		who                                uint8
	}{
		{"POST", "/acme/scim/v2/Users", "", "Content-Type: application/scim+json", userBody, 0},
		{"GET", "/acme/scim/v2/Users", "filter=userName+eq+%22bjensen%40example.com%22&count=2", "", "", 0},
		{"PATCH", "/acme/scim/v2/Users/x1", "", "Content-Type: application/scim+json\nIf-Match: W/\"1\"", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"emails[type eq \"work\"].value","value":"a@b.c"}]}`, 0},
		{"POST", "/cube/scim/v2/Groups", "", "Content-Type: application/json", `{"displayName":"g","members":[{"value":"u1"}]}`, 1},
		{"POST", "/acme/scim/v2/Users/.search", "", "Content-Type: application/scim+json", `{"filter":"name.givenName sw \"B\"","startIndex":0}`, 0},
		{"PUT", "/cube/scim/v2/Users/u1", "attributes=userName", "Content-Type: application/scim+json", `{"userName":"x","active":"True"}`, 1},
		{"GET", "/acme/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "", "", "", 0},
		{"DELETE", "/cube/scim/v2/Users/u1", "", "", "", 0},
		{"BREW", "/acme/scim/v2/Users", "", "", "", 2},
		{"GET", "/acme/scim/v2/Users/../../cube/scim/v2/Users", "", "Authorization: Bearer " + cubeToken, "", 3},
	} {
		f.Add(s.method, s.path, s.query, s.headers, []byte(s.body), s.who)
	}
	gw, logs := newGateway(f, "fuzz.yaml", testConfig)
	h := gw.Handler()
	emus := map[string]*emulator.Server{"acme": gw.Emulator("acme").(*emulator.Server), "cube": gw.Emulator("cube").(*emulator.Server)}
	tokens := map[string]string{acmeToken: "acme", "second-token-123": "acme", cubeToken: "cube"}
	f.Fuzz(func(t *testing.T, method, path, query, headers string, body []byte, who uint8) {
		if !tokenRE.MatchString(method) || !strings.HasPrefix(path, "/") {
			return // net/http refuses these before any handler
		}
		u := &url.URL{Path: path, RawQuery: query}
		if _, err := url.ParseRequestURI(u.RequestURI()); err != nil {
			return
		}
		req := httptest.NewRequest("GET", "http://gw.example.com/", nil)
		req.Method, req.URL, req.RequestURI = method, u, u.RequestURI()
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		switch who % 4 {
		case 0:
			req.Header.Set("Authorization", "Bearer "+acmeToken)
		case 1:
			req.Header.Set("Authorization", "Bearer "+cubeToken)
		case 2:
			req.Header.Set("Authorization", "Bearer not-a-token-at-all")
		}
		for _, line := range strings.Split(headers, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok || !tokenRE.MatchString(k) || !headerValueRE.MatchString(v) {
				continue
			}
			switch http.CanonicalHeaderKey(k) {
			case "Content-Length", "Transfer-Encoding", "Host", "Connection":
				continue // framing: the server's own
			}
			req.Header.Add(k, strings.TrimSpace(v))
		}
		for _, e := range emus {
			e.Reset()
		}
		logs.TakeAll()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)

		if logs.FilterMessage("panic serving request").Len() > 0 {
			t.Fatalf("panic: %v", logs.FilterMessage("panic serving request").All()[0].ContextMap())
		}
		status, rb := w.Code, w.Body.Bytes()
		if strings.HasPrefix(path, "/healthz") || strings.HasPrefix(path, "/readyz") {
			return
		}
		if len(rb) > 0 || status >= 400 {
			if ct := w.Header().Get("Content-Type"); ct != "application/scim+json" {
				t.Fatalf("%d with Content-Type %q", status, ct)
			}
			if !gjson.ValidBytes(rb) {
				t.Fatalf("%d with a body that is not JSON: %q", status, rb)
			}
		}
		doc := gjson.ParseBytes(rb)
		if status >= 400 {
			if doc.Get("schemas.0").String() != scim.ErrorURN || doc.Get("status").Type != gjson.String || doc.Get("status").String() != strconv.Itoa(status) || doc.Get("detail").String() == "" {
				t.Fatalf("%d is not a SCIM Error: %s", status, rb)
			}
		}
		sentTo := ""
		if parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 2); len(parts) > 0 {
			sentTo = parts[0]
		}
		owner := tokens[strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")]
		for id, e := range emus {
			got := e.Requests()
			if len(got) == 0 {
				continue
			}
			if id != sentTo || id != owner {
				t.Fatalf("tenant %s's backend got %d requests for a request to %q with the token of %q", id, len(got), sentTo, owner)
			}
			if gatewayMade[status] || status == 400 && !strings.Contains(doc.Get("detail").String(), "the backend answered") {
				t.Fatalf("the gateway answered %d itself (%s) but forwarded %s %s", status, doc.Get("detail"), got[0].Method, got[0].Path)
			}
			for _, r := range got {
				if r.Auth != "Bearer emulator-backend-token" {
					t.Fatalf("the backend got Authorization %q", r.Auth)
				}
				if err := e.CheckWire(r); err != nil && !keptUnknown(err) {
					t.Fatalf("forwarded outside the vendor's wire contract: %v", err)
				}
			}
		}
	})
}

var notDefinedRE = regexp.MustCompile(`attribute "([^"]*)" is not defined by|has no sub-attribute "([^"]*)"|schema "(urn:[^"]*)" is not served here`)

// keptUnknown reports whether a wire error is about an attribute,
// sub-attribute or extension outside the schema with a valid name: the scim2 tenants'
// mapping keeps those for the backend to judge (scim.Lenient: "attributes
// outside the schema pass to the tenant's mapping"), by design.
func keptUnknown(err error) bool {
	m := notDefinedRE.FindStringSubmatch(err.Error())
	if m == nil {
		return false
	}
	if m[3] != "" {
		return true // an extension URN the backend may serve
	}
	_, perr := scim.ParseAttrPath(m[1] + m[2])
	return perr == nil
}
