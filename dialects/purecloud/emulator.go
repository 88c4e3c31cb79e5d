package purecloud

import (
	"fmt"
	"net/http"
	"net/mail"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/mappings/scim"
)

// The emulator's OAuth client; Genesys' token endpoint is
// https://login.<region>/oauth/token.
const (
	EmulatorClientID     = "emulator-client"
	EmulatorClientSecret = "emulator-client-secret"
	TokenPath            = "/oauth/token"
	BasePath             = "/api/v2/scim/v2"
)

// userSchema is Genesys Cloud's User: the RFC's, with dateHire in the
// enterprise extension and its own extension (checked by Allowed).
var userSchema = func() *scim.ResourceSchema {
	ent := scim.EnterpriseSchemaDef
	ent.Attributes = append(append([]scim.Attribute(nil), ent.Attributes...),
		scim.Attribute{Name: "dateHire", Type: "string", Mutability: "readWrite", Returned: "default", Uniqueness: "none", Description: "The date of hire (Genesys Cloud), yyyy-mm-dd."})
	return scim.NewResourceSchema(scim.UserSchemaDef, ent, scim.Schema{ID: Extension})
}()

// NewEmulator returns an emulated Genesys Cloud SCIM v2 API. Like the real
// one it serves lower-case /users and /groups, has no name attribute,
// takes userName only as an email address and keeps it as the read-only
// "other" email, takes phone numbers in E.164 or as tel URIs with its own
// types and roles as [{"value": name}], filters on one "eq" comparison of
// a few short names, lists only active users without a filter, answers a
// count above 25 with 429, answers a version mismatch with 400
// invalidVers, has no group create or delete (two groups exist: Support
// and Sales), needs lower-case PatchOp operations with "schemas", and
// issues OAuth tokens at TokenPath. /_emulator/ratelimit sets a request
// rate above which it answers 429 with its platform body and Retry-After.
// A filtered lookup finds deactivated users too (the gateway's
// assumption); NewEmulatorHidingInactive is an organisation where it does
// not.
func NewEmulator() *emulator.Server { return newEmulator(false) }

// NewEmulatorHidingInactive is NewEmulator where a filter other than on
// active finds only active users, as Genesys' documentation leaves
// possible (it says only that an unfiltered list hides the deactivated).
func NewEmulatorHidingInactive() *emulator.Server { return newEmulator(true) }

func newEmulator(hideInactive bool) *emulator.Server {
	entry := []string{"value", "type", "primary"}
	s := emulator.New(emulator.Profile{
		Name: "purecloud", BasePath: BasePath, Token: dialects.EmulatorToken,
		Groups: true, ETags: true, Patch: true, UserGroups: true,
		MaxCount: PageSize, Vendor: vendor{hideInactive: hideInactive},
		ReadOnly: []string{"groups"},
		Allowed: map[string]map[string][]string{
			"User": {
				"schemas": nil, "id": nil, "meta": nil, "userName": nil, "displayName": nil, "active": nil, "password": nil,
				"title": nil, "externalId": nil, "emails": entry, "phoneNumbers": entry, "roles": {"value"},
				scim.EnterpriseSchema: {"division", "department", "employeeNumber", "manager", "dateHire"},
				Extension:             {"routingSkills", "routingLanguages", "externalIds"},
			},
			"Group": {"schemas": nil, "id": nil, "meta": nil, "displayName": nil, "members": {"value", "display", "type", "$ref"}},
		},
		UserSchema: userSchema,
		OAuth:      &emulator.OAuth{Path: TokenPath, ClientID: EmulatorClientID, ClientSecret: EmulatorClientSecret},
	})
	for _, name := range []string{"Support", "Sales"} {
		s.Seed("Groups", map[string]any{"schemas": []any{scim.GroupSchema}, "displayName": name})
	}
	return s
}

// vendor is what Genesys Cloud's API does beyond the RFC.
type vendor struct {
	emulator.RFC
	hideInactive bool // filtered lookups find only active users
}

// Serves: lower-case /users and /groups only.
func (vendor) Serves(endpoint string) bool { return endpoint == strings.ToLower(endpoint) }

// Allows: groups exist in Genesys Cloud; SCIM only changes their members.
func (vendor) Allows(method, rt string, hasID bool) bool {
	return rt != "Group" || !(method == http.MethodPost && !hasID || method == http.MethodDelete && hasID)
}

// Version: strong versions, "n".
func (vendor) Version(n int) (string, bool) { return `"` + strconv.Itoa(n) + `"`, true }

// Mismatch: a stale version is 400 invalidVers.
func (vendor) Mismatch() (int, string) { return http.StatusBadRequest, "invalidVers" }

// CountOver: a count above 25 is 429.
func (vendor) CountOver() int { return http.StatusTooManyRequests }

