package dialects

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// ExpandPathless rewrites a PatchOp (RFC 7644 §3.5.2) so that every
// operation has a path, for backends that require one: an add or replace
// without a path becomes one operation per attribute of its value —
// per sub-attribute for a complex one ("name.givenName"), per attribute of
// an extension ("urn:…:employeeNumber"). Operations keep their order.
func ExpandPathless(pr *scim.PatchRequest) (*scim.PatchRequest, error) {
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
	return &scim.PatchRequest{Schemas: []string{scim.PatchOpURN}, Operations: ops}, nil
}
