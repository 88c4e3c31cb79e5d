package dialects

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// Decorate returns the dialect with what its backend lacks supplied
// around it, from its Capabilities; the gateway builds every tenant's
// dialect this way, and a dialect implements only what its backend does:
//
//   - PATCH of a resource type outside Capabilities.Patch is read, applied
//     by the gateway's PatchOp engine (RFC 7644 §3.5.2, atomically) and
//     replaced, guarded by the version read (Guarded);
//   - a PATCH the backend answers without the resource (204, or nothing
//     left to send) is answered with the resource, read after it;
//   - a PATCH of a read-only attribute (Capabilities.ReadOnly and the
//     read-only attributes of Capabilities.Extensions) is refused, and so
//     is a replace or PATCH that changes an immutable one (400
//     mutability, RFC 7644 §3.5.2, RFC 7643 §7);
//   - a List on a Lister is paged, or its filter evaluated over the
//     listing, by the gateway (FilterList).
//
// name is the dialect's, for error details.
func Decorate(name string, d Dialect) Dialect {
	caps := d.Capabilities()
	x := &decorated{name: name, d: d, caps: caps}
	x.lister, _ = d.(Lister)
	x.readOnly = append(x.readOnly, caps.ReadOnly...)
	for _, e := range caps.Extensions {
		for _, a := range e.Attributes {
			if a.Mutability == "readOnly" {
				x.readOnly = append(x.readOnly, e.ID+":"+a.Name)
			}
		}
	}
	for rt, paths := range caps.Immutable {
		for _, p := range paths {
			ap, err := scim.ParseAttrPath(p)
			if err != nil {
				panic("dialects: " + name + ": immutable attribute " + p + ": " + err.Error())
			}
			x.immutable[rt] = append(x.immutable[rt], ap)
		}
	}
	return x
}

type decorated struct {
	name      string
	d         Dialect
	caps      Capabilities
	lister    Lister
	readOnly  []string           // attribute names, URN-qualified for extensions
	immutable [2][]scim.AttrPath // by resource type: userName, …
}

func (x *decorated) Capabilities() Capabilities { return x.caps }

func (x *decorated) Do(ctx context.Context, req *Request) (*Response, error) {
	switch {
	case req.Action == List && x.lister != nil:
		return x.list(ctx, req)
	case req.Action == Replace && len(x.immutable[req.Type]) > 0:
		cur, err := x.d.Do(ctx, &Request{Action: Get, Type: req.Type, ID: req.ID, Attributes: x.immutable[req.Type]})
		if err != nil {
			return nil, err
		}
		if err := x.unchanged(req.Type, cur.Body, req.Body); err != nil {
			return nil, err
		}
	case req.Action == Patch:
		if err := x.patchable(req); err != nil {
			return nil, err
		}
		if !x.caps.Patch.Has(req.Type) {
			return x.patchByReplace(ctx, req)
		}
		if err := x.patchKeepsImmutable(ctx, req); err != nil {
			return nil, err
		}
		resp, err := x.d.Do(ctx, req)
		if err != nil || len(resp.Body) > 0 {
			return resp, err
		}
		// RFC 7644 §3.5.2 lets a backend answer 204: read the result.
		return x.d.Do(ctx, &Request{Action: Get, Type: req.Type, ID: req.ID})
	}
	return x.d.Do(ctx, req)
}

// patchByReplace applies a PATCH for a backend that cannot take one: it
// reads the resource, applies the PatchOp, and replaces the resource with
// the version it read as If-Match, so that a concurrent change is not
// overwritten (Guarded reads again on 412).
func (x *decorated) patchByReplace(ctx context.Context, req *Request) (*Response, error) {
	return Guarded(ctx, func() (*Response, bool, error) {
		cur, err := x.d.Do(ctx, &Request{Action: Get, Type: req.Type, ID: req.ID})
		if err != nil {
			return nil, false, err
		}
		var doc map[string]any
		if err := json.Unmarshal(cur.Body, &doc); err != nil || doc == nil {
			return nil, false, Errorf(http.StatusBadGateway, "", "%s backend returned a %s that is not a JSON object", x.name, req.Type)
		}
		next, err := scim.ApplyPatch(doc, req.Patch.Operations)
		if err != nil {
			return nil, false, err
		}
		delete(next, "meta") // read-only (RFC 7643 §3.1)
		if req.Type == User {
			delete(next, "groups") // read-only (RFC 7643 §4.1.2)
		}
		body, _ := json.Marshal(next)
		if err := x.unchanged(req.Type, cur.Body, body); err != nil {
			return nil, false, err
		}
		ifMatch, ours := req.IfMatch, false
		if ifMatch == "" && cur.ETag != "" && x.caps.ETag {
			ifMatch, ours = cur.ETag, true
		}
		resp, err := x.d.Do(ctx, &Request{Action: Replace, Type: req.Type, ID: req.ID, Body: body, IfMatch: ifMatch})
		return resp, ours, err
	})
}

