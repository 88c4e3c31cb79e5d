package firehydrant

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/mappings/scim"
)

// BasePath is where FireHydrant serves SCIM.
const BasePath = "/v1/scim/v2"

// NewEmulator returns an emulated FireHydrant SCIM API that allows the
// given roles (comma-separated; empty: owner, member, collaborator). Like
// the documented one it returns no schemas or meta, takes no schemas,
// active, externalId or displayName on create and no password on PUT,
// requires given and family name and emails with a boolean primary, takes
// roles only as strings of its set, cannot change a userName, needs an
// explicit path and a lower-case op on every PATCH operation, filters on
// userName eq and email eq (Teams: displayName eq) only, reports a
// duplicate as 422 "has already been taken", deactivates on DELETE, has
// no Team PATCH, and answers errors as {"detail","messages","code"} (401:
// {"error"}).
// userSchema is FireHydrant's User: the RFC's, with roles as plain
// strings (its roles are names: owner, member, collaborator).
var userSchema = func() *scim.ResourceSchema {
	core := scim.UserSchemaDef
	core.Attributes = append([]scim.Attribute(nil), core.Attributes...)
	for i := range core.Attributes {
		if core.Attributes[i].Name == "roles" {
			core.Attributes[i] = scim.Attribute{Name: "roles", Type: "string", MultiValued: true, Mutability: "readWrite", Returned: "default", Uniqueness: "none", Description: "The user's role: owner, member or collaborator."}
		}
	}
	return scim.NewResourceSchema(core)
}()

func NewEmulator(allowedRoles string) *emulator.Server {
	if allowedRoles == "" {
		allowedRoles = "owner,member,collaborator"
	}
	allowed := map[string]bool{}
	for _, r := range strings.Split(allowedRoles, ",") {
		allowed[strings.ToLower(strings.TrimSpace(r))] = true
	}
	return emulator.New(emulator.Profile{
		Name: "firehydrant", BasePath: BasePath, Token: dialects.EmulatorToken,
		Groups: true, Patch: true, Vendor: vendor{roles: allowed},
		ContentType: "application/scim+json", NoSchemas: true, UserSchema: userSchema,
		Allowed: map[string]map[string][]string{
			"User":  {"id": nil, "meta": nil, "userName": nil, "name": {"givenName", "familyName"}, "emails": {"value", "primary"}, "roles": nil, "active": nil, "password": nil},
			"Group": {"id": nil, "meta": nil, "displayName": nil, "members": {"value"}},
		},
	})
}

// vendor is what FireHydrant's API does beyond the RFC.
type vendor struct {
	emulator.RFC
	roles map[string]bool // the roles a user may have
}

// Allows: Teams have no PATCH.
func (vendor) Allows(method, rt string, _ bool) bool {
	return rt != "Group" || method != http.MethodPatch
}

// Delete deactivates a user instead of removing it.
func (vendor) Delete(rt string, doc map[string]any) bool {
	if rt != "User" {
		return false
	}
	doc["active"] = false
	return true
}

// Conflict: a duplicate is 422 "has already been taken".
func (vendor) Conflict() int { return http.StatusUnprocessableEntity }

// Check: userName cannot change, and users are created active.
func (vendor) Check(method, rt string, cur, next map[string]any) (int, string) {
	if rt == "User" && cur != nil && !strings.EqualFold(fmt.Sprint(cur["userName"]), fmt.Sprint(next["userName"])) {
		return http.StatusBadRequest, "userName cannot be changed"
	}
	if _, ok := next["active"]; rt == "User" && !ok {
		next["active"] = true
	}
	return 0, ""
}

func (v vendor) Validate(method, rt string, body []byte) (int, string, string) {
	roles := v.roles
	doc := gjson.ParseBytes(body)
	bad := func(format string, args ...any) (int, string, string) {
		return http.StatusBadRequest, "", fmt.Sprintf(format, args...)
	}
	if method == http.MethodPatch {
		for i, op := range doc.Get("Operations").Array() {
			switch {
			case op.Get("path").String() == "":
				return bad("Operations[%d]: path is missing", i)
			case op.Get("op").String() != strings.ToLower(op.Get("op").String()):
				return bad("Operations[%d]: op must be add, remove or replace", i)
			case strings.EqualFold(op.Get("path").String(), "userName"):
				return bad("userName cannot be changed")
			case strings.EqualFold(op.Get("path").String(), "roles"):
				for _, r := range op.Get("value").Array() {
					if r.Type != gjson.String || !roles[strings.ToLower(r.Str)] {
						return bad("Operations[%d]: role %s is not one of owner, member, collaborator", i, r.Raw)
					}
				}
			}
		}
		return 0, "", ""
	}
	if doc.Get("schemas").Exists() {
		return bad("schemas is not a known attribute")
	}
	if rt == "Group" {
		if !doc.Get("members").IsArray() {
			return bad("members is missing")
		}
		return 0, "", ""
	}
	for _, k := range []string{"active", "externalId", "displayName"} {
		if method == http.MethodPost && doc.Get(k).Exists() {
			return bad("%s is not accepted when creating a user", k)
		}
	}
	if method == http.MethodPut && doc.Get("password").Exists() {
		return bad("password is not accepted when replacing a user")
	}
	if doc.Get("name.givenName").String() == "" || doc.Get("name.familyName").String() == "" {
		return bad("name.givenName and name.familyName are required")
	}
	emails := doc.Get("emails").Array()
	if len(emails) == 0 && method == http.MethodPost {
		return bad("emails is missing")
	}
	for i, e := range emails {
		if e.Get("value").String() == "" || !e.Get("primary").IsBool() {
			return bad("emails[%d] needs a value and a boolean primary", i)
		}
	}
	for _, r := range doc.Get("roles").Array() {
		if r.Type != gjson.String || !roles[strings.ToLower(r.Str)] {
			return bad("role %s is not one of owner, member, collaborator", r.Raw)
		}
	}
	return 0, "", ""
}

// Filter takes userName eq and email eq (quoted or not) for users and
// displayName eq for Teams, nothing else.
func (vendor) Filter(rt string, f *scim.Expr) (*scim.Expr, string) {
	if f == nil {
		return nil, ""
	}
	if f.Kind != scim.Compare || f.Op != scim.OpEq {
		return nil, "Currently we only support the eq operator"
	}
	out := *f
	switch {
	case rt == "Group" && f.Path.Is("displayName", ""):
	case rt == "User" && f.Path.Is("userName", ""):
	case rt == "User" && f.Path.Is("email", ""):
		out.Path = scim.AttrPath{Attr: "emails", Sub: "value"}
	default:
		return nil, fmt.Sprintf("cannot filter on %s", f.Path)
	}
	return &out, ""
}

// view returns resources without schemas or meta, as FireHydrant does.
func (vendor) View(_ *http.Request, _ string, doc map[string]any) {
	delete(doc, "schemas")
	delete(doc, "meta")
}

// Errors renders FireHydrant's ErrorEntity, or its flat {"error"} for 401.
func (vendor) Errors(status int, _, detail string) any {
	if status == http.StatusUnauthorized {
		return map[string]any{"error": "Unauthorized: " + detail}
	}
	return map[string]any{"detail": http.StatusText(status), "messages": []string{detail}, "code": fmt.Sprintf("firehydrant.%d", status), "meta": map[string]any{}}
}
