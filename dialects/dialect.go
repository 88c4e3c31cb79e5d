// Package dialects defines what a backend dialect is: a small interface
// that executes SCIM 2.0 operations against one vendor's API, the Backend it
// talks through, the errors it returns, and the registry of dialects.
//
// A dialect never sees HTTP handlers: it receives a parsed SCIM 2.0 request,
// speaks its vendor's dialect through a Backend (which owns auth, timeouts
// and retries), and returns a SCIM 2.0 resource. The gateway normalises
// URLs, projects attributes and renders errors.
package dialects

import (
	"context"
	"net/http"
	"net/url"

	"go.uber.org/zap"

	"github.com/scimgw/scimgw/mappings"
	"github.com/scimgw/scimgw/mappings/scim"
)

// ResourceType is a SCIM resource type (RFC 7643 §6), shared with the
// mappings.
type ResourceType = scim.ResourceType

// The resource types a dialect can serve.
const (
	User  = scim.User
	Group = scim.Group
)

// Action is a SCIM operation (RFC 7644 §3.3–§3.6).
type Action uint8

// The operations a dialect executes.
const (
	Create Action = iota
	Get
	List
	Replace
	Patch
	Delete
)

var actionNames = [...]string{"create", "get", "list", "replace", "patch", "delete"}

// String returns the lower-case name of the action, as used in logs and metrics.
func (a Action) String() string { return actionNames[a] }

// Query holds the list parameters of RFC 7644 §3.4.2, already validated.
type Query struct {
	Filter     *scim.Expr // nil when there is no filter
	StartIndex int        // 1-based
	Count      int        // page size, already capped
	SortBy     string
	SortOrder  string // "ascending" or "descending", or empty
}

// Request is one SCIM 2.0 operation, validated and canonicalised by the
// gateway (the contract, mappings/scim): every body was parsed once, and
// no later stage parses it again.
type Request struct {
	Action Action
	Type   ResourceType
	ID     string             // Get, Replace, Patch, Delete
	Body   []byte             // Create, Replace: the canonical resource
	Patch  *scim.PatchRequest // Patch: the canonical PatchOp message
	Query  Query              // List
	// IfMatch and IfNoneMatch are the client's preconditions (RFC 7644
	// §3.14), for backends that version resources.
	IfMatch     string
	IfNoneMatch string
	// Attributes and ExcludedAttributes are the client's ?attributes= and
	// ?excludedAttributes= (RFC 7644 §3.9, §3.4.2.5) on Create, Get and
	// List, for backends that take them; the gateway projects the answer
	// itself in any case.
	Attributes, ExcludedAttributes []scim.AttrPath
}

// Response is a successful result in SCIM 2.0 form. Body is a resource, or a
// ListResponse for List, or empty for Delete. URLs in it may still be the
// backend's: the gateway rewrites them.
type Response struct {
	Status int
	Body   []byte
	ETag   string
}

// Kinds is a set of resource types.
type Kinds uint8

// KindsOf returns the set of the given resource types.
func KindsOf(ts ...ResourceType) Kinds {
	var k Kinds
	for _, t := range ts {
		k |= 1 << t
	}
	return k
}

// AllKinds is every resource type.
var AllKinds = KindsOf(User, Group)

// Has reports whether t is in the set.
func (k Kinds) Has(t ResourceType) bool { return k&(1<<t) != 0 }

// Capabilities is what a dialect's backend really does. The gateway
// publishes it (/ServiceProviderConfig, RFC 7643 §5; /ResourceTypes;
// /Schemas) and supplies what the backend lacks around the dialect
// (Decorate): a dialect implements only what its backend does natively.
type Capabilities struct {
	// Patch is the resource types the backend patches itself; the gateway
	// patches the others by read, apply, replace (RFC 7644 §3.5.2).
	Patch  Kinds
	Filter bool
	Sort   bool
	ETag   bool
	Bulk   bool
	Groups bool // the Group resource type is served
	// GroupMembersOnly: groups exist in the backend and SCIM only changes
	// their members (create and delete are 501).
	GroupMembersOnly bool
	Enterprise       bool // the enterprise User extension is stored
	MaxResults       int  // largest page the backend returns; 0 means no limit

	// What the backend does with attributes beyond what the tenant's
	// mapping shows; the gateway publishes it in /Schemas (RFC 7643 §7).
	// Paths are SCIM 2.0 attribute paths ("name.givenName",
	// "urn:…:User:roles").
	Required []string // a create or replace must carry them
	ReadOnly []string // the backend sets them; a client cannot (PATCH: 400 mutability)
	// ReadOnlyWhy says, in an error detail, how the backend sets them.
	ReadOnlyWhy string
	// Held are attributes the dialect writes by calls of its own, not in
	// the resource the mapping makes (Workspace ONE's roles, through its
	// Roles endpoint): published whatever the mapping says of them.
	Held []string
	// Immutable attributes, by resource type, cannot change once set: the
	// gateway refuses a replace or PATCH that changes one (400
	// mutability, RFC 7643 §7).
	Immutable [2][]string
	// Extensions are the extension schemas the backend's answers carry,
	// with their attribute definitions (from the vendor's documentation).
	Extensions []scim.Schema

	// ScanLimit bounds a listing the gateway reads to evaluate what the
	// backend cannot (a Lister's inexact listing); ScanPage is how many
	// resources it asks for at once. Zero: 1000 and 100.
	ScanLimit, ScanPage int
}

// Lister is implemented by a dialect whose backend evaluates only part of
// a filter, or pages in its own way. The gateway lists through it: it
// pages the listing itself when it is exact, and otherwise reads it
// whole (at most ScanLimit resources) and evaluates q.Filter over it.
type Lister interface {
	// Listing returns the backend's listing for q, in SCIM 2.0 form: one
	// that holds at least every resource q.Filter matches, and whether it
	// holds exactly those.
	Listing(rt ResourceType, q Query) (page Page, exact bool, err error)
}

// Dialect executes SCIM 2.0 operations against one backend. Do returns a
// *Error for every failure a client should see with a specific status, and
// an *UpstreamError when the backend could not be reached or did not answer.
// Implementations must be safe for concurrent use.
type Dialect interface {
	Capabilities() Capabilities
	Do(ctx context.Context, req *Request) (*Response, error)
}

// Backend sends one logical request to the tenant's backend. It owns the
// backend URL, authentication, per-attempt timeouts and safe retries; Path is
// relative to the backend's SCIM base URL.
type Backend interface {
	Do(ctx context.Context, req *BackendRequest) (*BackendResponse, error)
}

// BackendRequest is a request in the backend's own dialect.
type BackendRequest struct {
	Method string
	Path   string // e.g. "/Users/2819c223"
	Query  url.Values
	Header http.Header
	Body   []byte
}

// BackendResponse is the backend's answer, whatever its status.
type BackendResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// Config is what a dialect factory receives for one tenant.
type Config struct {
	Tenant  string
	Backend Backend
	Options Options // checked against the dialect's OptionSpecs, defaults applied
	// Mapping is the tenant's compiled mapping: the dialect's built-in
	// mapping (Factory.Mapping) with the tenant's mapping file on top.
	Mapping *mappings.Mapping
	Log     *zap.Logger
}
