// Package scim2 is the generic RFC 7644 pass-through dialect. Its Client is
// also the base of dialects that speak SCIM 2.0 with a different attribute
// set (cube): they plug body transforms into it.
package scim2

import (
	"context"
	_ "embed"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tidwall/sjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/mappings"
)

//go:embed mapping.yaml
var mapping []byte

// Factory registers the scim2 dialect.
var Factory = &dialects.Factory{
	Name:        "scim2",
	Mapping:     mappings.Source{File: "dialects/scim2/mapping.yaml", Data: mapping},
	Description: "generic SCIM 2.0 (RFC 7643/7644) backend, passed through",
	Options: []dialects.OptionSpec{
		{Name: "patch", Kind: dialects.Bool, Default: "true", Description: "the backend implements PATCH; if not, the gateway reads, applies the PATCH and replaces"},
		{Name: "sort", Kind: dialects.Bool, Default: "false", Description: "the backend implements sortBy/sortOrder"},
		{Name: "etag", Kind: dialects.Bool, Default: "false", Description: "the backend versions resources (ETag, If-Match)"},
		{Name: "groups", Kind: dialects.Bool, Default: "true", Description: "the backend serves /Groups"},
		{Name: "max_results", Kind: dialects.Int, Default: "0", Description: "largest page the backend returns (0: no limit)"},
	},
	New: func(cfg dialects.Config) (dialects.Dialect, error) {
		o := cfg.Options
		var patch dialects.Kinds
		if o.Bool("patch") {
			patch = dialects.AllKinds
		}
		return NewClient(cfg.Backend, cfg.Mapping, Config{
			Name: "scim2",
			Caps: dialects.Capabilities{
				Patch: patch, Filter: true, Sort: o.Bool("sort"),
				ETag: o.Bool("etag"), Groups: o.Bool("groups"), Enterprise: true,
				MaxResults: o.Int("max_results"),
			},
		}), nil
	},
	NewEmulator: func(dialects.Options) dialects.Emulator {
		return emulator.New(emulator.Profile{
			Name: "scim2", BasePath: "/scim/v2", Token: dialects.EmulatorToken,
			Groups: true, ETags: true, Sort: true, Patch: true, UserGroups: true,
		})
	},
	Demo: dialects.Demo{Auth: `{type: bearer, token: emulator-backend-token}`, Options: `{sort: true, etag: true}`},
}

// Config describes the SCIM 2.0 backend a Client talks to.
type Config struct {
	Name string
	Caps dialects.Capabilities
	// LowerCasePaths sends /users and /groups (Genesys Cloud).
	LowerCasePaths bool
	// ForwardAttributes sends the client's attributes and
	// excludedAttributes, in the backend's names, on create, get, replace
	// and list: for backends that return some attributes only when asked.
	ForwardAttributes bool
	// NoSchemas leaves "schemas" out of request bodies, for backends that
	// do not take it (FireHydrant).
	NoSchemas bool
}

// Client executes SCIM 2.0 operations against a SCIM 2.0 backend, with the
// tenant's mapping applied to bodies, PATCH operations, filters and sortBy:
// one backend call per operation. A PATCH the backend answered with 204,
// or one with nothing left to send, answers without a body (the gateway
// reads the resource, dialects.Decorate).
type Client struct {
	b   dialects.Backend
	m   *mappings.Mapping
	cfg Config
}

var _ dialects.Dialect = (*Client)(nil)

// NewClient returns a Client for the backend.
func NewClient(b dialects.Backend, m *mappings.Mapping, cfg Config) *Client {
	return &Client{b: b, m: m, cfg: cfg}
}

// Capabilities reports what the backend supports.
func (c *Client) Capabilities() dialects.Capabilities { return c.cfg.Caps }

