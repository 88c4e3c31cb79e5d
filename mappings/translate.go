package mappings

import (
	"bytes"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// toAttrPath turns output segments back into an attribute path.
func toAttrPath(segs []string) scim.AttrPath {
	var a scim.AttrPath
	if len(segs) > 0 && isURN(segs[0]) {
		a.URN, segs = segs[0], segs[1:]
	}
	if len(segs) > 0 {
		a.Attr = segs[0]
	}
	if len(segs) > 1 {
		a.Sub = segs[1]
	}
	return a
}

// path translates an attribute path; pr is the rule that placed it, or nil
// for an unmapped attribute kept as it is.
func (p *program) path(a scim.AttrPath) (scim.AttrPath, *prule, error) {
	e := p.lookup(p.containerKey(a.URN), a.Attr)
	var pr *prule
	var out scim.AttrPath
	switch {
	case e == nil:
		if p.unmapped != keep {
			return a, nil, errorf("invalidPath", "attribute %s is not supported by this backend", a)
		}
		return renamed(a, p.rename), nil, nil
	case a.Sub != "" && e.subs[strings.ToLower(a.Sub)] != nil:
		pr = e.subs[strings.ToLower(a.Sub)]
		out = toAttrPath(pr.to)
	case e.whole != nil:
		pr = e.whole
		out = toAttrPath(pr.to)
		if a.Sub != "" {
			if out.Sub != "" {
				return a, nil, errorf("invalidPath", "attribute %s is mapped to %s, which has no sub-attributes", a.URN+a.Attr, out)
			}
			out.Sub = a.Sub
		}
	case a.Sub == "":
		// Only sub-attribute rules: fine when they all land in one parent.
		var parent scim.AttrPath
		for _, sr := range e.subs {
			t := toAttrPath(sr.to)
			t.Sub = ""
			if parent.Attr != "" && !strings.EqualFold(parent.String(), t.String()) || sr.drop != keep {
				return a, nil, errorf("invalidPath", "attribute %s is mapped to several backend attributes; name one of its sub-attributes", a)
			}
			parent = t
		}
		return parent, nil, nil
	default:
		if p.unmapped != keep {
			return a, nil, errorf("invalidPath", "attribute %s is not supported by this backend", a)
		}
		return renamed(a, p.rename), nil, nil
	}
	switch pr.drop {
	case drop, reject:
		return a, nil, errorf("invalidPath", "attribute %s is not supported by this backend", a)
	}
	return out, pr, nil
}

// Path translates one attribute path (for sortBy).
func (m *Mapping) Path(rt scim.ResourceType, s string) (string, error) {
	a, err := scim.ParseAttrPath(s)
	if err != nil {
		return "", errorf("invalidValue", "%v", err)
	}
	out, _, err := m.res[rt].req.path(a)
	if err != nil {
		return "", errorf("invalidValue", "%v", err)
	}
	return out.String(), nil
}

// Attributes translates an attributes or excludedAttributes list; names the
// backend does not hold are left out.
func (m *Mapping) Attributes(rt scim.ResourceType, list []scim.AttrPath) []scim.AttrPath {
	var out []scim.AttrPath
	for _, a := range list {
		if t, _, err := m.res[rt].req.path(a); err == nil {
			out = append(out, t)
		}
	}
	return out
}

// Filter translates a filter's attribute paths and literals into the
// backend's (RFC 7644 §3.4.2.2). An attribute the backend does not hold is
// a 400 invalidFilter.
func (m *Mapping) Filter(rt scim.ResourceType, f *scim.Expr) (*scim.Expr, error) {
	if f == nil || m.res[rt].req.identity {
		return f, nil
	}
	out, err := m.res[rt].req.filter(f, nil)
	if err != nil {
		return nil, errorf("invalidFilter", "%v", err)
	}
	return out, nil
}

// filter translates e; within a value path, parent is the multi-valued
// attribute's entry. A condition on an attribute the backend does not hold
// is an error, never dropped: a filter widened that way would select values
// the client did not name (Cube keeps no email type, so
// emails[type eq "work"] would select every email).
func (p *program) filter(e *scim.Expr, parent *entry) (*scim.Expr, error) {
	out := *e
	switch e.Kind {
	case scim.And, scim.Or:
		l, err := p.filter(e.Left, parent)
		if err != nil {
			return nil, err
		}
		r, err := p.filter(e.Right, parent)
		if err != nil {
			return nil, err
		}
		out.Left, out.Right = l, r
		return &out, nil
	case scim.Not:
		l, err := p.filter(e.Left, parent)
		if err != nil {
			return nil, err
		}
		out.Left = l
		return &out, nil
	case scim.ValuePath:
		path, _, err := p.path(e.Path)
		if err != nil {
			return nil, err
		}
		out.Path = path
		inner := p.lookup(p.containerKey(e.Path.URN), e.Path.Attr)
		if inner == nil {
			inner = &entry{}
		}
		l, err := p.filter(e.Left, inner)
		if err != nil {
			return nil, err
		}
		out.Left = l
		return &out, nil
	}
	var pr *prule
	if parent != nil && parent.whole != nil && parent.whole.r.kept != nil && parent.subs[strings.ToLower(e.Path.Attr)] == nil && !containsFold(parent.whole.r.kept, e.Path.Attr) {
		return nil, errorf("invalidFilter", "the backend does not hold %s.%s, so a filter on it cannot be evaluated (it holds %s.%s)", parent.whole.r.key, e.Path.Attr, parent.whole.r.key, strings.Join(parent.whole.r.kept, ", "))
	}
	if parent != nil {
		// A sub-attribute of the value path's attribute.
		if sr := parent.subs[strings.ToLower(e.Path.Attr)]; sr != nil {
			out.Path = scim.AttrPath{Attr: toAttrPath(sr.to).Sub}
			pr = sr
		} else if parent.whole != nil && parent.whole.r.types != nil && strings.EqualFold(e.Path.Attr, "type") {
			pr = &prule{steps: steps{parent.whole.r.types}}
		}
	} else {
		path, rule, err := p.path(e.Path)
		if err != nil {
			return nil, err
		}
		out.Path, pr = path, rule
	}
	if pr != nil && e.Op != scim.OpPr && e.Value.Kind != scim.NullValue {
		scalar := pr.steps
		if pr.r != nil {
			scalar = pr.r.scalar
		}
		if raw, ok := scalar.apply(gjson.Parse(e.Value.Raw)); ok && raw != e.Value.Raw {
			out.Value = literal(raw)
		}
	}
	return &out, nil
}

// literal makes a filter value from raw JSON.
func literal(raw string) scim.Value {
	v := gjson.Parse(raw)
	switch v.Type {
	case gjson.String:
		return scim.Value{Kind: scim.StringValue, Raw: raw, Str: v.Str}
	case gjson.Number:
		return scim.Value{Kind: scim.NumberValue, Raw: raw, Num: v.Num}
	case gjson.True, gjson.False:
		return scim.Value{Kind: scim.BoolValue, Raw: raw}
	}
	return scim.Value{Kind: scim.NullValue, Raw: "null"}
}

// Patch translates a PatchOp message (RFC 7644 §3.5.2) into the backend's
// attribute names and values. Operations on attributes the backend does not
// hold are left out (or refused, for rejected ones); n says how many remain.
// An add or replace with a path is translated as the partial resource its
// value describes, and written back with a path when it lands on one
// backend attribute.
func (m *Mapping) Patch(rt scim.ResourceType, pr *scim.PatchRequest) (out []byte, n int, err error) {
	p := &m.res[rt].req
	if p.identity {
		return pr.Marshal(), len(pr.Operations), nil
	}
	var buf bytes.Buffer
	buf.WriteString(`{"schemas":["` + scim.PatchOpURN + `"],"Operations":[`)
	for _, op := range pr.Operations {
		ops, err := p.patchOp(op)
		if err != nil {
			return nil, 0, err
		}
		for _, o := range ops {
			if n > 0 {
				buf.WriteByte(',')
			}
			n++
			buf.WriteString(o)
		}
	}
	buf.WriteString("]}")
	return buf.Bytes(), n, nil
}

func opJSON(op, path, value string) string {
	s := `{"op":` + scim.Quote(op)
	if path != "" {
		s += `,"path":` + scim.Quote(path)
	}
	if value != "" {
		s += `,"value":` + value
	}
	return s + "}"
}

func (p *program) patchOp(op scim.PatchOperation) ([]string, error) {
	name := strings.ToLower(op.Op)
	pathStr := op.Path
	var val gjson.Result
	if len(op.Value) > 0 {
		val = gjson.ParseBytes(op.Value)
	}
	if pathStr == "" {
		if !val.IsObject() {
			return []string{opJSON(name, "", val.Raw)}, nil
		}
		out, err := p.run([]byte(val.Raw), partial)
		if err != nil {
			return nil, err
		}
		if string(out) == "{}" {
			return nil, nil
		}
		return []string{opJSON(name, "", string(out))}, nil
	}
	pp, err := scim.ParsePatchPath(pathStr)
	if err != nil {
		return nil, errorf("invalidPath", "%v", err)
	}
	if pp.Filter != nil {
		return p.patchValuePath(name, pp, val)
	}
	if name != "remove" && val.Exists() {
		// Wrap the value as the partial resource it describes and map that.
		wrapped := wrap(pp.Attr, val.Raw)
		out, err := p.run([]byte(wrapped), partial)
		if err != nil {
			return nil, err
		}
		leafPath, leaf, ok := singleLeaf(out, pp.Attr.Sub != "")
		switch {
		case string(out) == "{}":
			return nil, nil
		case ok:
			return []string{opJSON(name, leafPath, leaf)}, nil
		default:
			return []string{opJSON(name, "", string(out))}, nil
		}
	}
	to, pr, err := p.path(pp.Attr)
	if err != nil {
		if p.isDropped(pp.Attr) {
			return nil, nil
		}
		return nil, err
	}
	value := ""
	if val.Exists() {
		value = val.Raw
		if pr != nil && pp.Attr.Sub == "" {
			if raw, ok := pr.steps.apply(val); ok {
				value = raw
			}
		}
	}
	return []string{opJSON(name, to.String(), value)}, nil
}

// isDropped reports whether the attribute is silently left out (as opposed
// to rejected or simply unknown to a keep mapping).
func (p *program) isDropped(a scim.AttrPath) bool {
	e := p.lookup(p.containerKey(a.URN), a.Attr)
	switch {
	case e == nil:
		return p.unmapped == drop
	case a.Sub != "" && e.subs[strings.ToLower(a.Sub)] != nil:
		return e.subs[strings.ToLower(a.Sub)].drop == drop
	case e.whole != nil:
		return e.whole.drop == drop
	}
	return p.unmapped == drop
}

// patchValuePath translates "attr[filter].sub" paths.
func (p *program) patchValuePath(name string, pp scim.PatchPath, val gjson.Result) ([]string, error) {
	attr := scim.AttrPath{URN: pp.Attr.URN, Attr: pp.Attr.Attr}
	to, pr, err := p.path(attr)
	if err != nil {
		if p.isDropped(attr) {
			return nil, nil
		}
		return nil, err
	}
	e := p.lookup(p.containerKey(attr.URN), attr.Attr)
	if e == nil {
		e = &entry{}
	}
	f, err := p.filter(pp.Filter, e)
	if err != nil {
		return nil, errorf("invalidPath", "%s: %v; select the values by what it holds, or replace the whole %s", pp, err, pp.Attr.Attr)
	}
	sub := pp.Sub
	if sr := e.subs[strings.ToLower(sub)]; sr != nil && sub != "" {
		sub = toAttrPath(sr.to).Sub
	}
	out := scim.PatchPath{Attr: to, Filter: f, Sub: sub}
	value := ""
	if val.Exists() {
		value = val.Raw
		if pr != nil && sub == "" {
			// The value is one element of the multi-valued attribute.
			if raw, ok := pr.steps.apply(gjson.Parse("[" + val.Raw + "]")); ok {
				if el := gjson.Get(raw, "0"); el.Exists() {
					value = el.Raw
				}
			}
		}
	}
	return []string{opJSON(name, out.String(), value)}, nil
}

// wrap builds {"attr": value}, or {"urn": {"attr": value}}, or with a sub.
func wrap(a scim.AttrPath, raw string) string {
	inner := raw
	if a.Sub != "" {
		inner = "{" + scim.Quote(a.Sub) + ":" + raw + "}"
	}
	inner = "{" + scim.Quote(a.Attr) + ":" + inner + "}"
	if a.URN != "" {
		inner = "{" + scim.Quote(a.URN) + ":" + inner + "}"
	}
	return inner
}

// singleLeaf unwraps a document holding one attribute, {"a": v},
// {"urn": {"a": v}}, and (when sub is true) {"a": {"b": v}}, and returns
// that attribute's path and value.
func singleLeaf(doc []byte, sub bool) (string, string, bool) {
	only := func(v gjson.Result) (string, gjson.Result, bool) {
		n := 0
		var key, val gjson.Result
		v.ForEach(func(k, vv gjson.Result) bool {
			n++
			key, val = k, vv
			return n < 2
		})
		return key.Str, val, n == 1 && v.IsObject()
	}
	k, v, ok := only(scim.Parse(doc))
	if !ok {
		return "", "", false
	}
	path := k
	if isURN(k) && v.IsObject() {
		if k, v, ok = only(v); !ok {
			return "", "", false
		}
		path += ":" + k
	}
	if sub && v.IsObject() {
		if k, v, ok = only(v); !ok {
			return "", "", false
		}
		path += "." + k
	}
	return path, v.Raw, true
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
