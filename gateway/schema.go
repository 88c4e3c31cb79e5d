package gateway

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/mappings"
	"github.com/scimgw/scimgw/mappings/scim"
)

// effective is a tenant's published schema (RFC 7643 §6, §7): for each
// resource type it serves, the attributes and sub-attributes its backend
// really keeps, which it requires, which it sets itself, and every
// extension schema its answers carry. It is compiled once, at load, from
// the RFC definitions, the tenant's compiled mapping and the dialect's
// capabilities, and /Schemas and /ResourceTypes are rendered from it.
type effective struct {
	types []effectiveType
}

// effectiveType is one resource type as the tenant serves it.
type effectiveType struct {
	rt   dialects.ResourceType
	core scim.Schema
	exts []scim.Schema
	note string // what the resource type's description adds
}

// newEffective compiles a tenant's schema; m may be nil (the RFC's).
func newEffective(m *mappings.Mapping, c dialects.Capabilities, sh [2]*shadowSet) *effective {
	e := &effective{}
	user := effectiveType{rt: dialects.User, core: filterSchema(scim.UserSchemaDef, "", m, dialects.User, c, sh[dialects.User])}
	if c.Enterprise {
		ent := filterSchema(scim.EnterpriseSchemaDef, scim.EnterpriseSchema, m, dialects.User, c, sh[dialects.User])
		ent.Attributes = ruleAttributes(ent.Attributes, m, dialects.User, scim.EnterpriseSchema, attrNames(scim.EnterpriseSchemaDef.Attributes)) // Genesys' dateHire
		if len(ent.Attributes) > 0 {
			user.exts = append(user.exts, ent)
		}
	}
	user.exts = append(user.exts, otherExtensions(m, dialects.User, c)...)
	e.types = append(e.types, user)
	if c.Groups {
		group := effectiveType{rt: dialects.Group, core: filterSchema(scim.GroupSchemaDef, "", m, dialects.Group, c, sh[dialects.Group])}
		group.exts = otherExtensions(m, dialects.Group, c)
		if c.GroupMembersOnly {
			group.note = " (members only: this backend's groups are created and deleted in the backend itself; POST and DELETE answer 501)"
		}
		e.types = append(e.types, group)
	}
	return e
}

// filterSchema keeps the attributes and sub-attributes of an RFC schema that
// the mapping forwards to the backend, and marks what the dialect says
// its backend requires or sets itself; what the tenant shadows (sh) is
// kept, by the gateway.
func filterSchema(s scim.Schema, urn string, m *mappings.Mapping, rt dialects.ResourceType, c dialects.Capabilities, sh *shadowSet) scim.Schema {
	out := s
	out.Attributes = nil
	// The mapping says what the backend keeps; what the dialect says the
	// backend sets itself is returned, and what it writes itself is kept:
	// both are published whatever the mapping.
	holds := func(p scim.AttrPath) bool {
		attr := scim.AttrPath{URN: p.URN, Attr: p.Attr}.String()
		return m == nil || m.Holds(rt, p) || scim.Pick(c.ReadOnly, attr) != "" || scim.Pick(c.Held, attr) != "" || sh.holds(p)
	}
	for _, a := range s.Attributes {
		p := scim.AttrPath{URN: urn, Attr: a.Name}
		var subs []scim.Attribute
		// Of an attribute the mapping holds, the mapping says which
		// sub-attributes (its sub: list).
		mapped := m != nil && m.Holds(rt, p)
		for _, sa := range a.SubAttributes {
			sp := scim.AttrPath{URN: urn, Attr: a.Name, Sub: sa.Name}
			if mapped && (m.Holds(rt, sp) || sh.holds(sp)) || !mapped && holds(sp) {
				subs = append(subs, adjust(sa, p.String()+"."+sa.Name, c))
			}
		}
		if !holds(p) && len(subs) == 0 {
			continue
		}
		a = adjust(a, p.String(), c)
		if len(a.SubAttributes) > 0 {
			if scim.Pick(c.ReadOnly, p.String()) != "" {
				for i := range subs {
					subs[i].Mutability = "readOnly" // the backend sets all of it
				}
			}
			a.SubAttributes = subs
		}
		out.Attributes = append(out.Attributes, a)
	}
	return out
}

// adjust applies the dialect's Required and ReadOnly to one attribute.
func adjust(a scim.Attribute, path string, c dialects.Capabilities) scim.Attribute {
	if scim.Pick(c.Required, path) != "" {
		a.Required = true
	}
	if scim.Pick(c.ReadOnly, path) != "" {
		a.Mutability = "readOnly"
		subs := make([]scim.Attribute, len(a.SubAttributes))
		for i, sa := range a.SubAttributes {
			sa.Mutability = "readOnly"
			subs[i] = sa
		}
		a.SubAttributes = subs
	}
	return a
}

