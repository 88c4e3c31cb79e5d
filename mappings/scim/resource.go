package scim

import (
	"bytes"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Mode says how a body is read.
type Mode uint8

const (
	// Lenient reads a client's request: the coercions real IdPs need
	// (string booleans, a one-element array or a bare id for a
	// single-valued complex attribute, attribute names in any case,
	// Entra's value-list member removal) are applied, and attributes and
	// extensions outside the schema pass to the tenant's mapping, which
	// keeps, drops or refuses them.
	Lenient Mode = iota
	// Strict reads as an RFC 7643/7644 server does: no coercion, and
	// nothing outside the schema.
	Strict
)

// attrDef is an attribute definition with its sub-attributes indexed.
type attrDef struct {
	*Attribute
	quoted string // the name as a JSON string
	subs   attrs
	// closed: values outside CanonicalValues are refused (members.type:
	// the RFC names every kind of member there is).
	closed bool
	req    int // 1 + its index in ResourceSchema.required; 0: not required
}

// attrs indexes definitions by name, as spelt and in lower case.
type attrs map[string]*attrDef

// get finds an attribute by its case-insensitive name (RFC 7643 §2.1).
func (m attrs) get(name string) *attrDef {
	if a := m[name]; a != nil {
		return a
	}
	return m[strings.ToLower(name)]
}

// schemaDef is a schema with its attributes indexed. An open schema has no
// attribute definitions: its members are not checked.
type schemaDef struct {
	*Schema
	attrs attrs
	open  bool
}

func index(list []Attribute) attrs {
	m := make(attrs, 2*len(list))
	for i := range list {
		a := &attrDef{Attribute: &list[i], quoted: Quote(list[i].Name)}
		if len(list[i].SubAttributes) > 0 {
			a.subs = index(list[i].SubAttributes)
		}
		m[list[i].Name] = a
		m[strings.ToLower(list[i].Name)] = a
	}
	return m
}

// ResourceSchema is what one resource type is made of: its core schema,
// the common attributes of RFC 7643 §3.1, and the extension schemas served
// with it (RFC 7643 §3.3). It is built once, at load time, and is safe for
// concurrent use.
type ResourceSchema struct {
	def      Schema // the core schema as given
	core     *schemaDef
	exts     []*schemaDef
	byURN    map[string]*schemaDef // lower-case URN -> extension
	required []*attrDef
}

// commonAttributes are the attributes every resource has (RFC 7643 §3.1).
var commonAttributes = []Attribute{
	attr("id", "string", "A unique identifier for a SCIM resource as defined by the service provider.").mut("readOnly").exact().ret("always").unique("server"),
	attr("externalId", "string", "A String that is an identifier for the resource as defined by the provisioning client.").exact(),
	attr("meta", "complex", "A complex attribute containing resource metadata.").mut("readOnly").subs(
		attr("resourceType", "string", "The name of the resource type of the resource.").mut("readOnly"),
		attr("created", "dateTime", "The date and time the resource was added to the service provider.").mut("readOnly"),
		attr("lastModified", "dateTime", "The most recent date and time that the details of this resource were updated.").mut("readOnly"),
		attr("location", "reference", "The URI of the resource being returned.").mut("readOnly"),
		attr("version", "string", "The version of the resource being returned.").mut("readOnly"),
	),
}

// NewResourceSchema compiles a resource type from its core schema and its
// extensions; an extension without attributes is open (its members are
// not checked, as for a tenant's own extension its mapping names).
func NewResourceSchema(core Schema, exts ...Schema) *ResourceSchema {
	def := core
	core.Attributes = append(append([]Attribute(nil), commonAttributes...), core.Attributes...)
	rs := &ResourceSchema{def: def, core: &schemaDef{Schema: &core, attrs: index(core.Attributes)}, byURN: map[string]*schemaDef{}}
	for _, name := range []string{"members", "groups"} {
		if a := rs.core.attrs[name]; a != nil && a.subs["type"] != nil {
			a.subs["type"].closed = true
		}
	}
	for i := range exts {
		e := exts[i]
		d := &schemaDef{Schema: &e, attrs: index(e.Attributes), open: len(e.Attributes) == 0}
		rs.exts = append(rs.exts, d)
		rs.byURN[strings.ToLower(e.ID)] = d
	}
	for _, a := range rs.core.Attributes {
		if d := rs.core.attrs[a.Name]; a.Required {
			rs.required = append(rs.required, d)
			d.req = len(rs.required)
		}
	}
	return rs
}

// With returns the resource type serving more extension schemas; an
// extension already served keeps its definition.
func (rs *ResourceSchema) With(exts ...Schema) *ResourceSchema {
	all := make([]Schema, 0, len(rs.exts)+len(exts))
	for _, e := range rs.exts {
		all = append(all, *e.Schema)
	}
	for _, e := range exts {
		if rs.byURN[strings.ToLower(e.ID)] == nil {
			all = append(all, e)
		}
	}
	return NewResourceSchema(rs.def, all...)
}

// Core returns the URN of the core schema.
func (rs *ResourceSchema) Core() string { return rs.core.ID }

// Extension returns the definition of an extension schema, or nil.
func (rs *ResourceSchema) Extension(urn string) *Schema {
	if e := rs.byURN[strings.ToLower(urn)]; e != nil {
		return e.Schema
	}
	return nil
}

// Extensions returns the URNs of the extension schemas, in order.
func (rs *ResourceSchema) Extensions() []string {
	out := make([]string, len(rs.exts))
	for i, e := range rs.exts {
		out[i] = e.ID
	}
	return out
}

// Resource validates a resource body (POST, PUT: RFC 7644 §3.3, §3.5.1)
// and returns its canonical form:
//
//   - "schemas" is the core URN and the URN of every extension the body
//     uses, whatever the client listed (Entra lists URIs no server serves);
//   - attribute names take their schema spelling ("UserName" → "userName");
//   - every value has its attribute's type and shape: single- or
//     multi-valued, simple or complex (RFC 7643 §2.3, §2.4), with at most
//     one primary value (§2.4);
//   - null and [] are unassigned and left out (RFC 7643 §2.5);
//   - read-only attributes (id, meta, groups) are ignored (RFC 7644 §3.3);
//   - the required attributes (userName, a Group's displayName) are there.
//
// A value that cannot be read is a 400 invalidValue (or invalidSyntax)
// naming the attribute. The body must already have passed CheckJSON.
func (rs *ResourceSchema) Resource(body []byte, mode Mode) ([]byte, error) {
	doc := Parse(body)
	if !doc.IsObject() {
		return nil, errf("invalidSyntax", "the body must be a JSON object")
	}
	listed, err := rs.listedSchemas(doc, mode)
	if err != nil {
		return nil, err
	}
	var members bytes.Buffer
	members.Grow(len(body))
	used := make([]bool, len(rs.exts))
	var unknown []string // extension URNs outside the schema (Lenient)
	var small [8]bool
	present := small[:] // by attrDef.req: the required attributes that have a value
	if len(rs.required) > len(small) {
		present = make([]bool, len(rs.required))
	}
	doc.ForEach(func(k, v gjson.Result) bool {
		key := k.Str
		if strings.EqualFold(key, "schemas") || unassigned(v) {
			return true
		}
		mark := members.Len()
		if mark > 0 {
			members.WriteByte(',')
		}
		if hasURNPrefix(key) {
			ext := rs.byURN[strings.ToLower(key)]
			if ext == nil {
				if mode == Strict {
					err = errf("invalidValue", "schema %q is not served here (served: %s)", key, strings.Join(rs.Extensions(), ", "))
					return false
				}
				if !v.IsObject() {
					err = errf("invalidValue", "%q must be an object of that schema's attributes", key)
					return false
				}
				members.WriteString(k.Raw + ":" + v.Raw)
				unknown = append(unknown, key)
				return true
			}
			if mode == Strict && !containsFold(listed, ext.ID) {
				err = errf("invalidValue", "the body uses the extension %s but does not list it in \"schemas\" (RFC 7643 §3)", ext.ID)
				return false
			}
			if !v.IsObject() {
				err = errf("invalidValue", "%q must be an object of that schema's attributes", key)
				return false
			}
			q := Quote(ext.ID)
			members.WriteString(q)
			members.WriteByte(':')
			if err = writeMembers(&members, v, ext, mode); err != nil {
				return false
			}
			if isEmpty(members.Bytes()[mark:], len(q)+1) {
				members.Truncate(mark)
				return true
			}
			for i := range rs.exts {
				used[i] = used[i] || rs.exts[i] == ext
			}
			return true
		}
		a := rs.core.attrs.get(key)
		switch {
		case a == nil && mode == Strict:
			err = errf("invalidValue", "attribute %q is not defined by %s", key, rs.core.ID)
			return false
		case a == nil:
			members.WriteString(k.Raw)
			members.WriteByte(':')
			members.WriteString(v.Raw)
			return true
		case a.Mutability == "readOnly":
			members.Truncate(mark)
			return true // RFC 7644 §3.3: ignored
		}
		members.WriteString(a.quoted)
		members.WriteByte(':')
		if err = writeValue(&members, a, v, mode, path{name: a.Name}); err != nil {
			return false
		}
		if isEmpty(members.Bytes()[mark:], len(a.quoted)+1) {
			members.Truncate(mark)
			return true
		}
		if a.req > 0 {
			present[a.req-1] = a.Type != "string" || strings.TrimSpace(v.Str) != ""
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	for i, a := range rs.required {
		if !present[i] {
			return nil, errf("invalidValue", "%s is required and must not be empty (RFC 7643 §%s)", a.Name, requiredSection(a.Name))
		}
	}
	var out bytes.Buffer
	out.Grow(members.Len() + 128)
	out.WriteString(`{"schemas":[` + Quote(rs.core.ID))
	for i, e := range rs.exts {
		if used[i] {
			out.WriteString("," + Quote(e.ID))
		}
	}
	for _, u := range unknown {
		out.WriteString("," + Quote(u))
	}
	out.WriteByte(']')
	if members.Len() > 0 {
		out.WriteByte(',')
		out.Write(members.Bytes())
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

func requiredSection(name string) string {
	if name == "displayName" {
		return "4.2"
	}
	return "4.1.1"
}

// listedSchemas reads "schemas". In Strict mode it must be there, list the
// core schema, and list only schemas served here (RFC 7643 §3).
func (rs *ResourceSchema) listedSchemas(doc gjson.Result, mode Mode) ([]string, error) {
	v := Field(doc, "schemas")
	if mode == Lenient {
		return nil, nil
	}
	if !v.IsArray() {
		return nil, errf("invalidSyntax", `"schemas" must be an array of schema URIs (RFC 7643 §3)`)
	}
	var out []string
	core := false
	var err error
	v.ForEach(func(_, s gjson.Result) bool {
		switch {
		case s.Type != gjson.String:
			err = errf("invalidSyntax", `"schemas" must hold strings`)
		case strings.EqualFold(s.Str, rs.core.ID):
			core = true
		case rs.byURN[strings.ToLower(s.Str)] == nil:
			err = errf("invalidValue", "schema %q is not served here", s.Str)
		}
		out = append(out, s.Str)
		return err == nil
	})
	if err == nil && !core {
		err = errf("invalidValue", `"schemas" does not list the core schema %s`, rs.core.ID)
	}
	return out, err
}

// path names an attribute in error details ("emails", "name.givenName",
// "urn:…:User:manager"); it is joined only when a detail is written.
type path struct{ parent, sep, name string }

func (p path) String() string {
	if p.parent == "" {
		return p.name
	}
	return p.parent + p.sep + p.name
}

// writeMembers writes an extension's members.
func writeMembers(buf *bytes.Buffer, obj gjson.Result, s *schemaDef, mode Mode) error {
	if s.open {
		buf.WriteString(obj.Raw)
		return nil
	}
	return writeFields(buf, obj, s.attrs, mode, path{name: s.ID}, s)
}

// writeFields writes the members of an object — an extension's attributes
// (ext) or the sub-attributes of the complex value at — each by its
// definition in defs, under its canonical name; nulls are left out, and an
// extension's read-only attributes too. A member defs does not define is
// written as it is in Lenient mode and refused in Strict mode.
func writeFields(buf *bytes.Buffer, obj gjson.Result, defs attrs, mode Mode, at path, ext *schemaDef) error {
	buf.WriteByte('{')
	start := buf.Len()
	parent, sep := at.String(), "."
	if ext != nil {
		sep = ":"
	}
	var err error
	obj.ForEach(func(k, v gjson.Result) bool {
		if unassigned(v) {
			return true
		}
		a := defs.get(k.Str)
		switch {
		case a == nil && mode == Strict && ext != nil:
			err = errf("invalidValue", "attribute %q is not defined by %s", k.Str, ext.ID)
			return false
		case a == nil && mode == Strict:
			err = errf("invalidValue", "%s has no sub-attribute %q", at, k.Str)
			return false
		case a != nil && a.Mutability == "readOnly" && ext != nil:
			return true
		}
		mark := buf.Len()
		if mark > start {
			buf.WriteByte(',')
		}
		if a == nil {
			buf.WriteString(k.Raw)
			buf.WriteByte(':')
			buf.WriteString(v.Raw)
			return true
		}
		buf.WriteString(a.quoted)
		buf.WriteByte(':')
		if err = writeValue(buf, a, v, mode, path{parent, sep, a.Name}); err != nil {
			return false
		}
		if isEmpty(buf.Bytes()[mark:], len(a.quoted)+1) {
			buf.Truncate(mark)
		}
		return true
	})
	buf.WriteByte('}')
	return err
}

// isEmpty reports whether b, after a prefix of skip bytes (a separator, a
// member name), is an unassigned value written out: nothing, {} or [].
func isEmpty(b []byte, skip int) bool {
	if len(b) > 0 && b[0] == ',' {
		b = b[1:]
	}
	b = b[min(skip, len(b)):]
	return len(b) == 0 || string(b) == "{}" || string(b) == "[]"
}

// writeValue writes a value of attribute a in canonical form, or says why
// it is not one.
func writeValue(buf *bytes.Buffer, a *attrDef, v gjson.Result, mode Mode, at path) error {
	if a.MultiValued {
		if !v.IsArray() {
			if mode == Lenient && v.IsObject() && a.Type == "complex" {
				v = gjson.Parse("[" + v.Raw + "]")
			} else {
				return errf("invalidValue", "%s is multi-valued: its value must be an array (RFC 7643 §2.4)", at)
			}
		}
		return writeValues(buf, a, v, mode, at)
	}
	if v.IsArray() {
		els := v.Array()
		if mode == Strict || len(els) != 1 {
			return errf("invalidValue", "%s is single-valued: its value must not be an array", at)
		}
		v = els[0]
	}
	return writeSingle(buf, a, v, mode, at)
}

// writeValues writes the values of a multi-valued attribute.
func writeValues(buf *bytes.Buffer, a *attrDef, arr gjson.Result, mode Mode, at path) error {
	buf.WriteByte('[')
	start := buf.Len()
	primaries := 0
	var err error
	arr.ForEach(func(_, el gjson.Result) bool {
		if el.Type == gjson.Null {
			return true
		}
		mark := buf.Len()
		if mark > start {
			buf.WriteByte(',')
		}
		one := buf.Len()
		if err = writeSingle(buf, a, el, mode, at); err != nil {
			return false
		}
		if isEmpty(buf.Bytes()[one:], 0) {
			buf.Truncate(mark)
			return true
		}
		if a.Type == "complex" && gjson.GetBytes(buf.Bytes()[one:], "primary").Type == gjson.True {
			primaries++
		}
		return true
	})
	buf.WriteByte(']')
	if err == nil && primaries > 1 {
		err = errf("invalidValue", "%s has %d primary values; at most one may be primary (RFC 7643 §2.4)", at, primaries)
	}
	return err
}

// writeSingle writes one value of attribute a.
func writeSingle(buf *bytes.Buffer, a *attrDef, v gjson.Result, mode Mode, at path) error {
	switch a.Type {
	case "complex":
		if v.Type == gjson.String && mode == Lenient && !a.MultiValued && a.subs["value"] != nil {
			// Entra sends the manager as a bare id: {"value": id}.
			buf.WriteString(`{"value":` + Quote(v.Str) + `}`)
			return nil
		}
		if !v.IsObject() {
			return errf("invalidValue", "%s is complex: each value must be an object of its sub-attributes, not %s", at, kindOf(v))
		}
		return writeFields(buf, v, a.subs, mode, at, nil)
	case "boolean":
		switch {
		case v.Type == gjson.True || v.Type == gjson.False:
			buf.WriteString(v.Raw)
			return nil
		case v.Type == gjson.String && mode == Lenient:
			switch strings.ToLower(strings.TrimSpace(v.Str)) {
			case "true":
				buf.WriteString("true")
				return nil
			case "false":
				buf.WriteString("false")
				return nil
			}
		}
		return errf("invalidValue", "%s must be a boolean, not %s", at, kindOf(v))
	case "integer", "decimal":
		if v.Type != gjson.Number || a.Type == "integer" && strings.ContainsAny(v.Raw, ".eE") {
			return errf("invalidValue", "%s must be a%s number, not %s", at, map[bool]string{true: "n integer"}[a.Type == "integer"], kindOf(v))
		}
		buf.WriteString(v.Raw)
		return nil
	}
	// string, reference, binary, dateTime: JSON strings (RFC 7643 §2.3).
	if v.Type != gjson.String {
		return errf("invalidValue", "%s must be a string, not %s", at, kindOf(v))
	}
	if a.Type == "dateTime" {
		if _, err := time.Parse(time.RFC3339Nano, v.Str); err != nil {
			return errf("invalidValue", "%s must be an xsd:dateTime such as 2008-01-23T04:56:22Z (RFC 7643 §2.3.5)", at)
		}
	}
	if len(a.CanonicalValues) > 0 {
		if c := Pick(a.CanonicalValues, v.Str); c != "" {
			if c == v.Str {
				buf.WriteString(v.Raw)
			} else {
				buf.WriteString(Quote(c))
			}
			return nil
		}
		if a.closed {
			return errf("invalidValue", "%s must be one of %s", at, strings.Join(a.CanonicalValues, ", "))
		}
	}
	buf.WriteString(v.Raw)
	return nil
}

// kindOf names a JSON value's kind, for error details.
func kindOf(v gjson.Result) string {
	switch {
	case v.IsArray():
		return "an array"
	case v.IsObject():
		return "an object"
	case v.Type == gjson.String:
		return "a string"
	case v.Type == gjson.Number:
		return "a number"
	case v.Type == gjson.True || v.Type == gjson.False:
		return "a boolean"
	}
	return "null"
}

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

func containsFold(list []string, s string) bool {
	return Pick(list, s) != ""
}
