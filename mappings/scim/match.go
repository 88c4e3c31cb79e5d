package scim

import (
	"strings"

	"github.com/tidwall/gjson"
)

// Match reports whether the resource (a JSON object) satisfies the filter,
// following RFC 7644 §3.4.2.2: attribute names are case-insensitive, a
// multi-valued attribute matches when any of its values does, a complex
// multi-valued attribute without a sub-attribute compares its "value", and
// strings compare case-insensitively unless the attribute is caseExact.
func (e *Expr) Match(doc gjson.Result) bool {
	switch e.Kind {
	case And:
		return e.Left.Match(doc) && e.Right.Match(doc)
	case Or:
		return e.Left.Match(doc) || e.Right.Match(doc)
	case Not:
		return !e.Left.Match(doc)
	case ValuePath:
		v := Lookup(doc, AttrPath{URN: e.Path.URN, Attr: e.Path.Attr})
		found := false
		eachValue(v, func(el gjson.Result) bool {
			found = e.Left.Match(el)
			return !found
		})
		return found
	}
	v := Lookup(doc, e.Path)
	if e.Op == OpNe {
		return !compare(OpEq, v, e.Value, caseExact(e.Path))
	}
	if e.Op == OpPr {
		return present(v)
	}
	return compare(e.Op, v, e.Value, caseExact(e.Path))
}

// Lookup returns the value at path in doc, matching names case-insensitively.
// For a multi-valued complex attribute and a sub-attribute, it returns the
// array of the sub-attribute's values.
func Lookup(doc gjson.Result, p AttrPath) gjson.Result {
	base := doc
	if p.URN != "" && !strings.EqualFold(p.URN, UserSchema) && !strings.EqualFold(p.URN, GroupSchema) {
		base = Field(doc, p.URN)
	}
	v := Field(base, p.Attr)
	if p.Sub == "" || !v.Exists() {
		return v
	}
	if v.IsArray() {
		var b strings.Builder
		b.WriteByte('[')
		n := 0
		v.ForEach(func(_, el gjson.Result) bool {
			if s := Field(el, p.Sub); s.Exists() {
				if n > 0 {
					b.WriteByte(',')
				}
				b.WriteString(s.Raw)
				n++
			}
			return true
		})
		b.WriteByte(']')
		return gjson.Parse(b.String())
	}
	return Field(v, p.Sub)
}

// Field returns the member of object obj whose name equals name, ignoring case.
// An exact match is tried first, since it is the common case and costs no scan.
func Field(obj gjson.Result, name string) gjson.Result {
	if !obj.IsObject() {
		return gjson.Result{}
	}
	var out gjson.Result
	obj.ForEach(func(k, v gjson.Result) bool {
		if k.Str == name {
			out = v
			return false
		}
		if !out.Exists() && strings.EqualFold(k.Str, name) {
			out = v
		}
		return true
	})
	return out
}

// Member returns the key, as written, and the value of obj's member named
// name ignoring case; the key is "" when there is none.
func Member(obj gjson.Result, name string) (string, gjson.Result) {
	var key string
	var out gjson.Result
	obj.ForEach(func(k, v gjson.Result) bool {
		if strings.EqualFold(k.Str, name) {
			key, out = k.Str, v
			return false
		}
		return true
	})
	return key, out
}

// caseExact reports whether string comparisons on the attribute are
// case-sensitive (RFC 7643 §3.1 "id", §3.1 "externalId", and references).
func caseExact(p AttrPath) bool {
	switch {
	case p.Sub == "" && (strings.EqualFold(p.Attr, "id") || strings.EqualFold(p.Attr, "externalId")):
		return true
	case strings.EqualFold(p.Sub, "$ref") || strings.EqualFold(p.Attr, "$ref"):
		return true
	case strings.EqualFold(p.Sub, "value") && (strings.EqualFold(p.Attr, "members") || strings.EqualFold(p.Attr, "groups")):
		return true
	}
	return false
}

func eachValue(v gjson.Result, fn func(gjson.Result) bool) {
	if v.IsArray() {
		v.ForEach(func(_, el gjson.Result) bool { return fn(el) })
		return
	}
	if v.Exists() {
		fn(v)
	}
}

func present(v gjson.Result) bool {
	ok := false
	eachValue(v, func(el gjson.Result) bool {
		switch el.Type {
		case gjson.Null:
		case gjson.String:
			ok = el.Str != ""
		case gjson.JSON:
			ok = el.Raw != "{}" && el.Raw != "[]"
		default:
			ok = true
		}
		return !ok
	})
	return ok
}

func compare(op string, v gjson.Result, lit Value, exact bool) bool {
	if lit.Kind == NullValue {
		return op == OpEq && !present(v)
	}
	ok := false
	eachValue(v, func(el gjson.Result) bool {
		if el.IsObject() {
			el = Field(el, "value")
		}
		ok = compareOne(op, el, lit, exact)
		return !ok
	})
	return ok
}

func compareOne(op string, v gjson.Result, lit Value, exact bool) bool {
	switch lit.Kind {
	case BoolValue:
		if v.Type != gjson.True && v.Type != gjson.False {
			// Some backends store booleans as strings ("true").
			if v.Type != gjson.String || !(strings.EqualFold(v.Str, "true") || strings.EqualFold(v.Str, "false")) {
				return false
			}
		}
		return op == OpEq && strings.EqualFold(v.String(), lit.Raw)
	case NumberValue:
		if v.Type != gjson.Number {
			return false
		}
		return ordered(op, cmpFloat(v.Num, lit.Num))
	case StringValue:
		if v.Type != gjson.String {
			return false
		}
		a, b := v.Str, lit.Str
		if !exact {
			a, b = strings.ToLower(a), strings.ToLower(b)
		}
		switch op {
		case OpCo:
			return strings.Contains(a, b)
		case OpSw:
			return strings.HasPrefix(a, b)
		case OpEw:
			return strings.HasSuffix(a, b)
		}
		return ordered(op, strings.Compare(a, b))
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func ordered(op string, c int) bool {
	switch op {
	case OpEq:
		return c == 0
	case OpGt:
		return c > 0
	case OpGe:
		return c >= 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	}
	return false
}
