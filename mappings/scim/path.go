// Package scim holds the SCIM 2.0 primitives every other package builds on:
// attribute paths (RFC 7644 §3.10), filters (RFC 7644 §3.4.2.2), PATCH
// operations (RFC 7644 §3.5.2) and the core schema URNs (RFC 7643).
package scim

import (
	"fmt"
	"strings"
)

// Well-known schema and message URNs (RFC 7643 §8.7, RFC 7644 §3.12, §8.2).
const (
	UserSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	ListResponseURN  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	ErrorURN         = "urn:ietf:params:scim:api:messages:2.0:Error"
	PatchOpURN       = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SearchRequestURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	// Core11Schema is the SCIM 1.1 core schema (simplecloud.info Core
	// Schema 1.1), of Users, Groups, lists and errors alike.
	Core11Schema = "urn:scim:schemas:core:1.0"
)

// AttrPath is a parsed SCIM attribute path: [URN ":"] attr ["." sub]
// (RFC 7644 §3.10). Names keep the case the client wrote; comparisons are
// case-insensitive (RFC 7643 §2.1).
type AttrPath struct {
	URN  string // schema URN, empty for the resource's core schema
	Attr string // top-level attribute name
	Sub  string // sub-attribute name, empty if none
}

// String renders the path in SCIM notation.
func (p AttrPath) String() string {
	var b strings.Builder
	if p.URN != "" {
		b.WriteString(p.URN)
		b.WriteByte(':')
	}
	b.WriteString(p.Attr)
	if p.Sub != "" {
		b.WriteByte('.')
		b.WriteString(p.Sub)
	}
	return b.String()
}

// Is reports whether p names the given attribute (and sub-attribute),
// ignoring case and treating the core User and Group URNs as implicit.
func (p AttrPath) Is(attr, sub string) bool {
	if p.URN != "" && !strings.EqualFold(p.URN, UserSchema) && !strings.EqualFold(p.URN, GroupSchema) {
		return false
	}
	return strings.EqualFold(p.Attr, attr) && strings.EqualFold(p.Sub, sub)
}

// ParseAttrPath parses a SCIM attribute path such as "name.givenName",
// "emails" or "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
func ParseAttrPath(s string) (AttrPath, error) {
	var p AttrPath
	rest := s
	if hasURNPrefix(s) {
		i := strings.LastIndexByte(s, ':')
		p.URN, rest = s[:i], s[i+1:]
		if rest == "" {
			return p, fmt.Errorf("attribute path %q: missing attribute name after schema URN", s)
		}
	}
	attr, sub, hasSub := strings.Cut(rest, ".")
	if !validName(attr) {
		return p, fmt.Errorf("attribute path %q: invalid attribute name %q", s, attr)
	}
	if hasSub && !validName(sub) {
		return p, fmt.Errorf("attribute path %q: invalid sub-attribute name %q", s, sub)
	}
	p.Attr, p.Sub = attr, sub
	return p, nil
}

func hasURNPrefix(s string) bool {
	return len(s) > 4 && strings.EqualFold(s[:4], "urn:")
}

// validName reports whether s is an ATTRNAME: ALPHA *(nameChar), where
// nameChar is "-" / "_" / DIGIT / ALPHA (RFC 7643 §2.1). "$ref" is allowed
// as the one reserved sub-attribute name.
func validName(s string) bool {
	if s == "$ref" {
		return true
	}
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
