package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// The cube emulator rejects attributes Cube does not model, as a strict
// vendor API would; these pass only because the dialect strips them.
func TestCubeStripsUnmodelledAttributes(t *testing.T) {
	h := newHarness(t, testConfig)
	r := h.cube("POST", "/Users", userBody).wantStatus(t, http.StatusCreated)
	id := r.json.Get("id").String()
	if r.json.Get("externalId").String() != "ext-1" || r.json.Get("name.givenName").String() != "Barbara" || !r.json.Get("active").Bool() {
		t.Fatalf("kept attributes lost: %s", r.body)
	}
	if r.json.Get("displayName").Exists() || r.json.Get("name.formatted").Exists() || r.json.Get("emails.0.type").Exists() {
		t.Fatalf("unmodelled attributes not stripped: %s", r.body)
	}
	if loc := r.header.Get("Location"); loc != "https://gw.example.com/cube/scim/v2/Users/"+id {
		t.Fatalf("Location %q", loc)
	}
	stored := h.emu("cube").Resource("Users", id)
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
	p := h.cube("PATCH", "/Users/"+id, `{"Operations":[{"op":"Replace","path":"active","value":false},{"op":"replace","path":"title","value":"CEO"},{"op":"replace","path":"name.formatted","value":"x"}]}`).wantStatus(t, http.StatusOK)
	if p.json.Get("active").Bool() || p.json.Get("title").Exists() {
		t.Fatalf("patch: %s", p.body)
	}
	// A PATCH with nothing Cube models becomes a read.
	h.cube("PATCH", "/Users/"+id, `{"Operations":[{"op":"replace","path":"title","value":"CEO"}]}`).wantStatus(t, http.StatusOK)
	// Path-less values are trimmed too.
	h.cube("PATCH", "/Users/"+id, `{"Operations":[{"op":"replace","value":{"active":true,"nickName":"B"}}]}`).wantStatus(t, http.StatusOK)

	// PUT strips as create does.
	h.cube("PUT", "/Users/"+id, `{"userName":"bjensen@example.com","nickName":"B","active":true}`).wantStatus(t, http.StatusOK)

	l := h.cube("GET", "/Users?filter=userName+eq+%22bjensen@example.com%22", "").wantStatus(t, http.StatusOK)
	if l.json.Get("totalResults").Int() != 1 {
		t.Fatalf("filter: %s", l.body)
	}
	h.cube("DELETE", "/Users/"+id, "").wantStatus(t, http.StatusNoContent)
}

func TestCubeGroups(t *testing.T) {
	h := newHarness(t, testConfig)
	uid := h.cube("POST", "/Users", `{"userName":"a@example.com"}`).wantStatus(t, 201).json.Get("id").String()
	g := h.cube("POST", "/Groups", fmt.Sprintf(`{"displayName":"Ops","externalId":"g-1","members":[{"value":%q,"type":"User"}]}`, uid)).wantStatus(t, 201)
	gid := g.json.Get("id").String()
	if g.json.Get("members.0.value").String() != uid || g.json.Get("members.0.type").Exists() {
		t.Fatalf("group: %s", g.body)
	}
	h.cube("PATCH", "/Groups/"+gid, fmt.Sprintf(`{"Operations":[{"op":"remove","path":"members[value eq \"%s\"]"}]}`, uid)).wantStatus(t, 200)
	h.cube("DELETE", "/Groups/"+gid, "").wantStatus(t, 204)
}
