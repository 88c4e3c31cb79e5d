// Package firehydrant is the FireHydrant dialect: a cut-down SCIM 2.0 under
// /v1/scim/v2 (seed 000; FireHydrant's SDKs and OpenAPI) with no schemas,
// no discovery, roles as plain strings, and Teams as Groups. The mapping
// (mapping.yaml) keeps what FireHydrant models; this package
// does the rest:
//
//   - a user is created with given and family name (derived from
//     name.formatted or displayName when missing), emails with a primary
//     one, and roles from the tenant's allowed set; active: false on
//     create is a create followed by a PATCH, since create takes no active;
//   - userName cannot change (Capabilities.Immutable);
//   - every PATCH operation gets a path (path-less ones are expanded);
//   - filters: FireHydrant evaluates userName eq and email eq; the gateway
//     evaluates the rest over a wider listing (a dialects.Lister);
//   - Teams have no PATCH (Capabilities.Patch): the gateway reads, applies
//     the PatchOp and PUTs the whole roster;
//   - a duplicate reported as 400 or 422 "has already been taken" is 409.
package firehydrant

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/scim2"
	"github.com/scimgw/scimgw/mappings"
	"github.com/scimgw/scimgw/mappings/scim"
)

//go:embed mapping.yaml
var mapping []byte

// Factory registers the firehydrant dialect.
var Factory = &dialects.Factory{
	Name:        "firehydrant",
	Mapping:     mappings.Source{File: "dialects/firehydrant/mapping.yaml", Data: mapping},
	Description: "FireHydrant SCIM (users with string roles; Teams as Groups)",
	Options: []dialects.OptionSpec{
		{Name: "allowed_roles", Kind: dialects.String, Default: "owner,member,collaborator", Description: "the roles a user may have, separated by commas; others are refused with 400"},
		dialects.ScanLimit,
	},
	New: func(cfg dialects.Config) (dialects.Dialect, error) {
		d := &dialect{b: cfg.Backend, m: cfg.Mapping, roles: map[string]bool{}}
		for _, r := range strings.Split(cfg.Options.String("allowed_roles"), ",") {
			if r = strings.TrimSpace(r); r != "" {
				d.roles[strings.ToLower(r)] = true
				d.roleList = append(d.roleList, r)
			}
		}
		d.scanLimit = cfg.Options.Int("scan_limit")
		d.c = scim2.NewClient(cfg.Backend, cfg.Mapping, scim2.Config{Name: "firehydrant", Caps: d.Capabilities(), NoSchemas: true})
		return d, nil
	},
	NewEmulator: func(o dialects.Options) dialects.Emulator { return NewEmulator(o.String("allowed_roles")) },
	Demo:        dialects.Demo{Auth: `{type: bearer, token: emulator-backend-token}`, Options: `{}`},
}

type dialect struct {
	c         *scim2.Client
	b         dialects.Backend
	m         *mappings.Mapping
	roles     map[string]bool
	roleList  []string
	scanLimit int
}

// Capabilities: PATCH of users (the gateway patches Teams by replace) and
// filters (the gateway evaluates what FireHydrant cannot); no sort, no
// versions, no enterprise extension.
func (d *dialect) Capabilities() dialects.Capabilities {
	return dialects.Capabilities{Patch: dialects.KindsOf(dialects.User), Filter: true, Groups: true,
		Immutable: [2][]string{dialects.User: {"userName"}}, ScanLimit: d.scanLimit, ScanPage: 100}
}

func (d *dialect) Do(ctx context.Context, req *dialects.Request) (*dialects.Response, error) {
	resp, err := d.do(ctx, req)
	var de *dialects.Error
	if errors.As(err, &de) && de.Status == http.StatusBadRequest && duplicateRE.MatchString(de.Backend) {
		// FireHydrant reports a duplicate as a validation error.
		return nil, &dialects.Error{Status: http.StatusConflict, ScimType: "uniqueness", Detail: "firehydrant: the userName or team name is already taken", Backend: de.Backend, Err: de}
	}
	return resp, err
}

