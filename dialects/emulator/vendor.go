package emulator

import (
	"net/http"
	"strconv"

	"github.com/scimgw/scimgw/mappings/scim"
)

// Vendor is what one vendor's API does beyond the RFC. Each vendor
// implements it in its own package, embedding RFC for every answer it
// does not change; the core (store, RFC 7643/7644 and SCIM 1.1 semantics,
// faults, rate limits, request recording) asks it at these points and
// has no vendor's name in it.
type Vendor interface {
	// Errors renders an error body.
	Errors(status int, scimType, detail string) any
	// Serves reports whether the API serves the endpoint segment as spelt
	// ("Users", "users").
	Serves(endpoint string) bool
	// Resolve returns the id a request names: id itself, or one that
	// byName finds (a lookup by userName).
	Resolve(r *http.Request, id string, byName func(key string) (string, bool)) string
	// Allows reports whether the API has the method on the resource type
	// (405 otherwise); hasID says whether the path names a resource.
	Allows(method, rt string, hasID bool) bool
	// Validate checks a raw request body (POST, PUT, PATCH) before
	// anything else; a non-zero status refuses it.
	Validate(method, rt string, body []byte) (status int, scimType, detail string)
	// Check enforces the vendor's rules on a write and may complete next
	// with what the server sets itself: cur is nil on create, next the
	// resource as it will be stored. A non-zero status refuses the write.
	Check(method, rt string, cur, next map[string]any) (status int, detail string)
	// Filter checks a list filter (nil when there is none) and returns the
	// filter to match resources with (nil: all), or why it is refused.
	Filter(rt string, f *scim.Expr) (*scim.Expr, string)
	// View decorates a resource as the API returns it to request r.
	View(r *http.Request, rt string, doc map[string]any)
	// Created decorates the answer to a create: whether the request carried
	// a password, and the resource about to be returned.
	Created(r *http.Request, rt string, password bool, doc map[string]any)
	// Delete changes doc and reports true when DELETE only changes a
	// resource (deactivates it) instead of removing it.
	Delete(rt string, doc map[string]any) (keep bool)
	// Version renders a resource version, and whether it is sent as an
	// ETag header too.
	Version(n int) (etag string, header bool)
	// Mismatch is the status and scimType of an If-Match that does not match.
	Mismatch() (status int, scimType string)
	// Conflict is the status of a duplicate userName or displayName.
	Conflict() int
	// CountOver is the status that refuses a count above the largest page
	// (0: the count is capped).
	CountOver() int
	// List shapes a ListResponse before it is written.
	List(list map[string]any)
}

// RFC is the Vendor of an API that does just what RFC 7643/7644 say.
type RFC struct{}

var _ Vendor = RFC{}

func (RFC) Errors(status int, scimType, detail string) any {
	e := map[string]any{"schemas": []string{scim.ErrorURN}, "status": strconv.Itoa(status), "detail": detail}
	if scimType != "" {
		e["scimType"] = scimType
	}
	return e
}

func (RFC) Serves(string) bool { return true }

func (RFC) Resolve(_ *http.Request, id string, _ func(string) (string, bool)) string { return id }

func (RFC) Allows(string, string, bool) bool { return true }

func (RFC) Validate(string, string, []byte) (int, string, string) { return 0, "", "" }

func (RFC) Check(string, string, map[string]any, map[string]any) (int, string) { return 0, "" }

func (RFC) Filter(_ string, f *scim.Expr) (*scim.Expr, string) { return f, "" }

func (RFC) View(*http.Request, string, map[string]any) {}

func (RFC) Created(*http.Request, string, bool, map[string]any) {}

func (RFC) Delete(string, map[string]any) bool { return false }

func (RFC) Version(n int) (string, bool) { return `W/"` + strconv.Itoa(n) + `"`, true }

func (RFC) Mismatch() (int, string) { return http.StatusPreconditionFailed, "" }

func (RFC) Conflict() int { return http.StatusConflict }

func (RFC) CountOver() int { return 0 }

func (RFC) List(map[string]any) {}