// Validate checks a PatchOp as Genesys does: "schemas" is required and
// operations are lower-case.
func (vendor) Validate(method, rt string, body []byte) (int, string, string) {
	if method != http.MethodPatch {
		return 0, "", ""
	}
	doc := gjson.ParseBytes(body)
	if !strings.Contains(doc.Get("schemas").Raw, scim.PatchOpURN) {
		return http.StatusBadRequest, "invalidSyntax", "schemas must list " + scim.PatchOpURN
	}
	for _, op := range doc.Get("Operations").Array() {
		switch op.Get("op").String() {
		case "add", "remove", "replace":
		default:
			return http.StatusBadRequest, "invalidSyntax", fmt.Sprintf("op %q is not one of add, remove, replace", op.Get("op").String())
		}
	}
	return 0, "", ""
}

var phoneTypeOK = map[string]bool{"work": true, "work2": true, "work3": true, "work4": true, "home": true, "mobile": true, "other": true}

// Check applies Genesys' rules to a user as it would be stored, and gives a
// new user the default "employee" role.
func (vendor) Check(method, rt string, cur, next map[string]any) (int, string) {
	if rt != "User" {
		return 0, ""
	}
	userName, _ := next["userName"].(string)
	if a, err := mail.ParseAddress(userName); err != nil || a.Address != userName {
		return http.StatusBadRequest, "userName must be an email address"
	}
	if d, _ := next["displayName"].(string); d == "" {
		return http.StatusBadRequest, "displayName is required"
	}
	emails, _ := next["emails"].([]any)
	for _, e := range emails {
		m, _ := e.(map[string]any)
		if m["type"] == "other" || strings.EqualFold(fmt.Sprint(m["value"]), userName) {
			return http.StatusBadRequest, "the email of type other is the userName and cannot be set"
		}
		if m["type"] != "work" {
			return http.StatusBadRequest, fmt.Sprintf("email type %v is not supported (work)", m["type"])
		}
	}
	phones, _ := next["phoneNumbers"].([]any)
	for _, p := range phones {
		m, _ := p.(map[string]any)
		v, _ := m["value"].(string)
		if n, ok := phoneNumber(v); !ok || n != v {
			return http.StatusBadRequest, fmt.Sprintf("phone number %q must be E.164 or a tel URI", v)
		}
		if t, _ := m["type"].(string); !phoneTypeOK[t] {
			return http.StatusBadRequest, fmt.Sprintf("phone type %q is not supported", t)
		}
	}
	roles, _ := next["roles"].([]any)
	for _, r := range roles {
		if m, ok := r.(map[string]any); !ok || m["value"] == nil {
			return http.StatusBadRequest, "roles must be objects with a value (the role name)"
		}
	}
	if cur == nil && len(roles) == 0 {
		next["roles"] = []any{map[string]any{"value": "employee"}}
	}
	if _, ok := next["active"]; !ok {
		next["active"] = true
	}
	return 0, ""
}

// Filter accepts one "eq" comparison on Genesys' filter names (users: id,
// userName, email, externalId, active, manager, division, employeeNumber;
// groups: id, displayName) and lists only active users without a filter.
func (v vendor) Filter(rt string, f *scim.Expr) (*scim.Expr, string) {
	if f == nil {
		if rt == "User" {
			active, _ := scim.ParseFilter("active eq true")
			return active, ""
		}
		return nil, ""
	}
	if f.Kind != scim.Compare || f.Op != scim.OpEq || f.Path.URN != "" || f.Path.Sub != "" {
		return nil, "only one eq comparison on a filter name is supported"
	}
	paths := map[string]string{"id": "id", "userName": "userName", "email": "emails.value", "externalId": "externalId", "active": "active",
		"manager": scim.EnterpriseSchema + ":manager.value", "division": scim.EnterpriseSchema + ":division", "employeeNumber": scim.EnterpriseSchema + ":employeeNumber"}
	if rt == "Group" {
		paths = map[string]string{"id": "id", "displayName": "displayName"}
	}
	p, ok := paths[f.Path.Attr]
	if !ok {
		return nil, fmt.Sprintf("%s is not a filter name", f.Path.Attr)
	}
	out := *f
	out.Path, _ = scim.ParseAttrPath(p)
	if v.hideInactive && rt == "User" && p != "active" {
		active, _ := scim.ParseFilter("active eq true")
		return &scim.Expr{Kind: scim.And, Left: &out, Right: active}, ""
	}
	return &out, ""
}

// view adds the userName as the read-only email of type other.
func (vendor) View(_ *http.Request, rt string, doc map[string]any) {
	if rt != "User" {
		return
	}
	emails, _ := doc["emails"].([]any)
	doc["emails"] = append([]any{map[string]any{"value": doc["userName"], "type": "other", "primary": true}}, emails...)
}

// Errors renders Genesys' platform body for 401, 403 and 429, and SCIM
// errors for the rest.
func (vendor) Errors(status int, scimType, detail string) any {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests:
		code := map[int]string{401: "bad.credentials", 403: "missing.permissions", 429: "too.many.requests.retry.after"}[status]
		return map[string]any{"message": detail, "code": code, "status": status, "contextId": "emulator-" + strconv.Itoa(status), "details": []any{}, "errors": []any{}}
	}
	e := map[string]any{"schemas": []string{scim.ErrorURN}, "status": strconv.Itoa(status), "detail": detail}
	if scimType != "" {
		e["scimType"] = scimType
	}
	return e
}
