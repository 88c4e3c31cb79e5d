// Package cube is the Cube Cloud dialect: plain SCIM 2.0 with a small
// attribute set (seed 003, docs.cube.dev api-reference/scim.yaml). The
// gateway strips what Cube does not model before forwarding, keeps
// externalId, and serves discovery itself.
package cube

import (
	_ "embed"
	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/dialects/scim2"
	"github.com/scimgw/scimgw/mappings"
)

//go:embed mapping.yaml
var mapping []byte

// Factory registers the cube dialect.
var Factory = &dialects.Factory{
	Name:        "cube",
	Mapping:     mappings.Source{File: "dialects/cube/mapping.yaml", Data: mapping},
	Description: "Cube Cloud SCIM 2.0 (users: userName, name, emails, active, externalId; groups)",
	New: func(cfg dialects.Config) (dialects.Dialect, error) {
		// What Cube models is in its mapping, mapping.yaml.
		return scim2.NewClient(cfg.Backend, cfg.Mapping, scim2.Config{
			Name: "cube",
			Caps: dialects.Capabilities{Patch: dialects.AllKinds, Filter: true, Groups: true},
		}), nil
	},
	NewEmulator: func(dialects.Options) dialects.Emulator {
		// The attributes of Cube's published User and Group schemas; the
		// emulator refuses anything else.
		return emulator.New(emulator.Profile{
			Name: "cube", BasePath: "/api/scim/v2", Token: dialects.EmulatorToken,
			Groups: true, Patch: true,
			Allowed: map[string]map[string][]string{
				"User": {"schemas": nil, "id": nil, "meta": nil, "userName": nil, "name": {"givenName", "familyName"},
					"emails": {"value", "primary"}, "active": nil, "externalId": nil},
				"Group": {"schemas": nil, "id": nil, "meta": nil, "displayName": nil, "members": {"value", "display"}},
			},
		})
	},
	Demo: dialects.Demo{Auth: `{type: bearer, token: emulator-backend-token}`, Options: `{}`},
}
