// Package workspace is the VMware Workspace ONE Access (vIDM) dialect: a
// SCIM 1.1 API (seed 001; vmware/idm apidocs/swagger.json) under
// /SAAS/jersey/manager/api/scim. The mapping (mapping.yaml)
// turns SCIM 2.0 resources into 1.1 ones; this package does what a mapping
// cannot:
//
//   - create adds sendMail (options.send_mail) and forwards ?attributes=;
//   - there is no PUT: a replace reads the resource, computes the SCIM 1.1
//     PATCH that turns it into the new one, sends it and reads it again;
//   - a SCIM 2.0 PatchOp becomes a SCIM 1.1 partial resource: directly
//     when every operation translates on its own (member and single-valued
//     changes), otherwise by reading, applying the PatchOp in the gateway
//     and sending the difference; the 204 answer is followed by a read;
//   - filters the backend cannot evaluate (ne, ew, pr, not, [value
//     filters]) are evaluated by the gateway over a wider backend query;
//   - startIndex is converted to the backend's base (options.start_index_base),
//     and its 404 for bad paging parameters becomes 400 invalidValue.
package workspace

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
	"go.uber.org/zap"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/mappings"
	"github.com/scimgw/scimgw/mappings/scim"
)

// SCIM 1.1 and Workspace ONE URNs.
const (
	Enterprise11 = "urn:scim:schemas:extension:enterprise:1.0"
	Extension    = "urn:scim:schemas:extension:workspace:1.0"
)

//go:embed mapping.yaml
var mapping []byte

// Factory registers the workspace dialect.
var Factory = &dialects.Factory{
	Name:        "workspace",
	Mapping:     mappings.Source{File: "dialects/workspace/mapping.yaml", Data: mapping},
	Description: "VMware Workspace ONE Access (vIDM), SCIM 1.1",
	Options: []dialects.OptionSpec{
		{Name: "domain", Kind: dialects.String, Required: true, Description: "directory domain of provisioned users (workspace extension domain), unless the client sends its own"},
		{Name: "internal_user_type", Kind: dialects.Enum, Default: "PROVISIONED", Values: []string{"PROVISIONED", "LOCAL", "OPERATOR", "SERVICE", "JIT"}, Description: "workspace extension internalUserType, unless the client sends its own"},
		{Name: "send_mail", Kind: dialects.Bool, Default: "false", Description: "ask Workspace ONE to mail a set-password link to users created without a password (otherwise the link comes back as firstLoginUrl)"},
		{Name: "start_index_base", Kind: dialects.Enum, Default: "1", Values: []string{"0", "1"}, Description: "index of the first result in the backend's lists (its swagger documents an offset, 0)"},
		{Name: "extra_emails", Kind: dialects.Enum, Default: "drop", Values: []string{"drop", "reject"}, Description: "a user has one email: keep the primary one and drop the others, or refuse with 400"},
		{Name: "external_id", Kind: dialects.Enum, Default: "username", Values: []string{"username", "require"}, Description: "Workspace ONE requires externalId on provisioned users: when the client sends none, use userName, or refuse with 400"},
		{Name: "roles", Kind: dialects.Enum, Default: "assign", Values: []string{"assign", "refuse"}, Description: "roles on a user: assign them through Workspace ONE's /scim/Roles (found by id or name), or refuse a change with 400 mutability"},
		{Name: "default_role", Kind: dialects.String, Default: "User", Description: "the role every Workspace ONE user has, never added or removed"},
		dialects.ScanLimit,
	},
	New: func(cfg dialects.Config) (dialects.Dialect, error) {
		o := cfg.Options
		d := &dialect{b: cfg.Backend, m: cfg.Mapping, sendMail: o.String("send_mail"), rejectEmails: o.String("extra_emails") == "reject",
			userType: o.String("internal_user_type"), externalIDFromUserName: o.String("external_id") == "username",
			base: o.Int("start_index_base"), scanLimit: o.Int("scan_limit"),
			refuseRoles: o.String("roles") == "refuse", defaultRole: o.String("default_role"), log: cfg.Log}
		if d.log == nil {
			d.log = zap.NewNop()
		}
		return d, nil
	},
	NewEmulator: func(o dialects.Options) dialects.Emulator { return NewEmulator(o.Int("start_index_base")) },
	Demo:        dialects.Demo{Auth: `{type: oauth2, token_url: /SAAS/auth/oauthtoken, client_id: emulator-client, client_secret: emulator-client-secret}`, Options: `{domain: example.com}`},
}

