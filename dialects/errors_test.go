package dialects

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"unicode/utf8"
)

func TestFromResponse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		header   http.Header
		scimType string
		backend  string // the backend's message, for the log only
	}{
		{"SCIM 2.0 string status", 400, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter","detail":"bad filter"}`, nil, "invalidFilter", "bad filter"},
		{"SCIM 2.0 numeric status", 404, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":404,"detail":"Resource 1 not found"}`, nil, "", "Resource 1 not found"},
		{"non-RFC scimType dropped", 400, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"OutdatedSdkVersion","detail":"old"}`, nil, "", "old"},
		{"409 is always uniqueness", 409, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","detail":"exists"}`, nil, "uniqueness", "exists"},
		{"SCIM 1.1", 404, `{"Errors":[{"description":"Resource 2819c223 not found","code":"404"}]}`, nil, "", "Resource 2819c223 not found"},
		{"Workspace ONE", 409, `{"errors":[{"code":"user.name.taken","message":"User name is already taken"}]}`, nil, "uniqueness", "User name is already taken"},
		{"Genesys version mismatch", 400, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidVers","detail":"version 3 is stale"}`, nil, "", "version 3 is stale"},
		{"Genesys platform", 429, `{"message":"Rate limit exceeded","code":"too.many.requests","status":429,"contextId":"abc-123"}`, http.Header{"Retry-After": {"5"}}, "", "Rate limit exceeded"},
		{"Genesys platform, as sent since 2021 (empty errors and details)", 429, `{"message":"Rate limit exceeded the maximum. Retry the request in [42] seconds","code":"too.many.requests.retry.after","status":429,"contextId":"c-1","details":[],"errors":[]}`,
			http.Header{"Retry-After": {"42"}}, "", "Rate limit exceeded the maximum. Retry the request in [42] seconds"},
		{"FireHydrant", 422, `{"detail":"Validation failed","messages":["name is missing","email is invalid"],"code":"invalid"}`, nil, "invalidValue", "Validation failed: name is missing; email is invalid"},
		{"flat error", 401, `{"error":"invalid_token","error_description":"expired"}`, nil, "", "invalid_token: expired"},
		{"plain text", 502, "upstream connect error", nil, "", ""},
		{"HTML", 503, "<html><body><h1>503 Service   Unavailable</h1></body></html>", nil, "", ""},
		{"empty", 500, "", nil, "", ""},
		{"JSON string", 400, `"nope"`, nil, "", "nope"},
		{"422 becomes 400", 422, `{"detail":"bad"}`, nil, "invalidValue", "bad"},
		{"414 becomes 400", 414, ``, nil, "tooMany", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			e := FromResponse("x", &BackendResponse{Status: tc.status, Header: h, Body: []byte(tc.body)})
			want := tc.status
			switch {
			case want == 422 || want == 414:
				want = 400
			case strings.Contains(tc.body, "invalidVers"):
				want = 412
			}
			if e.Status != want || e.ScimType != tc.scimType || e.Backend != tc.backend {
				t.Fatalf("got %d %q %q, want %d %q %q", e.Status, e.ScimType, e.Backend, want, tc.scimType, tc.backend)
			}
			// The client's detail is the gateway's words: status, vendor
			// code, correlation id; never the backend's text.
			if !strings.HasPrefix(e.Detail, "x: the backend answered "+strconv.Itoa(tc.status)+" ") || tc.backend != "" && strings.Contains(e.Detail, tc.backend) ||
				strings.Contains(tc.body, "<h1>") && strings.Contains(e.Detail, "Service   Unavailable") {
				t.Fatalf("detail %q", e.Detail)
			}
			if code := gjson.Get(tc.body, "code").String(); code != "" && code != strconv.Itoa(tc.status) && !strings.Contains(e.Detail, "vendorCode="+code) {
				t.Fatalf("detail %q lacks the vendor code", e.Detail)
			}
			if tc.header != nil && e.RetryAfter != tc.header.Get("Retry-After") {
				t.Fatalf("Retry-After %q", e.RetryAfter)
			}
		})
	}
	long := `{"message":"` + strings.Repeat("é", 1000) + `"}`
	e := FromResponse("x", &BackendResponse{Status: 500, Header: http.Header{}, Body: []byte(long)})
	if len(e.Backend) > maxDetail+20 || !utf8.ValidString(e.Backend) {
		t.Fatalf("backend message not truncated safely: %d bytes", len(e.Backend))
	}
}

// detailRE is all a client may see of a backend error: the gateway's words,
// the status and identifiers.
var detailRE = regexp.MustCompile(`^x: the backend answered \d{3} [A-Za-z' -]+( \((scimType|vendorCode|correlationId)=[A-Za-z0-9._:-]+(, (vendorCode|correlationId)=[A-Za-z0-9._:-]+)*\))?$`)

func FuzzFromResponse(f *testing.F) {
	f.Add(400, `{"Errors":[{"description":"d","code":"400"}]}`)
	f.Add(409, `{"errors":[{"code":"c","message":"m"}]}`)
	f.Add(500, `<html>x</html>`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 100 || status > 599 {
			return
		}
		e := FromResponse("x", &BackendResponse{Status: status, Header: http.Header{}, Body: []byte(body)})
		if e.Status < 400 && e.Status != status || !detailRE.MatchString(e.Detail) {
			t.Fatalf("%+v", e)
		}
		if e.ScimType != "" && !scimTypes[e.ScimType] {
			t.Fatalf("non-RFC scimType %q", e.ScimType)
		}
	})
}

func TestRegistry(t *testing.T) {
	r := NewRegistry(&Factory{Name: "a", New: func(Config) (Dialect, error) { return nil, nil }})
	if _, err := r.Lookup("b"); err == nil || !strings.Contains(err.Error(), "known: a") {
		t.Fatalf("lookup error: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate registration did not panic")
		}
	}()
	r.Register(&Factory{Name: "a", New: func(Config) (Dialect, error) { return nil, nil }})
}
