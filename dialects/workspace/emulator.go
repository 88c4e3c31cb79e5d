package workspace

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/mappings/scim"
)

// The emulator's OAuth client (Catalog → Settings → Remote App Access in a
// real tenant); the shipped config.yaml uses it.
const (
	EmulatorClientID     = "emulator-client"
	EmulatorClientSecret = "emulator-client-secret"
	// TokenPath is Workspace ONE's token endpoint, relative to the host.
	TokenPath = "/SAAS/auth/oauthtoken"
)

// BasePath is where Workspace ONE serves SCIM.
const BasePath = "/SAAS/jersey/manager/api/scim"

// NewEmulator returns an emulated Workspace ONE Access SCIM 1.1 API whose
// lists count from startIndexBase (0 or 1). Like the real one it takes
// only SCIM 1.1 bodies (1.1 URNs, partial-resource PATCH answered with
// 204, no PUT), evaluates only eq co sw gt ge lt le filters, answers 404
// to bad paging parameters, keeps provisioned users to exactly one email,
// refuses changes to users synced from a directory with 403, and issues
// OAuth tokens at TokenPath for client credentials sent with HTTP Basic.
// Roles are served at /Roles (roles_emulator.go): never on the user's
// body, shown on the user.
func NewEmulator(startIndexBase int) *emulator.Server {
	entry := []string{"value", "display", "type", "primary", "operation"}
	rs := &roles{base: startIndexBase}
	rs.Reset()
	s := emulator.New(emulator.Profile{
		Name: "workspace", BasePath: BasePath, Token: dialects.EmulatorToken,
		Groups: true, ETags: true, Sort: true, UserGroups: true,
		SCIM11: true, StartIndexBase: startIndexBase,
		ReadOnly: []string{"roles", "groups"},
		Allowed: map[string]map[string][]string{
			"User": {
				"schemas": nil, "id": nil, "meta": nil, "externalId": nil, "userName": nil,
				"name":        {"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"},
				"displayName": nil, "nickName": nil, "profileUrl": nil, "title": nil, "userType": nil,
				"preferredLanguage": nil, "locale": nil, "timeZone": nil, "active": nil,
				"emails": entry, "phoneNumbers": entry, "ims": entry, "photos": entry, "entitlements": entry, "roles": entry,
				"addresses":  {"formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary", "operation"},
				Extension:    {"internalUserType", "domain", "userPrincipalName", "distinguishedName", "userStatus", "softDeleted", "userStoreUuid"},
				Enterprise11: {"employeeNumber", "manager"},
			},
			"Group": {"schemas": nil, "id": nil, "meta": nil, "displayName": nil, "externalId": nil, "members": {"value", "display", "type", "operation"}},
		},
		UserSchema: user11, GroupSchema: group11,
		Vendor: vendor{roles: rs},
		OAuth:  &emulator.OAuth{Path: TokenPath, ClientID: EmulatorClientID, ClientSecret: EmulatorClientSecret},
		Extra:  map[string]emulator.Endpoint{"Roles": rs},
	})
	rs.srv = s
	return s
}

// The SCIM 1.1 schemas Workspace ONE reads bodies with (seed 001): the
// core attributes under the 1.1 URN, every multi-valued complex attribute
// with the "operation" mark of a 1.1 PATCH, the 1.0 enterprise extension
// (whose manager is a managerId) and Workspace ONE's own extension.
var (
	user11  = scim.NewResourceSchema(core11(scim.UserSchemaDef), enterprise11, extensionSchema)
	group11 = scim.NewResourceSchema(core11(scim.GroupSchemaDef))
)

var enterprise11 = scim.Schema{ID: Enterprise11, Name: "EnterpriseUser", Attributes: []scim.Attribute{
	scim.Attr("employeeNumber", "string", "Numeric or alphanumeric identifier assigned to a person."),
	scim.Attr("costCenter", "string", "Identifies the name of a cost center."),
	scim.Attr("organization", "string", "Identifies the name of an organization."),
	scim.Attr("division", "string", "Identifies the name of a division."),
	scim.Attr("department", "string", "Identifies the name of a department."),
	scim.Attr("manager", "complex", "The User's manager.").With(
		scim.Attr("managerId", "string", "The id of the manager's user."),
		scim.Attr("displayName", "string", "The manager's displayName.").ReadOnly(),
	),
}}

