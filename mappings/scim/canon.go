package scim

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// Canonical SCIM 2.0 in one place: what real IdPs send is turned into what
// RFC 7643/7644 say, using the schema definitions (types, multi-valuedness,
// mutability) that also feed /Schemas. Every dialect then sees only
// canonical requests.
//
//   - attribute names take their schema spelling ("UserName" -> "userName");
//   - booleans sent as strings ("True", "false") become booleans wherever the
//     schema says boolean, sub-attributes such as emails[].primary included;
//   - the enterprise manager sent as a bare id, a one-element array or an
//     object becomes {"value": id} (RFC 7643 §4.3);
//   - null and [] mean unassigned and are left out (RFC 7643 §2.5);
//   - read-only attributes a client sends (id, meta, groups) are ignored;
//   - unknown schema URIs and attributes pass through untouched.

// schemaIndex maps lower-case attribute names to definitions.
type schemaIndex map[string]*Attribute

// get looks a name up ignoring case, without allocating.
func (s schemaIndex) get(name string) *Attribute {
	var buf [64]byte
	b := buf[:0]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return s[string(b)]
}

// subIndexes holds the index of every complex attribute's sub-attributes,
// built once.
var subIndexes = map[*Attribute]schemaIndex{}

func indexOf(attrs []Attribute) schemaIndex {
	m := schemaIndex{}
	for i := range attrs {
		m[strings.ToLower(attrs[i].Name)] = &attrs[i]
		if len(attrs[i].SubAttributes) > 0 {
			subIndexes[&attrs[i]] = indexOf(attrs[i].SubAttributes)
		}
	}
	return m
}

var (
	userIndex       = indexOf(UserSchemaDef.Attributes)
	groupIndex      = indexOf(GroupSchemaDef.Attributes)
	enterpriseIndex = indexOf(EnterpriseSchemaDef.Attributes)
)

// isReadOnlyOnWrite reports the attributes a client may echo but never
// sets: id, meta and groups.
func isReadOnlyOnWrite(name string) bool {
	switch len(name) {
	case 2:
		return strings.EqualFold(name, "id")
	case 4:
		return strings.EqualFold(name, "meta")
	case 6:
		return strings.EqualFold(name, "groups")
	}
	return false
}

// Canonicalize returns a resource body (create or replace) in canonical
// form, and the value of the attribute every resource requires: userName,
// or displayName for a Group (RFC 7643 §4.1.1, §4.2); "" when it is missing
// or not a string. group selects the Group schema instead of the User one.
func Canonicalize(body []byte, group bool) (out []byte, name string) {
	doc := Parse(body)
	if !doc.IsObject() {
		return body, ""
	}
	core, required := userIndex, "userName"
	if group {
		core, required = groupIndex, "displayName"
	}
	if clean(body) {
		// Nothing to change but, perhaps, the spelling of a top-level name:
		// check that, and find the required name, without rewriting.
		canonical := true
		doc.ForEach(func(k, v gjson.Result) bool {
			if a := core.get(k.Str); a != nil {
				if a.Name != k.Str {
					canonical = false
					return false
				}
				if a.Name == required && v.Type == gjson.String {
					name = v.Str
				}
			} else if strings.EqualFold(k.Str, EnterpriseSchema) && k.Str != EnterpriseSchema {
				canonical = false
				return false
			}
			return true
		})
		if canonical {
			return body, name
		}
		name = ""
	}
	var buf bytes.Buffer
	buf.Grow(len(body))
	writeObject(&buf, doc, func(key string, v gjson.Result) (*Attribute, schemaIndex, bool) {
		if isReadOnlyOnWrite(key) {
			return nil, nil, false
		}
		if len(key) == len(EnterpriseSchema) && strings.EqualFold(key, EnterpriseSchema) && !group {
			return nil, enterpriseIndex, true
		}
		a := core.get(key)
		if a != nil && a.Name == required && v.Type == gjson.String {
			name = v.Str
		}
		return a, nil, true
	})
	return buf.Bytes(), name
}

