package scim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Kind says what a filter node is.
type Kind uint8

// Filter node kinds.
const (
	Compare   Kind = iota // Path Op Value, or Path "pr"
	And                   // Left and Right
	Or                    // Left or Right
	Not                   // not (Left)
	ValuePath             // Path[Left] (RFC 7644 §3.4.2.2 valuePath)
)

// Comparison operators (RFC 7644 §3.4.2.2, Table 3), in lower case.
const (
	OpEq = "eq"
	OpNe = "ne"
	OpCo = "co"
	OpSw = "sw"
	OpEw = "ew"
	OpGt = "gt"
	OpGe = "ge"
	OpLt = "lt"
	OpLe = "le"
	OpPr = "pr"
)

var compareOps = map[string]bool{OpEq: true, OpNe: true, OpCo: true, OpSw: true, OpEw: true, OpGt: true, OpGe: true, OpLt: true, OpLe: true}

// maxDepth bounds nesting so that hostile filters cannot exhaust the stack.
const maxDepth = 50

// Value is a comparison literal: a JSON string, number, boolean or null.
type Value struct {
	Raw  string // the literal as JSON text, e.g. `"bjensen"`, `42`, `true`, `null`
	Str  string // the decoded string, for string literals
	Num  float64
	Kind ValueKind
}

// ValueKind says what kind of literal a Value is.
type ValueKind uint8

// Literal kinds.
const (
	StringValue ValueKind = iota
	NumberValue
	BoolValue
	NullValue
)

// Bool reports the value of a boolean literal.
func (v Value) Bool() bool { return v.Kind == BoolValue && v.Raw == "true" }

// Expr is a node of a parsed filter (RFC 7644 §3.4.2.2).
type Expr struct {
	Kind  Kind
	Path  AttrPath // Compare, ValuePath
	Op    string   // Compare: one of the Op constants
	Value Value    // Compare, unless Op is "pr"
	Left  *Expr    // And, Or, Not, ValuePath (the inner filter)
	Right *Expr    // And, Or
}

// FilterError is a filter that cannot be parsed; it maps to 400 invalidFilter.
type FilterError struct {
	Filter string
	Pos    int
	Msg    string
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("invalid filter at position %d: %s", e.Pos+1, e.Msg)
}

// ParseFilter parses a SCIM filter. Operators and attribute names are
// case-insensitive; precedence is not > and > or, and parentheses group.
func ParseFilter(s string) (*Expr, error) {
	p := &parser{src: s}
	p.next()
	e, err := p.parseOr(0, false)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errf("unexpected %s", p.tok)
	}
	return e, nil
}

// PatchPath is a parsed PATCH "path" (RFC 7644 §3.5.2):
// attrPath, or valuePath with an optional sub-attribute.
type PatchPath struct {
	Attr   AttrPath // the attribute; Attr.Sub set for "name.givenName"
	Filter *Expr    // the value filter of "emails[type eq \"work\"]", or nil
	Sub    string   // the sub-attribute after a value filter: ".value"
}

// String renders the path in SCIM notation.
func (p PatchPath) String() string {
	if p.Filter == nil {
		return p.Attr.String()
	}
	s := p.Attr.String() + "[" + p.Filter.String() + "]"
	if p.Sub != "" {
		s += "." + p.Sub
	}
	return s
}

// ParsePatchPath parses a PATCH operation path.
func ParsePatchPath(s string) (PatchPath, error) {
	p := &parser{src: s}
	p.next()
	if p.tok.kind != tWord {
		return PatchPath{}, p.errf("expected an attribute path, found %s", p.tok)
	}
	ap, err := ParseAttrPath(p.tok.text)
	if err != nil {
		return PatchPath{}, &FilterError{Filter: s, Pos: p.tok.pos, Msg: err.Error()}
	}
	pp := PatchPath{Attr: ap}
	p.next()
	if p.tok.kind == tLBrack {
		if ap.Sub != "" {
			return PatchPath{}, p.errf("a value filter cannot follow a sub-attribute")
		}
		p.next()
		inner, err := p.parseOr(1, true)
		if err != nil {
			return PatchPath{}, err
		}
		if p.tok.kind != tRBrack {
			return PatchPath{}, p.errf("expected ], found %s", p.tok)
		}
		pp.Filter = inner
		p.next()
		if p.tok.kind == tWord && strings.HasPrefix(p.tok.text, ".") {
			if !validName(p.tok.text[1:]) {
				return PatchPath{}, p.errf("invalid sub-attribute %q", p.tok.text)
			}
			pp.Sub = p.tok.text[1:]
			p.next()
		}
	}
	if p.tok.kind != tEOF {
		return PatchPath{}, p.errf("unexpected %s", p.tok)
	}
	return pp, nil
}

