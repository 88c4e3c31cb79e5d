package scim

// ResourceType is a SCIM resource type (RFC 7643 §6): User or Group. The
// mappings, the dialects and the gateway share it.
type ResourceType uint8

// The resource types scimgw serves.
const (
	User ResourceType = iota
	Group
)

// String returns the resource type's name: "User" or "Group".
func (t ResourceType) String() string {
	if t == Group {
		return "Group"
	}
	return "User"
}

// Endpoint returns the resource type's endpoint segment: "Users" or "Groups".
func (t ResourceType) Endpoint() string { return t.String() + "s" }

// Schema returns the resource type's core schema URN.
func (t ResourceType) Schema() string {
	if t == Group {
		return GroupSchema
	}
	return UserSchema
}
