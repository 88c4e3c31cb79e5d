package mappings

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/scimgw/scimgw/mappings/scim"
)

// Source is a mapping file's name and contents.
type Source struct {
	File string
	Data []byte
}

// Resource types a mapping has sections for.
const (
	User  = scim.User
	Group = scim.Group
)

var resourceNames = [...]string{"User", "Group"}

// Mapping is a compiled mapping for one tenant: the dialect's built-in
// rules, overridden rule by rule by the tenant's file, with the tenant's
// options substituted. It is safe for concurrent use.
type Mapping struct {
	res    [2]*resource
	schema [2]*scim.ResourceSchema
}

// policy says what happens to an attribute no rule places.
type policy uint8

const (
	keep   policy = iota // pass it through unchanged
	drop                 // leave it out silently
	reject               // refuse the request with 400 invalidValue
)

var policyNames = map[string]policy{"keep": keep, "drop": drop, "reject": reject}

// resource is the compiled mapping of one resource type.
type resource struct {
	name    string
	core    string // the SCIM core schema URN
	rules   []*rule
	req     program     // SCIM 2.0 -> backend
	resp    program     // backend -> SCIM 2.0
	schemas [][2]string // schema URN renames: {SCIM 2.0, backend}
}

// rule is one compiled attribute rule.
type rule struct {
	key      string        // as written in the file, for messages
	scim     scim.AttrPath // the SCIM 2.0 attribute
	backend  scim.AttrPath // where the backend holds it
	drop     policy        // keep (mapped), drop or reject
	required bool
	def      string // raw JSON default, when the request lacks the attribute
	value    string // raw JSON constant, always sent
	req      steps  // request transformations
	resp     steps  // response transformations
	respFrom scim.AttrPath
	// scalar is the subset of req that applies to a single filter literal.
	scalar steps
	// types maps the "type" sub-attribute, for value filters on it.
	types step
	// kept lists the sub-attributes a "sub" rule keeps; nil keeps all.
	kept []string
}

var optionRE = regexp.MustCompile(`\$\{options\.([A-Za-z0-9_]+)\}`)

// Options gives a compiled mapping its tenant's option values and the names
// of the options the dialect declares (for checking ${options.x}).
type Options struct {
	Values map[string]string
	Known  []string
}

// Load checks and compiles a dialect's built-in mapping and, when override
// is not nil, the tenant's mapping that extends or overrides it rule by
// rule. Problems come back as Lints, every one with file:line:col.
func Load(builtin Source, override *Source, opts Options) (*Mapping, error) {
	var ls Lints
	base, lints := parseFile(builtin)
	ls = append(ls, lints...)
	var over *fileSpec
	if override != nil {
		var ol Lints
		over, ol = parseFile(*override)
		ls = append(ls, ol...)
	}
	if len(ls) > 0 {
		return nil, ls.Sorted()
	}
	m := &Mapping{}
	for i, name := range resourceNames {
		spec := base.res[i]
		if over != nil {
			spec = spec.merge(over.res[i])
		}
		r, lints := compile(name, spec, opts)
		ls = append(ls, lints...)
		m.res[i] = r
	}
	if len(ls) > 0 {
		return nil, ls.Sorted()
	}
	var ext [2][]scim.Schema
	for rt := range ext {
		for _, urn := range m.Extensions(scim.ResourceType(rt)) {
			ext[rt] = append(ext[rt], scim.Schema{ID: urn, Name: urn}) // open: the rules say what it holds
		}
	}
	m.schema[User] = scim.NewResourceSchema(scim.UserSchemaDef, append([]scim.Schema{scim.EnterpriseSchemaDef}, ext[User]...)...)
	m.schema[Group] = scim.NewResourceSchema(scim.GroupSchemaDef, ext[Group]...)
	return m, nil
}

// Schema returns the resource type as clients write it to this tenant: the
// RFC core schema (with the enterprise extension for Users) and every other
// extension the rules take. The gateway validates and canonicalises every
// request body with it before the mapping runs.
func (m *Mapping) Schema(rt scim.ResourceType) *scim.ResourceSchema { return m.schema[rt] }

