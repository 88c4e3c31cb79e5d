package gateway

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/mappings/scim"
)

// location is the public URL of a resource (RFC 7644 §3.1 Location).
func (t *tenant) location(rt dialects.ResourceType, id string) string {
	if id == "" {
		return ""
	}
	return t.base + "/" + rt.Endpoint() + "/" + url.PathEscape(id)
}

// resourceReply normalises a dialect's resource and applies the projection.
func (t *tenant) resourceReply(rt dialects.ResourceType, resp *dialects.Response, proj projection) (*reply, error) {
	if resp.Status == http.StatusNotModified {
		return &reply{status: http.StatusNotModified, etag: resp.ETag}, nil
	}
	n, err := t.normalize(rt, resp.Body)
	if err != nil {
		return nil, err
	}
	etag := resp.ETag
	if etag == "" {
		etag = n.version
	}
	return &reply{status: resp.Status, body: proj.apply(n.body), etag: etag, id: n.id}, nil
}

// normalize makes a backend resource clean SCIM 2.0 for this tenant:
// correct "schemas", meta.resourceType and meta.location, every $ref
// pointing at the gateway, and no password (RFC 7643 §4.1.1: returned
// never). It rewrites the document in one pass over its members; member
// order does not matter in JSON, so "schemas" and "meta" go last.
func (t *tenant) normalize(rt dialects.ResourceType, body []byte) (normalized, error) {
	doc := scim.Parse(body)
	if !doc.IsObject() {
		return normalized{}, dialects.Errorf(http.StatusBadGateway, "", "backend returned a %s that is not a JSON object", rt)
	}
	var buf bytes.Buffer
	buf.Grow(len(body) + 192)
	buf.WriteByte('{')
	var id, meta gjson.Result
	var exts [4]string
	extensions := exts[:0]
	doc.ForEach(func(k, v gjson.Result) bool {
		name := k.Str
		switch {
		case scim.FoldEq(name, "schemas"), scim.FoldEq(name, "password"):
			return true
		case scim.FoldEq(name, "meta"):
			meta = v
			return true
		case scim.FoldEq(name, "id"):
			id = v
		case isExtension(name, v):
			extensions = append(extensions, k.Raw)
		}
		buf.WriteString(k.Raw)
		buf.WriteByte(':')
		switch {
		case v.IsArray() && (scim.FoldEq(name, "members") || scim.FoldEq(name, "groups") || strings.Contains(v.Raw, "ref")):
			t.writeRefArray(&buf, v)
		case len(extensions) > 0 && extensions[len(extensions)-1] == k.Raw && strings.Contains(v.Raw, "ref"):
			t.writeRefObject(&buf, v) // an extension (isExtension above): the enterprise manager, IdentityIQ's references
		default:
			buf.WriteString(v.Raw)
		}
		buf.WriteByte(',')
		return true
	})
	if id.Type != gjson.String || id.Str == "" {
		return normalized{}, dialects.Errorf(http.StatusBadGateway, "", "backend returned a %s without an id", rt)
	}
	var version string
	buf.WriteString(`"schemas":["`)
	buf.WriteString(rt.Schema())
	buf.WriteByte('"')
	for _, e := range extensions {
		buf.WriteByte(',')
		buf.WriteString(e)
	}
	buf.WriteString(`],"meta":{`)
	if meta.IsObject() {
		meta.ForEach(func(k, v gjson.Result) bool {
			if scim.FoldEq(k.Str, "version") {
				version = v.String()
			}
			if !scim.FoldEq(k.Str, "resourceType") && !scim.FoldEq(k.Str, "location") {
				buf.WriteString(k.Raw)
				buf.WriteByte(':')
				buf.WriteString(v.Raw)
				buf.WriteByte(',')
			}
			return true
		})
	}
	buf.WriteString(`"resourceType":"`)
	buf.WriteString(rt.String())
	buf.WriteString(`","location":`)
	buf.WriteString(scim.Quote(t.location(rt, id.Str)))
	buf.WriteString("}}")
	return normalized{body: buf.Bytes(), id: id.Str, version: version}, nil
}

// normalized is a resource in clean SCIM 2.0, with its id and meta.version.
type normalized struct {
	body        []byte
	id, version string
}

// isExtension reports whether a member is a schema extension object.
func isExtension(key string, v gjson.Result) bool {
	return len(key) > 4 && strings.EqualFold(key[:4], "urn:") && v.IsObject()
}

// writeRefArray copies a multi-valued attribute, rewriting the $ref of
// every element in one pass, so large groups cost linear time.
func (t *tenant) writeRefArray(buf *bytes.Buffer, arr gjson.Result) {
	scim.WriteArray(buf, arr, t.writeRef)
}

