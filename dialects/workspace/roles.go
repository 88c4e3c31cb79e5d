package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
	"go.uber.org/zap"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/mappings/scim"
)

// Roles (options.roles: assign). Workspace ONE shows a user's roles on the
// user ({value: role id, display: name}) but changes them only through
// the members of /scim/Roles/{id} (seed 001; dialects.md §2.2, §2.6 item
// 7). The dialect resolves the roles a create, replace or PATCH asks for
// — by id, or by name in value or display — before anything is written
// (an unknown role is 400 invalidValue), writes the user, then adds the
// user to or removes it from each role whose membership changes, and
// answers with the user read back. The default role (options.default_role)
// is every user's: never added or removed.

// rolesTTL is how long the tenant's list of roles is used before it is
// read again; a role not in it is looked for in a fresh one at once.
const rolesTTL = 5 * time.Minute

// roleCache is a tenant's Workspace ONE roles.
type roleCache struct {
	mu     sync.Mutex
	at     time.Time
	byID   map[string]string // id → name
	byName map[string]string // lower-case name → id
}

// loadRoles reads every role (GET /scim/Roles).
func (d *dialect) loadRoles(ctx context.Context) error {
	byID, byName := map[string]string{}, map[string]string{}
	for start := 1; ; {
		q := url.Values{"startIndex": {strconv.Itoa(start - 1 + d.base)}, "count": {strconv.Itoa(pageSize)}}
		resp, err := d.send(ctx, &dialects.BackendRequest{Method: http.MethodGet, Path: "/Roles", Query: q}, "")
		if err != nil {
			return err
		}
		list := gjson.ParseBytes(resp.Body)
		res := scim.Field(list, "Resources").Array()
		for _, r := range res {
			id, name := scim.Field(r, "id").String(), scim.Field(r, "displayName").String()
			if id != "" {
				byID[id], byName[strings.ToLower(name)] = name, id
			}
		}
		start += len(res)
		if len(res) == 0 || start > int(scim.Field(list, "totalResults").Int()) {
			break
		}
	}
	d.roles.mu.Lock()
	d.roles.at, d.roles.byID, d.roles.byName = time.Now(), byID, byName
	d.roles.mu.Unlock()
	return nil
}

// roleID finds a role by id or by name in the cached list.
func (d *dialect) roleID(keys ...string) (string, bool) {
	d.roles.mu.Lock()
	defer d.roles.mu.Unlock()
	for _, k := range keys {
		if _, ok := d.roles.byID[k]; ok && k != "" {
			return k, true
		}
		if id, ok := d.roles.byName[strings.ToLower(k)]; ok && k != "" {
			return id, true
		}
	}
	return "", false
}

func (d *dialect) rolesFresh() bool {
	d.roles.mu.Lock()
	defer d.roles.mu.Unlock()
	return d.roles.byID != nil && time.Since(d.roles.at) < rolesTTL
}