// fileSpec is a parsed, checked mapping file.
type fileSpec struct {
	res [2]*resSpec
}

type resSpec struct {
	file     string
	unmapped *yaml.Node
	schemas  map[string]*yaml.Node // lower-case source URN -> key node (value in schemaTo)
	schemaTo map[string]string
	rules    map[string]ruleSpec // lower-case attribute -> rule
	order    []string
}

type ruleSpec struct {
	file string
	key  *yaml.Node
	val  *yaml.Node
}

// merge returns base with over's settings and rules on top.
func (base *resSpec) merge(over *resSpec) *resSpec {
	if over == nil {
		return base
	}
	out := &resSpec{file: base.file, unmapped: base.unmapped, schemas: map[string]*yaml.Node{}, schemaTo: map[string]string{}, rules: map[string]ruleSpec{}}
	if over.unmapped != nil {
		out.unmapped = over.unmapped
	}
	for _, s := range []*resSpec{base, over} {
		for k, n := range s.schemas {
			out.schemas[k], out.schemaTo[k] = n, s.schemaTo[k]
		}
		for _, k := range s.order {
			if _, seen := out.rules[k]; !seen {
				out.order = append(out.order, k)
			}
			out.rules[k] = s.rules[k]
		}
	}
	return out
}

var (
	topKeys      = []string{"version", "dialect", "User", "Group"}
	resourceKeys = []string{"unmapped", "schemas", "attributes"}
	ruleKeys     = []string{"to", "drop", "reject", "required", "default", "value", "map", "type", "strings", "keep", "types", "sub", "response"}
	responseKeys = []string{"from", "map", "type", "strings", "keep", "types", "sub"}
	typeNames    = []string{"string", "boolean", "array", "single", "json"}
	keepNames    = []string{"primary", "first"}
)

// parseFile parses a mapping file and checks its structure.
func parseFile(src Source) (*fileSpec, Lints) {
	l := &Linter{File: src.File}
	var root yaml.Node
	if err := yaml.Unmarshal(src.Data, &root); err != nil {
		return nil, Lints{SyntaxLint(src.File, err)}
	}
	fs := &fileSpec{}
	if len(root.Content) == 0 {
		return fs, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		l.At(doc, "a mapping file is a mapping with version, dialect, User and Group")
		return nil, l.Lints
	}
	l.Pairs(doc, topKeys, "key", "the top level", func(k, v *yaml.Node) {
		switch k.Value {
		case "version":
			if v.Value != "1" {
				l.At(v, "unsupported mapping version %q (this scimgw reads version 1)", v.Value)
			}
		case "dialect":
			if v.Kind != yaml.ScalarNode {
				l.At(v, "dialect must be a name")
			}
		case "User", "Group":
			i := User
			if k.Value == "Group" {
				i = Group
			}
			fs.res[i] = parseResource(l, src.File, k.Value, v)
		}
	})
	return fs, l.Lints
}

func parseResource(l *Linter, file, name string, n *yaml.Node) *resSpec {
	rs := &resSpec{file: file, schemas: map[string]*yaml.Node{}, schemaTo: map[string]string{}, rules: map[string]ruleSpec{}}
	if n.Kind != yaml.MappingNode {
		l.At(n, "%s must be a mapping with unmapped, schemas and attributes", name)
		return rs
	}
	l.Pairs(n, resourceKeys, "key", name, func(k, v *yaml.Node) {
		switch k.Value {
		case "unmapped":
			if _, ok := policyNames[v.Value]; !ok || v.Kind != yaml.ScalarNode {
				l.At(v, "%s.unmapped must be keep, drop or reject%s", name, DidYouMean(v.Value, []string{"keep", "drop", "reject"}))
				return
			}
			rs.unmapped = v
		case "schemas":
			if v.Kind != yaml.MappingNode {
				l.At(v, "%s.schemas must map SCIM 2.0 schema URNs to the backend's", name)
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				sk, sv := v.Content[i], v.Content[i+1]
				if !strings.HasPrefix(strings.ToLower(sk.Value), "urn:") || !strings.HasPrefix(strings.ToLower(sv.Value), "urn:") {
					l.At(sk, "%s.schemas: %q -> %q: both sides must be schema URNs", name, sk.Value, sv.Value)
					continue
				}
				rs.schemas[strings.ToLower(sk.Value)], rs.schemaTo[strings.ToLower(sk.Value)] = sk, sv.Value
			}
		case "attributes":
			if v.Kind != yaml.MappingNode {
				l.At(v, "%s.attributes must map SCIM attributes to rules", name)
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				rk, rv := v.Content[i], v.Content[i+1]
				low := strings.ToLower(rk.Value)
				if _, dup := rs.rules[low]; dup {
					l.At(rk, "%s: attribute %q has two rules", name, rk.Value)
					continue
				}
				checkRule(l, name, rk, rv)
				rs.rules[low] = ruleSpec{file: file, key: rk, val: rv}
				rs.order = append(rs.order, low)
			}
		}
	})
	return rs
}