// writeObject writes obj's members canonically. lookup returns a member's
// definition, or an index for an extension object, and whether to keep it.
func writeObject(buf *bytes.Buffer, obj gjson.Result, lookup func(name string, v gjson.Result) (*Attribute, schemaIndex, bool)) {
	buf.WriteByte('{')
	n := 0
	obj.ForEach(func(k, v gjson.Result) bool {
		a, ext, keep := lookup(k.Str, v)
		if !keep || unassigned(v) {
			return true
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		switch {
		case a != nil:
			if k.Str == a.Name {
				buf.WriteString(k.Raw)
			} else {
				// Schema names are plain ASCII: no escaping needed.
				buf.WriteByte('"')
				buf.WriteString(a.Name)
				buf.WriteByte('"')
			}
			buf.WriteByte(':')
			writeValue(buf, a, v)
		case ext != nil && v.IsObject():
			buf.WriteString(`"` + EnterpriseSchema + `":`)
			writeObject(buf, v, func(name string, _ gjson.Result) (*Attribute, schemaIndex, bool) {
				return ext.get(name), nil, true
			})
		default:
			buf.WriteString(k.Raw)
			buf.WriteByte(':')
			buf.WriteString(v.Raw)
		}
		return true
	})
	buf.WriteByte('}')
}

// clean reports whether a whole resource body certainly needs no change
// (see dirty). It looks at raw bytes only.
func clean(body []byte) bool { return !dirty(unsafeString(body), true) }

// needsWork reports whether a complex value may hold something to
// canonicalise (see dirty).
func needsWork(raw string) bool { return dirty(raw, false) }

// dirty scans raw JSON once for anything canonicalisation would change: a
// null, an empty list, a boolean written as a string, a key starting in
// upper case, and — in a whole resource (top) — a read-only id, meta or
// groups, or a manager that is not an object. It may answer true for a
// value that is fine (then the slow path finds nothing to do), never false
// for one that is not.
func dirty(raw string, top bool) bool {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			j := i + 1
			for j < len(raw) && raw[j] != '"' {
				if raw[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(raw) {
				return true
			}
			str := raw[i+1 : j]
			k := j + 1
			for k < len(raw) && isSpace(raw[k]) {
				k++
			}
			if k < len(raw) && raw[k] == ':' { // a key
				if str != "" && 'A' <= str[0] && str[0] <= 'Z' {
					return true
				}
				switch len(str) { // compare only names of the right length
				case 2, 4, 6:
					if top && (foldEq(str, "id") || foldEq(str, "meta") || foldEq(str, "groups")) {
						return true
					}
				case 7:
					if foldEq(str, "manager") {
						v := k + 1
						for v < len(raw) && isSpace(raw[v]) {
							v++
						}
						if v >= len(raw) || raw[v] != '{' {
							return true
						}
					}
				}
			} else if (len(str) == 4 || len(str) == 5) && (foldEq(str, "true") || foldEq(str, "false")) {
				return true
			}
			i = j
		case 'n': // outside strings, only null starts with n
			return true
		case '[':
			k := i + 1
			for k < len(raw) && isSpace(raw[k]) {
				k++
			}
			if k < len(raw) && raw[k] == ']' {
				return true
			}
		}
	}
	return false
}

// foldEq is strings.EqualFold with the cheap length test first.
func foldEq(a, b string) bool { return len(a) == len(b) && strings.EqualFold(a, b) }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func unassigned(v gjson.Result) bool {
	if v.Type == gjson.Null {
		return true
	}
	if !v.IsArray() {
		return false
	}
	for i := 1; i < len(v.Raw); i++ { // "[" then only white space and "]"?
		switch v.Raw[i] {
		case ' ', '\t', '\n', '\r':
		case ']':
			return true
		default:
			return false
		}
	}
	return false
}

// writeValue writes a value of attribute a canonically.
func writeValue(buf *bytes.Buffer, a *Attribute, v gjson.Result) {
	if strings.EqualFold(a.Name, "manager") && a.Type == "complex" {
		v = managerObject(v)
	}
	switch {
	case (v.IsArray() || v.IsObject()) && !needsWork(v.Raw) && (a.MultiValued == v.IsArray()):
		buf.WriteString(v.Raw) // nothing inside to coerce or drop
	case a.MultiValued && v.IsArray():
		WriteArray(buf, v, func(buf *bytes.Buffer, el gjson.Result) { writeSingle(buf, a, el) })
	default:
		writeSingle(buf, a, v)
	}
}

func writeSingle(buf *bytes.Buffer, a *Attribute, v gjson.Result) {
	switch {
	case a.Type == "boolean" && v.Type == gjson.String:
		switch strings.ToLower(strings.TrimSpace(v.Str)) {
		case "true":
			buf.WriteString("true")
			return
		case "false":
			buf.WriteString("false")
			return
		}
	case a.Type == "complex" && v.IsObject():
		subs := subIndexes[a]
		writeObject(buf, v, func(name string, _ gjson.Result) (*Attribute, schemaIndex, bool) {
			return subs.get(name), nil, true
		})
		return
	}
	buf.WriteString(v.Raw)
}

// managerObject turns the shapes Entra sends for the manager into the
// RFC's {"value": id}: a bare string, or a one-element array.
func managerObject(v gjson.Result) gjson.Result {
	if v.IsArray() {
		v = v.Get("0")
	}
	if v.Type == gjson.String {
		return gjson.Parse(`{"value":` + Quote(v.Str) + `}`)
	}
	return v
}

// CanonicalizePatch returns a PatchOp message in canonical form: op names in
// lower case, values coerced by the type of the attribute their path names,
// and path-less add/replace split into one operation per attribute — so
// dotted and URN-qualified keys ("name.givenName",
// "urn:…:enterprise:2.0:User:employeeNumber") and Okta's {"active": false}
// become ordinary paths, and echoed read-only attributes (id, meta,
// schemas) drop out.
func CanonicalizePatch(body []byte, group bool) []byte {
	req := Parse(body)
	var buf bytes.Buffer
	buf.Grow(len(body) + 64)
	buf.WriteString(`{"schemas":["` + PatchOpURN + `"],"Operations":[`)
	n := 0
	emit := func(op, path string, value gjson.Result) {
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		buf.WriteString(`{"op":` + Quote(op))
		if path != "" {
			buf.WriteString(`,"path":` + Quote(path))
		}
		if value.Exists() {
			buf.WriteString(`,"value":`)
			if a := attributeAt(path, group); a != nil {
				var vb bytes.Buffer
				writeValue(&vb, a, value)
				buf.Write(vb.Bytes())
			} else {
				buf.WriteString(value.Raw)
			}
		}
		buf.WriteByte('}')
	}
	Field(req, "Operations").ForEach(func(_, op gjson.Result) bool {
		name := strings.ToLower(Field(op, "op").String())
		path := Field(op, "path").String()
		value := Field(op, "value")
		if path != "" || name == "remove" || !value.IsObject() {
			emit(name, path, value)
			return true
		}
		value.ForEach(func(k, v gjson.Result) bool {
			switch {
			case isReadOnlyOnWrite(k.Str) || strings.EqualFold(k.Str, "schemas"):
			case strings.EqualFold(k.Str, EnterpriseSchema) && v.IsObject():
				v.ForEach(func(sk, sv gjson.Result) bool {
					emit(name, EnterpriseSchema+":"+sk.Str, sv)
					return true
				})
			default:
				emit(name, k.Str, v)
			}
			return true
		})
		return true
	})
	buf.WriteString("]}")
	return buf.Bytes()
}

// attributeAt returns the definition of the attribute a PATCH path names,
// for paths whose value is that attribute's value: "active", "emails",
// "name.givenName", "urn:…:enterprise:2.0:User:manager",
// `emails[type eq "work"].primary`. Unknown attributes give nil: their
// values pass as they are.
func attributeAt(path string, group bool) *Attribute {
	if path == "" {
		return nil
	}
	pp, err := ParsePatchPath(path)
	if err != nil {
		return nil
	}
	p := pp.Attr
	if pp.Filter != nil {
		if pp.Sub == "" {
			return nil // the value is one element: passed as it is
		}
		p.Sub = pp.Sub
	}
	idx := userIndex
	if group {
		idx = groupIndex
	}
	if p.URN != "" {
		switch {
		case strings.EqualFold(p.URN, EnterpriseSchema) && !group:
			idx = enterpriseIndex
		case strings.EqualFold(p.URN, UserSchema) || strings.EqualFold(p.URN, GroupSchema):
		default:
			return nil
		}
	}
	a := idx.get(p.Attr)
	if a == nil || p.Sub == "" {
		return a
	}
	for i := range a.SubAttributes {
		if strings.EqualFold(a.SubAttributes[i].Name, p.Sub) {
			return &a.SubAttributes[i]
		}
	}
	return nil
}

// FoldUserName lower-cases the userName of a canonical User.
func FoldUserName(body []byte) []byte {
	v := Parse(body).Get("userName")
	if v.Type != gjson.String || v.Str == strings.ToLower(v.Str) {
		return body
	}
	out, err := sjson.SetBytes(body, "userName", strings.ToLower(v.Str))
	if err != nil {
		return body
	}
	return out
}

// FoldUserNamePatch lower-cases the values of canonical PATCH operations
// on userName.
func FoldUserNamePatch(body []byte) []byte {
	out := body
	Parse(body).Get("Operations").ForEach(func(i, op gjson.Result) bool {
		v := op.Get("value")
		if p, err := ParseAttrPath(op.Get("path").String()); err == nil && p.Is("userName", "") && v.Type == gjson.String {
			out, _ = sjson.SetBytes(out, "Operations."+i.String()+".value", strings.ToLower(v.Str))
		}
		return true
	})
	return out
}

// FoldUserNameFilter returns f with every literal compared to userName in
// lower case.
func FoldUserNameFilter(f *Expr) *Expr {
	if f == nil {
		return nil
	}
	out := *f
	switch f.Kind {
	case And, Or:
		out.Left, out.Right = FoldUserNameFilter(f.Left), FoldUserNameFilter(f.Right)
	case Not:
		out.Left = FoldUserNameFilter(f.Left)
	case Compare:
		if f.Path.Is("userName", "") && f.Value.Kind == StringValue {
			low := strings.ToLower(f.Value.Str)
			raw, _ := json.Marshal(low)
			out.Value = Value{Kind: StringValue, Str: low, Raw: string(raw)}
		}
	}
	return &out
}
