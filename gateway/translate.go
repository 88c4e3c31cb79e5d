package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/mappings/scim"
)

// Translate ops, as `scimgw translate --op` takes them.
var TranslateOps = []string{"create", "replace", "patch", "filter", "response"}

// errDryRun stops a dialect at its first backend call.
var errDryRun = errors.New("dry run")

// recorder is a Backend that records requests and sends nothing. With a
// current resource, it answers reads with it, so that a dialect that reads
// before it writes (a replace on Workspace ONE) gets as far as its write.
type recorder struct {
	base    string
	current []byte
	reqs    []*dialects.BackendRequest
}

func (r *recorder) Do(_ context.Context, br *dialects.BackendRequest) (*dialects.BackendResponse, error) {
	r.reqs = append(r.reqs, br)
	if r.current != nil && br.Method == http.MethodGet {
		return &dialects.BackendResponse{Status: http.StatusOK, Header: http.Header{}, Body: r.current}, nil
	}
	return nil, errDryRun
}

// offlineTenant builds a tenant whose dialect talks to b, for the tools
// that contact nothing (translate, schema).
func offlineTenant(cfg *Config, reg *dialects.Registry, tenantID string, b dialects.Backend) (*tenant, *Tenant, error) {
	tc := cfg.Tenants[tenantID]
	if tc == nil {
		return nil, nil, fmt.Errorf("no tenant %q in %s", tenantID, cfg.File)
	}
	f, err := reg.Lookup(tc.Dialect)
	if err != nil {
		return nil, nil, err
	}
	t := &tenant{id: tenantID, base: cfg.Server.PublicURL + "/" + tenantID + "/scim/v2", maxResults: tc.MaxResults, log: zap.NewNop(),
		limits: cfg.Server.Limits.scim()}
	if err := t.setDialect(f, tc, b); err != nil {
		return nil, nil, err
	}
	return t, tc, nil
}

// Translate shows, without contacting anything, what the gateway would
// send to a tenant's backend for a client request (create, replace, patch,
// filter), or return to the client for a backend resource (response). It
// runs the same checks, dialect and mapping as a live request.
// id is the resource id to use in paths for replace and patch; current,
// when given, is the backend's resource as it answers a read of it.
func Translate(cfg *Config, reg *dialects.Registry, tenantID, op, resource, id string, input, current []byte) (string, error) {
	tc := cfg.Tenants[tenantID]
	if tc == nil {
		return "", fmt.Errorf("no tenant %q in %s", tenantID, cfg.File)
	}
	rt := dialects.User
	switch strings.ToLower(resource) {
	case "", "user", "users":
	case "group", "groups":
		rt = dialects.Group
	default:
		return "", fmt.Errorf("resource must be User or Group, not %q", resource)
	}
	base := tc.Backend.URL
	if tc.Backend.Emulated && base == "" {
		base = "{emulator}"
	}
	if current != nil && !json.Valid(current) {
		return "", fmt.Errorf("the current resource is not valid JSON")
	}
	rec := &recorder{base: strings.TrimRight(base, "/"), current: current}
	t, _, err := offlineTenant(cfg, reg, tenantID, rec)
	if err != nil {
		return "", err
	}
	input = bytes.TrimSpace(input)
	req := &dialects.Request{Type: rt}
	switch op {
	case "create", "replace":
		if !json.Valid(input) {
			return "", dialects.Errorf(http.StatusBadRequest, "invalidSyntax", "request body is not valid JSON")
		}
		body, err := t.canonicalResource(input, rt)
		if err != nil {
			return "", err
		}
		req.Action, req.Body = dialects.Create, body
		if op == "replace" {
			req.Action, req.ID = dialects.Replace, id
		}
	case "patch":
		if !json.Valid(input) {
			return "", dialects.Errorf(http.StatusBadRequest, "invalidSyntax", "PATCH body is not valid JSON")
		}
		pr, err := t.canonicalPatch(input, rt)
		if err != nil {
			return "", err
		}
		req.Action, req.Patch, req.ID = dialects.Patch, pr, id
	case "filter":
		filter, err := scim.ParseFilter(string(input))
		if err != nil {
			return "", err
		}
		req.Action, req.Query = dialects.List, dialects.Query{Filter: filter, StartIndex: 1, Count: t.maxResults}
	case "response":
		return t.translateResponse(tc, rt, input)
	default:
		return "", fmt.Errorf("unknown op %q (one of %s)", op, strings.Join(TranslateOps, ", "))
	}
	if _, err := t.dialect.Do(context.Background(), req); err != nil && !errors.Is(err, errDryRun) {
		return "", err
	}
	if len(rec.reqs) == 0 {
		return "", fmt.Errorf("the dialect sent nothing to the backend")
	}
	return rec.describe(), nil
}

// describe renders the recorded requests: method, URL with query, body.
func (r *recorder) describe() string {
	var b strings.Builder
	for i, br := range r.reqs {
		if i > 0 {
			b.WriteString("\n")
		}
		u := r.base + br.Path
		if len(br.Query) > 0 {
			u += "?" + br.Query.Encode()
		}
		fmt.Fprintf(&b, "%s %s\n", br.Method, u)
		for _, h := range []string{"If-Match", "If-None-Match"} {
			if v := br.Header.Get(h); v != "" {
				fmt.Fprintf(&b, "%s: %s\n", h, v)
			}
		}
		if len(br.Body) > 0 {
			b.WriteString("\n")
			b.WriteString(indent(br.Body))
			b.WriteString("\n")
		}
	}
	return b.String()
}

// translateResponse maps a backend resource and normalises it, as a client
// would receive it.
func (t *tenant) translateResponse(tc *Tenant, rt dialects.ResourceType, input []byte) (string, error) {
	if !json.Valid(input) {
		return "", dialects.Errorf(http.StatusBadRequest, "invalidSyntax", "backend resource is not valid JSON")
	}
	mapped, err := tc.Compiled.Response(rt, input)
	if err != nil {
		return "", err
	}
	n, err := t.normalize(rt, mapped)
	if err != nil {
		return "", err
	}
	return indent(n.body) + "\n", nil
}

func indent(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}
