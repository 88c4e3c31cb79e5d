package mappings

import (
	"encoding/json"
	"strings"

	"github.com/scimgw/scimgw/mappings/scim"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// step is one value transformation, compiled at load time. It takes a JSON
// value and returns the transformed JSON, or ok=false to drop the value.
type step func(v gjson.Result) (raw string, ok bool)

// steps is a compiled pipeline of transformations.
type steps []step

// apply runs the pipeline; nil steps return the value unchanged.
func (ss steps) apply(v gjson.Result) (string, bool) {
	raw := v.Raw
	for i, s := range ss {
		if i > 0 {
			v = gjson.Parse(raw)
		}
		var ok bool
		if raw, ok = s(v); !ok {
			return "", false
		}
	}
	return raw, true
}

// eachElement applies f to a scalar, or to every element of an array.
func eachElement(f func(gjson.Result) string) step {
	return func(v gjson.Result) (string, bool) {
		if !v.IsArray() {
			return f(v), true
		}
		var buf strings.Builder
		buf.Grow(len(v.Raw))
		scim.WriteArray(&buf, v, func(buf *strings.Builder, el gjson.Result) { buf.WriteString(f(el)) })
		return buf.String(), true
	}
}

// valueMap maps scalar values (compared as strings, case-insensitively);
// values not in the map pass unchanged.
func valueMap(m map[string]string) step {
	lower := make(map[string]string, len(m))
	for k, v := range m {
		lower[strings.ToLower(k)] = v
	}
	return eachElement(func(v gjson.Result) string {
		if v.IsObject() || v.IsArray() {
			return v.Raw
		}
		if out, ok := lower[strings.ToLower(v.String())]; ok {
			return out
		}
		return v.Raw
	})
}

// toString turns booleans and numbers into strings ("true", "42").
var toString = eachElement(func(v gjson.Result) string {
	switch v.Type {
	case gjson.True, gjson.False, gjson.Number:
		return scim.Quote(v.Raw)
	}
	return v.Raw
})

// toBool turns the strings "true" and "false" (any case) into booleans.
var toBool = eachElement(func(v gjson.Result) string {
	if v.Type == gjson.String {
		switch strings.ToLower(strings.TrimSpace(v.Str)) {
		case "true":
			return "true"
		case "false":
			return "false"
		}
	}
	return v.Raw
})

// toArray wraps a single value into a one-element array.
func toArray(v gjson.Result) (string, bool) {
	if v.IsArray() {
		return v.Raw, true
	}
	return "[" + v.Raw + "]", true
}

// toSingle keeps the primary element of an array, or its first.
func toSingle(v gjson.Result) (string, bool) {
	if !v.IsArray() {
		return v.Raw, true
	}
	el := primaryOrFirst(v)
	if !el.Exists() {
		return "", false
	}
	return el.Raw, true
}

func primaryOrFirst(arr gjson.Result) gjson.Result {
	var first, primary gjson.Result
	arr.ForEach(func(_, el gjson.Result) bool {
		if !first.Exists() {
			first = el
		}
		if p := el.Get("primary"); p.Type == gjson.True || (p.Type == gjson.String && strings.EqualFold(p.Str, "true")) {
			primary = el
			return false
		}
		return true
	})
	if primary.Exists() {
		return primary
	}
	return first
}

// keepOne keeps only the primary (or the first) element, as an array.
func keepOne(primary bool) step {
	return func(v gjson.Result) (string, bool) {
		if !v.IsArray() {
			return v.Raw, true
		}
		var el gjson.Result
		if primary {
			el = primaryOrFirst(v)
		} else {
			el = v.Get("0")
		}
		if !el.Exists() {
			return "[]", true
		}
		return "[" + el.Raw + "]", true
	}
}

// toJSONString encodes an array (or any value) as a JSON string.
func toJSONString(v gjson.Result) (string, bool) {
	if v.Type == gjson.String {
		return v.Raw, true
	}
	b, _ := json.Marshal(v.Raw)
	return string(b), true
}

// fromJSONString decodes a JSON-encoded string back into its value.
func fromJSONString(v gjson.Result) (string, bool) {
	if v.Type == gjson.String && gjson.Valid(v.Str) {
		return v.Str, true
	}
	return v.Raw, true
}

// toStrings turns complex values into plain strings: their sub-attribute sub.
func toStrings(sub string) step {
	return eachElement(func(el gjson.Result) string {
		if el.IsObject() {
			if s := fieldFold(el, sub); s.Exists() {
				return s.Raw
			}
			return "null"
		}
		return el.Raw
	})
}

// fromStrings turns plain strings into complex values {sub: string}.
func fromStrings(sub string) step {
	key := scim.Quote(sub)
	return eachElement(func(el gjson.Result) string {
		if el.IsObject() {
			return el.Raw
		}
		return "{" + key + ":" + el.Raw + "}"
	})
}

// keepSubs keeps only the listed sub-attributes of complex values.
func keepSubs(subs []string) step {
	return eachElement(func(el gjson.Result) string {
		if !el.IsObject() {
			return el.Raw
		}
		var buf strings.Builder
		buf.Grow(len(el.Raw))
		buf.WriteByte('{')
		n := 0
		el.ForEach(func(k, v gjson.Result) bool {
			for _, s := range subs {
				if strings.EqualFold(s, k.Str) && v.Type != gjson.Null {
					if n > 0 {
						buf.WriteByte(',')
					}
					n++
					buf.WriteString(scim.Quote(s))
					buf.WriteByte(':')
					buf.WriteString(v.Raw)
					break
				}
			}
			return true
		})
		buf.WriteByte('}')
		return buf.String()
	})
}

// mapTypes maps the "type" sub-attribute of complex values.
func mapTypes(m map[string]string) step {
	inner := valueMap(m)
	return eachElement(func(el gjson.Result) string {
		if !el.IsObject() {
			return el.Raw
		}
		key, t := scim.Member(el, "type")
		if !t.Exists() {
			return el.Raw
		}
		mapped, _ := inner(t)
		if mapped == t.Raw {
			return el.Raw
		}
		out, err := sjson.SetRaw(el.Raw, gjson.Escape(key), mapped)
		if err != nil {
			return el.Raw
		}
		return out
	})
}

// fieldFold returns obj's member named name, ignoring case.
func fieldFold(obj gjson.Result, name string) gjson.Result {
	_, v := scim.Member(obj, name)
	return v
}
