package dialects

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
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
			buf.WriteByte('[')
			i := 0
			val.ForEach(func(_, el gjson.Result) bool {
				if i > 0 {
					buf.WriteByte(',')
				}
				i++
				keepSubs(&buf, el, subs)
				return true
			})
			buf.WriteByte(']')
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
	buf.WriteByte('{')
	n := 0
	obj.ForEach(func(key, val gjson.Result) bool {
		for _, s := range subs {
			if strings.EqualFold(s, key.Str) && val.Type != gjson.Null {
				if n > 0 {
					buf.WriteByte(',')
				}
				n++
				buf.WriteString(strconv.Quote(s))
				buf.WriteByte(':')
				buf.WriteString(val.Raw)
				break
			}
		}
		return true
	})
	buf.WriteByte('}')
}
