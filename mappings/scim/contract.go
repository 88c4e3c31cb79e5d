package scim

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// The SCIM contract, read in one place. Every body a client sends passes
// CheckJSON (well-formed, bounded, unambiguous) and then a ResourceSchema's
// Resource or Patch, which validate each value against its attribute's
// definition (RFC 7643 §2, §7) and write the canonical RFC 7644 form a
// backend receives. The emulators read bodies with the same code in Strict
// mode, as an RFC 7643 server that accepts nothing else.

// Error is a request that breaks the SCIM contract: a 400 with one of the
// scimTypes of RFC 7644 §3.12 Table 9.
type Error struct {
	ScimType string
	Msg      string
}

func (e *Error) Error() string { return e.Msg }

// PatchError is the name PATCH code has always used for Error.
type PatchError = Error

func errf(scimType, format string, args ...any) *Error {
	return &Error{ScimType: scimType, Msg: fmt.Sprintf(format, args...)}
}

// Limits bound what one request may hold, so that a hostile or broken
// client cannot make the gateway (or a backend behind it) do unbounded work.
// Zero fields take the DefaultLimits value.
type Limits struct {
	MaxDepth  int // nesting of objects and arrays (a PATCH of a User needs 6)
	MaxValues int // elements of one array (group members included)
	MaxString int // bytes of one string, key or value
	MaxFilter int // bytes of a filter expression
}

// DefaultLimits are the limits a tenant has unless its config says otherwise.
var DefaultLimits = Limits{MaxDepth: 12, MaxValues: 10000, MaxString: 32768, MaxFilter: 8192}

// Or returns l with zero fields taken from d.
func (l Limits) Or(d Limits) Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxValues <= 0 {
		l.MaxValues = d.MaxValues
	}
	if l.MaxString <= 0 {
		l.MaxString = d.MaxString
	}
	if l.MaxFilter <= 0 {
		l.MaxFilter = d.MaxFilter
	}
	return l
}

// CheckJSON checks what JSON syntax alone does not: the text is UTF-8 (RFC
// 8259 §8.1), no object has two members whose names differ only in case
// (RFC 8259 §4 leaves duplicates to the receiver, and SCIM names are case
// insensitive, RFC 7643 §2.1: gateway and backend could read different
// ones), and nesting, array lengths and string lengths stay within lim.
// body must already be valid JSON.
func CheckJSON(body []byte, lim Limits) error {
	lim = lim.Or(DefaultLimits)
	if !utf8.Valid(body) {
		return errf("invalidSyntax", "request body is not valid UTF-8 (RFC 8259 §8.1)")
	}
	return checkValue(Parse(body), lim, 1, path{})
}

// checkValue checks v, found at path at (joined only for an error detail).
func checkValue(v gjson.Result, lim Limits, depth int, at path) error {
	switch {
	case v.Type == gjson.String:
		if len(v.Raw) > lim.MaxString+2 {
			return errf("invalidValue", "%s is longer than %d bytes", where(at), lim.MaxString)
		}
		return nil
	case v.Type != gjson.JSON:
		return nil
	}
	if depth > lim.MaxDepth {
		return errf("invalidSyntax", "%s is nested deeper than %d levels", where(at), lim.MaxDepth)
	}
	var err error
	if v.IsArray() {
		n := 0
		v.ForEach(func(_, el gjson.Result) bool {
			if n++; n > lim.MaxValues {
				err = errf("invalidValue", "%s has more than %d values", where(at), lim.MaxValues)
				return false
			}
			err = checkValue(el, lim, depth+1, at)
			return err == nil
		})
		return err
	}
	var small [32]string // the names seen; a map past 32 members
	seen := small[:0]
	var big map[string]bool
	parent := ""
	v.ForEach(func(k, el gjson.Result) bool {
		if len(k.Str) > lim.MaxString {
			err = errf("invalidSyntax", "a member name in %s is longer than %d bytes", where(at), lim.MaxString)
			return false
		}
		if big == nil && len(seen) < cap(small) {
			for _, s := range seen {
				if strings.EqualFold(s, k.Str) {
					err = errf("invalidSyntax", "member %q appears twice (names are case-insensitive, RFC 7643 §2.1)", path{at.String(), ".", k.Str}.String())
					return false
				}
			}
			seen = append(seen, k.Str)
		} else {
			if big == nil {
				big = map[string]bool{}
				for _, s := range seen {
					big[strings.ToLower(s)] = true
				}
			}
			low := strings.ToLower(k.Str)
			if big[low] {
				err = errf("invalidSyntax", "member %q appears twice (names are case-insensitive, RFC 7643 §2.1)", path{at.String(), ".", k.Str}.String())
				return false
			}
			big[low] = true
		}
		if el.Type != gjson.JSON && el.Type != gjson.String {
			return true
		}
		if parent == "" && at.name != "" {
			parent = at.String() // once per object, and only below the top
		}
		err = checkValue(el, lim, depth+1, path{parent, ".", k.Str})
		return err == nil
	})
	return err
}

func where(at path) string {
	if at.name == "" {
		return "the body"
	}
	return fmt.Sprintf("%q", at.String())
}