type dialect struct {
	b            dialects.Backend
	m            *mappings.Mapping
	sendMail     string
	rejectEmails bool
	base         int
	scanLimit    int
	userType     string // options.internal_user_type
	// externalIDFromUserName: a provisioned user created without
	// externalId gets its userName.
	externalIDFromUserName bool
	refuseRoles            bool   // options.roles: refuse
	defaultRole            string // options.default_role
	roles                  roleCache
	log                    *zap.Logger
}

// pageSize is how many resources a gateway-evaluated filter reads at once.
const pageSize = 100

// extensionSchema is Workspace ONE's user extension as its answers carry it
// (seed 001, vmware/idm apidocs).
var extensionSchema = scim.Schema{ID: Extension, Name: "WorkspaceUser", Description: "VMware Workspace ONE Access user extension", Attributes: []scim.Attribute{
	scim.Attr("internalUserType", "string", "PROVISIONED for users SCIM creates; LOCAL for local users. Default: the tenant's internal_user_type option.").Canonical("PROVISIONED", "LOCAL"),
	scim.Attr("domain", "string", "The user's domain. Default: the tenant's domain option."),
	scim.Attr("userPrincipalName", "string", "The user principal name."),
	scim.Attr("userStatus", "string", "The account status Workspace ONE sets (1: active).").ReadOnly(),
	scim.Attr("softDeleted", "boolean", "Whether the user is soft-deleted.").ReadOnly(),
	scim.Attr("userStoreUuid", "string", "The directory the user is synced from; such users cannot be changed through SCIM.").ReadOnly(),
	scim.Attr("firstLoginUrl", "reference", "The one-time link to set a password, returned on create.").ReadOnly(),
	scim.Attr("distinguishedName", "string", "The directory distinguished name.").ReadOnly(),
}}

func (d *dialect) Capabilities() dialects.Capabilities {
	c := dialects.Capabilities{Patch: dialects.AllKinds, Filter: true, Sort: true, ETag: true, Groups: true, Enterprise: true,
		ScanLimit: d.scanLimit, ScanPage: pageSize,
		// Workspace ONE requires both names and an email of a provisioned
		// user (the gateway derives the names from name.formatted or
		// displayName when they are missing).
		Required:   []string{"name.givenName", "name.familyName", "emails"},
		Extensions: []scim.Schema{extensionSchema},
	}
	if d.refuseRoles {
		c.ReadOnly, c.ReadOnlyWhy = []string{"roles"}, "Workspace ONE assigns roles through its Roles endpoint, not on the user (options.roles: refuse)"
	} else {
		c.Held = []string{"roles"}
	}
	return c
}

func (d *dialect) Do(ctx context.Context, req *dialects.Request) (*dialects.Response, error) {
	switch req.Action {
	case dialects.Create:
		return d.create(ctx, req)
	case dialects.Get:
		return d.get(ctx, req.Type, req.ID, req.Attributes, req.IfNoneMatch)
	case dialects.Replace:
		return d.rewrite(ctx, req, func(map[string]any) (map[string]any, error) {
			var next map[string]any
			json.Unmarshal(req.Body, &next)
			return next, nil
		})
	case dialects.Patch:
		return d.patch(ctx, req)
	case dialects.Delete:
		if _, err := d.send(ctx, &dialects.BackendRequest{Method: http.MethodDelete, Path: path(req.Type, req.ID)}, req.IfMatch); err != nil {
			return nil, err
		}
		return &dialects.Response{Status: http.StatusNoContent}, nil
	}
	return nil, dialects.Unsupported("workspace: unknown operation")
}

