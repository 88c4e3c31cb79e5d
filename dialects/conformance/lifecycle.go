package conformance

import (
	"net/url"
	"strings"
	"testing"
)

const lifecycleUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
 "userName":"conformance.user@example.com","externalId":"conformance-1","displayName":"Conformance User","active":true,
 "name":{"givenName":"Conformance","familyName":"User"},
 "emails":[{"value":"conformance.user@example.com","type":"work","primary":true}]}`

// lifecycle creates, reads, finds, deactivates, replaces and deletes a
// user — and, where the dialect has groups SCIM can create, creates one
// with the user, removes the member and deletes it — checking the wire
// contract and the backend's state on every step.
func lifecycle(t *testing.T, c *Client) {
	emu := c.Emulator()
	step := func(name string, fn func()) {
		t.Helper()
		sent := len(emu.Requests())
		defer checkBackend(t, emu, sent, "lifecycle: "+name)
		fn()
	}
	var id string
	step("create", func() {
		r := c.SCIM("POST", "/Users", "", lifecycleUser).WantStatus(t, 201)
		id = r.JSON.Get("id").String()
		if id == "" || !strings.HasSuffix(r.Header.Get("Location"), "/Users/"+url.PathEscape(id)) || r.JSON.Get("meta.location").String() != r.Header.Get("Location") {
			t.Fatalf("create: Location %q: %s", r.Header.Get("Location"), r.Body)
		}
	})
	step("get", func() {
		r := c.SCIM("GET", "/Users/"+url.PathEscape(id), "", "").WantStatus(t, 200)
		if !strings.EqualFold(r.JSON.Get("userName").String(), "conformance.user@example.com") || r.JSON.Get("schemas.0").String() != "urn:ietf:params:scim:schemas:core:2.0:User" {
			t.Fatalf("get: %s", r.Body)
		}
	})
	step("find by userName", func() {
		r := c.SCIM("GET", "/Users?filter="+url.QueryEscape(`userName eq "conformance.user@example.com"`), "", "").WantStatus(t, 200)
		if r.JSON.Get("totalResults").Int() != 1 || r.JSON.Get("Resources.0.id").String() != id {
			t.Fatalf("find: %s", r.Body)
		}
	})
	step("deactivate", func() {
		c.SCIM("PATCH", "/Users/"+url.PathEscape(id), "", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`).WantStatus(t, 200)
		if r := c.SCIM("GET", "/Users/"+url.PathEscape(id), "", "").WantStatus(t, 200); r.JSON.Get("active").Bool() {
			t.Fatalf("still active: %s", r.Body)
		}
	})
	step("replace", func() {
		r := c.SCIM("PUT", "/Users/"+url.PathEscape(id), "", lifecycleUser).WantStatus(t, 200)
		if !r.JSON.Get("active").Bool() || r.JSON.Get("id").String() != id {
			t.Fatalf("replace: %s", r.Body)
		}
	})
	groups := false
	for _, rt := range c.SCIM("GET", "/ResourceTypes", "", "").WantStatus(t, 200).JSON.Get("Resources").Array() {
		groups = groups || rt.Get("name").String() == "Group"
	}
	var gid string
	step("create a group with the user", func() {
		r := c.SCIM("POST", "/Groups", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Conformance","members":[{"value":"`+id+`"}]}`)
		if r.Status == 501 {
			// No groups, or groups SCIM cannot create (Genesys Cloud): a
			// SCIM error, and nothing sent.
			r.WantError(t, 501, "")
			return
		}
		if !groups {
			t.Fatalf("/ResourceTypes has no Group, yet a group create answers %d", r.Status)
		}
		gid = r.WantStatus(t, 201).JSON.Get("id").String()
		if r.JSON.Get("members.0.value").String() != id {
			t.Fatalf("group without its member: %s", r.Body)
		}
	})
	if gid != "" {
		step("remove the member", func() {
			c.SCIM("PATCH", "/Groups/"+url.PathEscape(gid), "", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"`+id+`\"]"}]}`).WantStatus(t, 200)
			if r := c.SCIM("GET", "/Groups/"+url.PathEscape(gid), "", "").WantStatus(t, 200); r.JSON.Get("members.#").Int() != 0 {
				t.Fatalf("member not removed: %s", r.Body)
			}
		})
		step("delete the group", func() {
			c.SCIM("DELETE", "/Groups/"+url.PathEscape(gid), "", "").WantStatus(t, 204)
		})
	}
	step("delete", func() {
		c.SCIM("DELETE", "/Users/"+url.PathEscape(id), "", "").WantStatus(t, 204)
		// RFC 7644 §3.6: a deleted resource is gone; a backend that only
		// deactivates (FireHydrant) keeps it, inactive.
		if r := c.SCIM("GET", "/Users/"+url.PathEscape(id), "", ""); r.Status != 404 && (r.Status != 200 || r.JSON.Get("active").Bool()) {
			t.Fatalf("after delete: %d %s", r.Status, r.Body)
		}
	})
}
