// Package identityiq is the SailPoint IdentityIQ dialect: SCIM 2.0 under
// /identityiq/scim/v2 (seed 004; sailpoint-oss/api-specs iiq) with the
// urn:ietf:params:scim:schemas:sailpoint:1.0:User extension, Users only and
// no PATCH. The mapping (mapping.yaml) relocates the enterprise
// attributes into that extension; this package does the rest:
//
//   - PATCH is read, applied by the gateway's PatchOp engine, and PUT back
//     with the version read as If-Match (no PATCH in Capabilities: the
//     gateway does it, dialects.Decorate);
//   - userName cannot change (Capabilities.Immutable), and read-only
//     attributes (roles, entitlements, accounts, riskScore, …) are never
//     sent: left out of a create or replace, refused in a PATCH;
//   - answers are coerced: string booleans, JSON-encoded arrays, the
//     malformed weak ETag W"n";
//   - attributes and excludedAttributes are forwarded, so that roles and
//     entitlements, which IdentityIQ returns only when asked, come back;
//   - a lookup by userName is a GET with lookupByName=true.
package identityiq

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/scim2"
	"github.com/scimgw/scimgw/mappings"
	"github.com/scimgw/scimgw/mappings/scim"
)

// Extension is IdentityIQ's user extension.
const Extension = "urn:ietf:params:scim:schemas:sailpoint:1.0:User"

// extKey is Extension escaped for gjson and sjson paths.
const extKey = `urn:ietf:params:scim:schemas:sailpoint:1\.0:User`

//go:embed mapping.yaml
var mapping []byte

// Factory registers the identityiq dialect.
var Factory = &dialects.Factory{
	Name:        "identityiq",
	Mapping:     mappings.Source{File: "dialects/identityiq/mapping.yaml", Data: mapping},
	Description: "SailPoint IdentityIQ SCIM v2 (users; no groups, no PATCH)",
	New: func(cfg dialects.Config) (dialects.Dialect, error) {
		d := &dialect{b: cfg.Backend, m: cfg.Mapping}
		d.c = scim2.NewClient(cfg.Backend, cfg.Mapping, scim2.Config{Name: "identityiq", Caps: d.Capabilities(), ForwardAttributes: true})
		return d, nil
	},
	NewEmulator: func(dialects.Options) dialects.Emulator { return NewEmulator() },
	Demo:        dialects.Demo{Auth: `{type: basic, username: spadmin, password: emulator-password}`, Options: `{}`},
}

type dialect struct {
	c *scim2.Client
	b dialects.Backend
	m *mappings.Mapping
}

func (d *dialect) Capabilities() dialects.Capabilities {
	return dialects.Capabilities{Filter: true, Sort: true, ETag: true, Enterprise: true,
		ReadOnly: []string{"roles", "entitlements", Extension + ":roles", Extension + ":entitlements"}, Immutable: [2][]string{dialects.User: {"userName"}}, Extensions: []scim.Schema{extensionSchema},
		ReadOnlyWhy: "IdentityIQ assigns roles and entitlements itself"}
}

// owner is the shape of IdentityIQ's administrator, regionOwner and
// locationOwner.
func owner(name, desc string) scim.Attribute {
	return scim.Attr(name, "complex", desc).With(
		scim.Attr("value", "string", "The id of the User."),
		scim.Attr("displayName", "string", "The User's display name.").ReadOnly(),
		scim.Attr("$ref", "reference", "The URI of the User.").ReadOnly())
}

// extensionSchema is IdentityIQ's User extension, as clients see it: the
// attributes the gateway does not move to SCIM 2.0 ones (seed 004,
// sailpoint-oss/api-specs iiq).
var extensionSchema = scim.Schema{ID: Extension, Name: "SailPointUser", Description: "SailPoint IdentityIQ user extension", Attributes: []scim.Attribute{
	scim.Attr("capabilities", "string", "Capabilities assigned to this User.").Multi(),
	owner("administrator", "The Administrator of the RPA or Service Account."),
	scim.Attr("softwareVersion", "string", "The software version of the RPA/Bots."),
	scim.Attr("dn", "string", "Distinguished name for this User."),
	scim.Attr("region", "string", "The region this User is assigned to."),
	owner("regionOwner", "The User who owns the region this User belongs to."),
	scim.Attr("location", "string", "The location this User is assigned to."),
	owner("locationOwner", "The User who owns the location this User belongs to."),
	scim.Attr("accounts", "complex", "The User's accounts (links).").Multi().ReadOnly().With(
		scim.Attr("value", "string", "The id of the Account.").ReadOnly(),
		scim.Attr("displayName", "string", "The display name of the Account.").ReadOnly(),
		scim.Attr("$ref", "reference", "The URI of the Account.").ReadOnly()),
	scim.Attr("riskScore", "integer", "Composite Risk Score of this User.").ReadOnly(),
	scim.Attr("isManager", "boolean", "Whether this User is a manager.").ReadOnly(),
	scim.Attr("lastRefresh", "dateTime", "When IdentityIQ last refreshed this User.").ReadOnly(),
}}

// readOnly are the attributes IdentityIQ sets itself, as SCIM 2.0 paths.
var readOnly = []string{"roles", "entitlements", Extension + ":roles", Extension + ":entitlements",
	Extension + ":accounts", Extension + ":riskScore", Extension + ":isManager", Extension + ":lastRefresh"}