func path(rt dialects.ResourceType, id string) string {
	if id == "" {
		return "/" + rt.Endpoint()
	}
	return "/" + rt.Endpoint() + "/" + url.PathEscape(id)
}

// send sends a request with an optional If-Match (dialects.Send: a
// status outside 2xx is the backend's error, a body must be JSON). A 403
// for a user synced from a directory says so.
func (d *dialect) send(ctx context.Context, br *dialects.BackendRequest, ifMatch string) (*dialects.BackendResponse, error) {
	if br.Header == nil {
		br.Header = http.Header{}
	}
	if ifMatch != "" {
		br.Header.Set("If-Match", ifMatch)
	}
	if br.Body != nil {
		br.Header.Set("Content-Type", "application/json")
	}
	resp, err := dialects.Send(ctx, d.b, "workspace", br)
	var de *dialects.Error
	if errors.As(err, &de) && de.Status == http.StatusForbidden && strings.Contains(strings.ToLower(de.Backend), "not a local user") {
		de.Detail = "workspace: this user comes from a directory synced into Workspace ONE, not from SCIM provisioning; Workspace ONE only lets SCIM change local and provisioned users (" + de.Detail + ")"
	}
	return resp, err
}

// resource maps a backend resource to SCIM 2.0.
func (d *dialect) resource(rt dialects.ResourceType, status int, resp *dialects.BackendResponse) (*dialects.Response, error) {
	if !scim.Parse(resp.Body).IsObject() { // JSON: dialects.Send checked it
		return nil, dialects.Errorf(http.StatusBadGateway, "", "workspace backend answered %d with a body that is not a JSON object", resp.Status)
	}
	body, err := d.m.Response(rt, resp.Body)
	if err != nil {
		return nil, err
	}
	// One pass over the answer: whether it has active, Workspace ONE's
	// userStatus, and meta.version (the version when there is no ETag).
	var userStatus, version gjson.Result
	active := false
	scim.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch {
		case k.Str == "active":
			active = true
		case k.Str == "meta":
			version = scim.Field(v, "version")
		case k.Str == Extension:
			userStatus = scim.Field(v, "userStatus")
		}
		return true
	})
	if userStatus.Exists() && !active {
		// userStatus "1" is enabled, "2" disabled, "3" deleted.
		body, _ = sjson.SetBytes(body, "active", userStatus.String() == "1")
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		etag = version.String()
	}
	return &dialects.Response{Status: status, Body: body, ETag: etag}, nil
}

func (d *dialect) attributesQuery(rt dialects.ResourceType, attrs []scim.AttrPath) url.Values {
	q := url.Values{}
	if len(attrs) == 0 {
		return q
	}
	var names []string
	for _, a := range d.m.Attributes(rt, attrs) {
		names = append(names, a.String())
	}
	if len(names) > 0 {
		q.Set("attributes", strings.Join(names, ","))
	}
	return q
}

// withSchemas lists in "schemas" the core URN and every extension a SCIM
// 1.1 PATCH body carries (the mapping does it for whole resources).
func withSchemas(body []byte) []byte {
	schemas := []string{scim.Core11Schema}
	gjson.ParseBytes(body).ForEach(func(k, v gjson.Result) bool {
		if v.IsObject() && strings.HasPrefix(strings.ToLower(k.Str), "urn:") {
			schemas = append(schemas, k.Str)
		}
		return true
	})
	sort.Strings(schemas[1:])
	out, _ := sjson.SetBytes(body, "schemas", schemas)
	return out
}

