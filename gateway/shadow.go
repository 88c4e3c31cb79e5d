package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/gateway/store"
	"github.com/scimgw/scimgw/mappings"
	"github.com/scimgw/scimgw/mappings/scim"
)

// Shadow attributes: values a tenant's backend drops, kept by the gateway
// in its state store under (tenant, resource type, backend id), so that a
// client reads back what it wrote (tenants.<id>.shadow).
//
//   - On a create, replace or PATCH the dialect gets the body as ever
//     (its mapping drops them); once the backend has accepted the write
//     they are stored (the backend write comes first; a store write that fails
//     after it is retried, then logged and counted in
//     scimgw_state_errors_total{op="shadow_write"}, never dropped without
//     a word), and merged into the answer.
//   - Every answer that carries the resource (get, list, create, replace,
//     PATCH) has them merged in; a delete removes them.
//   - A filter on one (`externalId eq "x"`, alone or and-ed with others)
//     is answered through the store: the ids it indexes, each read from
//     the backend, the whole filter evaluated by the gateway.

// ShadowConfig is `shadow:` — "unheld" (every attribute the tenant's
// mapping does not send to the backend) or a list of attribute paths.
type ShadowConfig struct {
	Unheld bool
	Attrs  []string
}

// UnmarshalYAML takes "unheld" or a list of strings; the linter reports
// anything else at its line.
func (s *ShadowConfig) UnmarshalYAML(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.ScalarNode && n.Value == "unheld":
		s.Unheld = true
	case n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			s.Attrs = append(s.Attrs, c.Value)
		}
	}
	return nil
}

func (s ShadowConfig) set() bool { return s.Unheld || len(s.Attrs) > 0 }

// shadowAttr is one shadowed attribute of a resource type.
type shadowAttr struct {
	urn  string // "" for the core schema
	def  scim.Attribute
	key  string // the index name: the path, lower case
	core string // the resource type's core URN
}

// shadowSet is what a tenant shadows of one resource type; nil: nothing.
type shadowSet struct {
	rt    dialects.ResourceType
	attrs []shadowAttr
}

// never lists what is never shadowed: the identity, what the backend
// sets, what the RFC never returns (password), and membership.
var never = []string{"id", "meta", "schemas", "password", "groups", "members", "userName"}

// newShadows compiles a tenant's shadow config for each resource type;
// problems are returned as messages (the linter places them).
func newShadows(cfg ShadowConfig, m *mappings.Mapping, c dialects.Capabilities) (out [2]*shadowSet, problems []string) {
	if !cfg.set() {
		return out, nil
	}
	cands := map[dialects.ResourceType][]shadowCand{}
	// externalId is common to every resource type (RFC 7643 §3.1).
	externalID := scim.Attribute{Name: "externalId", Type: "string", CaseExact: true, Mutability: "readWrite", Returned: "default", Uniqueness: "none"}
	cands[dialects.User] = append(cands[dialects.User], shadowCand{"", externalID})
	if c.Groups {
		cands[dialects.Group] = append(cands[dialects.Group], shadowCand{"", externalID})
	}
	for _, a := range scim.UserSchemaDef.Attributes {
		cands[dialects.User] = append(cands[dialects.User], shadowCand{"", a})
	}
	for _, a := range scim.EnterpriseSchemaDef.Attributes {
		cands[dialects.User] = append(cands[dialects.User], shadowCand{scim.EnterpriseSchema, a})
	}
	if c.Groups {
		for _, a := range scim.GroupSchemaDef.Attributes {
			cands[dialects.Group] = append(cands[dialects.Group], shadowCand{"", a})
		}
	}
	holds := func(rt dialects.ResourceType, p scim.AttrPath) bool {
		if m == nil || m.Holds(rt, p) {
			return true
		}
		cd := candOf(cands[rt], p)
		if cd == nil {
			return false
		}
		for _, sa := range cd.def.SubAttributes {
			if m.Holds(rt, scim.AttrPath{URN: p.URN, Attr: p.Attr, Sub: sa.Name}) {
				return true
			}
		}
		return false
	}
	add := func(rt dialects.ResourceType, cd shadowCand) {
		if out[rt] == nil {
			out[rt] = &shadowSet{rt: rt}
		}
		p := scim.AttrPath{URN: cd.urn, Attr: cd.def.Name}
		out[rt].attrs = append(out[rt].attrs, shadowAttr{urn: cd.urn, def: cd.def, key: strings.ToLower(p.String()), core: rt.Schema()})
	}
	if cfg.Unheld {
		for _, rt := range []dialects.ResourceType{dialects.User, dialects.Group} {
			for _, cd := range cands[rt] {
				p := scim.AttrPath{URN: cd.urn, Attr: cd.def.Name}
				if scim.Pick(never, cd.def.Name) == "" && cd.def.Mutability != "readOnly" && !holds(rt, p) {
					add(rt, cd)
				}
			}
		}
		return out, nil
	}
	for _, name := range cfg.Attrs {
		p, err := scim.ParseAttrPath(name)
		if err != nil || p.Sub != "" {
			problems = append(problems, fmt.Sprintf("%q is not an attribute (a name, or an extension URN and a name; not a sub-attribute)", name))
			continue
		}
		if scim.Pick(never, p.Attr) != "" && p.URN == "" {
			problems = append(problems, fmt.Sprintf("%s cannot be shadowed: the backend must hold it (or it is never stored)", p.Attr))
			continue
		}
		found := false
		for _, rt := range []dialects.ResourceType{dialects.User, dialects.Group} {
			p := p
			if strings.EqualFold(p.URN, rt.Schema()) {
				p.URN = "" // the core schema named in full
			}
			cd := candOf(cands[rt], p)
			if cd == nil {
				continue
			}
			found = true
			if holds(rt, p) {
				problems = append(problems, fmt.Sprintf("%s is kept by the %s backend: shadow only what it drops", name, rt))
				continue
			}
			add(rt, *cd)
		}
		if !found {
			problems = append(problems, fmt.Sprintf("%s is not an attribute of a User or Group this tenant serves", name))
		}
	}
	return out, problems
}

