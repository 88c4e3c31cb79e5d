// Package builtin wires every dialect shipped with scimgw into one registry,
// explicitly: adding a dialect is one line here.
package builtin

import (
	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/cube"
	"github.com/scimgw/scimgw/dialects/firehydrant"
	"github.com/scimgw/scimgw/dialects/identityiq"
	"github.com/scimgw/scimgw/dialects/purecloud"
	"github.com/scimgw/scimgw/dialects/scim2"
	"github.com/scimgw/scimgw/dialects/workspace"
)

// Registry returns a registry of the built-in dialects.
func Registry() *dialects.Registry {
	return dialects.NewRegistry(
		scim2.Factory,
		cube.Factory,
		purecloud.Factory,
		identityiq.Factory,
		firehydrant.Factory,
		workspace.Factory,
	)
}