// String renders the filter canonically: lower-case operators, JSON
// literals, and parentheses only where precedence needs them.
func (e *Expr) String() string {
	var b strings.Builder
	e.write(&b)
	return b.String()
}

func (e *Expr) write(b *strings.Builder) {
	switch e.Kind {
	case Compare:
		b.WriteString(e.Path.String())
		b.WriteByte(' ')
		b.WriteString(e.Op)
		if e.Op != OpPr {
			b.WriteByte(' ')
			b.WriteString(e.Value.Raw)
		}
	case And, Or:
		op := " and "
		if e.Kind == Or {
			op = " or "
		}
		writeOperand(b, e.Left, e.Kind)
		b.WriteString(op)
		writeOperand(b, e.Right, e.Kind)
	case Not:
		b.WriteString("not (")
		e.Left.write(b)
		b.WriteByte(')')
	case ValuePath:
		b.WriteString(e.Path.String())
		b.WriteByte('[')
		e.Left.write(b)
		b.WriteByte(']')
	}
}

func writeOperand(b *strings.Builder, e *Expr, parent Kind) {
	if parent == And && e.Kind == Or {
		b.WriteByte('(')
		e.write(b)
		b.WriteByte(')')
		return
	}
	e.write(b)
}

// Walk calls fn for every Compare and ValuePath node, depth first.
func (e *Expr) Walk(fn func(*Expr)) {
	if e == nil {
		return
	}
	if e.Kind == Compare || e.Kind == ValuePath {
		fn(e)
	}
	e.Left.Walk(fn)
	e.Right.Walk(fn)
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tWord
	tString
	tLParen
	tRParen
	tLBrack
	tRBrack
)

type token struct {
	kind tokKind
	text string // the word, or the raw JSON string literal
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of filter"
	case tString:
		return "string " + t.text
	default:
		return strconv.Quote(t.text)
	}
}

type parser struct {
	src string
	off int
	tok token
	err *FilterError
}

func (p *parser) errf(format string, args ...any) *FilterError {
	if p.err != nil {
		return p.err
	}
	return &FilterError{Filter: p.src, Pos: p.tok.pos, Msg: fmt.Sprintf(format, args...)}
}

// next scans the next token into p.tok.
func (p *parser) next() {
	s := p.src
	for p.off < len(s) && (s[p.off] == ' ' || s[p.off] == '\t' || s[p.off] == '\n' || s[p.off] == '\r') {
		p.off++
	}
	start := p.off
	if p.off >= len(s) {
		p.tok = token{kind: tEOF, pos: start}
		return
	}
	switch s[p.off] {
	case '(':
		p.off++
		p.tok = token{kind: tLParen, text: "(", pos: start}
		return
	case ')':
		p.off++
		p.tok = token{kind: tRParen, text: ")", pos: start}
		return
	case '[':
		p.off++
		p.tok = token{kind: tLBrack, text: "[", pos: start}
		return
	case ']':
		p.off++
		p.tok = token{kind: tRBrack, text: "]", pos: start}
		return
	case '\'':
		// A single-quoted string, as in RFC 7644's own example `sw 'Group'`.
		end := strings.IndexByte(s[p.off+1:], '\'')
		if end < 0 {
			p.tok = token{kind: tEOF, pos: start}
			p.err = &FilterError{Filter: s, Pos: start, Msg: "unterminated string"}
			return
		}
		b, _ := json.Marshal(s[p.off+1 : p.off+1+end])
		p.off += end + 2
		p.tok = token{kind: tString, text: string(b), pos: start}
		return
	case '"':
		p.off++
		for p.off < len(s) {
			switch s[p.off] {
			case '\\':
				p.off += 2
				continue
			case '"':
				p.off++
				p.tok = token{kind: tString, text: s[start:p.off], pos: start}
				return
			}
			p.off++
		}
		p.tok = token{kind: tEOF, pos: start}
		p.err = &FilterError{Filter: s, Pos: start, Msg: "unterminated string"}
		return
	}
	for p.off < len(s) {
		c := s[p.off]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' || c == '[' || c == ']' || c == '"' {
			break
		}
		p.off++
	}
	p.tok = token{kind: tWord, text: s[start:p.off], pos: start}
}

func (p *parser) isKeyword(kw string) bool {
	return p.tok.kind == tWord && strings.EqualFold(p.tok.text, kw)
}

