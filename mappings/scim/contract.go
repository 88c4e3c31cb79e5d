package scim

import (
	"fmt"
	"unicode/utf8"
)

// The SCIM contract, read in one place. Every body a client sends is
// well-formed, bounded and unambiguous (CheckJSON's checks) and holds
// values of its attributes' definitions (RFC 7643 §2, §7): a
// ResourceSchema's Resource checks both in one pass and writes the
// canonical RFC 7644 form a backend receives; a PatchOp passes CheckJSON
// and then Patch. The emulators read bodies with the same code in Strict
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

// CheckJSON reads a body once and checks that it is JSON (RFC 8259) and
// what JSON syntax alone does not say: the text is UTF-8 (RFC 8259 §8.1),
// no object has two members whose names differ only in case (RFC 8259 §4
// leaves duplicates to the receiver, and SCIM names are case insensitive,
// RFC 7643 §2.1: gateway and backend could read different ones), and
// nesting, array lengths and string lengths stay within lim. It allocates
// only to name what it refuses.
func CheckJSON(body []byte, lim Limits) error {
	lim = lim.Or(DefaultLimits)
	if !utf8.Valid(body) {
		return errf("invalidSyntax", "request body is not valid UTF-8 (RFC 8259 §8.1)")
	}
	s := &scanner{b: body, lim: lim}
	s.path = s.stack[:0]
	if err := s.value(1); err != nil {
		return err
	}
	if s.ws(); s.i < len(s.b) {
		return s.syntax("content after the JSON value")
	}
	return nil
}
