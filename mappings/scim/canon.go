package scim

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// The RFC resource types, as a client sees them before a tenant's mapping:
// the core schemas with the enterprise User extension (RFC 7643 §4).
var (
	UserResource  = NewResourceSchema(UserSchemaDef, EnterpriseSchemaDef)
	GroupResource = NewResourceSchema(GroupSchemaDef)
)

// FoldUserName lower-cases the userName of a canonical User.
func FoldUserName(body []byte) []byte {
	v := Parse(body).Get("userName")
	if v.Type != gjson.String || v.Str == strings.ToLower(v.Str) {
		return body
	}
	out, err := sjson.SetBytes(body, "userName", strings.ToLower(v.Str))
	if err != nil {
		return body
	}
	return out
}

// FoldUserNamePatch lower-cases the values of canonical PATCH operations
// on userName.
func FoldUserNamePatch(pr *PatchRequest) {
	for i, op := range pr.Operations {
		v := gjson.ParseBytes(op.Value)
		if p, err := ParseAttrPath(op.Path); err == nil && p.Is("userName", "") && v.Type == gjson.String {
			pr.Operations[i].Value, _ = json.Marshal(strings.ToLower(v.Str))
		}
	}
}

// FoldUserNameFilter returns f with every literal compared to userName in
// lower case.
func FoldUserNameFilter(f *Expr) *Expr {
	if f == nil {
		return nil
	}
	out := *f
	switch f.Kind {
	case And, Or:
		out.Left, out.Right = FoldUserNameFilter(f.Left), FoldUserNameFilter(f.Right)
	case Not:
		out.Left = FoldUserNameFilter(f.Left)
	case Compare:
		if f.Path.Is("userName", "") && f.Value.Kind == StringValue {
			low := strings.ToLower(f.Value.Str)
			raw, _ := json.Marshal(low)
			out.Value = Value{Kind: StringValue, Str: low, Raw: string(raw)}
		}
	}
	return &out
}