// shadowCand is an attribute of a schema a tenant serves.
type shadowCand struct {
	urn string
	def scim.Attribute
}

func candOf(cands []shadowCand, p scim.AttrPath) *shadowCand {
	for i, c := range cands {
		if strings.EqualFold(c.urn, p.URN) && strings.EqualFold(c.def.Name, p.Attr) {
			return &cands[i]
		}
	}
	return nil
}

// find returns the shadowed attribute at path, or nil.
func (s *shadowSet) find(p scim.AttrPath) *shadowAttr {
	if s == nil {
		return nil
	}
	urn := p.URN
	if strings.EqualFold(urn, s.rt.Schema()) {
		urn = ""
	}
	for i, a := range s.attrs {
		if strings.EqualFold(a.urn, urn) && strings.EqualFold(a.def.Name, p.Attr) {
			return &s.attrs[i]
		}
	}
	return nil
}

// holds reports whether the set shadows the attribute (for the
// effective schema).
func (s *shadowSet) holds(p scim.AttrPath) bool {
	return s.find(scim.AttrPath{URN: p.URN, Attr: p.Attr}) != nil
}

// extract returns the shadowed attributes of a resource body (a JSON
// object in the resource's own shape). The body itself goes to the
// dialect unchanged: its mapping drops them, as it always did, and the
// dialect may still read them (FireHydrant derives a name from
// displayName).
func (s *shadowSet) extract(body []byte) []byte {
	var sh jsonObject
	scim.Parse(body).ForEach(func(k, v gjson.Result) bool {
		if strings.HasPrefix(strings.ToLower(k.Str), "urn:") && v.IsObject() {
			var sc jsonObject
			v.ForEach(func(sk, sv gjson.Result) bool {
				if s.find(scim.AttrPath{URN: k.Str, Attr: sk.Str}) != nil {
					sc.add(sk.Raw, []byte(sv.Raw))
				}
				return true
			})
			if sc.n > 0 {
				sh.add(k.Raw, sc.bytes())
			}
		} else if s.find(scim.AttrPath{Attr: k.Str}) != nil && v.Type != gjson.Null {
			sh.add(k.Raw, []byte(v.Raw))
		}
		return true
	})
	return sh.bytes()
}

// merge puts a resource's shadow attributes into its body: they replace
// what the backend answered for them (nothing, as it drops them).
func merge(body, shadow []byte) []byte {
	sh := scim.Parse(shadow)
	if !sh.IsObject() || len(sh.Map()) == 0 {
		return body
	}
	var o jsonObject
	done := map[string]bool{}
	scim.Parse(body).ForEach(func(k, v gjson.Result) bool {
		key, sv := scim.Member(sh, k.Str)
		switch {
		case key == "":
			o.add(k.Raw, []byte(v.Raw))
		case v.IsObject() && sv.IsObject():
			done[strings.ToLower(key)] = true
			o.add(k.Raw, merge([]byte(v.Raw), []byte(sv.Raw)))
		default:
			done[strings.ToLower(key)] = true
			o.add(k.Raw, []byte(sv.Raw))
		}
		return true
	})
	sh.ForEach(func(k, v gjson.Result) bool {
		if !done[strings.ToLower(k.Str)] {
			o.add(k.Raw, []byte(v.Raw))
		}
		return true
	})
	return o.bytes()
}

