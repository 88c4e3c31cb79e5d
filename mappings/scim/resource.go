package scim

import (
	"bytes"
	"strings"
	"time"

	"encoding/json"
	"unicode/utf8"

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
	quoted string // the URN as a JSON string
	attrs  attrs
	open   bool
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
	rs := &ResourceSchema{def: def, core: &schemaDef{Schema: &core, quoted: Quote(core.ID), attrs: index(core.Attributes)}, byURN: map[string]*schemaDef{}}
	for _, name := range []string{"members", "groups"} {
		if a := rs.core.attrs[name]; a != nil && a.subs["type"] != nil {
			a.subs["type"].closed = true
		}
	}
	for i := range exts {
		e := exts[i]
		d := &schemaDef{Schema: &e, quoted: Quote(e.ID), attrs: index(e.Attributes), open: len(e.Attributes) == 0}
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
// It reads the body once: what CheckJSON checks (with lim) and what the
// schema says are one pass, which writes the canonical form as it goes.
// What CheckJSON refuses is refused first, wherever it is in the body; a
// value that cannot be read is then a 400 invalidValue (or invalidSyntax)
// naming the attribute.
func (rs *ResourceSchema) Resource(body []byte, mode Mode, lim Limits) ([]byte, error) {
	out, err := rs.resource(body, mode, lim.Or(DefaultLimits))
	if err != nil {
		if jerr := CheckJSON(body, lim); jerr != nil {
			return nil, jerr
		}
		return nil, err
	}
	return out, nil
}

// schemasRoom is the room left before the members for "schemas", which is
// known only once they are read; more extensions than fit cost a copy.
const schemasRoom = 192

var room [schemasRoom]byte

func (rs *ResourceSchema) resource(body []byte, mode Mode, lim Limits) ([]byte, error) {
	if !utf8.Valid(body) {
		return nil, errf("invalidSyntax", "request body is not valid UTF-8 (RFC 8259 §8.1)")
	}
	out := bytes.NewBuffer(make([]byte, 0, len(body)+len(body)/8+schemasRoom))
	c := newCanon(body, lim, out, mode)
	if c.s.ws(); c.peek() != '{' {
		return nil, errf("invalidSyntax", "the body must be a JSON object")
	}
	var listed []string
	if mode == Strict {
		var err error
		if listed, err = rs.listedSchemas(Parse(body)); err != nil {
			return nil, err
		}
	}
	out.Write(room[:])
	var few [8]bool
	used := few[:] // by index in rs.exts: the extensions the body uses
	if len(rs.exts) > len(few) {
		used = make([]bool, len(rs.exts))
	}
	var unknown []string // extension URNs outside the schema (Lenient)
	var small [8]bool
	present := small[:] // by attrDef.req: the required attributes that have a value
	if len(rs.required) > len(small) {
		present = make([]bool, len(rs.required))
	}
	err := c.s.object(1, func(name, key []byte) error {
		k := unsafeString(name)
		if FoldEq(k, "schemas") {
			return c.s.value(2)
		}
		if ok, err := c.unassigned(2); ok || err != nil {
			return err
		}
		mark := out.Len()
		if mark > schemasRoom {
			out.WriteByte(',')
		}
		if hasURNPrefix(k) {
			var low [128]byte
			ext := rs.byURN[string(AppendLower(low[:0], k))]
			switch {
			case ext == nil && mode == Strict:
				return errf("invalidValue", "schema %q is not served here (served: %s)", k, strings.Join(rs.Extensions(), ", "))
			case mode == Strict && !containsFold(listed, ext.ID):
				return errf("invalidValue", "the body uses the extension %s but does not list it in \"schemas\" (RFC 7643 §3)", ext.ID)
			case c.peek() != '{':
				return errf("invalidValue", "%q must be an object of that schema's attributes", k)
			case ext == nil:
				unknown = append(unknown, k)
				out.Write(key)
				out.WriteByte(':')
				return c.raw(2)
			}
			out.WriteString(ext.quoted)
			out.WriteByte(':')
			if err := c.members(ext, 2); err != nil {
				return err
			}
			if isEmpty(out.Bytes()[mark:], len(ext.quoted)+1) {
				out.Truncate(mark)
				return nil
			}
			for i := range rs.exts {
				used[i] = used[i] || rs.exts[i] == ext
			}
			return nil
		}
		a := rs.core.attrs.get(k)
		switch {
		case a == nil && mode == Strict:
			return errf("invalidValue", "attribute %q is not defined by %s", k, rs.core.ID)
		case a == nil && !validName(k):
			return errf("invalidValue", "%q is not an attribute name (RFC 7643 §2.1: a letter, then letters, digits, '-', '_' or '$')", k)
		case a == nil:
			out.Write(key)
			out.WriteByte(':')
			return c.raw(2)
		case a.Mutability == "readOnly":
			out.Truncate(mark)
			return c.s.value(2) // RFC 7644 §3.3: ignored
		}
		out.WriteString(a.quoted)
		out.WriteByte(':')
		c.str = ""
		c.push("", a.Name)
		if err := c.value(a, 2); err != nil {
			return err
		}
		c.pop()
		if isEmpty(out.Bytes()[mark:], len(a.quoted)+1) {
			out.Truncate(mark)
			return nil
		}
		if a.req > 0 {
			present[a.req-1] = a.Type != "string" || strings.TrimSpace(c.str) != ""
		}
		return nil
	})
	if c.s.ws(); err == nil && c.s.i < len(body) {
		err = c.s.syntax("content after the JSON value")
	}
	if err != nil {
		return nil, err
	}
	for i, a := range rs.required {
		if !present[i] {
			return nil, errf("invalidValue", "%s is required and must not be empty (RFC 7643 §%s)", a.Name, requiredSection(a.Name))
		}
	}
	// "schemas" goes first, in the room left before the members.
	var pb [schemasRoom]byte
	pre := append(append(pb[:0], `{"schemas":[`...), rs.core.quoted...)
	for i, e := range rs.exts {
		if used[i] {
			pre = append(append(pre, ','), e.quoted...)
		}
	}
	for _, u := range unknown {
		pre = append(append(pre, ','), Quote(u)...)
	}
	pre = append(pre, ']')
	b := out.Bytes()
	if len(b) > schemasRoom {
		pre = append(pre, ',')
	}
	if len(pre) > schemasRoom { // many extensions: a copy
		return append(append(append(make([]byte, 0, len(pre)+len(b)-schemasRoom+1), pre...), b[schemasRoom:]...), '}'), nil
	}
	start := schemasRoom - len(pre)
	copy(b[start:], pre)
	return append(b[start:], '}'), nil
}

func requiredSection(name string) string {
	if name == "displayName" {
		return "4.2"
	}
	return "4.1.1"
}

// listedSchemas reads "schemas", which in Strict mode must be there, list
// the core schema, and list only schemas served here (RFC 7643 §3).
func (rs *ResourceSchema) listedSchemas(doc gjson.Result) ([]string, error) {
	v := Field(doc, "schemas")
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

// canon writes the canonical form of what its scanner reads: the one pass
// of Resource, and of each PATCH value (writeValue).
type canon struct {
	s    scanner
	out  *bytes.Buffer
	mode Mode
	str  string // the last string value read, unescaped
	// at names the attribute being read, for error details ("emails",
	// "name.givenName", "urn:…:User:manager"); joined only for a detail.
	at  []part
	buf [8]part
}

type part struct{ sep, name string }

func newCanon(b []byte, lim Limits, out *bytes.Buffer, mode Mode) *canon {
	c := &canon{s: scanner{b: b, lim: lim}, out: out, mode: mode}
	c.s.path, c.at = c.s.stack[:0], c.buf[:0]
	return c
}

func (c *canon) push(sep, name string) { c.at = append(c.at, part{sep, name}) }
func (c *canon) pop()                  { c.at = c.at[:len(c.at)-1] }

// where names the attribute being read.
func (c *canon) where() string {
	var b strings.Builder
	for i, p := range c.at {
		if i > 0 {
			b.WriteString(p.sep)
		}
		b.WriteString(p.name)
	}
	return b.String()
}

func (c *canon) peek() byte {
	if c.s.i < len(c.s.b) {
		return c.s.b[c.s.i]
	}
	return 0
}

// unassigned reads a null or an empty array — an unassigned value (RFC
// 7643 §2.5), left out — and reports whether it did.
func (c *canon) unassigned(depth int) (bool, error) {
	switch c.peek() {
	case 'n':
		return true, c.s.literal("null")
	case '[':
		j := c.s.i + 1
		for j < len(c.s.b) && isSpace(c.s.b[j]) {
			j++
		}
		if j < len(c.s.b) && c.s.b[j] == ']' {
			return true, c.s.array(depth, nil)
		}
	}
	return false, nil
}

// raw copies a value as it is.
func (c *canon) raw(depth int) error {
	start := c.s.i
	if err := c.s.value(depth); err != nil {
		return err
	}
	c.out.Write(c.s.b[start:c.s.i])
	return nil
}

// string reads a string value, quoted as in the body and unescaped.
func (c *canon) string() ([]byte, string, error) {
	raw, escaped, err := c.s.stringValue()
	if err != nil {
		return nil, "", err
	}
	if escaped {
		json.Unmarshal(raw, &c.str)
	} else {
		c.str = unsafeString(raw[1 : len(raw)-1])
	}
	return raw, c.str, nil
}

// members writes an extension's members.
func (c *canon) members(s *schemaDef, depth int) error {
	if s.open {
		return c.raw(depth)
	}
	c.push("", s.ID)
	_, err := c.fields(s.attrs, s, depth)
	c.pop()
	return err
}

// fields writes the members of an object — an extension's attributes
// (ext) or the sub-attributes of the complex value at — each by its
// definition in defs, under its canonical name; nulls are left out, and an
// extension's read-only attributes too. A member defs does not define is
// written as it is in Lenient mode and refused in Strict mode. It reports
// whether the object is primary.
func (c *canon) fields(defs attrs, ext *schemaDef, depth int) (bool, error) {
	out := c.out
	out.WriteByte('{')
	start := out.Len()
	sep := "."
	if ext != nil {
		sep = ":"
	}
	primary := false
	err := c.s.object(depth, func(name, key []byte) error {
		if ok, err := c.unassigned(depth + 1); ok || err != nil {
			return err
		}
		k := unsafeString(name)
		a := defs.get(k)
		switch {
		case a == nil && c.mode == Strict && ext != nil:
			return errf("invalidValue", "attribute %q is not defined by %s", k, ext.ID)
		case a == nil && c.mode == Strict:
			return errf("invalidValue", "%s has no sub-attribute %q", c.where(), k)
		case a == nil && !validName(k):
			return errf("invalidValue", "%s: %q is not an attribute name (RFC 7643 §2.1: a letter, then letters, digits, '-', '_' or '$')", c.where(), k)
		case a != nil && a.Mutability == "readOnly" && ext != nil:
			return c.s.value(depth + 1)
		}
		mark := out.Len()
		if mark > start {
			out.WriteByte(',')
		}
		if a == nil {
			out.Write(key)
			out.WriteByte(':')
			primary = primary || k == "primary" && c.peek() == 't'
			return c.raw(depth + 1)
		}
		out.WriteString(a.quoted)
		out.WriteByte(':')
		c.push(sep, a.Name)
		if err := c.value(a, depth+1); err != nil {
			return err
		}
		c.pop()
		if isEmpty(out.Bytes()[mark:], len(a.quoted)+1) {
			out.Truncate(mark)
		} else if a.Name == "primary" {
			primary = bytes.HasSuffix(out.Bytes(), []byte("true"))
		}
		return nil
	})
	out.WriteByte('}')
	return primary, err
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

// value writes a value of attribute a in canonical form, or says why it
// is not one.
func (c *canon) value(a *attrDef, depth int) error {
	ch := c.peek()
	if a.MultiValued {
		switch {
		case ch == '[':
			return c.values(a, depth)
		case ch == '{' && c.mode == Lenient && a.Type == "complex":
			// One value, not in an array: the array of it.
			c.out.WriteByte('[')
			mark := c.out.Len()
			if _, err := c.single(a, depth); err != nil {
				return err
			}
			if isEmpty(c.out.Bytes()[mark:], 0) {
				c.out.Truncate(mark)
			}
			c.out.WriteByte(']')
			return nil
		}
		return errf("invalidValue", "%s is multi-valued: its value must be an array (RFC 7643 §2.4)", c.where())
	}
	if ch == '[' {
		if c.mode == Strict || c.count(depth) != 1 {
			return errf("invalidValue", "%s is single-valued: its value must not be an array", c.where())
		}
		return c.s.array(depth, func() error {
			_, err := c.single(a, depth+1)
			return err
		})
	}
	_, err := c.single(a, depth)
	return err
}

// count returns the number of values in the array ahead, without reading
// past it; -1 if it cannot be read.
func (c *canon) count(depth int) int {
	save, n := c.s.i, 0
	err := c.s.array(depth, func() error {
		n++
		return c.s.value(depth + 1)
	})
	c.s.i = save
	if err != nil {
		return -1
	}
	return n
}

// values writes the values of a multi-valued attribute.
func (c *canon) values(a *attrDef, depth int) error {
	out := c.out
	out.WriteByte('[')
	start := out.Len()
	primaries := 0
	err := c.s.array(depth, func() error {
		if c.peek() == 'n' {
			return c.s.literal("null")
		}
		mark := out.Len()
		if mark > start {
			out.WriteByte(',')
		}
		one := out.Len()
		primary, err := c.single(a, depth+1)
		switch {
		case err != nil:
			return err
		case isEmpty(out.Bytes()[one:], 0):
			out.Truncate(mark)
		case primary:
			primaries++
		}
		return nil
	})
	out.WriteByte(']')
	if err == nil && primaries > 1 {
		err = errf("invalidValue", "%s has %d primary values; at most one may be primary (RFC 7643 §2.4)", c.where(), primaries)
	}
	return err
}

// single writes one value of attribute a; for a complex one, it reports
// whether it is primary.
func (c *canon) single(a *attrDef, depth int) (bool, error) {
	s, out := &c.s, c.out
	ch := c.peek()
	switch a.Type {
	case "complex":
		if ch == '"' && c.mode == Lenient && !a.MultiValued && a.subs["value"] != nil {
			// Entra sends the manager as a bare id: {"value": id}.
			raw, _, err := s.stringValue()
			if err != nil {
				return false, err
			}
			out.WriteString(`{"value":`)
			out.Write(raw)
			out.WriteByte('}')
			return false, nil
		}
		if ch != '{' {
			return false, errf("invalidValue", "%s is complex: each value must be an object of its sub-attributes, not %s", c.where(), kindOf(ch))
		}
		return c.fields(a.subs, nil, depth)
	case "boolean":
		switch {
		case ch == 't':
			out.WriteString("true")
			return false, s.literal("true")
		case ch == 'f':
			out.WriteString("false")
			return false, s.literal("false")
		case ch == '"' && c.mode == Lenient:
			_, str, err := c.string()
			if err != nil {
				return false, err
			}
			switch str = strings.TrimSpace(str); {
			case strings.EqualFold(str, "true"):
				out.WriteString("true")
				return false, nil
			case strings.EqualFold(str, "false"):
				out.WriteString("false")
				return false, nil
			}
		}
		return false, errf("invalidValue", "%s must be a boolean, not %s", c.where(), kindOf(ch))
	case "integer", "decimal":
		if ch != '-' && (ch < '0' || ch > '9') {
			return false, errf("invalidValue", "%s must be a%s number, not %s", c.where(), map[bool]string{true: "n integer"}[a.Type == "integer"], kindOf(ch))
		}
		start := s.i
		if err := s.number(); err != nil {
			return false, err
		}
		raw := s.b[start:s.i]
		if a.Type == "integer" && bytes.ContainsAny(raw, ".eE") {
			return false, errf("invalidValue", "%s must be an integer number, not a number", c.where())
		}
		out.Write(raw)
		return false, nil
	}
	// string, reference, binary, dateTime: JSON strings (RFC 7643 §2.3).
	if ch != '"' {
		return false, errf("invalidValue", "%s must be a string, not %s", c.where(), kindOf(ch))
	}
	raw, str, err := c.string()
	if err != nil {
		return false, err
	}
	if a.Type == "dateTime" {
		if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
			return false, errf("invalidValue", "%s must be an xsd:dateTime such as 2008-01-23T04:56:22Z (RFC 7643 §2.3.5)", c.where())
		}
	}
	if len(a.CanonicalValues) > 0 {
		if cv := Pick(a.CanonicalValues, str); cv != "" {
			if cv == str {
				out.Write(raw)
			} else {
				out.WriteString(Quote(cv))
			}
			return false, nil
		}
		if a.closed {
			return false, errf("invalidValue", "%s must be one of %s", c.where(), strings.Join(a.CanonicalValues, ", "))
		}
	}
	out.Write(raw)
	return false, nil
}

// kindOf names the kind of the JSON value starting with c, for error details.
func kindOf(c byte) string {
	switch {
	case c == '[':
		return "an array"
	case c == '{':
		return "an object"
	case c == '"':
		return "a string"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	case c == 't' || c == 'f':
		return "a boolean"
	}
	return "null"
}

// valueLimits read PATCH values, which CheckJSON has read with the tenant's.
var valueLimits = Limits{MaxDepth: 1 << 20, MaxValues: 1 << 30, MaxString: 1 << 30}

// writeValue writes v, a value of attribute a (in a PATCH operation,
// named at), in canonical form; single says v is one value of a
// multi-valued attribute.
func writeValue(buf *bytes.Buffer, a *attrDef, v gjson.Result, mode Mode, at string, single bool) error {
	c := newCanon([]byte(v.Raw), valueLimits, buf, mode)
	c.push("", at)
	var err error
	if single {
		_, err = c.single(a, 1)
	} else {
		err = c.value(a, 1)
	}
	return err
}

func containsFold(list []string, s string) bool {
	return Pick(list, s) != ""
}

// unassigned reports whether a value is null or an empty array (RFC 7643 §2.5).
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

// AppendLower appends the ASCII lower case of s, for map lookups by
// case-insensitive name that do not allocate.
func AppendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}