// checkRule checks a rule's keys and the types of its values.
func checkRule(l *Linter, res string, k, v *yaml.Node) {
	where := res + "." + k.Value
	if v.Kind == yaml.ScalarNode {
		if v.Tag != "!!str" && v.Tag != "!!null" {
			l.At(v, "%s: a rule is a mapping, or a string naming the backend attribute", where)
		}
		return
	}
	if v.Kind != yaml.MappingNode {
		l.At(v, "%s: a rule is a mapping, or a string naming the backend attribute", where)
		return
	}
	l.Pairs(v, ruleKeys, "rule kind", where, func(rk, rv *yaml.Node) {
		checkRuleValue(l, where, rk, rv)
		if rk.Value == "response" {
			if rv.Kind != yaml.MappingNode {
				l.At(rv, "%s.response must be a mapping", where)
				return
			}
			l.Pairs(rv, responseKeys, "rule kind", where+".response", func(pk, pv *yaml.Node) {
				checkRuleValue(l, where+".response", pk, pv)
			})
		}
	})
}

func checkRuleValue(l *Linter, where string, k, v *yaml.Node) {
	switch k.Value {
	case "to", "from", "strings":
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			l.At(v, "%s.%s must be an attribute name", where, k.Value)
		}
	case "drop", "reject", "required":
		if v.Tag != "!!bool" {
			l.At(v, "%s.%s must be true or false", where, k.Value)
		}
	case "type":
		if !contains(typeNames, v.Value) {
			l.At(v, "%s.type: unknown type %q (one of %s)%s", where, v.Value, strings.Join(typeNames, ", "), DidYouMean(v.Value, typeNames))
		}
	case "keep":
		if !contains(keepNames, v.Value) {
			l.At(v, "%s.keep must be primary or first", where)
		}
	case "map", "types":
		if v.Kind != yaml.MappingNode {
			l.At(v, "%s.%s must map values to values", where, k.Value)
			return
		}
		for i := 1; i < len(v.Content); i += 2 {
			if v.Content[i].Kind != yaml.ScalarNode {
				l.At(v.Content[i], "%s.%s: values must be single values", where, k.Value)
			}
		}
	case "sub":
		if v.Kind != yaml.SequenceNode {
			l.At(v, "%s.sub must list sub-attribute names", where)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// compile builds the two programs of one resource type.
func compile(name string, spec *resSpec, opts Options) (*resource, Lints) {
	r := &resource{name: name, core: scim.UserSchema}
	if name == "Group" {
		r.core = scim.GroupSchema
	}
	unmapped := keep
	if spec == nil {
		spec = &resSpec{}
	}
	var ls Lints
	lint := func(file string, n *yaml.Node, format string, args ...any) {
		l := Linter{File: file}
		l.At(n, format, args...)
		ls = append(ls, l.Lints...)
	}
	if spec.unmapped != nil {
		unmapped = policyNames[spec.unmapped.Value]
	}
	for k, n := range spec.schemas {
		r.schemas = append(r.schemas, [2]string{n.Value, spec.schemaTo[k]})
	}
	targets := map[string]*rule{}
	for _, key := range spec.order {
		rs := spec.rules[key]
		rl, msgs := compileRule(rs, opts)
		for _, m := range msgs {
			lint(rs.file, m.node, "%s.%s: %s", name, rs.key.Value, m.msg)
		}
		if rl == nil {
			continue
		}
		if rl.drop == keep && rl.value == "" || rl.def != "" {
			t := strings.ToLower(rl.backend.String())
			if other, dup := targets[t]; dup {
				lint(rs.file, rs.key, "%s.%s: writes %s, which %s already writes", name, rs.key.Value, rl.backend, other.key)
				continue
			}
			targets[t] = rl
		}
		r.rules = append(r.rules, rl)
	}
	// A rule for an attribute and one for its sub-attribute would both claim it.
	for _, a := range r.rules {
		for _, b := range r.rules {
			if a.scim.Sub == "" && b.scim.Sub != "" && strings.EqualFold(a.scim.URN, b.scim.URN) && strings.EqualFold(a.scim.Attr, b.scim.Attr) {
				lint(spec.file, spec.rules[strings.ToLower(b.key)].key, "%s.%s: %s also has a rule; use one or the other", name, b.key, a.key)
			}
		}
	}
	r.req = newProgram(r, unmapped, false)
	r.resp = newProgram(r, keep, true)
	return r, ls
}

type lintMsg struct {
	node *yaml.Node
	msg  string
}

// compileRule compiles one rule; nil means it could not be compiled.
func compileRule(rs ruleSpec, opts Options) (*rule, []lintMsg) {
	var msgs []lintMsg
	bad := func(n *yaml.Node, format string, args ...any) {
		msgs = append(msgs, lintMsg{n, fmt.Sprintf(format, args...)})
	}
	src, err := scim.ParseAttrPath(rs.key.Value)
	if err != nil {
		bad(rs.key, "%v", err)
		return nil, msgs
	}
	rl := &rule{key: rs.key.Value, scim: src, backend: src}
	v := rs.val
	if v.Kind == yaml.ScalarNode {
		if v.Tag == "!!str" {
			if rl.backend, err = scim.ParseAttrPath(v.Value); err != nil {
				bad(v, "to: %v", err)
				return nil, msgs
			}
		}
		rl.respFrom = rl.backend
		return rl, msgs
	}
	get := getKey
	if to := get(v, "to"); to != nil {
		if rl.backend, err = scim.ParseAttrPath(to.Value); err != nil {
			bad(to, "to: %v", err)
			return nil, msgs
		}
	}
	if n := get(v, "drop"); n != nil && n.Value == "true" {
		rl.drop = drop
	}
	if n := get(v, "reject"); n != nil && n.Value == "true" {
		if rl.drop == drop {
			bad(n, "drop and reject exclude each other")
		}
		rl.drop = reject
	}
	if n := get(v, "required"); n != nil && n.Value == "true" {
		rl.required = true
	}
	for _, c := range []struct {
		key string
		dst *string
	}{{"default", &rl.def}, {"value", &rl.value}} {
		if n := get(v, c.key); n != nil {
			raw, err := yamlJSON(n, opts)
			if err != nil {
				bad(n, "%s: %v", c.key, err)
				continue
			}
			*c.dst = raw
		}
	}
	if rl.drop != keep && (rl.def != "" || rl.value != "" || rl.required) {
		bad(v, "a dropped or rejected attribute cannot also have default, value or required")
	}
	rl.req, rl.scalar = compileSteps(v)
	if t := get(v, "types"); t != nil {
		rl.types = valueMap(pairs(t))
	}
	if s := get(v, "sub"); s != nil {
		for _, el := range s.Content {
			rl.kept = append(rl.kept, el.Value)
		}
	}
	rl.respFrom = rl.backend
	if resp := get(v, "response"); resp != nil {
		if from := get(resp, "from"); from != nil {
			if rl.respFrom, err = scim.ParseAttrPath(from.Value); err != nil {
				bad(from, "response.from: %v", err)
			}
		}
		rl.resp, _ = compileSteps(resp)
	} else {
		var inv []lintMsg
		rl.resp, inv = inverseSteps(v)
		msgs = append(msgs, inv...)
	}
	return rl, msgs
}

// compileSteps builds the request pipeline, in this order: keep, type
// single, sub, types, strings, map, and the other types. scalar is the part
// that applies to filter literals.
func compileSteps(n *yaml.Node) (all, scalar steps) {
	get := func(key string) *yaml.Node { return getKey(n, key) }
	typ := ""
	if t := get("type"); t != nil {
		typ = t.Value
	}
	// Picking one value first means the others are never rewritten.
	if k := get("keep"); k != nil {
		all = append(all, keepOne(k.Value == "primary"))
	}
	if typ == "single" {
		all = append(all, toSingle)
	}
	if s := get("sub"); s != nil {
		var subs []string
		for _, el := range s.Content {
			subs = append(subs, el.Value)
		}
		all = append(all, keepSubs(subs))
	}
	if t := get("types"); t != nil {
		all = append(all, mapTypes(pairs(t)))
	}
	if s := get("strings"); s != nil {
		all = append(all, toStrings(s.Value))
	}
	if m := get("map"); m != nil {
		st := valueMap(jsonPairs(m))
		all, scalar = append(all, st), append(scalar, st)
	}
	switch typ {
	case "string":
		all, scalar = append(all, toString), append(scalar, toString)
	case "boolean":
		all, scalar = append(all, toBool), append(scalar, toBool)
	case "array":
		all = append(all, toArray)
	case "json":
		all = append(all, toJSONString)
	}
	return all, scalar
}

// inverseSteps derives the response pipeline from a request rule: the
// inverse of each step, in reverse order. A value map must be invertible.
func inverseSteps(n *yaml.Node) (steps, []lintMsg) {
	var msgs []lintMsg
	get := func(key string) *yaml.Node { return getKey(n, key) }
	typ := ""
	if t := get("type"); t != nil {
		typ = t.Value
	}
	invert := func(m *yaml.Node) map[string]string {
		inv := map[string]string{}
		seen := map[string]string{}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			low := strings.ToLower(v.Value)
			if prev, dup := seen[low]; dup {
				msgs = append(msgs, lintMsg{v, fmt.Sprintf("value map is not invertible: %q and %q both map to %q; add a response: rule with its own map", prev, k.Value, v.Value)})
				continue
			}
			seen[low] = k.Value
			inv[v.Value] = scalarJSON(k)
		}
		return inv
	}
	var out steps
	switch typ {
	case "string":
		out = append(out, toBool)
	case "array":
		out = append(out, toSingle)
	case "json":
		out = append(out, fromJSONString)
	}
	if m := get("map"); m != nil {
		out = append(out, valueMap(invert(m)))
	}
	if s := get("strings"); s != nil {
		out = append(out, fromStrings(s.Value))
	}
	if typ == "single" {
		out = append(out, toArray)
	}
	if t := get("types"); t != nil {
		out = append(out, mapTypes(invert(t)))
	}
	return out, msgs
}

// getKey returns the value of key in mapping n, or nil.
func getKey(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// pairs reads a YAML map of scalars; values are JSON strings.
func pairs(n *yaml.Node) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = scim.Quote(n.Content[i+1].Value)
	}
	return m
}

