package gateway

import (
	"net/http"
	"strings"
	"testing"
)

// TestPatchWithoutBackendPatch: for a backend without PATCH the gateway
// reads the resource, applies the PatchOp itself and replaces it.
func TestPatchWithoutBackendPatch(t *testing.T) {
	h := newHarness(t, strings.Replace(testConfig, "options: {sort: true, etag: true}", "options: {sort: true, etag: true, patch: false}", 1))
	id := h.acme("POST", "/Users", `{"userName":"p@example.com","emails":[{"value":"a@x.com","type":"work"}],"active":true}`).wantStatus(t, 201).json.Get("id").String()
	r := h.acme("PATCH", "/Users/"+id, `{"Operations":[{"op":"Replace","path":"active","value":"False"},{"op":"replace","path":"emails[type eq \"work\"].value","value":"b@x.com"},{"op":"add","path":"emails[type eq \"home\"].value","value":"h@x.com"}]}`).wantStatus(t, http.StatusOK)
	if r.json.Get("active").Bool() || r.json.Get("emails.0.value").String() != "b@x.com" || len(r.json.Get("emails").Array()) != 2 {
		t.Fatalf("patched: %s", r.body)
	}
	var methods []string
	for _, req := range h.emu("acme").Requests() {
		methods = append(methods, req.Method)
		if req.Method == "PUT" && !strings.Contains(req.Body, `"b@x.com"`) {
			t.Fatalf("PUT body: %s", req.Body)
		}
	}
	if got := strings.Join(methods, " "); got != "POST GET PUT" {
		t.Fatalf("backend saw %s, want POST GET PUT", got)
	}
	// Atomic: one failing operation means nothing is written.
	before := len(h.emu("acme").Requests())
	h.acme("PATCH", "/Users/"+id, `{"Operations":[{"op":"replace","path":"active","value":true},{"op":"replace","path":"emails[type eq \"fax\"].value","value":"x"}]}`).wantError(t, 400, "noTarget")
	reqs := h.emu("acme").Requests()[before:]
	if len(reqs) != 1 || reqs[0].Method != "GET" {
		t.Fatalf("a failed PATCH wrote to the backend: %+v", reqs)
	}
	if spc := h.acme("GET", "/ServiceProviderConfig", "").json; !spc.Get("patch.supported").Bool() {
		t.Fatal("PATCH works, so it is supported")
	}
}

func TestPatchNoContentOption(t *testing.T) {
	h := newHarness(t, strings.Replace(testConfig, "    options: {sort: true, etag: true}", "    options: {sort: true, etag: true}\n    patch_response: no_content", 1))
	id := h.acme("POST", "/Users", `{"userName":"nc@example.com"}`).wantStatus(t, 201).json.Get("id").String()
	r := h.acme("PATCH", "/Users/"+id, `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`).wantStatus(t, http.StatusNoContent)
	if len(r.body) != 0 {
		t.Fatalf("204 with a body: %s", r.body)
	}
	// With ?attributes= the RFC requires 200 and the resource.
	h.acme("PATCH", "/Users/"+id+"?attributes=title", `{"Operations":[{"op":"replace","path":"title","value":"y"}]}`).wantStatus(t, http.StatusOK)
}
