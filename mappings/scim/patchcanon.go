package scim

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"
)

// Patch validates a PatchOp message (RFC 7644 §3.5.2) and returns it in
// canonical form, the one every backend and the gateway's own PATCH engine
// receive:
//
//   - op names are lower case; every op is add, remove or replace;
//   - a path-less add or replace becomes one operation per attribute of
//     its value, so dotted and URN-qualified keys ("name.givenName",
//     "urn:…:enterprise:2.0:User:employeeNumber") and Okta's
//     {"active": false} become ordinary paths, and echoed read-only
//     attributes (id, meta, schemas) drop out;
//   - paths take their schema spelling; an extension attribute named
//     without its URN ("manager") is qualified with it;
//   - a remove of listed values (Entra's {"op":"Remove","path":"members",
//     "value":[{"value":"u1"}]}) becomes a value filter,
//     members[value eq "u1"], since RFC 7644 §3.5.2.2 reads a remove of
//     "members" without one as "remove all members";
//   - values have their attribute's type and shape, as in Resource: a
//     one-element array for a single-valued attribute is unwrapped (Entra's
//     manager), a string where a complex value belongs is refused;
//   - an add or replace of null or [] is a remove (RFC 7643 §2.5).
//
// In Strict mode none of those coercions apply: the message must already be
// canonical.
func (rs *ResourceSchema) Patch(body []byte, mode Mode) (*PatchRequest, error) {
	doc := Parse(body)
	if !doc.IsObject() {
		return nil, errf("invalidSyntax", "the PATCH body must be a JSON object")
	}
	ops := Field(doc, "Operations")
	if !ops.IsArray() {
		return nil, errf("invalidSyntax", `PATCH body has no "Operations" array`)
	}
	if mode == Strict {
		if !containsFold(stringsOf(Field(doc, "schemas")), PatchOpURN) {
			return nil, errf("invalidSyntax", `"schemas" must be ["%s"] (RFC 7644 §3.5.2)`, PatchOpURN)
		}
		if len(ops.Array()) == 0 {
			return nil, errf("invalidValue", "a PatchOp holds at least one operation (RFC 7644 §3.5.2)")
		}
	}
	out := &PatchRequest{Schemas: []string{PatchOpURN}, Operations: []PatchOperation{}}
	i := 0
	var err error
	ops.ForEach(func(_, op gjson.Result) bool {
		err = rs.patchOp(out, i, op, mode)
		i++
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Marshal renders a PatchOp message.
func (pr *PatchRequest) Marshal() []byte {
	b, _ := json.Marshal(pr)
	return b
}

func stringsOf(v gjson.Result) []string {
	var out []string
	v.ForEach(func(_, s gjson.Result) bool {
		out = append(out, s.String())
		return true
	})
	return out
}

func (rs *ResourceSchema) patchOp(out *PatchRequest, i int, op gjson.Result, mode Mode) error {
	if !op.IsObject() {
		return errf("invalidSyntax", "operation %d is not an object", i)
	}
	rawName := Field(op, "op")
	name := strings.ToLower(rawName.String())
	if rawName.Type != gjson.String || name != "add" && name != "remove" && name != "replace" || mode == Strict && rawName.Str != name {
		return errf("invalidSyntax", "operation %d: op %s is not add, remove or replace (RFC 7644 §3.5.2)", i, rawName.Raw)
	}
	pathV := Field(op, "path")
	value := Field(op, "value")
	if pathV.Exists() && pathV.Type != gjson.String {
		return errf("invalidPath", "operation %d: path must be a string", i)
	}
	if pathV.Str == "" {
		switch {
		case name == "remove":
			return errf("noTarget", "operation %d (remove) has no path (RFC 7644 §3.5.2.2)", i)
		case !value.Exists():
			return errf("invalidValue", "operation %d (%s) has no value", i, name)
		case !value.IsObject():
			return errf("invalidValue", "operation %d: %s without a path needs an object of attributes as its value", i, name)
		}
		return rs.pathless(out, i, name, value, mode)
	}
	pp, err := ParsePatchPath(pathV.Str)
	if err != nil {
		return errf("invalidPath", "operation %d: %v", i, err)
	}
	return rs.pathed(out, i, name, pp, value, mode)
}

// pathless splits a path-less add or replace into one operation per
// attribute of its value.
func (rs *ResourceSchema) pathless(out *PatchRequest, i int, name string, value gjson.Result, mode Mode) error {
	var err error
	value.ForEach(func(k, v gjson.Result) bool {
		key := k.Str
		if strings.EqualFold(key, "schemas") {
			return true
		}
		if a := rs.core.attrs.get(key); a != nil && a.Mutability == "readOnly" {
			return true // Okta echoes id (and meta) in a group rename
		}
		if strings.EqualFold(key, rs.core.ID) && v.IsObject() {
			err = rs.pathless(out, i, name, v, mode)
			return err == nil
		}
		if rs.byURN[strings.ToLower(key)] != nil && v.IsObject() {
			v.ForEach(func(sk, sv gjson.Result) bool {
				var pp PatchPath
				if pp, err = ParsePatchPath(key + ":" + sk.Str); err != nil {
					err = errf("invalidPath", "operation %d: %q in a path-less %s is not an attribute path", i, key+":"+sk.Str, name)
					return false
				}
				err = rs.pathed(out, i, name, pp, sv, mode)
				return err == nil
			})
			return err == nil
		}
		pp, perr := ParsePatchPath(key)
		if perr != nil || pp.Filter != nil || mode == Strict && (pp.Attr.Sub != "" || pp.Attr.URN != "") {
			err = errf("invalidPath", "operation %d: %q in a path-less %s is not an attribute", i, key, name)
			return false
		}
		err = rs.pathed(out, i, name, pp, v, mode)
		return err == nil
	})
	return err
}

// target is what a PATCH path names, resolved against the schema.
type target struct {
	attr *attrDef // the attribute; nil when the schema does not define it
	leaf *attrDef // the sub-attribute a value is for (a.b, a[f].b), or nil
}

// resolve canonicalises a path's names and finds its definitions.
func (rs *ResourceSchema) resolve(pp *PatchPath, mode Mode) (target, error) {
	var t target
	s := rs.core
	switch urn := pp.Attr.URN; {
	case urn == "" || strings.EqualFold(urn, rs.core.ID):
		pp.Attr.URN = ""
		if rs.core.attrs.get(pp.Attr.Attr) == nil && mode == Lenient {
			// An extension attribute named without its URN: qualify it
			// when exactly one extension defines it (RFC 7644 §3.10
			// wants the URN; Entra's legacy manager update leaves it out).
			var found *schemaDef
			for _, e := range rs.exts {
				if e.attrs.get(pp.Attr.Attr) != nil {
					if found != nil {
						return t, errf("invalidPath", "%s is defined by %s and %s: qualify it with its schema URN", pp.Attr.Attr, found.ID, e.ID)
					}
					found = e
				}
			}
			if found != nil {
				s, pp.Attr.URN = found, found.ID
			}
		}
	default:
		e := rs.byURN[strings.ToLower(urn)]
		if e == nil {
			if mode == Strict {
				return t, errf("invalidPath", "schema %q is not served here", urn)
			}
			return t, nil
		}
		s, pp.Attr.URN = e, e.ID
		if e.open {
			return t, nil
		}
	}
	t.attr = s.attrs.get(pp.Attr.Attr)
	if t.attr == nil {
		if mode == Strict {
			return t, errf("invalidPath", "attribute %q is not defined by %s", pp.Attr.Attr, s.ID)
		}
		return t, nil
	}
	pp.Attr.Attr = t.attr.Name
	sub := func(name *string) error {
		if t.attr.Type != "complex" {
			return errf("invalidPath", "%s has no sub-attributes", t.attr.Name)
		}
		t.leaf = t.attr.subs.get(*name)
		if t.leaf == nil {
			if mode == Strict {
				return errf("invalidPath", "%s has no sub-attribute %q", t.attr.Name, *name)
			}
			return nil
		}
		*name = t.leaf.Name
		return nil
	}
	if pp.Attr.Sub != "" {
		if err := sub(&pp.Attr.Sub); err != nil {
			return t, err
		}
	}
	if pp.Filter != nil {
		if !t.attr.MultiValued || t.attr.Type != "complex" {
			return t, errf("invalidPath", "a value filter selects values of a multi-valued complex attribute; %s is not one", t.attr.Name)
		}
		if err := checkFilter(pp.Filter, t.attr.subs, mode, t.attr.Name); err != nil {
			return t, errf("invalidPath", "%v", err)
		}
		if pp.Sub != "" {
			if err := sub(&pp.Sub); err != nil {
				return t, err
			}
		}
	}
	return t, nil
}

func (rs *ResourceSchema) pathed(out *PatchRequest, i int, name string, pp PatchPath, value gjson.Result, mode Mode) error {
	t, err := rs.resolve(&pp, mode)
	if err != nil {
		return errf(err.(*Error).ScimType, "operation %d: %s", i, err.(*Error).Msg)
	}
	if t.attr != nil && t.attr.Mutability == "readOnly" {
		return errf("mutability", "operation %d: %s is read-only (RFC 7643 §2.2)", i, t.attr.Name)
	}
	emit := func(op string, p PatchPath, v []byte) {
		out.Operations = append(out.Operations, PatchOperation{Op: op, Path: p.String(), Value: v})
	}
	if name == "remove" {
		whole := t.attr != nil && t.attr.MultiValued && t.attr.Type == "complex" && pp.Filter == nil && pp.Attr.Sub == ""
		if !value.Exists() || !whole {
			if value.Exists() && mode == Strict {
				return errf("invalidSyntax", "operation %d: remove takes no value here", i)
			}
			emit(name, pp, nil)
			return nil
		}
		// Values listed for removal: a value filter says exactly which.
		if mode == Strict {
			emit(name, pp, nil)
			return nil
		}
		f, err := valueFilter(value, t.attr.Name)
		if err != nil {
			return errf("invalidValue", "operation %d: %v", i, err)
		}
		if f != nil {
			pp.Filter = f
			emit(name, pp, nil)
		}
		return nil
	}
	if !value.Exists() {
		return errf("invalidValue", "operation %d (%s) has no value", i, name)
	}
	if unassigned(value) && mode == Lenient {
		if name == "replace" {
			emit("remove", pp, nil) // RFC 7643 §2.5: null is unassigned
		}
		return nil
	}
	def := t.leaf
	if def == nil && pp.Attr.Sub == "" && pp.Sub == "" {
		def = t.attr
	}
	if def == nil {
		emit(name, pp, []byte(value.Raw)) // outside the schema: the mapping decides
		return nil
	}
	var buf bytes.Buffer
	at := pp.String()
	switch {
	case pp.Filter != nil && pp.Sub == "":
		// The value is one element of the selected values.
		if value.IsArray() && mode == Lenient && len(value.Array()) == 1 {
			value = value.Array()[0]
		}
		err = writeValue(&buf, def, value, mode, at, true)
	default:
		err = writeValue(&buf, def, value, mode, at, false)
	}
	if err != nil {
		return errf(err.(*Error).ScimType, "operation %d: %s", i, err.(*Error).Msg)
	}
	if isEmpty(buf.Bytes(), 0) && mode == Lenient {
		if name == "replace" {
			emit("remove", pp, nil)
		}
		return nil
	}
	emit(name, pp, buf.Bytes())
	return nil
}

// valueFilter turns the values of a value-list remove into a filter on
// their "value" sub-attribute: [{"value":"a"},{"value":"b"}] is
// value eq "a" or value eq "b"; nil when nothing is listed.
func valueFilter(v gjson.Result, attr string) (*Expr, error) {
	if v.IsObject() {
		v = gjson.Parse("[" + v.Raw + "]")
	}
	if !v.IsArray() {
		return nil, errf("invalidValue", "a remove of %s values needs an array of {\"value\": …} objects", attr)
	}
	var f *Expr
	var err error
	v.ForEach(func(_, el gjson.Result) bool {
		if el.Type == gjson.Null {
			return true
		}
		id := Field(el, "value")
		if !el.IsObject() || id.Type != gjson.String || id.Str == "" {
			err = errf("invalidValue", "a remove of %s values needs each value as {\"value\": \"…\"}; got %s", attr, kindOf(el.Raw[0]))
			return false
		}
		c := &Expr{Kind: Compare, Path: AttrPath{Attr: "value"}, Op: OpEq, Value: Value{Kind: StringValue, Str: id.Str, Raw: Quote(id.Str)}}
		if f == nil {
			f = c
		} else {
			f = &Expr{Kind: Or, Left: f, Right: c}
		}
		return true
	})
	return f, err
}

// checkFilter type-checks a filter (RFC 7644 §3.4.2.2) whose attribute
// paths are the sub-attributes in subs (a value filter) and canonicalises
// their spelling. Ordering comparisons (gt, ge, lt, le) on a boolean or
// binary attribute are refused, as the RFC requires.
func checkFilter(e *Expr, subs attrs, mode Mode, parent string) error {
	var err error
	e.Walk(func(n *Expr) {
		if err != nil || n.Kind != Compare {
			return
		}
		a := subs.get(n.Path.Attr)
		if a == nil || n.Path.URN != "" || n.Path.Sub != "" {
			if mode == Strict {
				err = errf("invalidFilter", "%s has no sub-attribute %q", parent, n.Path.String())
			}
			return
		}
		n.Path.Attr = a.Name
		err = checkCompare(n, a)
	})
	return err
}

// checkCompare checks one comparison against its attribute's type.
func checkCompare(n *Expr, a *attrDef) error {
	switch n.Op {
	case OpGt, OpGe, OpLt, OpLe:
		if a.Type == "boolean" || a.Type == "binary" {
			return errf("invalidFilter", "%s %s: %s is %s; ordering comparisons on it are invalid (RFC 7644 §3.4.2.2)", n.Path, n.Op, a.Name, a.Type)
		}
		if a.Type == "complex" {
			return errf("invalidFilter", "%s %s: %s is complex; compare one of its sub-attributes", n.Path, n.Op, a.Name)
		}
	}
	return nil
}

// CheckFilter type-checks a list filter against the schema (RFC 7644
// §3.4.2.2): ordering comparisons on booleans and binaries are refused,
// and so are filters inside a value path on an attribute that is not
// multi-valued complex. Attributes outside the schema are left to the
// tenant's mapping.
func (rs *ResourceSchema) CheckFilter(f *Expr) error {
	if f == nil {
		return nil
	}
	var err error
	var walk func(e *Expr)
	walk = func(e *Expr) {
		if e == nil || err != nil {
			return
		}
		switch e.Kind {
		case And, Or, Not:
			walk(e.Left)
			walk(e.Right)
		case ValuePath:
			pp := PatchPath{Attr: e.Path}
			t, rerr := rs.resolve(&pp, Lenient)
			if rerr == nil && t.attr != nil {
				if !t.attr.MultiValued || t.attr.Type != "complex" {
					rerr = errf("invalidFilter", "%s[…]: a value filter needs a multi-valued complex attribute", t.attr.Name)
				} else {
					rerr = checkFilter(e.Left, t.attr.subs, Lenient, t.attr.Name)
				}
			}
			if rerr != nil {
				err = errf("invalidFilter", "%v", rerr)
			}
		case Compare:
			pp := PatchPath{Attr: e.Path}
			t, rerr := rs.resolve(&pp, Lenient)
			switch {
			case rerr != nil:
				err = errf("invalidFilter", "%v", rerr)
			case t.leaf != nil:
				err = checkCompare(e, t.leaf)
			case t.attr != nil && e.Path.Sub == "":
				err = checkCompare(e, t.attr)
			}
		}
	}
	walk(f)
	return err
}