// index is what a shadow document is found by: every single-valued
// string attribute, by its lower-case path, its value lower-cased unless
// the attribute is case-exact (RFC 7643 §2.2).
func (s *shadowSet) index(shadow []byte) map[string]string {
	out := map[string]string{}
	for _, a := range s.attrs {
		if a.def.Type != "string" || a.def.MultiValued {
			continue
		}
		v := scim.Parse(shadow)
		if a.urn != "" {
			v = scim.Field(v, a.urn)
		}
		if v = scim.Field(v, a.def.Name); v.Type == gjson.String {
			out[a.key] = a.fold(v.Str)
		}
	}
	return out
}

func (a *shadowAttr) fold(v string) string {
	if a.def.CaseExact {
		return v
	}
	return strings.ToLower(v)
}

// shadowOps returns the operations on shadowed attributes, a path-less
// one reduced to its value's shadowed members; the dialect still gets
// every operation, and its mapping drops what it does not hold.
func (s *shadowSet) shadowOps(ops []scim.PatchOperation) []scim.PatchOperation {
	var out []scim.PatchOperation
	for _, op := range ops {
		if op.Path != "" {
			if p, err := scim.ParsePatchPath(op.Path); err == nil && s.find(p.Attr) != nil {
				out = append(out, op)
			}
			continue
		}
		if v := scim.Parse(op.Value); v.IsObject() {
			if sh := s.extract(op.Value); len(scim.Parse(sh).Map()) > 0 {
				out = append(out, scim.PatchOperation{Op: op.Op, Value: sh})
			}
		}
	}
	return out
}

// jsonObject builds an object from raw members.
type jsonObject struct {
	b bytes.Buffer
	n int
}

func (o *jsonObject) add(key string, raw []byte) {
	if o.n == 0 {
		o.b.WriteByte('{')
	} else {
		o.b.WriteByte(',')
	}
	o.n++
	o.b.WriteString(key)
	o.b.WriteByte(':')
	o.b.Write(raw)
}

func (o *jsonObject) bytes() []byte {
	if o.n == 0 {
		return []byte("{}")
	}
	return append(o.b.Bytes(), '}')
}

// shadowKey is the store key of a resource.
func shadowKey(t *tenant, rt dialects.ResourceType, id string) store.Key {
	return store.Key{Tenant: t.id, Type: rt.String(), ID: id}
}

// keepShadow stores a resource's shadow attributes after the backend
// accepted the write, retrying a failing store; a failure in the end is
// logged and counted (the backend write stands).
func (g *Gateway) keepShadow(ctx context.Context, t *tenant, rt dialects.ResourceType, id string, shadow []byte) {
	ctx = context.WithoutCancel(ctx)
	s := t.shadows[rt]
	var err error
	for attempt, pause := 1, 50*time.Millisecond; attempt <= 3; attempt, pause = attempt+1, 2*pause {
		if err = g.store.PutShadow(ctx, shadowKey(t, rt, id), shadow, s.index(shadow)); err == nil {
			return
		}
		time.Sleep(pause)
	}
	g.metrics.stateError(t.id, "shadow_write")
	t.log.Error("the backend accepted the write but its shadow attributes could not be stored: a read will not show them until the next write",
		zap.String("resource", rt.String()), zap.String("id", id), zap.Error(err))
}

// withShadow merges the stored shadow attributes of a resource answer.
func (g *Gateway) withShadow(ctx context.Context, t *tenant, rt dialects.ResourceType, body []byte) ([]byte, error) {
	if t.shadows[rt] == nil || len(body) == 0 {
		return body, nil
	}
	id := scim.Field(scim.Parse(body), "id").String()
	if id == "" {
		return body, nil
	}
	sh, err := g.store.Shadow(ctx, shadowKey(t, rt, id))
	if err != nil {
		return nil, g.errShadowRead(t, err)
	}
	return merge(body, sh), nil
}

// errShadowRead answers a read when the store cannot be reached: never a
// resource with some of its values missing.
func (g *Gateway) errShadowRead(t *tenant, err error) error {
	g.metrics.stateError(t.id, "shadow_read")
	g.stateLog.Error("state store unavailable: reads of shadowed attributes refused (logged once a second)", zap.String("tenant", t.id), zap.Error(err))
	return busy("the gateway's state store, which holds attributes this backend drops, is unavailable; retry later", err)
}

// withShadows merges the shadow attributes of every resource of a list,
// read from the store in one call.
func (g *Gateway) withShadows(ctx context.Context, t *tenant, rt dialects.ResourceType, body []byte) ([]byte, error) {
	if t.shadows[rt] == nil {
		return body, nil
	}
	doc := scim.Parse(body)
	resources := scim.Field(doc, "Resources").Array()
	ids := make([]string, 0, len(resources))
	for _, r := range resources {
		ids = append(ids, scim.Field(r, "id").String())
	}
	shadows, err := g.store.Shadows(ctx, t.id, rt.String(), ids)
	if err != nil {
		return nil, g.errShadowRead(t, err)
	}
	var o jsonObject
	doc.ForEach(func(k, v gjson.Result) bool {
		if k.Str != "Resources" || !v.IsArray() {
			o.add(k.Raw, []byte(v.Raw))
			return true
		}
		var arr bytes.Buffer
		arr.WriteByte('[')
		for i, r := range resources {
			if i > 0 {
				arr.WriteByte(',')
			}
			arr.Write(merge([]byte(r.Raw), shadows[ids[i]]))
		}
		arr.WriteByte(']')
		o.add(k.Raw, arr.Bytes())
		return true
	})
	return o.bytes(), nil
}