func (d *dialect) Do(ctx context.Context, req *dialects.Request) (*dialects.Response, error) {
	if req.Type == dialects.Group {
		return nil, dialects.Unsupported("SailPoint IdentityIQ has no SCIM groups; its roles and entitlements come with each user (attributes=roles,entitlements) and are read-only")
	}
	var resp *dialects.Response
	var err error
	switch req.Action {
	case dialects.Create, dialects.Replace:
		r := *req
		r.Body = withoutReadOnly(req.Body)
		resp, err = d.c.Do(ctx, &r)
	case dialects.List:
		if name, ok := userNameLookup(req.Query.Filter); ok {
			return d.lookup(ctx, req, name)
		}
		resp, err = d.c.Do(ctx, req)
	default:
		resp, err = d.c.Do(ctx, req)
	}
	if err != nil || len(resp.Body) == 0 {
		return resp, err
	}
	if req.Action == dialects.List {
		resp.Body, err = dialects.MapList(resp.Body, func(r []byte) ([]byte, error) { b, _ := coerce(r); return b, nil })
		return resp, err
	}
	var version string
	resp.Body, version = coerce(resp.Body)
	if resp.ETag == "" {
		resp.ETag = version
	}
	return resp, nil
}

// readOnlyPaths are the read-only attributes as gjson and sjson paths.
var readOnlyPaths = func() []string {
	paths := make([]string, len(readOnly))
	for i, p := range readOnly {
		paths[i] = p
		if strings.HasPrefix(p, Extension) {
			paths[i] = extKey + "." + p[len(Extension)+1:]
		}
	}
	return paths
}()

// withoutReadOnly leaves out what IdentityIQ sets itself: RFC 7644 §3.3
// and §3.5.1 say read-only values in a create or replace are ignored.
func withoutReadOnly(body []byte) []byte {
	for _, path := range readOnlyPaths {
		if gjson.GetBytes(body, path).Exists() {
			body, _ = sjson.DeleteBytes(body, path)
		}
	}
	return body
}

// userNameLookup reports whether a filter is exactly userName eq "x".
func userNameLookup(f *scim.Expr) (string, bool) {
	if f == nil || f.Kind != scim.Compare || f.Op != scim.OpEq || !f.Path.Is("userName", "") || f.Value.Kind != scim.StringValue {
		return "", false
	}
	return f.Value.Str, true
}

// lookup answers userName eq "x" with GET /Users/x?lookupByName=true:
// one read, with no filter for IdentityIQ to evaluate.
func (d *dialect) lookup(ctx context.Context, req *dialects.Request, name string) (*dialects.Response, error) {
	q := url.Values{"lookupByName": {"true"}}
	dialects.AttributesQuery(q, d.m, dialects.User, req.Attributes, req.ExcludedAttributes)
	resp, err := dialects.Send(ctx, d.b, "identityiq", &dialects.BackendRequest{Method: http.MethodGet, Path: "/Users/" + url.PathEscape(name), Query: q})
	var de *dialects.Error
	switch {
	case errors.As(err, &de) && de.Status == http.StatusNotFound:
		return &dialects.Response{Status: http.StatusOK, Body: dialects.ListResponse(0, req.Query.StartIndex, nil)}, nil
	case err != nil:
		return nil, err
	case resp.Status != http.StatusOK:
		return nil, dialects.FromResponse("identityiq", resp)
	}
	user, err := d.m.Response(dialects.User, resp.Body)
	if err != nil {
		return nil, err
	}
	user, _ = coerce(user)
	var page []string
	if req.Query.StartIndex <= 1 && req.Query.Count >= 1 {
		page = []string{string(user)}
	}
	return &dialects.Response{Status: http.StatusOK, Body: dialects.ListResponse(1, req.Query.StartIndex, page)}, nil
}

// coerce repairs what IdentityIQ returns: "true"/"false" strings in
// active, emails[].primary and isManager become booleans, the
// JSON-encoded string array capabilities becomes an array, and the
// malformed weak version W"n" becomes W/"n", which it also returns.
func coerce(body []byte) ([]byte, string) {
	fixBool := func(path string) {
		if v := gjson.GetBytes(body, path); v.Type == gjson.String {
			if b, err := strconv.ParseBool(strings.TrimSpace(v.Str)); err == nil {
				body, _ = sjson.SetBytes(body, path, b)
			}
		}
	}
	fixBool("active")
	for i := range gjson.GetBytes(body, "emails").Array() {
		fixBool("emails." + strconv.Itoa(i) + ".primary")
	}
	fixBool(extKey + ".isManager")
	if v := gjson.GetBytes(body, extKey+".capabilities"); v.Type == gjson.String && gjson.Valid(v.Str) && gjson.Parse(v.Str).IsArray() {
		body, _ = sjson.SetRawBytes(body, extKey+".capabilities", []byte(v.Str))
	}
	version := gjson.GetBytes(body, "meta.version").String()
	if strings.HasPrefix(version, `W"`) {
		version = `W/` + version[1:]
		body, _ = sjson.SetBytes(body, "meta.version", version)
	}
	return body, version
}
