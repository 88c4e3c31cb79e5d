package scim

import (
	"bytes"
	"encoding/json"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Writer is what JSON is written to: a *bytes.Buffer or a *strings.Builder.
type Writer interface {
	WriteByte(c byte) error
	WriteString(s string) (int, error)
}

// WriteArray writes arr as a JSON array whose elements each writes to w,
// in one pass and without decoding.
func WriteArray[W Writer](w W, arr gjson.Result, each func(W, gjson.Result)) {
	w.WriteByte('[')
	i := 0
	arr.ForEach(func(_, el gjson.Result) bool {
		if i > 0 {
			w.WriteByte(',')
		}
		i++
		each(w, el)
		return true
	})
	w.WriteByte(']')
}

// WriteMembers writes the members of object obj for which name returns a
// non-empty name, under that name; it reports how many it wrote.
func WriteMembers(buf *bytes.Buffer, obj gjson.Result, name func(key string) string) int {
	buf.WriteByte('{')
	n := 0
	obj.ForEach(func(k, v gjson.Result) bool {
		out := name(k.Str)
		if out == "" || v.Type == gjson.Null {
			return true
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		if out == k.Str {
			buf.WriteString(k.Raw)
		} else {
			buf.WriteString(Quote(out))
		}
		buf.WriteByte(':')
		buf.WriteString(v.Raw)
		return true
	})
	buf.WriteByte('}')
	return n
}

// Pick returns the entry of names equal to key ignoring case, or "".
func Pick(names []string, key string) string {
	for _, n := range names {
		if strings.EqualFold(n, key) {
			return n
		}
	}
	return ""
}

// FoldEq reports whether two names are equal ignoring case (RFC 7643
// §2.1), with the cheap length test first.
func FoldEq(a, b string) bool { return len(a) == len(b) && strings.EqualFold(a, b) }

// Quote returns s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does; Go's strconv.Quote would write \x escapes, which
// are not JSON.
func Quote(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			b, _ := json.Marshal(s)
			return string(b)
		}
	}
	return `"` + s + `"`
}

// Parse parses JSON without copying it, as gjson.GetBytes does: the results
// refer to b, which must not change while they are in use. Request and
// response bodies are never changed once read, so the hot path uses this
// instead of gjson.ParseBytes, which copies the whole document.
func Parse(b []byte) gjson.Result {
	if len(b) == 0 {
		return gjson.Result{}
	}
	return gjson.Parse(unsafeString(b))
}

// unsafeString views b as a string without copying; b must not change
// while the string is in use.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
