package dialects

import (
	"context"
	"net/http"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// Widen splits a filter (RFC 7644 §3.4.2.2) for a backend that evaluates
// only some comparisons: it returns a filter made of those that matches at
// least every resource f matches — nil when nothing is left, meaning every
// resource — and whether it matches exactly the same ones. Comparisons the
// backend lacks are dropped from "and"; an "or" or "not" over them widens
// to everything; a value filter attr[sub op v] becomes attr.sub op v,
// which is exact for a single comparison.
func Widen(f *scim.Expr, native func(*scim.Expr) bool) (*scim.Expr, bool) {
	if f == nil {
		return nil, true
	}
	switch f.Kind {
	case scim.Compare:
		if native(f) {
			return f, true
		}
		return nil, false
	case scim.And, scim.Or:
		l, le := Widen(f.Left, native)
		r, re := Widen(f.Right, native)
		switch {
		case f.Kind == scim.Or && (l == nil || r == nil):
			return nil, false
		case l == nil:
			return r, false
		case r == nil:
			return l, false
		}
		return &scim.Expr{Kind: f.Kind, Left: l, Right: r}, le && re
	case scim.ValuePath:
		flat, single := flatten(f.Left, f.Path)
		w, exact := Widen(flat, native)
		return w, exact && single
	}
	return nil, false // not
}

// flatten rewrites the inner filter of attr[...] with attr.sub paths.
func flatten(e *scim.Expr, attr scim.AttrPath) (*scim.Expr, bool) {
	if e == nil {
		return nil, true
	}
	out := *e
	if e.Kind == scim.Compare {
		out.Path = scim.AttrPath{URN: attr.URN, Attr: attr.Attr, Sub: e.Path.Attr}
		return &out, true
	}
	out.Left, _ = flatten(e.Left, attr)
	out.Right, _ = flatten(e.Right, attr)
	return &out, false
}

// Page fetches one page of a backend listing, already in SCIM 2.0 form:
// the resources from the 1-based index start, and the backend's total.
type Page func(ctx context.Context, start, count int) (resources []gjson.Result, total int, err error)

// FilterList evaluates q.Filter in the gateway over a backend listing
// (fetched pageSize at a time with page, whose own filter must be a
// widening of q's) and returns the ListResponse q asks for. A listing
// larger than scanLimit resources is refused with 400 tooMany (RFC 7644
// §3.12), rather than scanned without bound.
func FilterList(ctx context.Context, q Query, page Page, pageSize, scanLimit int) ([]byte, error) {
	var matches []string
	for start := 1; ; {
		items, total, err := page(ctx, start, pageSize)
		if err != nil {
			return nil, err
		}
		if total > scanLimit {
			return nil, Errorf(http.StatusBadRequest, "tooMany",
				"the backend cannot evaluate this filter itself and it would take scanning %d resources (the limit is %d); add a condition the backend evaluates, such as userName eq or sw", total, scanLimit)
		}
		for _, it := range items {
			if q.Filter == nil || q.Filter.Match(it) {
				matches = append(matches, it.Raw)
			}
		}
		start += len(items)
		if len(items) == 0 || start > total {
			break
		}
	}
	from := min(q.StartIndex-1, len(matches))
	to := min(from+q.Count, len(matches))
	return ListResponse(len(matches), q.StartIndex, matches[from:to]), nil
}