// user is what Workspace ONE's rules read of a SCIM 2.0 user, found in
// one pass over its members.
type user struct {
	roles, active, emails, externalID, userName, name, displayName, ext gjson.Result
}

// count is the number of values of a multi-valued attribute (one for a
// single value, as gjson's Array has it), without building the slice.
func count(v gjson.Result) int {
	switch {
	case !v.Exists() || v.Type == gjson.Null:
		return 0
	case !v.IsArray():
		return 1
	}
	n := 0
	v.ForEach(func(_, _ gjson.Result) bool { n++; return true })
	return n
}

func readUser(doc gjson.Result) user {
	var u user
	doc.ForEach(func(k, v gjson.Result) bool {
		switch name := k.Str; {
		case scim.FoldEq(name, "roles"):
			u.roles = v
		case scim.FoldEq(name, "active"):
			u.active = v
		case scim.FoldEq(name, "emails"):
			u.emails = v
		case scim.FoldEq(name, "externalId"):
			u.externalID = v
		case scim.FoldEq(name, "userName"):
			u.userName = v
		case scim.FoldEq(name, "name"):
			u.name = v
		case scim.FoldEq(name, "displayName"):
			u.displayName = v
		case scim.FoldEq(name, Extension):
			u.ext = v
		}
		return true
	})
	return u
}

// prepareUser applies Workspace ONE's rules for provisioned users to a
// SCIM 2.0 user before it is sent, so that a user it would refuse gets a
// clear 400 and nothing is forwarded. One email at most, when
// options.extra_emails is reject. Required are name.givenName and
// name.familyName (split from name.formatted or displayName when absent),
// an email (the userName, when it is an email address), and externalId —
// kept from cur (the current user, on replace and patch), else taken from
// userName (options.external_id). active, when absent, keeps its current
// value.
func (d *dialect) prepareUser(body []byte, u user, cur gjson.Result) ([]byte, error) {
	if d.rejectEmails && count(u.emails) > 1 {
		return nil, dialects.Errorf(http.StatusBadRequest, "invalidValue", "Workspace ONE keeps one email per user; send only one")
	}
	userType := scim.Field(u.ext, "internalUserType").String()
	if userType == "" {
		userType = d.userType
	}
	if !u.active.Exists() && scim.Field(cur, "active").Exists() {
		body, _ = sjson.SetRawBytes(body, "active", []byte(scim.Field(cur, "active").Raw))
	}
	if userType != "PROVISIONED" {
		return body, nil
	}
	body, ok := dialects.CompleteNameOf(body, u.name, u.displayName)
	if !ok {
		return nil, dialects.Errorf(http.StatusBadRequest, "invalidValue", "Workspace ONE requires name.givenName and name.familyName for provisioned users")
	}
	if count(u.emails) == 0 {
		// A userName that is an email address is the user's email.
		un := u.userName.String()
		if _, err := mail.ParseAddress(un); err != nil || !strings.Contains(un, "@") {
			return nil, dialects.Errorf(http.StatusBadRequest, "invalidValue", "Workspace ONE requires one email for provisioned users")
		}
		body, _ = sjson.SetBytes(body, "emails", []map[string]any{{"value": un, "primary": true}})
	}
	if u.externalID.String() != "" {
		return body, nil
	}
	ext := scim.Field(cur, "externalId").String()
	if ext == "" && d.externalIDFromUserName {
		ext = u.userName.String()
	}
	if ext == "" {
		return nil, dialects.Errorf(http.StatusBadRequest, "invalidValue", "Workspace ONE requires externalId for provisioned users")
	}
	return sjson.SetBytes(body, "externalId", ext)
}

// withoutRoles leaves out a user's roles, which are never written on the
// user.
func withoutRoles(body []byte) []byte {
	var key string
	scim.Parse(body).ForEach(func(k, _ gjson.Result) bool {
		if scim.FoldEq(k.Str, "roles") {
			key = k.Str
		}
		return key == ""
	})
	if key != "" {
		body, _ = sjson.DeleteBytes(body, key) // a name of letters only
	}
	return body
}

