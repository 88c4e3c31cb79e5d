package dialects

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// Keep lists the attributes a backend models: for each top-level attribute
// (in its canonical spelling) nil keeps the whole value, and a list keeps
// only those sub-attributes of a complex or multi-valued complex value.
type Keep map[string][]string

// Apply returns obj with only the kept attributes, spelled canonically;
// names in obj match case-insensitively. It writes JSON directly, without
// decoding into maps.
func (k Keep) Apply(obj []byte) ([]byte, error) {
	doc := gjson.ParseBytes(obj)
	if !doc.IsObject() {
		return nil, Errorf(http.StatusBadRequest, "invalidSyntax", "resource is not a JSON object")
	}
	var buf bytes.Buffer
	buf.Grow(len(obj))
	buf.WriteByte('{')
	n := 0
	doc.ForEach(func(key, val gjson.Result) bool {
		name, subs, ok := k.lookup(key.Str)
		if !ok || val.Type == gjson.Null {
			return true
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		buf.WriteString(strconv.Quote(name))
		buf.WriteByte(':')
		switch {
		case subs == nil:
			buf.WriteString(val.Raw)
		case val.IsArray():
			scim.WriteArray(&buf, val, func(buf *bytes.Buffer, el gjson.Result) { keepSubs(buf, el, subs) })
		default:
			keepSubs(&buf, val, subs)
		}
		return true
	})
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func (k Keep) lookup(name string) (string, []string, bool) {
	if subs, ok := k[name]; ok {
		return name, subs, true
	}
	for canon, subs := range k {
		if strings.EqualFold(canon, name) {
			return canon, subs, true
		}
	}
	return "", nil, false
}

func keepSubs(buf *bytes.Buffer, obj gjson.Result, subs []string) {
	if !obj.IsObject() {
		buf.WriteString(obj.Raw)
		return
	}
	scim.WriteMembers(buf, obj, func(k string) string { return scim.Pick(subs, k) })
}

// ApplyPatch drops from a PatchOp message the operations on attributes the
// backend does not model, and trims path-less values to the kept
// attributes. It reports how many operations remain.
func (k Keep) ApplyPatch(t ResourceType, body []byte) ([]byte, int, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"schemas":["` + scim.PatchOpURN + `"],"Operations":[`)
	n := 0
	var err error
	gjson.GetBytes(body, "Operations").ForEach(func(_, op gjson.Result) bool {
		path := scim.Field(op, "path").String()
		val := scim.Field(op, "value")
		if path != "" {
			pp, perr := scim.ParsePatchPath(path)
			if perr != nil {
				err = Errorf(http.StatusBadRequest, "invalidPath", "%v", perr)
				return false
			}
			if pp.Attr.URN != "" && !strings.EqualFold(pp.Attr.URN, t.Schema()) {
				return true
			}
			_, subs, ok := k.lookup(pp.Attr.Attr)
			sub := pp.Attr.Sub
			if sub == "" {
				sub = pp.Sub
			}
			if !ok || (sub != "" && subs != nil && scim.Pick(subs, sub) == "") {
				return true
			}
		} else if val.IsObject() {
			trimmed, kerr := k.Apply([]byte(val.Raw))
			if kerr != nil {
				err = kerr
				return false
			}
			if string(trimmed) == "{}" {
				return true
			}
			val = gjson.ParseBytes(trimmed)
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		buf.WriteString(`{"op":` + strconv.Quote(strings.ToLower(scim.Field(op, "op").String())))
		if path != "" {
			buf.WriteString(`,"path":` + strconv.Quote(path))
		}
		if val.Exists() {
			buf.WriteString(`,"value":` + val.Raw)
		}
		buf.WriteByte('}')
		return true
	})
	if err != nil {
		return nil, 0, err
	}
	buf.WriteString("]}")
	return buf.Bytes(), n, nil
}