// shadowFilter finds the term of a filter the store answers: an eq on a
// shadowed attribute, alone or and-ed with others. ok is false when the
// filter names no shadowed attribute; any other use of one is refused.
func (s *shadowSet) shadowFilter(e *scim.Expr) (term *scim.Expr, a *shadowAttr, ok bool, err error) {
	if s == nil || e == nil || !s.mentions(e) {
		return nil, nil, false, nil
	}
	switch {
	case e.Kind == scim.Compare && e.Op == scim.OpEq && e.Value.Kind == scim.StringValue:
		if a := s.find(e.Path); a != nil && e.Path.Sub == "" && a.def.Type == "string" && !a.def.MultiValued {
			return e, a, true, nil
		}
	case e.Kind == scim.And:
		for _, side := range []*scim.Expr{e.Left, e.Right} {
			if term, a, ok, err := s.shadowFilter(side); ok && err == nil {
				return term, a, true, nil
			}
		}
	}
	return nil, nil, true, dialects.Errorf(http.StatusBadRequest, "invalidFilter",
		"this tenant keeps %s for its backend: a filter on them can only be an eq on one single-valued string, alone or and-ed with others", s.names())
}

func (s *shadowSet) mentions(e *scim.Expr) bool {
	switch e.Kind {
	case scim.And, scim.Or:
		return s.mentions(e.Left) || s.mentions(e.Right)
	case scim.Not:
		return s.mentions(e.Left)
	}
	return s.find(e.Path) != nil
}

func (s *shadowSet) names() string {
	var n []string
	for _, a := range s.attrs {
		n = append(n, scim.AttrPath{URN: a.urn, Attr: a.def.Name}.String())
	}
	return strings.Join(n, ", ")
}

// listShadowed answers a list whose filter names a shadowed attribute:
// the resources the store indexes under the term's value, read from the
// backend, merged, filtered by the whole filter, paged.
func (g *Gateway) listShadowed(ctx context.Context, t *tenant, rt dialects.ResourceType, q dialects.Query, term *scim.Expr, a *shadowAttr) (*dialects.Response, error) {
	ids, err := g.store.FindShadow(ctx, t.id, rt.String(), a.key, a.fold(term.Value.Str))
	if err != nil {
		return nil, g.errShadowRead(t, err)
	}
	var matched []json.RawMessage
	for _, id := range ids {
		resp, err := t.dialect.Do(ctx, &dialects.Request{Action: dialects.Get, Type: rt, ID: id})
		var de *dialects.Error
		if errors.As(err, &de) && de.Status == http.StatusNotFound {
			continue // deleted behind the gateway's back
		}
		if err != nil {
			return nil, err
		}
		body, err := g.withShadow(ctx, t, rt, resp.Body)
		if err != nil {
			return nil, err
		}
		if q.Filter.Match(scim.Parse(body)) {
			matched = append(matched, body)
		}
	}
	start := max(q.StartIndex, 1)
	page := matched[min(start-1, len(matched)):]
	if q.Count < len(page) {
		page = page[:q.Count]
	}
	if page == nil {
		page = []json.RawMessage{}
	}
	body, _ := json.Marshal(map[string]any{"schemas": []string{scim.ListResponseURN}, "totalResults": len(matched), "startIndex": start, "itemsPerPage": len(page), "Resources": page})
	return &dialects.Response{Status: http.StatusOK, Body: body}, nil
}

// patchShadow reads a resource's shadow attributes and applies the
// operations on them (RFC 7644 §3.5.2, by the gateway's PatchOp engine),
// returning the new document; a bad operation is refused before anything
// is written.
func (g *Gateway) patchShadow(ctx context.Context, t *tenant, rt dialects.ResourceType, id string, ops []scim.PatchOperation) ([]byte, error) {
	cur, err := g.store.Shadow(ctx, shadowKey(t, rt, id))
	if err != nil {
		return nil, g.errShadowRead(t, err)
	}
	if len(ops) == 0 {
		return cur, nil
	}
	doc := map[string]any{}
	if len(cur) > 0 {
		json.Unmarshal(cur, &doc)
	}
	next, err := scim.ApplyPatch(doc, ops)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(next)
	return b, nil
}