// sameRoles reports whether next carries the roles of cur, as cur shows
// them (a user read, changed and written back): nothing to resolve.
func sameRoles(cur, next gjson.Result) bool {
	set := func(v gjson.Result) string {
		var vals []string
		for _, r := range scim.Field(v, "roles").Array() {
			vals = append(vals, scim.Field(r, "value").String())
		}
		sort.Strings(vals)
		return strings.Join(vals, "\x00")
	}
	return set(cur) == set(next)
}

// errRoles refuses a change of roles (options.roles: refuse).
var errRoles = dialects.Errorf(http.StatusBadRequest, "mutability", "Workspace ONE assigns roles through its Roles endpoint, not on the user: roles cannot be changed here")

// checkRoles refuses a change of roles between cur and next.
func checkRoles(cur, next gjson.Result) error {
	if scim.Field(next, "roles").Exists() && !sameRoles(cur, next) {
		return errRoles
	}
	return nil
}

func (d *dialect) create(ctx context.Context, req *dialects.Request) (*dialects.Response, error) {
	body := req.Body
	var roles []string // to assign once the user exists
	if req.Type == dialects.User {
		u := readUser(scim.Parse(body))
		var err error
		switch {
		case count(u.roles) > 0 && d.refuseRoles:
			return nil, errRoles
		case count(u.roles) > 0:
			if roles, err = d.resolveRoles(ctx, u.roles); err != nil {
				return nil, err
			}
		}
		if body, err = d.prepareUser(body, u, gjson.Result{}); err != nil {
			return nil, err
		}
		if u.roles.Exists() {
			body = withoutRoles(body)
		}
	}
	body, err := d.m.Request(req.Type, body)
	if err != nil {
		return nil, err
	}
	q := d.attributesQuery(req.Type, req.Attributes)
	if req.Type == dialects.User {
		q.Set("sendMail", d.sendMail)
	}
	resp, err := d.send(ctx, &dialects.BackendRequest{Method: http.MethodPost, Path: path(req.Type, ""), Query: q, Body: body}, "")
	if err != nil {
		return nil, err
	}
	out, err := d.resource(req.Type, http.StatusCreated, resp)
	if err != nil || len(roles) == 0 {
		return out, err
	}
	id := scim.Field(scim.Parse(out.Body), "id").String()
	if err := d.applyRoles(ctx, id, "created", diffRoles(d.currentRoles(scim.Parse(out.Body)), roles)); err != nil {
		return nil, err
	}
	return d.reread(ctx, req.Type, id, req.Attributes, http.StatusCreated)
}

// reread answers with the resource read again (after a change of roles).
func (d *dialect) reread(ctx context.Context, rt dialects.ResourceType, id string, attrs []scim.AttrPath, status int) (*dialects.Response, error) {
	out, err := d.get(ctx, rt, id, attrs, "")
	if err == nil {
		out.Status = status
	}
	return out, err
}