// jsonPairs reads a YAML map of scalars; values keep their YAML types.
func jsonPairs(n *yaml.Node) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = scalarJSON(n.Content[i+1])
	}
	return m
}

// scalarJSON renders a YAML scalar as JSON, keeping booleans and numbers.
func scalarJSON(n *yaml.Node) string {
	switch n.Tag {
	case "!!bool", "!!int", "!!float":
		var v any
		if n.Decode(&v) == nil {
			b, _ := json.Marshal(v)
			return string(b)
		}
	case "!!null":
		return "null"
	}
	return scim.Quote(n.Value)
}

// yamlJSON renders a YAML value as JSON, with ${options.x} substituted.
func yamlJSON(n *yaml.Node, opts Options) (string, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return "", err
	}
	var missing []string
	var expand func(any) any
	expand = func(x any) any {
		switch t := x.(type) {
		case string:
			return optionRE.ReplaceAllStringFunc(t, func(ref string) string {
				name := optionRE.FindStringSubmatch(ref)[1]
				if !contains(opts.Known, name) {
					missing = append(missing, name)
					return ref
				}
				return opts.Values[name]
			})
		case []any:
			for i := range t {
				t[i] = expand(t[i])
			}
		case map[string]any:
			for k := range t {
				t[k] = expand(t[k])
			}
		}
		return x
	}
	v = expand(v)
	if len(missing) > 0 {
		known := "none"
		if len(opts.Known) > 0 {
			known = strings.Join(opts.Known, ", ")
		}
		return "", fmt.Errorf("unknown option %q in ${options.%s} (the dialect's options: %s)%s", missing[0], missing[0], known, DidYouMean(missing[0], opts.Known))
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// Extensions lists the extension schema URNs, other than the RFC's
// enterprise User extension, that the mapping's rules take from clients:
// the tenant serves them (RFC 7643 §3.3), with the attributes its rules
// name.
func (m *Mapping) Extensions(rt scim.ResourceType) []string {
	var out []string
	seen := map[string]bool{}
	add := func(urn string) {
		low := strings.ToLower(urn)
		if urn == "" || seen[low] || strings.EqualFold(urn, scim.EnterpriseSchema) || strings.EqualFold(urn, m.res[rt].core) {
			return
		}
		seen[low] = true
		out = append(out, urn)
	}
	for _, r := range m.res[rt].rules {
		add(r.scim.URN)
	}
	for _, s := range m.res[rt].schemas {
		add(s[0])
	}
	return out
}

// BackendExtensions lists the extension schema URNs the mapping's rules
// write to, other than the core and enterprise ones: the schemas the
// backend must serve for this mapping to work.
func (m *Mapping) BackendExtensions(rt scim.ResourceType) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range m.res[rt].rules {
		urn := r.backend.URN
		if urn == "" || r.drop != keep || seen[strings.ToLower(urn)] || strings.EqualFold(urn, scim.EnterpriseSchema) || strings.EqualFold(urn, m.res[rt].core) {
			continue
		}
		seen[strings.ToLower(urn)] = true
		out = append(out, urn)
	}
	return out
}

