package identityiq

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/mappings/scim"
)

// The emulator's credentials: HTTP Basic as an IdentityIQ identity, or an
// OAuth client (Global Settings → API Authentication).
const (
	BasePath             = "/identityiq/scim/v2"
	TokenPath            = "/identityiq/oauth2/token"
	EmulatorUser         = "spadmin"
	EmulatorPassword     = "emulator-password"
	EmulatorClientID     = "emulator-client"
	EmulatorClientSecret = "emulator-client-secret"
)

// NewEmulator returns an emulated IdentityIQ SCIM API. Like the documented
// one it serves Users only, has no PATCH (405), takes the attributes of its
// schema only (no externalId, title, phoneNumbers…: 400) and none of its
// read-only ones, cannot change a userName, returns emails[].primary and
// isManager as strings, capabilities as a JSON-encoded string and versions
// as W"n" (no ETag header; If-Match is honoured), returns roles and
// entitlements only when asked for in attributes, leaves itemsPerPage out
// of lists, finds a user by userName with lookupByName=true, writes $refs
// under its /iiq context root, and takes HTTP Basic or OAuth tokens issued
// at TokenPath.
func NewEmulator() *emulator.Server {
	return emulator.New(emulator.Profile{
		Name: "identityiq", BasePath: BasePath, Basic: &[2]string{EmulatorUser, EmulatorPassword},
		ETags: true, Sort: true, MaxCount: 1000, Vendor: vendor{},
		Allowed: map[string]map[string][]string{"User": {
			"schemas": nil, "id": nil, "meta": nil, "userName": nil, "name": {"formatted", "familyName", "givenName"},
			"displayName": nil, "userType": nil, "active": nil, "password": nil, "emails": {"type", "value", "primary"},
			scim.EnterpriseSchema: {"manager"},
			Extension: {"capabilities", "administrator", "softwareVersion", "empId", "dn", "region", "regionOwner", "location", "locationOwner",
				"Department", "costcenter", "jobtitle", "accounts", "entitlements", "roles", "riskScore", "isManager", "lastRefresh"},
		}},
		// Its own extension is checked by Allowed and validate.
		UserSchema: scim.NewResourceSchema(scim.UserSchemaDef, scim.EnterpriseSchemaDef, scim.Schema{ID: Extension}),
		OAuth:      &emulator.OAuth{Path: TokenPath, ClientID: EmulatorClientID, ClientSecret: EmulatorClientSecret},
	})
}

// vendor is what IdentityIQ's API does beyond the RFC.
type vendor struct{ emulator.RFC }

// Resolve lets ?lookupByName=true name a user by its userName.
func (vendor) Resolve(r *http.Request, id string, byName func(string) (string, bool)) string {
	if r.URL.Query().Get("lookupByName") == "true" {
		if found, ok := byName(id); ok {
			return found
		}
	}
	return id
}

// Version renders versions as IdentityIQ does, W"n", with no ETag header.
func (vendor) Version(n int) (string, bool) { return `W"` + strconv.Itoa(n) + `"`, false }

// List leaves itemsPerPage out.
func (vendor) List(list map[string]any) { delete(list, "itemsPerPage") }

var readOnlyExt = []string{"accounts", "entitlements", "roles", "riskScore", "isManager", "lastRefresh"}

// Validate refuses IdentityIQ's read-only attributes and a costcenter that
// is not an array.
func (vendor) Validate(method, rt string, body []byte) (int, string, string) {
	ext := gjson.GetBytes(body, extKey)
	for _, k := range readOnlyExt {
		if ext.Get(k).Exists() {
			return http.StatusBadRequest, "mutability", fmt.Sprintf("%s is read-only", k)
		}
	}
	if cc := ext.Get("costcenter"); cc.Exists() && !cc.IsArray() {
		return http.StatusBadRequest, "invalidValue", "costcenter must be an array of strings"
	}
	return 0, "", ""
}

// Check keeps userName unchanged and sets what IdentityIQ computes: a
// role, an entitlement, a risk score.
func (vendor) Check(method, rt string, cur, next map[string]any) (int, string) {
	ext, _ := next[Extension].(map[string]any)
	if ext == nil {
		ext = map[string]any{}
		next[Extension] = ext
	}
	if _, ok := next["active"]; !ok {
		next["active"] = true
	}
	if cur == nil {
		ext["roles"] = []any{map[string]any{"value": "r-employee", "display": "Employee", "type": "business", "acquired": "Assigned"}}
		ext["entitlements"] = []any{map[string]any{"value": "e-mail", "display": "Mail user", "type": "group", "application": "Exchange"}}
		ext["riskScore"] = 12
		ext["isManager"] = false
		ext["lastRefresh"] = "2026-11-23"
		return 0, ""
	}
	if !strings.EqualFold(fmt.Sprint(cur["userName"]), fmt.Sprint(next["userName"])) {
		return http.StatusBadRequest, "userName cannot be changed"
	}
	if was, _ := cur[Extension].(map[string]any); was != nil {
		for _, k := range readOnlyExt {
			if v, ok := was[k]; ok {
				ext[k] = v
			}
		}
	}
	return 0, ""
}

// View renders a user as IdentityIQ does: string booleans, capabilities as
// a JSON string, $refs under /iiq/scim/v2, and roles and entitlements only
// when asked for.
func (vendor) View(r *http.Request, rt string, doc map[string]any) {
	if b, ok := doc["active"].(bool); ok {
		doc["active"] = fmt.Sprint(b)
	}
	emails, _ := doc["emails"].([]any)
	for _, e := range emails {
		if m, ok := e.(map[string]any); ok {
			if b, ok := m["primary"].(bool); ok {
				m["primary"] = fmt.Sprint(b)
			}
		}
	}
	ref := func(kind, id string) string { return "http://" + r.Host + "/iiq/scim/v2/" + kind + "/" + id }
	if ent, _ := doc[scim.EnterpriseSchema].(map[string]any); ent != nil && r != nil {
		if m, ok := ent["manager"].(map[string]any); ok && m["value"] != nil {
			m["$ref"] = ref("Users", fmt.Sprint(m["value"]))
		}
	}
	ext, _ := doc[Extension].(map[string]any)
	if ext == nil {
		return
	}
	if b, ok := ext["isManager"].(bool); ok {
		ext["isManager"] = fmt.Sprint(b)
	}
	if caps, ok := ext["capabilities"].([]any); ok {
		raw, _ := json.Marshal(caps)
		ext["capabilities"] = string(raw)
	}
	asked := ""
	if r != nil {
		asked = strings.ToLower(r.URL.Query().Get("attributes"))
	}
	for _, k := range []string{"roles", "entitlements"} {
		if !strings.Contains(asked, strings.ToLower(Extension+":"+k)) {
			delete(ext, k)
			continue
		}
		kind := map[string]string{"roles": "Roles", "entitlements": "Entitlements"}[k]
		list, _ := ext[k].([]any)
		for _, v := range list {
			if m, ok := v.(map[string]any); ok && r != nil {
				m["$ref"] = ref(kind, fmt.Sprint(m["value"]))
			}
		}
	}
}
