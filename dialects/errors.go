package dialects

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// Error is a failure with the SCIM 2.0 status and scimType the client sees
// (RFC 7644 §3.12). For statuses of 500 and above the gateway shows a safe
// message and a request id instead of Detail, and logs Detail.
type Error struct {
	Status     int
	ScimType   string // RFC 7644 Table 9, or empty
	Detail     string
	RetryAfter string // passed through on 429 and 503
	// Backend is the backend's own message, from a JSON error body, for
	// the log: it never reaches the client, whose Detail is the gateway's
	// words (a backend's text may carry its internals, or another
	// tenant's data).
	Backend string
	Err     error
}

func (e *Error) Error() string {
	s := strconv.Itoa(e.Status)
	if e.ScimType != "" {
		s += " " + e.ScimType
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted detail.
func Errorf(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// ErrUnsupported marks an operation the dialect itself refuses because its
// backend lacks it (RFC 7644 §3.12: 501). Unlike a backend's own 5xx, its
// detail is the gateway's words and safe to show.
var ErrUnsupported = errors.New("not supported by this backend")

// Unsupported returns a 501 *Error for an operation the backend lacks.
func Unsupported(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotImplemented, Detail: fmt.Sprintf(format, args...), Err: ErrUnsupported}
}

// ErrPartial marks the answer to a write the dialect made in several
// backend calls of which only the first ones succeeded: a 500 whose
// detail, the dialect's own words, says what was written and what not.
var ErrPartial = errors.New("the change was made in part")

// Partial is the ErrPartial error with the given detail.
func Partial(format string, args ...any) *Error {
	return &Error{Status: http.StatusInternalServerError, Detail: fmt.Sprintf(format, args...), Err: ErrPartial}
}

// UpstreamError is a backend that could not be reached or did not answer.
// Ambiguous means the request may have reached the backend and been
// processed, so a non-idempotent request must not be blindly repeated.
type UpstreamError struct {
	Attempts  int
	Ambiguous bool
	Timeout   bool
	Err       error
}

func (e *UpstreamError) Error() string {
	return fmt.Sprintf("backend request failed after %d attempt(s): %v", e.Attempts, e.Err)
}

func (e *UpstreamError) Unwrap() error { return e.Err }

// scimTypes are the error types RFC 7644 §3.12 Table 9 defines.
var scimTypes = map[string]bool{
	"invalidFilter": true, "tooMany": true, "uniqueness": true, "mutability": true,
	"invalidSyntax": true, "invalidPath": true, "noTarget": true, "invalidValue": true,
	"invalidVers": true, "sensitive": true,
}

// maxDetail bounds how much of a backend message reaches the client.
const maxDetail = 512

// FromResponse turns a backend error response of any known shape into an
// *Error (see the shapes in docs: SCIM 2.0, SCIM 1.1, Workspace ONE,
// Genesys platform, FireHydrant, flat {"error"}, text or HTML). The HTTP
// status is authoritative; 409 always gets scimType "uniqueness". The
// client's detail names the status, the vendor's code and correlation id;
// the backend's message goes to Backend, for the log, and a text or HTML
// page is dropped.
func FromResponse(dialect string, resp *BackendResponse) *Error {
	msg, code, scimType, correlation := parseErrorBody(resp.Body)
	if !gjson.ValidBytes(resp.Body) {
		msg = "" // a text or HTML page: neither shown nor logged
	}
	e := &Error{Status: resp.Status}
	if scimTypes[scimType] && resp.Status < 500 {
		e.ScimType = scimType
	}
	// Statuses SCIM clients do not expect become their SCIM equivalents
	// (RFC 7644 §3.12).
	switch resp.Status {
	case http.StatusUnprocessableEntity:
		e.Status, e.ScimType = http.StatusBadRequest, "invalidValue"
	case http.StatusRequestURITooLong:
		e.Status, e.ScimType = http.StatusBadRequest, "tooMany"
	case http.StatusRequestHeaderFieldsTooLarge:
		e.Status, e.ScimType = http.StatusBadRequest, "invalidSyntax"
	case http.StatusHTTPVersionNotSupported:
		e.Status = http.StatusNotImplemented
	}
	if resp.Status == http.StatusConflict {
		e.ScimType = "uniqueness"
	}
	if e.Status == http.StatusBadRequest && e.ScimType == "invalidVers" {
		// A version that does not match is 412 (RFC 7644 §3.14), however
		// the backend reports it (Genesys Cloud: 400 invalidVers).
		e.Status, e.ScimType = http.StatusPreconditionFailed, ""
	}
	e.Backend = truncate(msg, maxDetail)
	text := http.StatusText(resp.Status)
	if text == "" {
		text = "unexpected status"
	}
	var extra []string
	if scimType != "" && scimTypes[scimType] {
		extra = append(extra, "scimType="+scimType)
	}
	if codeRE.MatchString(code) && code != strconv.Itoa(resp.Status) {
		extra = append(extra, "vendorCode="+code)
	}
	if codeRE.MatchString(correlation) {
		extra = append(extra, "correlationId="+correlation)
	}
	e.Detail = dialect + ": the backend answered " + strconv.Itoa(resp.Status) + " " + text
	if len(extra) > 0 {
		e.Detail += " (" + strings.Join(extra, ", ") + ")"
	}
	if resp.Status == http.StatusTooManyRequests || resp.Status == http.StatusServiceUnavailable {
		e.RetryAfter = resp.Header.Get("Retry-After")
	}
	return e
}

var (
	// codeRE is what a vendor code or correlation id must look like to be
	// shown to the client: an identifier, not text.
	codeRE  = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,80}$`)
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// parseErrorBody extracts a message, a vendor code, a SCIM error type and a
// correlation id from an error body; the first shape that matches wins.
func parseErrorBody(body []byte) (msg, code, scimType, correlation string) {
	if !gjson.ValidBytes(body) {
		text := string(body)
		if strings.Contains(text, "<") {
			text = tagRE.ReplaceAllString(text, " ")
		}
		return strings.TrimSpace(spaceRE.ReplaceAllString(text, " ")), "", "", ""
	}
	doc := gjson.ParseBytes(body)
	if !doc.IsObject() {
		return truncate(doc.String(), maxDetail), "", "", ""
	}
	get := func(name string) gjson.Result { return scim.Field(doc, name) }
	switch {
	case isSCIMError(doc):
		return get("detail").String(), "", get("scimType").String(), ""
	case len(doc.Get("Errors").Array()) > 0: // SCIM 1.1 (the case tells it from Workspace ONE's)
		first := doc.Get("Errors").Array()[0]
		return scim.Field(first, "description").String(), scim.Field(first, "code").String(), "", ""
	case len(doc.Get("errors").Array()) > 0 && !get("contextId").Exists(): // Workspace ONE
		first := doc.Get("errors").Array()[0]
		return scim.Field(first, "message").String(), scim.Field(first, "code").String(), "", ""
	case get("message").Exists() && (get("contextId").Exists() || get("code").Exists()): // Genesys platform
		return get("message").String(), get("code").String(), "", get("contextId").String()
	case get("detail").Exists() || get("messages").IsArray(): // FireHydrant ErrorEntity
		msg := get("detail").String()
		var parts []string
		for _, m := range get("messages").Array() {
			parts = append(parts, m.String())
		}
		if len(parts) > 0 {
			if msg != "" {
				msg += ": "
			}
			msg += strings.Join(parts, "; ")
		}
		return msg, get("code").String(), "", ""
	case get("error").Exists():
		msg := get("error").String()
		if d := get("error_description").String(); d != "" {
			msg += ": " + d
		}
		return msg, "", "", ""
	case get("message").Exists():
		return get("message").String(), "", "", ""
	}
	return "", "", "", ""
}

func isSCIMError(doc gjson.Result) bool {
	for _, s := range scim.Field(doc, "schemas").Array() {
		if strings.EqualFold(s.String(), scim.ErrorURN) {
			return true
		}
	}
	return scim.Field(doc, "scimType").Exists()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut at a rune boundary.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