var duplicateRE = regexp.MustCompile(`(?i)\b(taken|exists?|already)\b`)

func (d *dialect) do(ctx context.Context, req *dialects.Request) (*dialects.Response, error) {
	switch {
	case req.Type == dialects.Group && (req.Action == dialects.Create || req.Action == dialects.Replace):
		// FireHydrant requires members, even none (a PATCH that removes
		// the last member is a PUT of the team without any).
		body := req.Body
		if !scim.Field(scim.Parse(body), "members").Exists() {
			body, _ = sjson.SetRawBytes(body, "members", []byte("[]"))
		}
		return d.c.Do(ctx, with(req, body))
	case req.Type == dialects.Group:
		return d.c.Do(ctx, req)
	case req.Action == dialects.Create:
		return d.create(ctx, req)
	case req.Action == dialects.Replace:
		body, err := d.prepare(req.Body)
		if err != nil {
			return nil, err
		}
		body, _ = sjson.DeleteBytes(body, "password") // a PUT takes no password
		return d.c.Do(ctx, with(req, body))
	case req.Action == dialects.Patch:
		pr, err := d.patch(req.Patch)
		if err != nil {
			return nil, err
		}
		r := *req
		r.Patch = pr
		return d.c.Do(ctx, &r)
	}
	return d.c.Do(ctx, req)
}

func with(req *dialects.Request, body []byte) *dialects.Request {
	r := *req
	r.Body = body
	return &r
}

// create creates the user; since FireHydrant's create takes no active, a
// user created inactive is created and then deactivated with a PATCH.
func (d *dialect) create(ctx context.Context, req *dialects.Request) (*dialects.Response, error) {
	body, err := d.prepare(req.Body)
	if err != nil {
		return nil, err
	}
	inactive := scim.Field(scim.Parse(body), "active").Type == gjson.False
	body, _ = sjson.DeleteBytes(body, "active")
	resp, err := d.c.Do(ctx, with(req, body))
	if err != nil || !inactive {
		return resp, err
	}
	id := gjson.GetBytes(resp.Body, "id").String()
	deactivated, err := d.c.Do(ctx, &dialects.Request{Action: dialects.Patch, Type: dialects.User, ID: id,
		Patch: &scim.PatchRequest{Schemas: []string{scim.PatchOpURN}, Operations: []scim.PatchOperation{{Op: "replace", Path: "active", Value: []byte("false")}}}})
	if err == nil && len(deactivated.Body) == 0 {
		deactivated, err = d.c.Do(ctx, &dialects.Request{Action: dialects.Get, Type: dialects.User, ID: id})
	}
	if err != nil {
		return nil, dialects.Errorf(http.StatusBadGateway, "", "FireHydrant created user %s but did not deactivate it: %v", id, err)
	}
	deactivated.Status = http.StatusCreated
	return deactivated, nil
}

// prepare checks and completes a SCIM 2.0 user as FireHydrant requires:
// given and family name (split from name.formatted or displayName when
// missing, else 400), at least one email (the userName when it is an email
// address) with one primary, and roles from the allowed set.
func (d *dialect) prepare(body []byte) ([]byte, error) {
	body, ok := dialects.CompleteName(body)
	if !ok {
		return nil, dialects.Errorf(http.StatusBadRequest, "invalidValue", "FireHydrant needs name.givenName and name.familyName (or a name.formatted or displayName to derive them from)")
	}
	doc := scim.Parse(body)
	emails := scim.Field(doc, "emails").Array()
	if len(emails) == 0 {
		un := scim.Field(doc, "userName").String()
		if !strings.Contains(un, "@") {
			return nil, dialects.Errorf(http.StatusBadRequest, "invalidValue", "FireHydrant needs an email")
		}
		body, _ = sjson.SetBytes(body, "emails", []map[string]any{{"value": un, "primary": true}})
	} else {
		// Every email gets a boolean primary; the first is primary when none is.
		primary := -1
		for i, e := range emails {
			if scim.Field(e, "primary").Bool() && primary < 0 {
				primary = i
			}
		}
		primary = max(primary, 0)
		out := make([]map[string]any, 0, len(emails))
		for i, e := range emails {
			out = append(out, map[string]any{"value": scim.Field(e, "value").String(), "primary": i == primary})
		}
		body, _ = sjson.SetBytes(body, "emails", out)
	}
	if err := d.checkRoles(scim.Field(doc, "roles")); err != nil {
		return nil, err
	}
	return body, nil
}

