package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// scanner is CheckJSON's single pass over a body: a recursive-descent
// reader of RFC 8259 that keeps, for error details, the member names from
// the top to the value it reads (slices of the body; unescaped copies only
// for names with escapes).
type scanner struct {
	b     []byte
	i     int
	lim   Limits
	path  [][]byte
	stack [16][]byte // path's first room
}

func (s *scanner) syntax(what string) error {
	return errf("invalidSyntax", "request body is not valid JSON (RFC 8259): %s at byte %d", what, s.i)
}

// where names the value being read: "the body", or its member path.
func (s *scanner) where() string {
	if len(s.path) == 0 {
		return "the body"
	}
	return fmt.Sprintf("%q", s.pathString())
}

func (s *scanner) pathString() string {
	parts := make([]string, len(s.path))
	for i, p := range s.path {
		parts[i] = string(p)
	}
	return strings.Join(parts, ".")
}

func (s *scanner) ws() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// isSpace reports whether c is JSON white space (RFC 8259 §2).
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// value reads one value at nesting level depth (the body's is 1).
func (s *scanner) value(depth int) error {
	s.ws()
	if s.i >= len(s.b) {
		return s.syntax("unexpected end")
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(depth, nil)
	case c == '[':
		return s.array(depth, nil)
	case c == '"':
		_, _, err := s.stringValue()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return s.syntax(fmt.Sprintf("unexpected %q", s.b[s.i]))
}

func (s *scanner) literal(word string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return s.syntax("unexpected literal")
	}
	s.i += len(word)
	return nil
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case digits() == 0:
		return s.syntax("a number without digits")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return s.syntax("a number without digits after the point")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return s.syntax("a number without exponent digits")
		}
	}
	return nil
}

// str reads a string (the body is already known to be UTF-8) and reports
// whether it held an escape.
func (s *scanner) str() (escaped bool, err error) {
	s.i++ // "
	for s.i < len(s.b) {
		for s.i < len(s.b) && plain[s.b[s.i]] {
			s.i++ // the common case
		}
		if s.i >= len(s.b) {
			break
		}
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return escaped, nil
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.b) {
				return escaped, s.syntax("unterminated escape")
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) || !isHex4(s.b[s.i+2:s.i+6]) {
					return escaped, s.syntax(`a \\u escape without four hex digits`)
				}
				s.i += 6
			default:
				return escaped, s.syntax("an unknown escape")
			}
		case c < 0x20:
			return escaped, s.syntax("a control character in a string")
		default:
			s.i++
		}
	}
	return escaped, s.syntax("unterminated string")
}

// stringValue reads a string value within lim.MaxString and returns it
// quoted, as in the body, and whether it holds an escape.
func (s *scanner) stringValue() (raw []byte, escaped bool, err error) {
	start := s.i
	if escaped, err = s.str(); err != nil {
		return nil, escaped, err
	}
	if s.i-start > s.lim.MaxString+2 {
		return nil, escaped, errf("invalidValue", "%s is longer than %d bytes", s.where(), s.lim.MaxString)
	}
	return s.b[start:s.i], escaped, nil
}

// plain are the bytes a string holds as they are: not '"', '\\' or a
// control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// object reads an object, refusing a member name given twice in any case.
// each, when not nil, reads the value of a member (name unescaped, key as
// quoted in the body) instead of s.value, at depth+1.
func (s *scanner) object(depth int, each func(name, key []byte) error) error {
	if depth > s.lim.MaxDepth {
		return errf("invalidSyntax", "%s is nested deeper than %d levels", s.where(), s.lim.MaxDepth)
	}
	s.i++ // {
	var small [32][]byte
	seen := small[:0]
	var big map[string]bool
	for n := 0; ; n++ {
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == '}' && n == 0 {
			s.i++
			return nil
		}
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.syntax("expected a member name")
		}
		start := s.i
		escaped, err := s.str()
		if err != nil {
			return err
		}
		keyLen := s.i - start
		name := s.b[start+1 : s.i-1]
		if escaped {
			var str string
			json.Unmarshal(s.b[start:s.i], &str)
			name = []byte(str)
		}
		if len(name) > s.lim.MaxString {
			return errf("invalidSyntax", "a member name in %s is longer than %d bytes", s.where(), s.lim.MaxString)
		}
		dup := false
		if big == nil && len(seen) < len(small) {
			for _, k := range seen {
				dup = dup || len(k) == len(name) && bytes.EqualFold(k, name)
			}
			seen = append(seen, name)
		} else {
			if big == nil {
				big = make(map[string]bool, 2*len(seen))
				for _, k := range seen {
					big[strings.ToLower(string(k))] = true
				}
			}
			low := strings.ToLower(string(name))
			dup, big[low] = big[low], true
		}
		s.path = append(s.path, name)
		if dup {
			return errf("invalidSyntax", "member %q appears twice (names are case-insensitive, RFC 7643 §2.1)", s.pathString())
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.syntax("expected ':'")
		}
		s.i++
		if each == nil {
			err = s.value(depth + 1)
		} else {
			s.ws()
			err = each(name, s.b[start:start+keyLen])
		}
		if err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		if more, err := s.after('}'); !more {
			return err
		}
	}
}

// after reads what follows a member or an element: ',' when more come,
// or the closing bracket.
func (s *scanner) after(close byte) (more bool, err error) {
	s.ws()
	switch {
	case s.i < len(s.b) && s.b[s.i] == ',':
		s.i++
		return true, nil
	case s.i < len(s.b) && s.b[s.i] == close:
		s.i++
		return false, nil
	}
	return false, s.expected(close)
}

func (s *scanner) expected(close byte) error {
	return s.syntax(fmt.Sprintf("expected ',' or '%c'", close))
}

// array reads an array of at most lim.MaxValues values; each, when not
// nil, reads every value instead of s.value, at depth+1.
func (s *scanner) array(depth int, each func() error) error {
	if depth > s.lim.MaxDepth {
		return errf("invalidSyntax", "%s is nested deeper than %d levels", s.where(), s.lim.MaxDepth)
	}
	s.i++ // [
	for n := 0; ; n++ {
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ']' && n == 0 {
			s.i++
			return nil
		}
		if n+1 > s.lim.MaxValues {
			return errf("invalidValue", "%s has more than %d values", s.where(), s.lim.MaxValues)
		}
		var err error
		if each == nil {
			err = s.value(depth + 1)
		} else {
			err = each() // at the value: the loop read the white space
		}
		if err != nil {
			return err
		}
		if more, err := s.after(']'); !more {
			return err
		}
	}
}