// Do executes one operation.
func (c *Client) Do(ctx context.Context, req *dialects.Request) (*dialects.Response, error) {
	if req.Type == dialects.Group && !c.cfg.Caps.Groups {
		return nil, dialects.Unsupported("%s backends do not support Groups", c.cfg.Name)
	}
	rt := req.Type
	path := "/" + req.Type.Endpoint()
	if c.cfg.LowerCasePaths {
		path = strings.ToLower(path)
	}
	if req.ID != "" {
		path += "/" + url.PathEscape(req.ID)
	}
	br := &dialects.BackendRequest{Path: path, Header: http.Header{}}
	want := http.StatusOK
	switch req.Action {
	case dialects.Create, dialects.Replace:
		body, err := c.m.Request(rt, req.Body)
		if err != nil {
			return nil, err
		}
		br.Body = body
		br.Method = http.MethodPut
		if req.Action == dialects.Create {
			br.Method, want = http.MethodPost, http.StatusCreated
		}
	case dialects.Get:
		br.Method = http.MethodGet
	case dialects.List:
		q, err := c.listQuery(rt, req.Query)
		if err != nil {
			return nil, err
		}
		br.Method, br.Query = http.MethodGet, q
	case dialects.Patch:
		body, n, err := c.m.Patch(rt, req.Patch)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			// Nothing the backend holds changes.
			return &dialects.Response{Status: http.StatusNoContent}, nil
		}
		br.Method, br.Body = http.MethodPatch, body
	case dialects.Delete:
		br.Method, want = http.MethodDelete, http.StatusNoContent
	}
	if c.cfg.NoSchemas && br.Body != nil {
		br.Body, _ = sjson.DeleteBytes(br.Body, "schemas")
	}
	if c.cfg.ForwardAttributes && req.Action != dialects.Patch && req.Action != dialects.Delete {
		if br.Query == nil {
			br.Query = url.Values{}
		}
		dialects.AttributesQuery(br.Query, c.m, req.Type, req.Attributes, req.ExcludedAttributes)
	}
	if req.IfMatch != "" {
		br.Header.Set("If-Match", req.IfMatch)
	}
	if req.IfNoneMatch != "" {
		br.Header.Set("If-None-Match", req.IfNoneMatch)
	}
	resp, err := dialects.Send(ctx, c.b, c.cfg.Name, br)
	switch {
	case err != nil:
		return nil, err
	case resp.Status == http.StatusNotModified && req.Action == dialects.Get:
		return &dialects.Response{Status: http.StatusNotModified, ETag: resp.Header.Get("ETag")}, nil
	case resp.Status == http.StatusNotModified:
		return nil, dialects.FromResponse(c.cfg.Name, resp)
	case resp.Status == http.StatusNoContent && req.Action == dialects.Patch:
		// RFC 7644 §3.5.2 lets a backend answer 204.
		return &dialects.Response{Status: http.StatusNoContent, ETag: resp.Header.Get("ETag")}, nil
	case req.Action == dialects.Delete:
		return &dialects.Response{Status: http.StatusNoContent}, nil
	case len(resp.Body) == 0:
		return nil, dialects.Errorf(http.StatusBadGateway, "", "%s backend answered %d without a body", c.cfg.Name, resp.Status)
	}
	var body []byte
	if req.Action == dialects.List {
		body, err = dialects.MapList(resp.Body, func(r []byte) ([]byte, error) { return c.m.Response(rt, r) })
	} else {
		body, err = c.m.Response(rt, resp.Body)
	}
	if err != nil {
		return nil, err
	}
	// Without an ETag header the gateway falls back to meta.version.
	return &dialects.Response{Status: want, Body: body, ETag: resp.Header.Get("ETag")}, nil
}

// listQuery renders list parameters as RFC 7644 §3.4.2 query parameters,
// with the filter and sortBy in the backend's attribute names.
func (c *Client) listQuery(rt dialects.ResourceType, q dialects.Query) (url.Values, error) {
	v := url.Values{}
	if q.Filter != nil {
		f, err := c.m.Filter(rt, q.Filter)
		if err != nil {
			return nil, err
		}
		v.Set("filter", f.String())
	}
	v.Set("startIndex", strconv.Itoa(q.StartIndex))
	v.Set("count", strconv.Itoa(q.Count))
	if c.cfg.Caps.Sort {
		if err := dialects.SetSort(v, c.m, rt, q); err != nil {
			return nil, err
		}
	}
	return v, nil
}
