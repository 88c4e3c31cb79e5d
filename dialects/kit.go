package dialects

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings"
	"github.com/scimgw/scimgw/mappings/scim"
)

// The dialect kit: what several dialects need, one copy each.

// Send sends a request through the backend and checks the answer: a
// status outside 2xx (and 304) is the backend's error (FromResponse, as
// the dialect name reports it), and a body that is there must be JSON.
func Send(ctx context.Context, b Backend, dialect string, br *BackendRequest) (*BackendResponse, error) {
	if br.Header == nil {
		br.Header = http.Header{}
	}
	resp, err := b.Do(ctx, br)
	switch {
	case err != nil:
		return nil, err
	case resp.Status == http.StatusNotModified:
		return resp, nil
	case resp.Status < 200 || resp.Status > 299:
		return nil, FromResponse(dialect, resp)
	case len(bytes.TrimSpace(resp.Body)) > 0 && !gjson.ValidBytes(resp.Body):
		return nil, Errorf(http.StatusBadGateway, "", "%s backend answered %d with a body that is not JSON", dialect, resp.Status)
	}
	return resp, nil
}

// Resources reads a backend ListResponse: its resources, each turned into
// SCIM 2.0 by back, and its totalResults (start-1 plus the resources when
// the backend leaves it out).
func Resources(body []byte, start int, back func([]byte) ([]byte, error)) ([]gjson.Result, int, error) {
	doc := gjson.ParseBytes(body)
	if !doc.IsObject() {
		return nil, 0, Errorf(http.StatusBadGateway, "", "backend answered a list that is not a JSON object")
	}
	var items []gjson.Result
	for _, r := range scim.Field(doc, "Resources").Array() {
		out, err := back([]byte(r.Raw))
		if err != nil {
			return nil, 0, err
		}
		items = append(items, gjson.ParseBytes(out))
	}
	total := scim.Field(doc, "totalResults")
	if !total.Exists() {
		return items, start - 1 + len(items), nil
	}
	return items, int(total.Int()), nil
}

// ListResponse renders a ListResponse (RFC 7644 §3.4.2) of SCIM 2.0
// resources, given as raw JSON.
func ListResponse(total, start int, resources []string) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"schemas":["` + scim.ListResponseURN + `"],"totalResults":` + strconv.Itoa(total) +
		`,"startIndex":` + strconv.Itoa(start) + `,"itemsPerPage":` + strconv.Itoa(len(resources)) + `,"Resources":[`)
	for i, r := range resources {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(r)
	}
	buf.WriteString("]}")
	return buf.Bytes()
}

// AttributesQuery adds the client's attributes and excludedAttributes
// (RFC 7644 §3.9), in the backend's names, to v, for backends that return
// some attributes only when asked.
func AttributesQuery(v url.Values, m *mappings.Mapping, rt ResourceType, include, exclude []scim.AttrPath) {
	for _, p := range []struct {
		param string
		list  []scim.AttrPath
	}{{"attributes", include}, {"excludedAttributes", exclude}} {
		if names := m.Attributes(rt, p.list); len(names) > 0 {
			s := make([]string, len(names))
			for i, n := range names {
				s[i] = n.String()
			}
			v.Set(p.param, strings.Join(s, ","))
		}
	}
}

// maxCycles bounds the read-modify-write cycles of one operation.
const maxCycles = 3

type conflictsKey struct{}

// WithConflicts returns a context in which every read-modify-write cycle
// that Guarded runs again calls f (the gateway counts them).
func WithConflicts(ctx context.Context, f func()) context.Context {
	return context.WithValue(ctx, conflictsKey{}, f)
}

// Guarded runs a read-modify-write cycle until it stands: cycle reads the
// resource, computes and writes the change guarded by a version, and says
// whether that version was the one it read (ours) rather than the
// client's If-Match. When the write fails with 412 on a version it read
// itself, the resource changed in between: the cycle runs again, at most
// maxCycles times, so that a concurrent change is never overwritten. A
// 412 on the client's own version is the client's answer.
func Guarded(ctx context.Context, cycle func() (resp *Response, ours bool, err error)) (*Response, error) {
	for attempt := 1; ; attempt++ {
		resp, ours, err := cycle()
		var de *Error
		if ours && attempt < maxCycles && errors.As(err, &de) && de.Status == http.StatusPreconditionFailed {
			if f, ok := ctx.Value(conflictsKey{}).(func()); ok {
				f()
			}
			continue
		}
		return resp, err
	}
}
