package dialects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// PatchByReplace applies a PATCH for a backend that cannot take one: it
// reads the resource, applies the PatchOp in the gateway (RFC 7644 §3.5.2,
// atomically: a failing operation changes nothing), and replaces the
// resource. When the backend versions resources, the replace carries the
// version it read (If-Match), so a concurrent change is not overwritten: the
// cycle is tried again, a few times, on 412.
func PatchByReplace(ctx context.Context, d Dialect, req *Request) (*Response, error) {
	patch, err := scim.ParsePatch(req.Body)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		cur, err := d.Do(ctx, &Request{Action: Get, Type: req.Type, ID: req.ID})
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := json.Unmarshal(cur.Body, &doc); err != nil || doc == nil {
			return nil, Errorf(http.StatusBadGateway, "", "backend returned a %s that is not a JSON object", req.Type)
		}
		next, err := scim.ApplyPatch(doc, patch.Operations)
		if err != nil {
			return nil, err
		}
		delete(next, "meta") // read-only (RFC 7643 §3.1)
		if req.Type == User {
			delete(next, "groups") // read-only (RFC 7643 §4.1.2)
		}
		body, _ := json.Marshal(next)
		ifMatch := req.IfMatch
		ours := ifMatch == "" && cur.ETag != "" && d.Capabilities().ETag
		if ours {
			ifMatch = cur.ETag
		}
		resp, err := d.Do(ctx, &Request{Action: Replace, Type: req.Type, ID: req.ID, Body: body, IfMatch: ifMatch, Current: cur.Body})
		var de *Error
		if ours && attempt < 2 && errors.As(err, &de) && de.Status == http.StatusPreconditionFailed {
			continue // changed since we read it: read again
		}
		return resp, err
	}
}

// ExpandPathless rewrites a PatchOp (RFC 7644 §3.5.2) so that every
// operation has a path, for backends that require one: an add or replace
// without a path becomes one operation per attribute of its value —
// per sub-attribute for a complex one ("name.givenName"), per attribute of
// an extension ("urn:…:employeeNumber"). Operations keep their order.
func ExpandPathless(body []byte) ([]byte, error) {
	pr, err := scim.ParsePatch(body)
	if err != nil {
		return nil, err
	}
	ops := []scim.PatchOperation{}
	add := func(op, path string, v gjson.Result) {
		ops = append(ops, scim.PatchOperation{Op: op, Path: path, Value: json.RawMessage(v.Raw)})
	}
	for _, op := range pr.Operations {
		if op.Path != "" {
			ops = append(ops, op)
			continue
		}
		val := gjson.ParseBytes(op.Value)
		if !val.IsObject() {
			return nil, &scim.PatchError{ScimType: "invalidValue", Msg: op.Op + " without a path needs an object value"}
		}
		val.ForEach(func(k, v gjson.Result) bool {
			switch {
			case v.IsObject() && strings.HasPrefix(strings.ToLower(k.Str), "urn:"):
				v.ForEach(func(sk, sv gjson.Result) bool {
					add(op.Op, k.Str+":"+sk.Str, sv)
					return true
				})
			case v.IsObject() && !strings.Contains(k.Str, "."):
				v.ForEach(func(sk, sv gjson.Result) bool {
					add(op.Op, k.Str+"."+sk.Str, sv)
					return true
				})
			default:
				add(op.Op, k.Str, v)
			}
			return true
		})
	}
	for _, op := range ops {
		if _, err := scim.ParsePatchPath(op.Path); err != nil || op.Path == "" {
			return nil, &scim.PatchError{ScimType: "invalidPath", Msg: fmt.Sprintf("%q in a path-less %s is not an attribute path", op.Path, op.Op)}
		}
	}
	return json.Marshal(scim.PatchRequest{Schemas: []string{scim.PatchOpURN}, Operations: ops})
}