// otherExtensions returns the extension schemas, other than the RFC's
// enterprise one, of a resource type: those the dialect defines, and
// those the mapping's rules name, whose attributes the dialect may not
// define (a string the client may write, or that only the backend sets
// when the rule drops it).
func otherExtensions(m *mappings.Mapping, rt dialects.ResourceType, c dialects.Capabilities) []scim.Schema {
	core := scim.UserSchema
	if rt == dialects.Group {
		core = scim.GroupSchema
	}
	var out []scim.Schema
	index := map[string]int{}
	for _, s := range c.Extensions {
		// An extension of Groups ends in ":Group"; any other is of Users.
		if strings.HasSuffix(s.ID, ":Group") == (rt == dialects.Group) {
			index[strings.ToLower(s.ID)] = len(out)
			s.Attributes = append([]scim.Attribute(nil), s.Attributes...)
			out = append(out, s)
		}
	}
	if m != nil {
		for _, urn := range m.Extensions(rt) {
			if strings.EqualFold(urn, core) {
				continue
			}
			i, ok := index[strings.ToLower(urn)]
			if !ok {
				i = len(out)
				index[strings.ToLower(urn)] = i
				out = append(out, scim.Schema{ID: urn, Name: urn[strings.LastIndexByte(urn, ':')+1:], Description: "Extension attributes this tenant's mapping names"})
			}
			out[i].Attributes = ruleAttributes(out[i].Attributes, m, rt, urn, nil)
		}
	}
	for i := range out {
		for j, a := range out[i].Attributes {
			out[i].Attributes[j] = adjust(a, out[i].ID+":"+a.Name, c)
		}
	}
	return out
}

// ruleAttributes adds to attrs the attributes of the extension urn that
// the mapping's rules name and attrs lacks: strings a client may write, or
// that only the backend sets when the rule drops them. Names in defined
// belong to the RFC's schema: a rule that drops one means the backend does
// not keep it.
func ruleAttributes(attrs []scim.Attribute, m *mappings.Mapping, rt dialects.ResourceType, urn string, defined []string) []scim.Attribute {
	if m == nil {
		return attrs
	}
	for _, r := range m.ExtensionRules(rt, urn) {
		if scim.Pick(attrNames(attrs), r.Attr) != "" || scim.Pick(defined, r.Attr) != "" {
			continue
		}
		a := scim.Attr(r.Attr, "string", "Named by this tenant's mapping.")
		if !r.Sent {
			a = a.ReadOnly()
		}
		attrs = append(attrs, a)
	}
	return attrs
}

func attrNames(attrs []scim.Attribute) []string {
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = a.Name
	}
	return names
}

// Schema describes a tenant's effective schema without starting anything:
// its /Schemas and /ResourceTypes documents (asJSON), or a listing of every
// attribute with its type and what the backend does with it, for a mapping
// author to see what a mapping implies.
func Schema(cfg *Config, reg *dialects.Registry, tenantID string, asJSON bool) (string, error) {
	t, tc, err := offlineTenant(cfg, reg, tenantID, &recorder{})
	if err != nil {
		return "", err
	}
	if asJSON {
		var doc struct {
			Schemas       json.RawMessage `json:"Schemas"`
			ResourceTypes json.RawMessage `json:"ResourceTypes"`
		}
		doc.Schemas, doc.ResourceTypes = t.discovery.schemas, t.discovery.resourceTypes
		b, _ := json.MarshalIndent(doc, "", "  ")
		return string(b) + "\n", nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tenant %s (dialect %s): what its backend keeps, as /Schemas publishes it\n", tenantID, tc.Dialect)
	for _, et := range t.effective.types {
		fmt.Fprintf(&b, "\n%s%s\n", et.rt, et.note)
		for _, s := range append([]scim.Schema{et.core}, et.exts...) {
			fmt.Fprintf(&b, "  %s\n", s.ID)
			for _, a := range s.Attributes {
				describeAttr(&b, "    ", a)
				for _, sa := range a.SubAttributes {
					describeAttr(&b, "      .", sa)
				}
			}
		}
	}
	return b.String(), nil
}

func describeAttr(b *strings.Builder, indent string, a scim.Attribute) {
	typ := a.Type
	if a.MultiValued {
		typ += "[]"
	}
	var flags []string
	if a.Required {
		flags = append(flags, "required")
	}
	if a.Mutability != "readWrite" {
		flags = append(flags, a.Mutability)
	}
	if a.Returned != "default" {
		flags = append(flags, "returned "+a.Returned)
	}
	b.WriteString(strings.TrimRight(fmt.Sprintf("%-30s %-10s %s", indent+a.Name, typ, strings.Join(flags, ", ")), " ") + "\n")
}