func core11(def scim.Schema) scim.Schema {
	out := scim.Schema{ID: scim.Core11Schema, Name: def.Name, Description: def.Description}
	for _, a := range def.Attributes {
		if a.MultiValued && a.Type == "complex" {
			a = a.With(append(slices.Clip(a.SubAttributes), scim.Attr("operation", "string", "delete: remove this value (SCIM 1.1 PATCH).").Canonical(scim.DeleteOp))...)
		}
		out.Attributes = append(out.Attributes, a)
	}
	return out
}

// vendor is what Workspace ONE's API does beyond SCIM 1.1.
type vendor struct {
	emulator.RFC
	roles *roles
}

// View shows a user's roles: the default User role and those whose
// members it is.
func (v vendor) View(_ *http.Request, rt string, doc map[string]any) {
	if rt == "User" {
		doc["roles"] = v.roles.of(fmt.Sprint(doc["id"]))
	}
}

// Allows: there is no PUT.
func (vendor) Allows(method, _ string, _ bool) bool { return method != http.MethodPut }

// Errors renders errors as Workspace ONE does: its documented
// {"errors":[{code, message}]} for authorisation and conflicts, and the
// SCIM 1.1 {"Errors":[{description, code}]} for the rest.
func (vendor) Errors(status int, _, detail string) any {
	switch status {
	case http.StatusUnauthorized:
		return map[string]any{"errors": []any{map[string]any{"code": "forbidden", "message": "User is not authorized to perform the task.", "parameters": nil}}}
	case http.StatusForbidden, http.StatusConflict:
		return map[string]any{"errors": []any{map[string]any{"code": "scim." + strconv.Itoa(status), "message": detail, "parameters": nil}}}
	}
	return map[string]any{"Errors": []any{map[string]any{"description": detail, "code": strconv.Itoa(status)}}}
}

// Check applies Workspace ONE's rules to a user write and sets what the
// server sets: userStatus.
func (vendor) Check(method, rt string, cur, next map[string]any) (int, string) {
	if rt != "User" {
		return 0, ""
	}
	if ent, _ := next[Enterprise11].(map[string]any); ent != nil {
		if m, ok := ent["manager"].(map[string]any); ok {
			for k := range m {
				if k != "managerId" && k != "displayName" {
					return http.StatusBadRequest, fmt.Sprintf("attribute manager.%s is not supported", k)
				}
			}
		}
	}
	if cur != nil {
		if ext, _ := cur[Extension].(map[string]any); ext != nil && ext["userStoreUuid"] != nil {
			return http.StatusForbidden, "The user is not a local user and can not be updated"
		}
	}
	ext, _ := next[Extension].(map[string]any)
	if ext == nil {
		ext = map[string]any{"internalUserType": "LOCAL", "domain": "System Domain"}
		next[Extension] = ext
	}
	if cur != nil {
		if was, _ := cur[Extension].(map[string]any); was != nil && was["internalUserType"] != ext["internalUserType"] {
			return http.StatusBadRequest, "internalUserType cannot be changed"
		}
	}
	if ext["internalUserType"] == "PROVISIONED" {
		name, _ := next["name"].(map[string]any)
		emails, _ := next["emails"].([]any)
		switch {
		case next["externalId"] == nil:
			return http.StatusBadRequest, "externalId is required for a provisioned user"
		case name["givenName"] == nil || name["familyName"] == nil:
			return http.StatusBadRequest, "name.givenName and name.familyName are required for a provisioned user"
		case len(emails) != 1:
			return http.StatusBadRequest, fmt.Sprintf("a provisioned user has exactly one email, not %d", len(emails))
		case ext["domain"] == nil || ext["domain"] == "":
			return http.StatusBadRequest, "domain is required for a provisioned user"
		}
	}
	if _, ok := next["active"]; !ok {
		next["active"] = true
	}
	ext["userStatus"] = "1"
	if next["active"] == false {
		ext["userStatus"] = "2"
	}
	if cur == nil {
		ext["softDeleted"] = false
	}
	return 0, ""
}

// Created adds the one-time set-password link Workspace ONE returns for a
// user created without a password and with sendMail=false.
func (vendor) Created(r *http.Request, rt string, password bool, doc map[string]any) {
	if rt != "User" || password || r.URL.Query().Get("sendMail") != "false" {
		return
	}
	if ext, _ := doc[Extension].(map[string]any); ext != nil {
		ext["firstLoginUrl"] = "https://" + r.Host + "/SAAS/auth/login/ota?token=ota-" + fmt.Sprint(doc["id"])
	}
}