// resolveRoles returns the ids of the roles v (a user's "roles") names,
// sorted, without the default role: 400 invalidValue for one Workspace ONE
// does not have.
func (d *dialect) resolveRoles(ctx context.Context, v gjson.Result) ([]string, error) {
	if !d.rolesFresh() {
		if err := d.loadRoles(ctx); err != nil {
			return nil, err
		}
	}
	reloaded := false
	var ids []string
	for _, r := range v.Array() {
		keys := []string{scim.Field(r, "value").String(), scim.Field(r, "display").String()}
		id, ok := d.roleID(keys...)
		if !ok && !reloaded {
			// A role created since the list was read.
			if err := d.loadRoles(ctx); err != nil {
				return nil, err
			}
			reloaded = true
			id, ok = d.roleID(keys...)
		}
		if !ok {
			return nil, dialects.Errorf(http.StatusBadRequest, "invalidValue", "Workspace ONE has no role %q (its roles: %s)", firstOf(keys), d.roleNames())
		}
		if !slices.Contains(ids, id) && !d.isDefaultRole(id) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

func firstOf(keys []string) string {
	for _, k := range keys {
		if k != "" {
			return k
		}
	}
	return ""
}

func (d *dialect) roleNames() string {
	d.roles.mu.Lock()
	defer d.roles.mu.Unlock()
	var names []string
	for _, n := range d.roles.byID {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (d *dialect) isDefaultRole(id string) bool {
	d.roles.mu.Lock()
	defer d.roles.mu.Unlock()
	return strings.EqualFold(d.roles.byID[id], d.defaultRole)
}

// currentRoles returns the role ids of a user as Workspace ONE shows it
// (SCIM 2.0 form), sorted, without the default role.
func (d *dialect) currentRoles(user gjson.Result) []string {
	var ids []string
	for _, r := range scim.Field(user, "roles").Array() {
		if id := scim.Field(r, "value").String(); id != "" && !d.isDefaultRole(id) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// roleChange is what a write changes in a user's roles.
type roleChange struct{ add, remove []string }

func (c roleChange) empty() bool { return len(c.add)+len(c.remove) == 0 }

func diffRoles(cur, want []string) roleChange {
	var c roleChange
	for _, id := range want {
		if !slices.Contains(cur, id) {
			c.add = append(c.add, id)
		}
	}
	for _, id := range cur {
		if !slices.Contains(want, id) {
			c.remove = append(c.remove, id)
		}
	}
	return c
}

// applyRoles adds the user to and removes it from the roles of c, one
// SCIM 1.1 PATCH of the role's members each. written says what was
// already done to the user ("created", "updated"), for the error (500)
// that says what was and was not done when a call fails; nothing is
// retried blindly, and the next replace or PATCH with the same roles
// finishes it (an IdP's next sync does: it reads the user and sends the
// roles it lacks).
func (d *dialect) applyRoles(ctx context.Context, userID, written string, c roleChange) error {
	type call struct {
		id     string
		remove bool
	}
	var calls []call
	for _, id := range c.add {
		calls = append(calls, call{id, false})
	}
	for _, id := range c.remove {
		calls = append(calls, call{id, true})
	}
	for i, cl := range calls {
		m := map[string]any{"value": userID, "type": "User"}
		if cl.remove {
			m["operation"] = scim.DeleteOp
		}
		body, _ := json.Marshal(map[string]any{"schemas": []string{scim.Core11Schema}, "members": []any{m}})
		if _, err := d.send(ctx, &dialects.BackendRequest{Method: http.MethodPatch, Path: "/Roles/" + url.PathEscape(cl.id), Body: body}, ""); err != nil {
			var done, left []string
			for j, o := range calls {
				what := d.roleName(o.id) + " (add)"
				if o.remove {
					what = d.roleName(o.id) + " (remove)"
				}
				if j < i {
					done = append(done, what)
				} else {
					left = append(left, what)
				}
			}
			// The backend's own words stay in the log: only its status here.
			why := "the backend could not be reached or did not answer"
			var de *dialects.Error
			if errors.As(err, &de) {
				why = fmt.Sprintf("the backend answered %d", de.Status)
			}
			d.log.Warn("a role change failed after the user was written", zap.String("user", userID), zap.String("role", cl.id), zap.String("why", why))
			return dialects.Partial("workspace: the user %s was %s, but not all its role changes were made: done: %s; not done: %s (%s). Send the same roles again (PUT or PATCH) to finish",
				userID, written, orNone(done), strings.Join(left, ", "), why)
		}
	}
	return nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func (d *dialect) roleName(id string) string {
	d.roles.mu.Lock()
	defer d.roles.mu.Unlock()
	if n := d.roles.byID[id]; n != "" {
		return n
	}
	return id
}

// touchesRoles reports whether a PatchOp changes roles.
func touchesRoles(ops []scim.PatchOperation) bool {
	for _, op := range ops {
		if op.Path == "" {
			var v map[string]json.RawMessage
			json.Unmarshal(op.Value, &v)
			for k := range v {
				if scim.FoldEq(k, "roles") {
					return true
				}
			}
			continue
		}
		if p, err := scim.ParsePatchPath(op.Path); err == nil && isRoles(p.Attr) {
			return true
		}
	}
	return false
}

func isRoles(a scim.AttrPath) bool {
	return scim.FoldEq(a.Attr, "roles") && (a.URN == "" || scim.FoldEq(a.URN, scim.UserSchema))
}

// roleOps rewrites the value filters of roles paths that name a role (by
// value or display) into ones on its id, as the user's roles carry it:
// roles[value eq "Super Admin"] is roles[value eq "<its id>"]. Workspace
// ONE keeps no primary role: the role Entra ID's SingleAppRoleAssignment
// calls primary (roles[primary eq "True"].value) is the user's one role
// besides the default.
func (d *dialect) roleOps(ctx context.Context, ops []scim.PatchOperation) ([]scim.PatchOperation, error) {
	out := slices.Clone(ops)
	for i, op := range out {
		p, err := scim.ParsePatchPath(op.Path)
		if op.Path == "" || err != nil || !isRoles(p.Attr) || p.Filter == nil {
			continue
		}
		f := p.Filter
		if f.Kind == scim.Compare && f.Op == scim.OpEq && f.Path.Is("primary", "") && strings.EqualFold(strings.Trim(f.Value.Raw, `"`), "true") {
			switch {
			case strings.EqualFold(op.Op, "remove"):
				out[i] = scim.PatchOperation{Op: "remove", Path: "roles"}
			case p.Sub == "" || strings.EqualFold(p.Sub, "value"):
				v := op.Value
				if p.Sub != "" {
					v = []byte(`{"value":` + string(op.Value) + `}`)
				}
				out[i] = scim.PatchOperation{Op: "replace", Path: "roles", Value: []byte("[" + string(v) + "]")}
			}
			continue
		}
		if f.Kind != scim.Compare || f.Op != scim.OpEq || f.Value.Kind != scim.StringValue || !(f.Path.Is("value", "") || f.Path.Is("display", "")) {
			continue
		}
		if !d.rolesFresh() {
			if err := d.loadRoles(ctx); err != nil {
				return nil, err
			}
		}
		id, ok := d.roleID(f.Value.Str)
		if !ok {
			continue // matches nothing: the PatchOp engine answers
		}
		lit, _ := json.Marshal(id)
		if p.Filter, err = scim.ParseFilter("value eq " + string(lit)); err != nil {
			return nil, err
		}
		out[i].Path = p.String()
	}
	return out, nil
}
