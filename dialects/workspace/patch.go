package workspace

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// multiValued are the multi-valued attributes of SCIM 1.1 Users and Groups.
var multiValued = map[string]bool{
	"emails": true, "phonenumbers": true, "ims": true, "photos": true, "addresses": true,
	"entitlements": true, "roles": true, "x509certificates": true, "groups": true, "members": true,
}

// direct translates a PatchOp, already in the backend's attribute names,
// into a SCIM 1.1 partial resource without reading the resource first. It
// does so only when every operation translates on its own:
//
//   - add to a multi-valued attribute: the values;
//   - remove attr[value eq "x"], or remove with a list of values (as Entra
//     ID removes members): the values marked "operation": "delete";
//   - add, replace or remove of a single-valued attribute or sub-attribute:
//     the value, or its name in meta.attributes;
//
// and no two operations touch the same attribute. Anything else — replace
// of a whole multi-valued attribute, other value filters, path-less
// operations, emails (one per user) and roles (read-only) — needs the
// current resource, and ok is false.
func direct(patchOp []byte) (body []byte, ok bool) {
	partial := map[string]any{}
	var removes []any
	touched := map[string]bool{}
	ok = true
	gjson.GetBytes(patchOp, "Operations").ForEach(func(_, op gjson.Result) bool {
		ok = directOp(op, partial, &removes, touched)
		return ok
	})
	if !ok || len(touched) == 0 {
		return nil, false
	}
	if len(removes) > 0 {
		partial["meta"] = map[string]any{"attributes": removes}
	}
	body, _ = json.Marshal(partial)
	return body, true
}

func directOp(op gjson.Result, partial map[string]any, removes *[]any, touched map[string]bool) bool {
	name := strings.ToLower(op.Get("op").String())
	pp, err := scim.ParsePatchPath(op.Get("path").String())
	if err != nil || op.Get("path").String() == "" {
		return false
	}
	attr := strings.ToLower(pp.Attr.Attr)
	key := strings.ToLower(pp.Attr.URN + ":" + pp.Attr.Attr)
	if pp.Attr.Sub != "" {
		key += "." + strings.ToLower(pp.Attr.Sub)
	}
	for t := range touched {
		if t == key || strings.HasPrefix(t, key+".") || strings.HasPrefix(key, t+".") {
			return false // two operations on one attribute: their order matters
		}
	}
	if attr == "emails" || attr == "roles" {
		return false
	}
	touched[key] = true
	var val any
	if v := op.Get("value"); v.Exists() {
		json.Unmarshal([]byte(v.Raw), &val)
	}
	multi := pp.Attr.URN == "" && multiValued[attr]
	switch {
	case pp.Filter != nil:
		f := pp.Filter
		if name != "remove" || pp.Sub != "" || !multi || f.Kind != scim.Compare || f.Op != scim.OpEq ||
			!strings.EqualFold(f.Path.Attr, "value") || f.Path.Sub != "" || f.Value.Kind != scim.StringValue {
			return false
		}
		partial[pp.Attr.Attr] = []any{map[string]any{"value": f.Value.Str, "operation": scim.DeleteOp}}
	case multi && pp.Attr.Sub == "":
		values, isList := val.([]any)
		if !isList && val != nil {
			values = []any{val}
		}
		switch {
		case name == "add" && len(values) > 0:
			partial[pp.Attr.Attr] = values
		case name == "remove" && val == nil:
			*removes = append(*removes, pp.Attr.Attr)
		case name == "remove":
			var dels []any
			for _, v := range values {
				m, isObj := v.(map[string]any)
				id, hasID := m["value"]
				if !isObj || !hasID {
					return false
				}
				dels = append(dels, map[string]any{"value": id, "operation": scim.DeleteOp})
			}
			partial[pp.Attr.Attr] = dels
		default:
			return false
		}
	case multi:
		return false
	case name == "remove" || val == nil:
		*removes = append(*removes, pp.Attr.String())
	default:
		m := partial
		if pp.Attr.URN != "" {
			ext, _ := partial[pp.Attr.URN].(map[string]any)
			if ext == nil {
				ext = map[string]any{}
				partial[pp.Attr.URN] = ext
			}
			m = ext
		}
		if pp.Attr.Sub == "" {
			m[pp.Attr.Attr] = val
			break
		}
		parent, _ := m[pp.Attr.Attr].(map[string]any)
		if parent == nil {
			parent = map[string]any{}
			m[pp.Attr.Attr] = parent
		}
		parent[pp.Attr.Sub] = val
	}
	return true
}