// checkRoles refuses roles outside options.allowed_roles.
func (d *dialect) checkRoles(roles gjson.Result) error {
	var bad string
	arr := roles
	if roles.Exists() && !roles.IsArray() {
		arr = gjson.Parse("[" + roles.Raw + "]")
	}
	arr.ForEach(func(_, r gjson.Result) bool {
		v := r.String()
		if r.IsObject() {
			v = scim.Field(r, "value").String()
		}
		if !d.roles[strings.ToLower(v)] {
			bad = v
		}
		return bad == ""
	})
	if bad != "" {
		return dialects.Errorf(http.StatusBadRequest, "invalidValue", "role %q is not one of FireHydrant's roles (%s)", bad, strings.Join(d.roleList, ", "))
	}
	return nil
}

// patch gives every operation a path and checks roles.
func (d *dialect) patch(pr *scim.PatchRequest) (*scim.PatchRequest, error) {
	pr, err := dialects.ExpandPathless(pr)
	if err != nil {
		return nil, err
	}
	for _, op := range pr.Operations {
		p, _ := scim.ParsePatchPath(op.Path)
		if p.Attr.Is("roles", "") && p.Filter == nil && !strings.EqualFold(op.Op, "remove") {
			if err := d.checkRoles(gjson.ParseBytes(op.Value)); err != nil {
				return nil, err
			}
		}
	}
	return pr, nil
}

// filterNames are what FireHydrant filters users and Teams on.
func native(rt dialects.ResourceType) func(e *scim.Expr) bool {
	return func(e *scim.Expr) bool {
		if e.Op != scim.OpEq || e.Value.Kind != scim.StringValue {
			return false
		}
		if rt == dialects.Group {
			return e.Path.Is("displayName", "")
		}
		return e.Path.Is("userName", "") || e.Path.Is("emails", "value")
	}
}

// Listing sends the one comparison FireHydrant evaluates (userName eq,
// email eq; displayName eq for Teams); the gateway evaluates the rest of
// the filter over it.
func (d *dialect) Listing(rt dialects.ResourceType, q dialects.Query) (dialects.Page, bool, error) {
	filter, exact := "", q.Filter == nil
	if q.Filter != nil {
		var e *scim.Expr
		e, exact = dialects.Widen(q.Filter, native(rt))
		if e != nil && e.Kind != scim.Compare {
			// One comparison is all FireHydrant takes: the first one of the
			// "and", or none for an "or".
			exact = false
			for e != nil && e.Kind == scim.And {
				e = e.Left
			}
		}
		if e != nil && e.Kind == scim.Compare {
			name := e.Path.Attr
			if e.Path.Is("emails", "value") {
				name = "email"
			}
			filter = name + " eq " + e.Value.Raw
		}
	}
	return func(ctx context.Context, start, count int) ([]gjson.Result, int, error) {
		v := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(count)}}
		if filter != "" {
			v.Set("filter", filter)
		}
		resp, err := dialects.Send(ctx, d.b, "firehydrant", &dialects.BackendRequest{Method: http.MethodGet, Path: "/" + rt.Endpoint(), Query: v})
		if err != nil {
			return nil, 0, err
		}
		return dialects.Resources(resp.Body, start, func(r []byte) ([]byte, error) { return d.m.Response(rt, r) })
	}, exact, nil
}