// patchable refuses a PATCH operation on a read-only attribute.
func (x *decorated) patchable(req *Request) error {
	for _, op := range req.Patch.Operations {
		for _, name := range opTargets(op) {
			for _, ro := range x.readOnly {
				if strings.EqualFold(name, ro) {
					why := x.caps.ReadOnlyWhy
					if why == "" {
						why = "the backend sets it itself"
					}
					return Errorf(http.StatusBadRequest, "mutability", "%s is read-only in %s: %s", ro, x.name, why)
				}
			}
		}
	}
	return nil
}

// opTargets returns the attributes an operation changes, URN-qualified
// for extension attributes: its path's attribute, or the members of a
// path-less value.
func opTargets(op scim.PatchOperation) []string {
	if op.Path != "" {
		p, err := scim.ParsePatchPath(op.Path)
		if err != nil {
			return nil
		}
		return []string{qualified(p.Attr.URN, p.Attr.Attr)}
	}
	var out []string
	gjson.ParseBytes(op.Value).ForEach(func(k, v gjson.Result) bool {
		if strings.HasPrefix(strings.ToLower(k.Str), "urn:") && v.IsObject() {
			v.ForEach(func(sk, _ gjson.Result) bool {
				out = append(out, qualified(k.Str, sk.Str))
				return true
			})
		} else {
			out = append(out, k.Str)
		}
		return true
	})
	return out
}

func qualified(urn, attr string) string {
	if urn == "" || strings.EqualFold(urn, scim.UserSchema) || strings.EqualFold(urn, scim.GroupSchema) {
		return attr
	}
	return urn + ":" + attr
}

// patchKeepsImmutable refuses, for a backend that patches itself, a PATCH
// that removes an immutable attribute or sets it to another value; it
// reads the resource only when an operation sets one.
func (x *decorated) patchKeepsImmutable(ctx context.Context, req *Request) error {
	var sets []scim.PatchOperation
	for _, op := range req.Patch.Operations {
		for _, im := range x.immutable[req.Type] {
			if !contains(opTargets(op), qualified(im.URN, im.Attr)) {
				continue
			}
			if strings.EqualFold(op.Op, "remove") {
				return Errorf(http.StatusBadRequest, "mutability", "%s cannot change %s", x.name, im)
			}
			sets = append(sets, op)
		}
	}
	if len(sets) == 0 {
		return nil
	}
	cur, err := x.d.Do(ctx, &Request{Action: Get, Type: req.Type, ID: req.ID, Attributes: x.immutable[req.Type]})
	if err != nil {
		return err
	}
	var doc map[string]any
	json.Unmarshal(cur.Body, &doc)
	if doc == nil {
		return Errorf(http.StatusBadGateway, "", "%s backend returned a %s that is not a JSON object", x.name, req.Type)
	}
	next, err := scim.ApplyPatch(doc, sets)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(next)
	return x.unchanged(req.Type, cur.Body, body)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// unchanged refuses next when it changes an immutable attribute of cur;
// values compare case-insensitively, as userName does (RFC 7643 §4.1.1).
func (x *decorated) unchanged(rt ResourceType, cur, next []byte) error {
	c, n := scim.Parse(cur), scim.Parse(next)
	for _, im := range x.immutable[rt] {
		was, now := scim.Lookup(c, im).String(), scim.Lookup(n, im).String()
		if !strings.EqualFold(was, now) {
			return Errorf(http.StatusBadRequest, "mutability", "%s cannot change %s (%q to %q)", x.name, im, was, now)
		}
	}
	return nil
}

// list serves a List through the dialect's Lister: the listing paged when
// it is exact, else read whole and filtered.
func (x *decorated) list(ctx context.Context, req *Request) (*Response, error) {
	page, exact, err := x.lister.Listing(req.Type, req.Query)
	if err != nil {
		return nil, err
	}
	var body []byte
	if exact {
		body, err = ListPage(ctx, req.Query, page)
	} else {
		scanPage, scanLimit := x.caps.ScanPage, x.caps.ScanLimit
		if scanPage <= 0 {
			scanPage = 100
		}
		if scanLimit <= 0 {
			scanLimit = 1000
		}
		body, err = FilterList(ctx, req.Query, page, scanPage, scanLimit)
	}
	if err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusOK, Body: body}, nil
}
