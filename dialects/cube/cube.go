// Package cube is the Cube Cloud dialect: plain SCIM 2.0 with a small
// attribute set (seed 003, docs.cube.dev api-reference/scim.yaml). The
// gateway strips what Cube does not model before forwarding, keeps
// externalId, and serves discovery itself.
package cube

import (
	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/dialects/scim2"
)

// userAttrs and groupAttrs are what Cube's User and Group schemas define.
var (
	userAttrs = dialects.Keep{
		"schemas": nil, "userName": nil, "name": {"givenName", "familyName"},
		"emails": {"value", "primary"}, "active": nil, "externalId": nil,
	}
	groupAttrs = dialects.Keep{"schemas": nil, "displayName": nil, "members": {"value", "display"}}
)

// Factory registers the cube dialect.
var Factory = &dialects.Factory{
	Name:        "cube",
	Description: "Cube Cloud SCIM 2.0 (users: userName, name, emails, active, externalId; groups)",
	New: func(cfg dialects.Config) (dialects.Dialect, error) {
		return scim2.NewClient(cfg.Backend, scim2.Config{
			Name: "cube",
			Caps: dialects.Capabilities{Patch: true, Filter: true, Groups: true},
			ToBackend: func(t dialects.ResourceType, body []byte) ([]byte, error) {
				if t == dialects.Group {
					return groupAttrs.Apply(body)
				}
				return userAttrs.Apply(body)
			},
			PatchToBackend: func(t dialects.ResourceType, body []byte) ([]byte, int, error) {
				if t == dialects.Group {
					return groupAttrs.ApplyPatch(t, body)
				}
				return userAttrs.ApplyPatch(t, body)
			},
		}), nil
	},
	NewEmulator: func() dialects.Emulator {
		allowed := func(k dialects.Keep) map[string][]string {
			m := map[string][]string{"id": nil, "meta": nil}
			for a, subs := range k {
				m[a] = subs
			}
			return m
		}
		return emulator.New(emulator.Profile{
			Name: "cube", BasePath: "/api/scim/v2", Token: dialects.EmulatorToken,
			Groups: true, Patch: true,
			Allowed: map[string]map[string][]string{"User": allowed(userAttrs), "Group": allowed(groupAttrs)},
		})
	},
}
