package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/tidwall/gjson"
	"go.uber.org/zap"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/mappings"
	"github.com/scimgw/scimgw/mappings/scim"
)

// safeCreate creates a resource without ever creating it twice. When an
// attempt fails ambiguously (a timeout or reset after the request was sent,
// or 502/503/504), the create may have happened, so before trying again it
// looks the resource up by its unique name (userName for Users, displayName
// for Groups, plus externalId when given). If it now exists, that is the
// result; if the lookup cannot tell, it asks again rather than create.
func (g *Gateway) safeCreate(ctx context.Context, t *tenant, req *dialects.Request) (*dialects.Response, error) {
	var filter *scim.Expr // built only when an outcome is unknown
	var lastErr error
	create := true
	for attempt := 1; attempt <= t.retry.MaxAttempts; attempt++ {
		if create {
			resp, err := t.dialect.Do(ctx, req)
			if err == nil || !ambiguous(err) {
				return resp, err
			}
			lastErr = err
			if filter == nil {
				filter = identityFilter(req.Type, req.Body)
			}
			t.log.Warn("create outcome unknown; looking it up before any retry", zap.Int("attempt", attempt), zap.Error(err))
		}
		found, known, err := g.lookup(ctx, t, req.Type, filter)
		switch {
		case err == nil && found != nil:
			g.metrics.recoveredCreate(t.id)
			t.log.Info("create had reached the backend; returning the created resource", zap.Int("attempt", attempt))
			return &dialects.Response{Status: http.StatusCreated, Body: found}, nil
		case err == nil && known:
			create = true // it does not exist: creating again is safe
		default:
			create = false // cannot tell: look again before creating
		}
		if attempt == t.retry.MaxAttempts || !sleep(ctx, backoff(t.retry.MinBackoff, t.retry.MaxBackoff, attempt, nil)) {
			break
		}
	}
	return nil, outcomeUnknown(lastErr)
}

// lookup lists resources matching the filter; known is true when the
// backend answered, whether or not anything matched.
func (g *Gateway) lookup(ctx context.Context, t *tenant, rt dialects.ResourceType, filter *scim.Expr) (found []byte, known bool, err error) {
	resp, err := t.dialect.Do(ctx, &dialects.Request{Action: dialects.List, Type: rt, Query: dialects.Query{Filter: filter, StartIndex: 1, Count: 2}})
	var me *mappings.Error
	if errors.As(err, &me) && filter.Kind == scim.And {
		// The backend cannot filter on externalId: the unique name will do.
		filter = filter.Left
		resp, err = t.dialect.Do(ctx, &dialects.Request{Action: dialects.List, Type: rt, Query: dialects.Query{Filter: filter, StartIndex: 1, Count: 2}})
	}
	var de *dialects.Error
	if errors.As(err, &de) && de.Status == http.StatusNotFound {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	for _, r := range gjson.GetBytes(resp.Body, "Resources").Array() {
		if filter.Match(r) {
			return []byte(r.Raw), true, nil
		}
	}
	return nil, true, nil
}

// identityFilter builds the filter that finds the resource a create body
// describes.
func identityFilter(rt dialects.ResourceType, body []byte) *scim.Expr {
	doc := scim.Parse(body)
	name := "userName"
	if rt == dialects.Group {
		name = "displayName"
	}
	eq := func(attr, v string) *scim.Expr {
		raw, _ := json.Marshal(v)
		return &scim.Expr{Kind: scim.Compare, Path: scim.AttrPath{Attr: attr}, Op: scim.OpEq, Value: scim.Value{Kind: scim.StringValue, Raw: string(raw), Str: v}}
	}
	f := eq(name, scim.Field(doc, name).String())
	if ext := scim.Field(doc, "externalId"); ext.Type == gjson.String && ext.Str != "" {
		f = &scim.Expr{Kind: scim.And, Left: f, Right: eq("externalId", ext.Str)}
	}
	return f
}

// ambiguous reports whether a failed create may have been applied.
func ambiguous(err error) bool {
	var ue *dialects.UpstreamError
	if errors.As(err, &ue) {
		return ue.Ambiguous
	}
	var de *dialects.Error
	if errors.As(err, &de) && !errors.Is(de, errBackendCredentials) && !errors.Is(de, errCircuitOpen) { // the gateway's credentials, or an open circuit: nothing was sent
		switch de.Status {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
	}
	return false
}

// outcomeUnknown is the error for a create whose outcome could not be
// settled: the client may retry it safely, since a retry looks up first.
func outcomeUnknown(err error) error {
	status := http.StatusBadGateway
	var ue *dialects.UpstreamError
	if errors.As(err, &ue) && ue.Timeout {
		status = http.StatusGatewayTimeout
	}
	var de *dialects.Error
	if errors.As(err, &de) {
		status = de.Status
	}
	return &dialects.Error{Status: status, Detail: "the backend did not confirm the create and it could not be found afterwards; retrying is safe", Err: err}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
