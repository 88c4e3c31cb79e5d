package scim

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// SCIM 1.1 PATCH (simplecloud.info Protocol 1.1 §3.3.2) sends a partial
// resource instead of operations:
//
//   - an attribute in the body is added (single-valued: replaced; complex:
//     its sub-attributes merged);
//   - a value of a multi-valued attribute is added, or replaces the value
//     with the same "value"; one marked "operation": "delete" is removed;
//   - "meta": {"attributes": [...]} names attributes to remove entirely,
//     as "title", "name.middleName" or "urn:…:1.0:employeeNumber".
//
// Removals are applied first, then deletions of single values, then
// additions, so one body can replace a value.

// DeleteOp is the marker of a multi-valued value to remove.
const DeleteOp = "delete"

// Diff returns the SCIM 1.1 PATCH body that turns cur into next, without
// "schemas", and whether anything changes. skip names attributes left
// alone — read-only ones — in meta.attributes notation ("id",
// "urn:…:workspace:1.0:userStatus"). Multi-valued values are matched by
// "value" (or whole, without one): a value gone from next is deleted, a new
// or changed one is sent. Arrays of plain values are replaced whole.
func Diff(cur, next map[string]any, skip func(name string) bool) (map[string]any, bool) {
	out := map[string]any{}
	var removes []string
	diffObject(cur, next, "", skip, out, &removes)
	if len(removes) > 0 {
		sort.Strings(removes)
		names := make([]any, len(removes))
		for i, r := range removes {
			names[i] = r
		}
		out["meta"] = map[string]any{"attributes": names}
	}
	return out, len(out) > 0
}

// diffObject writes into out what changes from cur to next; prefix is how
// the members' names are written in meta.attributes.
func diffObject(cur, next map[string]any, prefix string, skip func(string) bool, out map[string]any, removes *[]string) {
	for k, c := range cur {
		name := prefix + k
		if skip(name) {
			continue
		}
		if c == nil || !isUnassigned(next[FindKey(next, k)]) {
			continue
		}
		if ext, ok := c.(map[string]any); ok && prefix == "" && hasURNPrefix(k) {
			// An extension is removed attribute by attribute.
			for sk, sv := range ext {
				if sv != nil && !skip(k+":"+sk) {
					*removes = append(*removes, k+":"+sk)
				}
			}
			continue
		}
		*removes = append(*removes, name)
	}
	for k, n := range next {
		name := prefix + k
		if skip(name) || isUnassigned(n) {
			continue
		}
		c := cur[FindKey(cur, k)]
		if equalJSON(c, n) {
			continue
		}
		switch nv := n.(type) {
		case map[string]any:
			cm, _ := c.(map[string]any)
			if cm == nil {
				cm = map[string]any{}
			}
			sub := prefix + k + "."
			if prefix == "" && hasURNPrefix(k) {
				sub = k + ":"
			}
			o := map[string]any{}
			diffObject(cm, nv, sub, skip, o, removes)
			if len(o) > 0 {
				out[k] = o
			}
		case []any:
			cl, _ := c.([]any)
			if ops, whole := diffValues(cl, nv); whole {
				*removes = append(*removes, name)
				out[k] = nv
			} else if len(ops) > 0 {
				out[k] = ops
			}
		default:
			out[k] = n
		}
	}
}

// diffValues returns the values to send for a multi-valued attribute; whole
// is true when it must be cleared and sent again (plain values, which
// cannot carry a delete marker).
func diffValues(cur, next []any) (ops []any, whole bool) {
	for _, v := range append(append([]any{}, cur...), next...) {
		if _, ok := v.(map[string]any); !ok {
			return nil, true
		}
	}
	for _, c := range cur {
		if indexOfValue(next, c) < 0 {
			del := deepCopy(c).(map[string]any)
			del["operation"] = DeleteOp
			ops = append(ops, del)
		}
	}
	for _, n := range next {
		if i := indexOfValue(cur, n); i < 0 || !equalJSON(cur[i], n) {
			ops = append(ops, n)
		}
	}
	return ops, false
}

// indexOfValue finds v in list by "value", or whole when v has none.
func indexOfValue(list []any, v any) int {
	vm, _ := v.(map[string]any)
	id, hasID := vm[FindKey(vm, "value")]
	for i, el := range list {
		em, _ := el.(map[string]any)
		if hasID {
			if eid, ok := em[FindKey(em, "value")]; ok && equalJSON(eid, id) {
				return i
			}
			continue
		}
		if equalJSON(withoutOperation(em), withoutOperation(vm)) {
			return i
		}
	}
	return -1
}