func (d *dialect) get(ctx context.Context, rt dialects.ResourceType, id string, attrs []scim.AttrPath, ifNoneMatch string) (*dialects.Response, error) {
	br := &dialects.BackendRequest{Method: http.MethodGet, Path: path(rt, id), Query: d.attributesQuery(rt, attrs), Header: http.Header{}}
	if ifNoneMatch != "" {
		br.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := d.send(ctx, br, "")
	if err != nil {
		return nil, err
	}
	if resp.Status == http.StatusNotModified {
		return &dialects.Response{Status: http.StatusNotModified, ETag: resp.Header.Get("ETag")}, nil
	}
	return d.resource(rt, http.StatusOK, resp)
}

// native reports whether Workspace ONE evaluates a comparison: eq, co,
// sw, gt, ge, lt and le (its swagger); not ne, ew or pr.
func native(e *scim.Expr) bool {
	switch e.Op {
	case scim.OpEq, scim.OpCo, scim.OpSw, scim.OpGt, scim.OpGe, scim.OpLt, scim.OpLe:
		return true
	}
	return false
}

// Listing sends Workspace ONE the widest part of the filter it evaluates
// (eq co sw gt ge lt le); the gateway evaluates the rest over it.
func (d *dialect) Listing(rt dialects.ResourceType, q dialects.Query) (dialects.Page, bool, error) {
	ri := rt
	var backendFilter *scim.Expr
	exact := true
	if q.Filter != nil {
		f, err := d.m.Filter(ri, q.Filter)
		if err != nil {
			return nil, false, err
		}
		backendFilter, exact = dialects.Widen(f, native)
	}
	return func(ctx context.Context, start, count int) ([]gjson.Result, int, error) {
		v := url.Values{}
		if backendFilter != nil {
			v.Set("filter", backendFilter.String())
		}
		v.Set("startIndex", strconv.Itoa(start-1+d.base))
		v.Set("count", strconv.Itoa(count))
		if err := dialects.SetSort(v, d.m, ri, q); err != nil {
			return nil, 0, err
		}
		resp, err := d.send(ctx, &dialects.BackendRequest{Method: http.MethodGet, Path: path(rt, ""), Query: v}, "")
		var de *dialects.Error
		if errors.As(err, &de) && de.Status == http.StatusNotFound {
			// Workspace ONE answers 404 to a bad startIndex, count or sortBy.
			return nil, 0, dialects.Errorf(http.StatusBadRequest, "invalidValue", "the backend refused the paging or sorting parameters (%s)", de.Detail)
		}
		if err != nil {
			return nil, 0, err
		}
		return dialects.Resources(resp.Body, start, func(r []byte) ([]byte, error) { return d.m.Response(ri, r) })
	}, exact, nil
}

// readOnly names what a SCIM 1.1 PATCH never sends: attributes the
// backend sets, and roles and groups, which are changed elsewhere.
func readOnly(name string) bool {
	switch strings.ToLower(name) {
	case "id", "meta", "schemas", "groups", "roles",
		"urn:scim:schemas:extension:workspace:1.0:userstatus",
		"urn:scim:schemas:extension:workspace:1.0:softdeleted",
		"urn:scim:schemas:extension:workspace:1.0:userstoreuuid",
		"urn:scim:schemas:extension:workspace:1.0:firstloginurl",
		"urn:scim:schemas:extension:workspace:1.0:distinguishedname":
		return true
	}
	return false
}

// rewrite changes a resource by read, compute, SCIM 1.1 PATCH and read
// again: change gets the current resource in SCIM 2.0 form and returns the
// wanted one. The PATCH carries the version read (or the client's
// If-Match), so a concurrent change is never overwritten: when it was the
// version read that no longer matches, the cycle runs again, at most three
// times.
func (d *dialect) rewrite(ctx context.Context, req *dialects.Request, change func(cur map[string]any) (map[string]any, error)) (*dialects.Response, error) {
	var roles roleChange // made once the user is written
	out, err := dialects.Guarded(ctx, func() (*dialects.Response, bool, error) {
		roles = roleChange{}
		resp, err := d.send(ctx, &dialects.BackendRequest{Method: http.MethodGet, Path: path(req.Type, req.ID)}, "")
		if err != nil {
			return nil, false, err
		}
		cur, err := d.resource(req.Type, http.StatusOK, resp)
		if err != nil {
			return nil, false, err
		}
		if req.IfMatch != "" && req.IfMatch != "*" && cur.ETag != "" && req.IfMatch != cur.ETag {
			return nil, false, dialects.Errorf(http.StatusPreconditionFailed, "", "the resource has changed: its version is %s, not %s", cur.ETag, req.IfMatch)
		}
		var cur2 map[string]any
		json.Unmarshal(cur.Body, &cur2)
		next2, err := change(cur2)
		if err != nil {
			return nil, false, err
		}
		nextBody, _ := json.Marshal(next2)
		if req.Type == dialects.User {
			next := scim.Parse(nextBody)
			switch want := scim.Field(next, "roles"); {
			case d.refuseRoles:
				if err := checkRoles(scim.Parse(cur.Body), next); err != nil {
					return nil, false, err
				}
			case (want.Exists() || req.Action == dialects.Patch) && !sameRoles(scim.Parse(cur.Body), next):
				// A PUT without roles leaves them as they are: an IdP
				// that does not send them does not manage them. A PATCH
				// that removed them removed them.
				ids, err := d.resolveRoles(ctx, want)
				if err != nil {
					return nil, false, err
				}
				roles = diffRoles(d.currentRoles(scim.Parse(cur.Body)), ids)
			}
			if nextBody, err = d.prepareUser(nextBody, readUser(scim.Parse(nextBody)), scim.Parse(cur.Body)); err != nil {
				return nil, false, err
			}
		}
		next1, err := d.m.Request(req.Type, nextBody)
		if err != nil {
			return nil, false, err
		}
		var curMap, nextMap map[string]any
		json.Unmarshal(resp.Body, &curMap)
		json.Unmarshal(next1, &nextMap)
		diff, changed := scim.Diff(curMap, nextMap, readOnly)
		if !changed {
			return cur, false, nil
		}
		body, _ := json.Marshal(diff)
		ifMatch, ours := req.IfMatch, false
		if ifMatch == "" && cur.ETag != "" {
			ifMatch, ours = cur.ETag, true
		}
		out, err := d.sendPatch(ctx, req.Type, req.ID, withSchemas(body), ifMatch)
		return out, ours, err
	})
	if err != nil || roles.empty() {
		return out, err
	}
	if err := d.applyRoles(ctx, req.ID, "updated", roles); err != nil {
		return nil, err
	}
	return d.reread(ctx, req.Type, req.ID, nil, out.Status)
}

// sendPatch sends a SCIM 1.1 PATCH and answers with the resource: the
// PATCH's own body if it has one, else read after its 204.
func (d *dialect) sendPatch(ctx context.Context, rt dialects.ResourceType, id string, body []byte, ifMatch string) (*dialects.Response, error) {
	resp, err := d.send(ctx, &dialects.BackendRequest{Method: http.MethodPatch, Path: path(rt, id), Body: body}, ifMatch)
	if err != nil {
		return nil, err
	}
	if resp.Status == http.StatusOK && gjson.ParseBytes(resp.Body).IsObject() {
		return d.resource(rt, http.StatusOK, resp)
	}
	return d.get(ctx, rt, id, nil, "")
}

// patch applies a SCIM 2.0 PatchOp (RFC 7644 §3.5.2): as one SCIM 1.1
// partial resource when its operations translate one by one, else by
// read, apply, diff and SCIM 1.1 PATCH (rewrite).
func (d *dialect) patch(ctx context.Context, req *dialects.Request) (*dialects.Response, error) {
	translated, n, err := d.m.Patch(req.Type, req.Patch)
	if err != nil {
		return nil, err
	}
	ops := req.Patch.Operations
	roles := req.Type == dialects.User && !d.refuseRoles && touchesRoles(ops)
	if roles {
		// Read, apply and write: the roles change on their own endpoint.
		if ops, err = d.roleOps(ctx, ops); err != nil {
			return nil, err
		}
	}
	if n == 0 && !roles {
		return d.get(ctx, req.Type, req.ID, nil, "")
	}
	if body, ok := direct(translated); ok && !roles {
		return d.sendPatch(ctx, req.Type, req.ID, withSchemas(body), req.IfMatch)
	}
	return d.rewrite(ctx, req, func(cur map[string]any) (map[string]any, error) {
		return scim.ApplyPatch(cur, ops)
	})
}