// Holds reports whether the backend keeps a SCIM attribute or
// sub-attribute: whether the mapping forwards it (rather than dropping or
// refusing it). An attribute the mapping maps only by sub-attributes is
// held when one of them is. It is what the tenant's /Schemas publishes.
func (m *Mapping) Holds(rt scim.ResourceType, a scim.AttrPath) bool {
	p := &m.res[rt].req
	if p.identity {
		return true
	}
	e := p.lookup(p.containerKey(a.URN), a.Attr)
	if e != nil && a.Sub != "" && e.whole != nil && e.whole.r.kept != nil && e.subs[strings.ToLower(a.Sub)] == nil && !containsFold(e.whole.r.kept, a.Sub) {
		return false
	}
	if e != nil && a.Sub == "" && e.whole == nil {
		for _, sr := range e.subs {
			if sr.drop == keep {
				return true
			}
		}
		return false
	}
	_, _, err := p.path(a)
	return err == nil
}

// ExtensionRule is what a mapping says of one attribute of an extension
// schema that is not the RFC's.
type ExtensionRule struct {
	Attr string
	// Sent: clients may write it (a mapped rule); otherwise the backend
	// only returns it (a drop rule).
	Sent bool
}

// ExtensionRules lists the attributes the rules name in an extension
// schema, in rule order.
func (m *Mapping) ExtensionRules(rt scim.ResourceType, urn string) []ExtensionRule {
	var out []ExtensionRule
	seen := map[string]bool{}
	for _, r := range m.res[rt].rules {
		if !strings.EqualFold(r.scim.URN, urn) || seen[strings.ToLower(r.scim.Attr)] {
			continue
		}
		seen[strings.ToLower(r.scim.Attr)] = true
		out = append(out, ExtensionRule{Attr: r.scim.Attr, Sent: r.drop == keep})
	}
	return out
}
