package cube_test

import (
	"encoding/json"
	"fmt"
	"github.com/scimgw/scimgw/gateway/gatewaytest"
	"net/http"
	"testing"
)

const cubeToken = "cube-token-123456"

// cubeConfig has one emulated Cube tenant "cube".
var cubeConfig = gatewaytest.EmulatedTenant("cube", "cube", cubeToken, `{type: bearer, token: emulator-backend-token}`, `{}`, gatewaytest.QuickRetry)

func (h *harness) cube(method, path, body string, headers ...string) gatewaytest.Response {
	h.T.Helper()
	return h.Do(method, "/cube/scim/v2"+path, cubeToken, body, headers...)
}

// userBody is an enterprise user with what Cube does not model.
const userBody = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
 "userName":"bjensen@example.com","externalId":"ext-1","password":"s3cret-pass","displayName":"Babs",
 "name":{"givenName":"Barbara","familyName":"Jensen","formatted":"Ms. Barbara J Jensen"},
 "emails":[{"value":"bjensen@example.com","type":"work","primary":true}],"active":true,
 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","department":"R&D"}}`

// The cube emulator rejects attributes Cube does not model, as a strict
// vendor API would; these pass only because the dialect strips them.
func TestCubeStripsUnmodelledAttributes(t *testing.T) {
	h := newH(t, cubeConfig)
	r := h.cube("POST", "/Users", userBody).WantStatus(t, http.StatusCreated)
	id := r.JSON.Get("id").String()
	if r.JSON.Get("externalId").String() != "ext-1" || r.JSON.Get("name.givenName").String() != "Barbara" || !r.JSON.Get("active").Bool() {
		t.Fatalf("kept attributes lost: %s", r.Body)
	}
	if r.JSON.Get("displayName").Exists() || r.JSON.Get("name.formatted").Exists() || r.JSON.Get("emails.0.type").Exists() {
		t.Fatalf("unmodelled attributes not stripped: %s", r.Body)
	}
	if loc := r.Header.Get("Location"); loc != "https://gw.example.com/cube/scim/v2/Users/"+id {
		t.Fatalf("Location %q", loc)
	}
	stored := h.Emu("cube").Resource("Users", id)
	var doc map[string]any
	if err := json.Unmarshal(stored, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"displayName", "password", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"} {
		if _, ok := doc[k]; ok {
			t.Fatalf("backend stored %q: %s", k, stored)
		}
	}

	// PATCH: operations on unmodelled attributes are dropped, the rest applied.
	p := h.cube("PATCH", "/Users/"+id, `{"Operations":[{"op":"Replace","path":"active","value":false},{"op":"replace","path":"title","value":"CEO"},{"op":"replace","path":"name.formatted","value":"x"}]}`).WantStatus(t, http.StatusOK)
	if p.JSON.Get("active").Bool() || p.JSON.Get("title").Exists() {
		t.Fatalf("patch: %s", p.Body)
	}
	// A PATCH with nothing Cube models becomes a read.
	h.cube("PATCH", "/Users/"+id, `{"Operations":[{"op":"replace","path":"title","value":"CEO"}]}`).WantStatus(t, http.StatusOK)
	// Path-less values are trimmed too.
	h.cube("PATCH", "/Users/"+id, `{"Operations":[{"op":"replace","value":{"active":true,"nickName":"B"}}]}`).WantStatus(t, http.StatusOK)

	// PUT strips as create does.
	h.cube("PUT", "/Users/"+id, `{"userName":"bjensen@example.com","nickName":"B","active":true}`).WantStatus(t, http.StatusOK)

	l := h.cube("GET", "/Users?filter=userName+eq+%22bjensen@example.com%22", "").WantStatus(t, http.StatusOK)
	if l.JSON.Get("totalResults").Int() != 1 {
		t.Fatalf("filter: %s", l.Body)
	}
	h.cube("DELETE", "/Users/"+id, "").WantStatus(t, http.StatusNoContent)
}

func TestCubeGroups(t *testing.T) {
	h := newH(t, cubeConfig)
	uid := h.cube("POST", "/Users", `{"userName":"a@example.com"}`).WantStatus(t, 201).JSON.Get("id").String()
	g := h.cube("POST", "/Groups", fmt.Sprintf(`{"displayName":"Ops","externalId":"g-1","members":[{"value":%q,"type":"User"}]}`, uid)).WantStatus(t, 201)
	gid := g.JSON.Get("id").String()
	if g.JSON.Get("members.0.value").String() != uid || g.JSON.Get("members.0.type").Exists() {
		t.Fatalf("group: %s", g.Body)
	}
	h.cube("PATCH", "/Groups/"+gid, fmt.Sprintf(`{"Operations":[{"op":"remove","path":"members[value eq \"%s\"]"}]}`, uid)).WantStatus(t, 200)
	h.cube("DELETE", "/Groups/"+gid, "").WantStatus(t, 204)
}

// harness is the gateway under test, with this file's tenant shortcuts.
type harness struct{ *gatewaytest.Harness }

func newH(t *testing.T, yaml string) *harness {
	t.Helper()
	return &harness{gatewaytest.New(t, yaml, cubeToken, "s3cret-pass")}
}