func withoutOperation(m map[string]any) map[string]any {
	if _, ok := m["operation"]; !ok {
		return m
	}
	c := make(map[string]any, len(m))
	for k, v := range m {
		if k != "operation" {
			c[k] = v
		}
	}
	return c
}

// isUnassigned reports whether a decoded value means "no value" (RFC 7643
// §2.5): absent, null, or an empty array.
func isUnassigned(v any) bool {
	if v == nil {
		return true
	}
	l, ok := v.([]any)
	return ok && len(l) == 0
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// ApplyPartial applies a SCIM 1.1 PATCH body to a copy of cur and returns
// it; cur is left untouched. "schemas" in the body is ignored.
func ApplyPartial(cur, patch map[string]any) (map[string]any, error) {
	out := deepCopy(cur).(map[string]any)
	if meta, ok := patch[FindKey(patch, "meta")].(map[string]any); ok {
		names, _ := meta[FindKey(meta, "attributes")].([]any)
		for _, n := range names {
			s, ok := n.(string)
			if !ok {
				return nil, &PatchError{ScimType: "invalidValue", Msg: "meta.attributes must list attribute names"}
			}
			if err := removeNamed(out, s); err != nil {
				return nil, err
			}
		}
	}
	for k, v := range patch {
		if strings.EqualFold(k, "meta") || strings.EqualFold(k, "schemas") {
			continue
		}
		if err := merge(out, k, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// removeNamed removes "attr", "attr.sub", "urn:…:attr" or "urn:…:attr.sub".
func removeNamed(doc map[string]any, name string) error {
	m := doc
	rest := name
	if _, whole := doc[FindKey(doc, name)]; whole {
		delete(doc, FindKey(doc, name))
		return nil
	}
	if hasURNPrefix(name) {
		i := strings.LastIndexByte(name, ':')
		ext, ok := doc[FindKey(doc, name[:i])].(map[string]any)
		if !ok {
			return nil
		}
		m, rest = ext, name[i+1:]
	}
	parts := strings.Split(rest, ".")
	for _, p := range parts[:len(parts)-1] {
		sub, ok := m[FindKey(m, p)].(map[string]any)
		if !ok {
			return nil
		}
		m = sub
	}
	if !validName(parts[len(parts)-1]) {
		return &PatchError{ScimType: "invalidPath", Msg: fmt.Sprintf("meta.attributes: %q is not an attribute name", name)}
	}
	delete(m, FindKey(m, parts[len(parts)-1]))
	return nil
}

// merge adds v under key k of m with SCIM 1.1 PATCH semantics.
func merge(m map[string]any, k string, v any) error {
	key := FindKey(m, k)
	switch nv := v.(type) {
	case nil:
		delete(m, key)
	case map[string]any:
		cm, ok := m[key].(map[string]any)
		if !ok {
			cm = map[string]any{}
		}
		for sk, sv := range nv {
			if err := merge(cm, sk, sv); err != nil {
				return err
			}
		}
		m[key] = cm
	case []any:
		cl, _ := m[key].([]any)
		list := append([]any{}, cl...)
		for _, el := range nv { // deletions first
			em, ok := el.(map[string]any)
			if !ok {
				continue
			}
			switch op, _ := em["operation"].(string); op {
			case "":
			case DeleteOp:
				if i := indexOfValue(list, em); i >= 0 {
					list = append(list[:i], list[i+1:]...)
				}
			default:
				return &PatchError{ScimType: "invalidValue", Msg: fmt.Sprintf("%s: unknown operation %q", k, op)}
			}
		}
		for _, el := range nv {
			em, ok := el.(map[string]any)
			if ok && em["operation"] != nil {
				continue
			}
			if ok && em["primary"] == true {
				for _, other := range list {
					if om, ok := other.(map[string]any); ok && om["primary"] == true {
						om["primary"] = false
					}
				}
			}
			if i := indexOfValue(list, el); i >= 0 {
				list[i] = el
			} else {
				list = append(list, el)
			}
		}
		if len(list) == 0 {
			delete(m, key)
		} else {
			m[key] = list
		}
	default:
		m[key] = v
	}
	return nil
}
