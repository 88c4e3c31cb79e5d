package scim

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// PatchRequest is an RFC 7644 §3.5.2 PatchOp message.
type PatchRequest struct {
	Schemas    []string         `json:"schemas"`
	Operations []PatchOperation `json:"Operations"`
}

// PatchOperation is one entry of "Operations".
type PatchOperation struct {
	Op    string          `json:"op"`
	Path  string          `json:"path,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// ParsePatch decodes and checks a PatchOp body: every op is add, remove or
// replace (in any case), every path parses, and remove has a path.
func ParsePatch(body []byte) (*PatchRequest, error) {
	var req PatchRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, &PatchError{ScimType: "invalidSyntax", Msg: "PATCH body is not a PatchOp message: " + err.Error()}
	}
	if !gjson.GetBytes(body, "Operations").IsArray() {
		return nil, &PatchError{ScimType: "invalidSyntax", Msg: `PATCH body has no "Operations" array`}
	}
	for i, op := range req.Operations {
		switch strings.ToLower(op.Op) {
		case "add", "replace":
			if len(op.Value) == 0 {
				return nil, &PatchError{ScimType: "invalidValue", Msg: fmt.Sprintf("operation %d (%s) has no value", i, op.Op)}
			}
		case "remove":
			if op.Path == "" {
				return nil, &PatchError{ScimType: "noTarget", Msg: fmt.Sprintf("operation %d (remove) has no path", i)}
			}
		default:
			return nil, &PatchError{ScimType: "invalidSyntax", Msg: fmt.Sprintf("operation %d: unknown op %q (want add, remove or replace)", i, op.Op)}
		}
		if op.Path != "" {
			if _, err := ParsePatchPath(op.Path); err != nil {
				return nil, &PatchError{ScimType: "invalidPath", Msg: fmt.Sprintf("operation %d: %v", i, err)}
			}
		}
	}
	return &req, nil
}

// ApplyPatch applies the operations to a copy of doc and returns it; doc is
// left untouched when any operation fails, so the PATCH is atomic.
func ApplyPatch(doc map[string]any, ops []PatchOperation) (map[string]any, error) {
	out := deepCopy(doc).(map[string]any)
	for i, op := range ops {
		var val any
		if len(op.Value) > 0 {
			if err := json.Unmarshal(op.Value, &val); err != nil {
				return nil, &PatchError{ScimType: "invalidValue", Msg: fmt.Sprintf("operation %d: value is not JSON", i)}
			}
		}
		before := primaries(out)
		if err := applyOne(out, strings.ToLower(op.Op), op.Path, val); err != nil {
			return nil, err
		}
		if err := onePrimary(out, before); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// primaries returns the values of multi-valued attributes, in the resource
// and its extensions, that are primary.
func primaries(doc map[string]any) map[unsafe.Pointer]bool {
	set := map[unsafe.Pointer]bool{}
	eachValues(doc, func(_ string, vals []any) {
		for _, el := range vals {
			if m, ok := el.(map[string]any); ok && m[FindKey(m, "primary")] == true {
				set[reflect.ValueOf(m).UnsafePointer()] = true
			}
		}
	})
	return set
}

// onePrimary keeps RFC 7643 §2.4 after an operation: a value it made
// primary takes the flag from the others (RFC 7644 §3.5.2: "the server
// SHALL set "primary" to false for any other values"), and two values made
// primary at once are refused.
func onePrimary(doc map[string]any, before map[unsafe.Pointer]bool) error {
	var err error
	eachValues(doc, func(name string, vals []any) {
		var old, fresh []map[string]any
		for _, el := range vals {
			if m, ok := el.(map[string]any); ok && m[FindKey(m, "primary")] == true {
				if before[reflect.ValueOf(m).UnsafePointer()] {
					old = append(old, m)
				} else {
					fresh = append(fresh, m)
				}
			}
		}
		switch {
		case len(fresh) > 1:
			err = &Error{ScimType: "invalidValue", Msg: fmt.Sprintf("%s would have %d primary values; at most one may be primary (RFC 7643 §2.4)", name, len(fresh))}
		case len(fresh) == 1:
			for _, m := range old {
				m[FindKey(m, "primary")] = false
			}
		}
	})
	return err
}

// eachValues calls fn for every multi-valued attribute of complex values,
// in the resource and in its extensions.
func eachValues(doc map[string]any, fn func(name string, vals []any)) {
	for k, v := range doc {
		switch t := v.(type) {
		case []any:
			fn(k, t)
		case map[string]any:
			if hasURNPrefix(k) {
				for ek, ev := range t {
					if vals, ok := ev.([]any); ok {
						fn(k+":"+ek, vals)
					}
				}
			}
		}
	}
}

func applyOne(doc map[string]any, op, path string, val any) error {
	if path == "" {
		obj, ok := val.(map[string]any)
		if !ok {
			return &PatchError{ScimType: "invalidValue", Msg: op + " without a path needs an object value"}
		}
		for k, v := range obj {
			// An extension URN key holds an object of that schema's attributes.
			if sub, ok := v.(map[string]any); ok && hasURNPrefix(k) {
				ext := container(doc, k, true)
				for sk, sv := range sub {
					setAttr(ext, sk, sv, op == "add")
				}
				continue
			}
			// Other keys may themselves be paths ("name.givenName", URN-qualified).
			if err := applyOne(doc, op, k, v); err != nil {
				return err
			}
		}
		return nil
	}
	pp, err := ParsePatchPath(path)
	if err != nil {
		return &PatchError{ScimType: "invalidPath", Msg: err.Error()}
	}
	parent := container(doc, pp.Attr.URN, op != "remove")
	if parent == nil {
		return nil // removing from an extension that is not there
	}
	key := FindKey(parent, pp.Attr.Attr)
	if pp.Filter == nil {
		if pp.Attr.Sub == "" {
			switch op {
			case "remove":
				// RFC 7644 §3.5.2.2: without a filter the attribute and
				// all its values go. (Entra's value-list removal reaches
				// here already turned into a filter: ResourceSchema.Patch.)
				delete(parent, key)
			default:
				setAttr(parent, key, val, op == "add")
			}
			return nil
		}
		cur := parent[key]
		if arr, ok := cur.([]any); ok { // sub-attribute of every value
			for _, el := range arr {
				if m, ok := el.(map[string]any); ok {
					applyLeaf(m, op, pp.Attr.Sub, val)
				}
			}
			return nil
		}
		m, ok := cur.(map[string]any)
		if !ok {
			if op == "remove" {
				return nil
			}
			m = map[string]any{}
			parent[key] = m
		}
		applyLeaf(m, op, pp.Attr.Sub, val)
		return nil
	}
	arr, _ := parent[key].([]any)
	var kept []any
	matched := 0
	for _, el := range arr {
		raw, _ := json.Marshal(el)
		if !pp.Filter.Match(gjson.ParseBytes(raw)) {
			kept = append(kept, el)
			continue
		}
		matched++
		switch {
		case op == "remove" && pp.Sub == "":
			continue
		case pp.Sub != "":
			if m, ok := el.(map[string]any); ok {
				applyLeaf(m, op, pp.Sub, val)
			}
		default:
			if nv, ok := val.(map[string]any); ok {
				if m, ok := el.(map[string]any); ok {
					for k, v := range nv {
						m[FindKey(m, k)] = v
					}
				}
			}
		}
		kept = append(kept, el)
	}
	if matched == 0 {
		switch {
		case op == "add" && pp.Sub != "":
			// Create the element the filter describes (what Entra expects).
			el := map[string]any{pp.Sub: val}
			pp.Filter.Walk(func(e *Expr) {
				if e.Kind == Compare && e.Op == OpEq {
					el[e.Path.Attr] = literal(e.Value)
				}
			})
			kept = append(kept, el)
		case op == "remove":
			return nil
		default:
			return &PatchError{ScimType: "noTarget", Msg: fmt.Sprintf("no value of %q matches %s", pp.Attr.Attr, pp.Filter)}
		}
	}
	if kept == nil {
		delete(parent, key)
		return nil
	}
	parent[key] = kept
	return nil
}

func applyLeaf(m map[string]any, op, sub string, val any) {
	k := FindKey(m, sub)
	if op == "remove" {
		delete(m, k)
		return
	}
	setAttr(m, k, val, op == "add")
}

// setAttr sets an attribute; for add on a multi-valued attribute the new
// values are appended, skipping values already present. A JSON null or an
// empty array unassigns the attribute (RFC 7643 §2.5).
func setAttr(m map[string]any, key string, val any, add bool) {
	key = FindKey(m, key)
	if val == nil {
		delete(m, key)
		return
	}
	if nv, ok := val.([]any); ok {
		if len(nv) == 0 && !add {
			delete(m, key)
			return
		}
		if cur, ok := m[key].([]any); ok && add {
			for _, v := range nv {
				if !containsValue(cur, v) {
					cur = append(cur, v)
				}
			}
			m[key] = cur
			return
		}
	}
	if add {
		if cur, ok := m[key].([]any); ok {
			if !containsValue(cur, val) {
				m[key] = append(cur, val)
			}
			return
		}
		if cur, ok := m[key].(map[string]any); ok {
			if nv, ok := val.(map[string]any); ok {
				for k, v := range nv {
					cur[FindKey(cur, k)] = v
				}
				return
			}
		}
	}
	m[key] = val
}

func containsValue(list []any, v any) bool {
	for _, el := range list {
		if sameValue(el, v) {
			return true
		}
	}
	return false
}

// sameValue compares two values, or two complex values by their "value".
func sameValue(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		av, bv := am[FindKey(am, "value")], bm[FindKey(bm, "value")]
		if av != nil || bv != nil {
			return av == bv
		}
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func literal(v Value) any {
	switch v.Kind {
	case StringValue:
		return v.Str
	case NumberValue:
		return v.Num
	case BoolValue:
		return v.Bool()
	}
	return nil
}

// container returns the object that holds attributes of the schema urn:
// the resource itself for the core schemas, otherwise the extension object.
func container(doc map[string]any, urn string, create bool) map[string]any {
	if urn == "" || strings.EqualFold(urn, UserSchema) || strings.EqualFold(urn, GroupSchema) {
		return doc
	}
	k := FindKey(doc, urn)
	if m, ok := doc[k].(map[string]any); ok {
		return m
	}
	if !create {
		return nil
	}
	m := map[string]any{}
	doc[k] = m
	return m
}

// FindKey returns the key of m equal to name ignoring case, or name.
func FindKey(m map[string]any, name string) string {
	if _, ok := m[name]; ok {
		return name
	}
	for k := range m {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, v := range t {
			m[k] = deepCopy(v)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, v := range t {
			s[i] = deepCopy(v)
		}
		return s
	}
	return v
}