// writeRef copies a complex value with its $ref pointing at the gateway,
// or without it when it names a backend resource the gateway does not
// serve.
func (t *tenant) writeRef(buf *bytes.Buffer, el gjson.Result) {
	if !el.IsObject() || !strings.Contains(el.Raw, "ref") { // "$ref", escaped or not
		buf.WriteString(el.Raw)
		return
	}
	buf.WriteByte('{')
	n := 0
	el.ForEach(func(k, v gjson.Result) bool {
		val := v.Raw
		if k.Str == "$ref" && v.Type == gjson.String {
			nr, keep := t.rewriteRef(v.Str)
			if !keep {
				return true
			}
			if nr != v.Str {
				val = scim.Quote(nr)
			}
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		buf.WriteString(k.Raw)
		buf.WriteByte(':')
		buf.WriteString(val)
		return true
	})
	buf.WriteByte('}')
}

// writeRefObject copies an extension object, fixing the $ref of its
// complex attributes, single- or multi-valued (IdentityIQ's
// administrator, regionOwner, roles, entitlements, accounts).
func (t *tenant) writeRefObject(buf *bytes.Buffer, obj gjson.Result) {
	buf.WriteByte('{')
	n := 0
	obj.ForEach(func(k, v gjson.Result) bool {
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		buf.WriteString(k.Raw)
		buf.WriteByte(':')
		switch {
		case v.IsArray():
			t.writeRefArray(buf, v)
		case v.IsObject():
			t.writeRef(buf, v)
		default:
			buf.WriteString(v.Raw)
		}
		return true
	})
	buf.WriteByte('}')
}

// rewriteRef points a backend resource URL at the gateway: whatever its
// host and base, ".../Users/{id}" becomes "{tenant base}/Users/{id}".
// keep is false for a backend SCIM URL of another resource type, which the
// gateway does not serve: such a $ref is left out rather than leak the
// backend's address.
func (t *tenant) rewriteRef(ref string) (out string, keep bool) {
	for _, ep := range [...]string{"Users", "Groups"} {
		if i := lastIndexFold(ref, "/"+ep+"/"); i >= 0 {
			return t.base + "/" + ep + ref[i+len(ep)+1:], true
		}
	}
	return ref, lastIndexFold(ref, "/scim/") < 0
}

// lastIndexFold is strings.LastIndex ignoring ASCII case, without allocating.
func lastIndexFold(s, sub string) int {
	for i := len(s) - len(sub); i >= 0; i-- {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// listBody renders a ListResponse (RFC 7644 §3.4.2) from a backend list:
// every resource normalised and projected, itemsPerPage counted, at most
// q.Count resources even if the backend returned more.
func (t *tenant) listBody(rt dialects.ResourceType, body []byte, q dialects.Query, proj projection) ([]byte, error) {
	doc := scim.Parse(body)
	if !doc.IsObject() {
		return nil, dialects.Errorf(http.StatusBadGateway, "", "backend returned a list that is not a JSON object")
	}
	resources := scim.Field(doc, "Resources")
	var items bytes.Buffer
	n := 0
	var err error
	resources.ForEach(func(_, r gjson.Result) bool {
		if n >= q.Count {
			return false
		}
		var out normalized
		if out, err = t.normalize(rt, []byte(r.Raw)); err != nil {
			return false
		}
		if n > 0 {
			items.WriteByte(',')
		}
		items.Write(proj.apply(out.body))
		n++
		return true
	})
	if err != nil {
		return nil, err
	}
	total := int(scim.Field(doc, "totalResults").Int())
	if !scim.Field(doc, "totalResults").Exists() {
		total = len(resources.Array())
	}
	start := q.StartIndex
	if s := scim.Field(doc, "startIndex"); s.Exists() && s.Int() > 0 {
		start = int(s.Int())
	}
	var buf bytes.Buffer
	buf.Grow(items.Len() + 160)
	buf.WriteString(`{"schemas":["` + scim.ListResponseURN + `"],"totalResults":`)
	buf.WriteString(strconv.Itoa(total))
	buf.WriteString(`,"startIndex":`)
	buf.WriteString(strconv.Itoa(start))
	buf.WriteString(`,"itemsPerPage":`)
	buf.WriteString(strconv.Itoa(n))
	buf.WriteString(`,"Resources":[`)
	buf.Write(items.Bytes())
	buf.WriteString(`]}`)
	return buf.Bytes(), nil
}

// projection is the attributes / excludedAttributes of a request
// (RFC 7644 §3.4.2.5), applied by the gateway to every resource it returns.
type projection struct {
	include, exclude []scim.AttrPath
}

func projectionFrom(attributes, excluded string) (projection, error) {
	var p projection
	var err error
	if p.include, err = parseAttrList(attributes); err != nil {
		return p, err
	}
	if p.exclude, err = parseAttrList(excluded); err != nil {
		return p, err
	}
	return p, nil
}

func parseAttrList(s string) ([]scim.AttrPath, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []scim.AttrPath
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := scim.ParseAttrPath(part)
		if err != nil {
			return nil, dialects.Errorf(http.StatusBadRequest, "invalidValue", "attributes: %v", err)
		}
		out = append(out, p)
	}
	return out, nil
}

func (p projection) active() bool { return len(p.include) > 0 || len(p.exclude) > 0 }

// apply returns the resource with only the requested attributes. "id" and
// "schemas" are always returned (RFC 7643 §3.1, returned "always").
func (p projection) apply(body []byte) []byte {
	if !p.active() {
		return body
	}
	doc := scim.Parse(body)
	var buf bytes.Buffer
	buf.Grow(len(body))
	buf.WriteByte('{')
	n := 0
	emit := func(key string, raw []byte) {
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		buf.WriteString(scim.Quote(key))
		buf.WriteByte(':')
		buf.Write(raw)
	}
	doc.ForEach(func(k, v gjson.Result) bool {
		switch {
		case strings.EqualFold(k.Str, "id") || strings.EqualFold(k.Str, "schemas"):
			emit(k.Str, []byte(v.Raw))
		case strings.HasPrefix(strings.ToLower(k.Str), "urn:") && v.IsObject():
			if raw, ok := p.object(k.Str, v); ok {
				emit(k.Str, raw)
			}
		default:
			if raw, ok := p.attribute(scim.AttrPath{Attr: k.Str}, v); ok {
				emit(k.Str, raw)
			}
		}
		return true
	})
	buf.WriteByte('}')
	return buf.Bytes()
}

// object projects an extension object: its attributes are named urn:attr.
func (p projection) object(urn string, v gjson.Result) ([]byte, bool) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	n := 0
	v.ForEach(func(k, sv gjson.Result) bool {
		if raw, ok := p.attribute(scim.AttrPath{URN: urn, Attr: k.Str}, sv); ok {
			if n > 0 {
				buf.WriteByte(',')
			}
			n++
			buf.WriteString(scim.Quote(k.Str))
			buf.WriteByte(':')
			buf.Write(raw)
		}
		return true
	})
	buf.WriteByte('}')
	return buf.Bytes(), n > 0
}

// attribute decides one attribute: kept whole, dropped, or kept with only
// some sub-attributes.
func (p projection) attribute(a scim.AttrPath, v gjson.Result) ([]byte, bool) {
	if len(p.include) > 0 {
		var subs []string
		for _, in := range p.include {
			if sameAttr(in, a) {
				if in.Sub == "" {
					return []byte(v.Raw), true
				}
				subs = append(subs, in.Sub)
			}
		}
		if subs == nil {
			return nil, false
		}
		return filterSubs(v, func(s string) bool { return scim.Pick(subs, s) != "" }), true
	}
	var drop []string
	for _, ex := range p.exclude {
		if sameAttr(ex, a) {
			if ex.Sub == "" {
				return nil, false
			}
			drop = append(drop, ex.Sub)
		}
	}
	if drop == nil {
		return []byte(v.Raw), true
	}
	return filterSubs(v, func(s string) bool { return scim.Pick(drop, s) == "" }), true
}

// sameAttr reports whether path p (from a request) names attribute a.
func sameAttr(p, a scim.AttrPath) bool {
	if !strings.EqualFold(p.Attr, a.Attr) {
		return false
	}
	if a.URN == "" {
		return p.URN == "" || strings.EqualFold(p.URN, scim.UserSchema) || strings.EqualFold(p.URN, scim.GroupSchema)
	}
	return strings.EqualFold(p.URN, a.URN)
}

// filterSubs keeps the sub-attributes of a complex value, or of each
// element of a multi-valued one, for which keep is true.
func filterSubs(v gjson.Result, keep func(string) bool) []byte {
	one := func(buf *bytes.Buffer, obj gjson.Result) {
		if !obj.IsObject() {
			buf.WriteString(obj.Raw)
			return
		}
		scim.WriteMembers(buf, obj, func(k string) string {
			if keep(k) {
				return k
			}
			return ""
		})
	}
	var buf bytes.Buffer
	if v.IsArray() {
		scim.WriteArray(&buf, v, one)
	} else {
		one(&buf, v)
	}
	return buf.Bytes()
}
