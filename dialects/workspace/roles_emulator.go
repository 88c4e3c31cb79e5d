package workspace

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/mappings/scim"
)

// The emulator's roles (a new Workspace ONE tenant's): every user has the
// default role, User; the others are assigned through /scim/Roles.
const (
	UserRoleID       = "3a1c5d2e-0000-4000-8000-000000000001"
	SuperAdminRoleID = "3a1c5d2e-0000-4000-8000-000000000002"
)

var seededRoles = []struct{ id, name string }{
	{UserRoleID, "User"},
	{SuperAdminRoleID, "Super Admin"},
	{"3a1c5d2e-0000-4000-8000-000000000003", "ReadOnly Admin"},
	{"3a1c5d2e-0000-4000-8000-000000000004", "Directory Admin"},
}

// roles is Workspace ONE's /scim/Roles, as strict as the vendor's
// documentation (seed 001; dialects.md §2.2): a SCIM 1.1 list and
// resources, roles neither created nor deleted through SCIM, members
// changed by a SCIM 1.1 partial-resource PATCH (members with the
// "operation": "delete" mark to remove) answered 204; unknown role ids
// 404, unknown users 400; a user's roles come back on the user
// (vendor.View).
type roles struct {
	srv  *emulator.Server
	base int // startIndex of a list's first result
	mu   sync.Mutex
	list []*role
}

type role struct {
	id, name string
	members  map[string]bool // user ids
}

// Reset restores the seeded roles, with no members.
func (rs *roles) Reset() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.list = nil
	for _, r := range seededRoles {
		rs.list = append(rs.list, &role{id: r.id, name: r.name, members: map[string]bool{}})
	}
}

func (rs *roles) find(id string) *role {
	for _, r := range rs.list {
		if r.id == id {
			return r
		}
	}
	return nil
}

// of returns a user's roles as Workspace ONE shows them on the user.
func (rs *roles) of(userID string) []any {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var out []any
	for _, r := range rs.list {
		if r.id == UserRoleID || r.members[userID] {
			out = append(out, map[string]any{"value": r.id, "display": r.name})
		}
	}
	return out
}

func (rs *roles) doc(r *role, members bool) map[string]any {
	d := map[string]any{"schemas": []any{scim.Core11Schema}, "id": r.id, "displayName": r.name,
		"meta": map[string]any{"location": rs.srv.BasePath() + "/Roles/" + r.id}}
	if members {
		var ms []any
		for _, id := range sortedKeys(r.members) {
			if rs.srv.Resource("Users", id) != nil {
				ms = append(ms, map[string]any{"value": id, "type": "User"})
			}
		}
		d["members"] = ms
	}
	return d
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (rs *roles) ServeEndpoint(w http.ResponseWriter, r *http.Request, id string, body []byte) {
	switch {
	case r.Method == http.MethodGet && id == "":
		rs.serveList(w, r)
	case r.Method == http.MethodGet:
		rs.mu.Lock()
		ro := rs.find(id)
		var snap *role
		if ro != nil {
			snap = &role{id: ro.id, name: ro.name, members: map[string]bool{}}
			for k := range ro.members {
				snap.members[k] = true
			}
		}
		rs.mu.Unlock()
		if snap == nil {
			rs.srv.Error(w, http.StatusNotFound, "", "Role "+id+" not found")
			return
		}
		writeJSON(w, http.StatusOK, rs.doc(snap, true))
	case r.Method == http.MethodPatch && id != "":
		rs.patch(w, id, body)
	default:
		rs.srv.Error(w, http.StatusMethodNotAllowed, "", r.Method+" is not allowed on roles")
	}
}

// serveList lists the roles, filtered by displayName eq "…" (the only
// filter taken here).
func (rs *roles) serveList(w http.ResponseWriter, r *http.Request) {
	name := ""
	if f := r.URL.Query().Get("filter"); f != "" {
		e, err := scim.ParseFilter(f)
		if err != nil || e.Kind != scim.Compare || e.Op != scim.OpEq || !e.Path.Is("displayName", "") || e.Value.Kind != scim.StringValue {
			rs.srv.Error(w, http.StatusBadRequest, "", "roles filter on displayName eq only")
			return
		}
		name = e.Value.Str
	}
	rs.mu.Lock()
	var res []any
	for _, ro := range rs.list {
		if name == "" || strings.EqualFold(ro.name, name) {
			res = append(res, rs.doc(ro, false))
		}
	}
	rs.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []any{scim.Core11Schema}, "totalResults": len(res), "itemsPerPage": len(res), "startIndex": rs.base, "Resources": res})
}

// member is one entry of a Role PATCH's members.
type member struct {
	value  string
	remove bool
}

// readPatch reads a SCIM 1.1 partial Role: schemas (the 1.1 core URN) and
// members only.
func readPatch(body []byte) ([]member, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, errors.New("the body is not a JSON object")
	}
	var schemas []string
	if err := json.Unmarshal(doc["schemas"], &schemas); err != nil || len(schemas) != 1 || schemas[0] != scim.Core11Schema {
		return nil, fmt.Errorf(`schemas must be ["%s"]`, scim.Core11Schema)
	}
	var out []member
	for k, v := range doc {
		switch k {
		case "schemas":
		case "members":
			var ms []map[string]any
			if err := json.Unmarshal(v, &ms); err != nil || len(ms) == 0 {
				return nil, errors.New("members must be a non-empty array of objects")
			}
			for _, m := range ms {
				val, _ := m["value"].(string)
				if val == "" {
					return nil, errors.New("a member needs a value, the user's id")
				}
				var e member
				e.value = val
				for mk, mv := range m {
					switch {
					case mk == "value":
					case mk == "type" && mv == "User":
					case mk == "operation" && mv == scim.DeleteOp:
						e.remove = true
					default:
						return nil, fmt.Errorf("member attribute %s: %v is not supported", mk, mv)
					}
				}
				out = append(out, e)
			}
		default:
			return nil, fmt.Errorf("attribute %s cannot be changed on a role", k)
		}
	}
	if out == nil {
		return nil, errors.New("nothing to change: send members")
	}
	return out, nil
}

func (rs *roles) patch(w http.ResponseWriter, id string, body []byte) {
	ms, err := readPatch(body)
	if err != nil {
		rs.srv.Error(w, http.StatusBadRequest, "", err.Error())
		return
	}
	for _, m := range ms {
		if rs.srv.Resource("Users", m.value) == nil {
			rs.srv.Error(w, http.StatusBadRequest, "", "User "+m.value+" not found")
			return
		}
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	ro := rs.find(id)
	switch {
	case ro == nil:
		rs.srv.Error(w, http.StatusNotFound, "", "Role "+id+" not found")
		return
	case ro.id == UserRoleID:
		rs.srv.Error(w, http.StatusBadRequest, "", "every user has the User role")
		return
	}
	for _, m := range ms {
		if m.remove {
			delete(ro.members, m.value)
		} else {
			ro.members[m.value] = true
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rs *roles) CheckWire(method, id string, body []byte) error {
	switch {
	case method == http.MethodGet && len(body) == 0:
		return nil
	case method == http.MethodPatch && id != "" && !strings.ContainsAny(id, "/\\"):
		_, err := readPatch(body)
		return err
	}
	return fmt.Errorf("%s on roles is not in Workspace ONE's API", method)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