// parseOr parses: and-expr *("or" and-expr). inValue is true inside a
// value filter "[...]", where value paths may not nest.
func (p *parser) parseOr(depth int, inValue bool) (*Expr, error) {
	left, err := p.parseAnd(depth, inValue)
	if err != nil {
		return nil, err
	}
	for p.isKeyword("or") {
		p.next()
		right, err := p.parseAnd(depth, inValue)
		if err != nil {
			return nil, err
		}
		left = &Expr{Kind: Or, Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) parseAnd(depth int, inValue bool) (*Expr, error) {
	left, err := p.parseUnary(depth, inValue)
	if err != nil {
		return nil, err
	}
	for p.isKeyword("and") {
		p.next()
		right, err := p.parseUnary(depth, inValue)
		if err != nil {
			return nil, err
		}
		left = &Expr{Kind: And, Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) parseUnary(depth int, inValue bool) (*Expr, error) {
	if depth > maxDepth {
		return nil, p.errf("filter nests deeper than %d levels", maxDepth)
	}
	if p.err != nil {
		return nil, p.err
	}
	switch {
	case p.isKeyword("not"):
		p.next()
		if p.tok.kind != tLParen {
			return nil, p.errf(`expected "(" after not, found %s`, p.tok)
		}
		inner, err := p.parseGroup(depth, inValue)
		if err != nil {
			return nil, err
		}
		return &Expr{Kind: Not, Left: inner}, nil
	case p.tok.kind == tLParen:
		return p.parseGroup(depth, inValue)
	case p.tok.kind == tWord:
		return p.parseAttrExpr(depth, inValue)
	}
	return nil, p.errf("expected an attribute path, found %s", p.tok)
}

func (p *parser) parseGroup(depth int, inValue bool) (*Expr, error) {
	p.next() // "("
	e, err := p.parseOr(depth+1, inValue)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tRParen {
		return nil, p.errf(`expected ")", found %s`, p.tok)
	}
	p.next()
	return e, nil
}

func (p *parser) parseAttrExpr(depth int, inValue bool) (*Expr, error) {
	pathTok := p.tok
	path, err := ParseAttrPath(pathTok.text)
	if err != nil {
		return nil, &FilterError{Filter: p.src, Pos: pathTok.pos, Msg: err.Error()}
	}
	p.next()
	if p.tok.kind == tLBrack {
		if inValue {
			return nil, p.errf("value filters cannot be nested")
		}
		if path.Sub != "" {
			return nil, p.errf("a value filter cannot follow a sub-attribute")
		}
		p.next()
		inner, err := p.parseOr(depth+1, true)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRBrack {
			return nil, p.errf(`expected "]", found %s`, p.tok)
		}
		p.next()
		return &Expr{Kind: ValuePath, Path: path, Left: inner}, nil
	}
	if p.tok.kind != tWord {
		return nil, p.errf("expected an operator after %q, found %s", pathTok.text, p.tok)
	}
	op := strings.ToLower(p.tok.text)
	if op == OpPr {
		p.next()
		return &Expr{Kind: Compare, Path: path, Op: OpPr}, nil
	}
	if !compareOps[op] {
		return nil, p.errf("unknown operator %q", p.tok.text)
	}
	p.next()
	v, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	return &Expr{Kind: Compare, Path: path, Op: op, Value: v}, nil
}

func (p *parser) parseValue() (Value, error) {
	t := p.tok
	switch t.kind {
	case tString:
		var s string
		if err := json.Unmarshal([]byte(t.text), &s); err != nil {
			return Value{}, p.errf("invalid string literal %s", t.text)
		}
		p.next()
		return Value{Kind: StringValue, Raw: t.text, Str: s}, nil
	case tWord:
		switch strings.ToLower(t.text) {
		case "true", "false":
			p.next()
			return Value{Kind: BoolValue, Raw: strings.ToLower(t.text)}, nil
		case "null":
			p.next()
			return Value{Kind: NullValue, Raw: "null"}, nil
		}
		if n, ok := parseNumber(t.text); ok {
			p.next()
			return Value{Kind: NumberValue, Raw: t.text, Num: n}, nil
		}
		// An unquoted word is a string where it cannot be anything else
		// (`userName sw O`, `meta.created gt 2015-10-10T14:38:21Z`), as
		// clients such as Microsoft's reference suite send.
		if !isKeyword(t.text) {
			b, _ := json.Marshal(t.text)
			p.next()
			return Value{Kind: StringValue, Raw: string(b), Str: t.text}, nil
		}
	}
	return Value{}, p.errf("expected a value (string, number, true, false or null), found %s", t)
}

// isKeyword reports whether a word is a filter keyword, which cannot be an
// unquoted value.
func isKeyword(w string) bool {
	switch strings.ToLower(w) {
	case "and", "or", "not", "pr", OpEq, OpNe, OpCo, OpSw, OpEw, OpGt, OpGe, OpLt, OpLe:
		return true
	}
	return false
}

// parseNumber accepts JSON numbers only (no hex, no "Inf").
func parseNumber(s string) (float64, bool) {
	if s == "" || !(isDigit(s[0]) || s[0] == '-') {
		return 0, false
	}
	if !json.Valid([]byte(s)) {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}
