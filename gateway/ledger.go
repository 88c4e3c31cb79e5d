package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"
	"go.uber.org/zap"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/gateway/store"
	"github.com/scimgw/scimgw/mappings/scim"
)

// The state the backend cannot hold (gateway/store), as the pipeline uses
// it:
//
//   - the create ledger: a create claims (tenant, type, unique name) before
//     it is forwarded; a create of the same name that comes while the
//     claim is held (an IdP's retry after a timeout, on any replica
//     sharing the store) waits and answers with the first one's outcome
//     (201 with the same resource, or its 409) instead of sending a
//     second POST; a definitive refusal (4xx) is shared the same way. One
//     that comes after the first settled is a create of
//     its own: the backend answers it (409 while the resource exists). A
//     create whose outcome is unknown settles its claim as unknown, so
//     the next one looks the resource up first, as does one that takes
//     over the claim of a replica that died;
//   - write locks: a PATCH that the gateway applies by read-modify-write
//     (the backend has no PATCH for the type) holds a lock on the
//     resource, so concurrent PATCHes on any replica serialise instead of
//     overwriting each other.

// claimMargin is added to a tenant's deadline for how long a claim or
// lock lives: its holder's work ends by the deadline, so a live holder
// never loses it, and a dead one's is free soon after.
const claimMargin = 10 * time.Second

// keepOutcomes is how long a settled outcome waits for the creates that
// waited on it to read it (they poll every 50 ms at most).
const keepOutcomes = 30 * time.Second

// owners tells the claims of one process apart from another's.
type owners struct {
	prefix string
	n      atomic.Uint64
}

func newOwners() *owners {
	var b [6]byte
	rand.Read(b[:])
	return &owners{prefix: hex.EncodeToString(b[:])}
}

func (o *owners) next() string { return o.prefix + "/" + strconv.FormatUint(o.n.Add(1), 10) }

// openStore opens the configured state store.
func openStore(cfg *Config) (store.Store, error) {
	switch cfg.State.Driver {
	case "postgres":
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		return store.OpenPostgres(ctx, cfg.State.DSN)
	default:
		// The file holds shadow attributes only: without a tenant that
		// keeps some, claims and locks, in memory, are all it needs.
		if shadowing(cfg) {
			path := cfg.State.Path
			if !filepath.IsAbs(path) {
				path = filepath.Join(filepath.Dir(cfg.File), path)
			}
			return store.OpenEmbedded(path)
		}
		return store.OpenEmbedded("")
	}
}

// shadowing reports whether a tenant of cfg keeps shadow attributes.
func shadowing(cfg *Config) bool {
	for _, t := range cfg.Tenants {
		if t.Shadow.set() {
			return true
		}
	}
	return false
}

// ledgerName is the claim of a create: the tenant, the type and the
// unique name (userName or displayName, compared case-insensitively as
// RFC 7643 §4.1.1 has userName), or "" when the body has none.
func ledgerName(t *tenant, rt dialects.ResourceType, body []byte) string {
	attr := "userName"
	if rt == dialects.Group {
		attr = "displayName"
	}
	v := scim.Field(scim.Parse(body), attr)
	if v.Type != gjson.String || v.Str == "" {
		return ""
	}
	return "create/" + t.id + "/" + rt.String() + "/" + strings.ToLower(v.Str)
}

// errGatewayBusy marks the gateway's own 503s (the store unreachable, a
// concurrent write of the same resource still running): their detail is
// the gateway's words, safe to show, and the cause goes to the log.
var errGatewayBusy = errors.New("gateway busy")

func busy(detail string, err error) error {
	return &dialects.Error{Status: http.StatusServiceUnavailable, Detail: detail, RetryAfter: "1", Err: errors.Join(errGatewayBusy, err)}
}

// errState is the answer when the store cannot be reached: the write
// needs it, and nothing was sent to the backend.
func (g *Gateway) errState(t *tenant, op string, err error) error {
	g.metrics.stateError(t.id, op)
	g.stateLog.Error("state store unavailable: writes refused (logged once a second)", zap.String("tenant", t.id), zap.String("op", op), zap.Error(err))
	return busy("the gateway's state store is unavailable; nothing was sent to the backend, retry later", err)
}

// create runs a create under the ledger.
// shadow, when not nil, is what the gateway keeps of the resource once
// the backend created it (shadow.go).
func (g *Gateway) create(ctx context.Context, t *tenant, req *dialects.Request, shadow []byte) (*dialects.Response, error) {
	name := ledgerName(t, req.Type, req.Body)
	if name == "" {
		return g.shadowed(ctx, t, req, shadow, nil) // the contract requires the name: not reached
	}
	owner := g.owners.next()
	c, err := store.Wait(ctx, g.store, name, owner, t.deadline+claimMargin)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, busy("a create of the same "+req.Type.String()+" is still in progress; retry later", err)
	case err != nil:
		return nil, g.errState(t, "claim", err)
	case c.Done != nil && c.Waited:
		g.metrics.ledgerEvent(t.id, "shared")
		return outcomeAnswer(c.Done)
	case c.Done != nil:
		// The name was settled before this create came: it is a create of
		// its own, and the backend answers it (409 if the resource still
		// exists, RFC 7644 §3.3).
		return g.shadowed(ctx, t, req, shadow, nil)
	}
	var found *dialects.Response
	if c.TookOver {
		// The create before may have reached the backend: look first.
		g.metrics.ledgerEvent(t.id, "taken_over")
		body, known, lerr := g.lookup(ctx, t, req.Type, identityFilter(req.Type, req.Body))
		switch {
		case lerr == nil && body != nil:
			found = &dialects.Response{Status: http.StatusCreated, Body: body}
		case !known:
			g.settle(ctx, t, name, owner, store.Outcome{})
			return nil, outcomeUnknown(lerr)
		}
	}
	resp, err := g.shadowed(ctx, t, req, shadow, found)
	g.settle(ctx, t, name, owner, outcomeOf(resp, err))
	return resp, err
}

// shadowed creates the resource (or takes found, the one a create before
// made) and keeps its shadow attributes: the backend write first.
func (g *Gateway) shadowed(ctx context.Context, t *tenant, req *dialects.Request, shadow []byte, found *dialects.Response) (*dialects.Response, error) {
	resp := found
	if resp == nil {
		var err error
		if resp, err = g.safeCreate(ctx, t, req); err != nil {
			return nil, err
		}
	}
	if shadow != nil {
		if id := scim.Field(scim.Parse(resp.Body), "id").String(); id != "" {
			g.keepShadow(ctx, t, req.Type, id, shadow)
			resp.Body = merge(resp.Body, shadow)
		}
	}
	return resp, nil
}

// outcomeOf is what a create's claim settles as, for the creates that
// waited on it: a success, or a definitive refusal (a 4xx, in the words a
// client gets); an unknown outcome makes the next create look first; a
// gateway-side or backend 5xx is not shared (the claim is released, and
// each waiting create runs its own).
func outcomeOf(resp *dialects.Response, err error) store.Outcome {
	switch {
	case err == nil:
		return store.Outcome{Status: resp.Status, Body: resp.Body}
	case ambiguous(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return store.Outcome{}
	}
	if status, scimType, detail, _ := clientError(err, "-"); status >= 400 && status < 500 {
		return store.Outcome{Status: status, ScimType: scimType, Detail: detail}
	}
	return store.Outcome{Status: -1} // released
}

func (g *Gateway) settle(ctx context.Context, t *tenant, name, owner string, o store.Outcome) {
	err := store.Eventually(context.WithoutCancel(ctx), t.deadline+claimMargin, func(ctx context.Context) error {
		if o.Status == -1 {
			return g.store.Release(ctx, name, owner)
		}
		return g.store.Settle(ctx, name, owner, o, keepOutcomes)
	})
	if err != nil {
		// The answer stands; the claim is settled when the store is back
		// (or expires).
		g.metrics.stateError(t.id, "settle")
		t.log.Warn("could not settle a create's claim", zap.Error(err))
	}
}

// outcomeAnswer turns a settled outcome back into the create's answer.
func outcomeAnswer(o *store.Outcome) (*dialects.Response, error) {
	if o.Status >= 200 && o.Status < 300 {
		return &dialects.Response{Status: o.Status, Body: o.Body}, nil
	}
	return nil, &dialects.Error{Status: o.Status, ScimType: o.ScimType, Detail: o.Detail}
}

// lockFor holds the write lock of a resource while the gateway applies a
// PATCH by read-modify-write; none is needed (unlock does nothing) when
// the backend applies the PATCH itself.
//
// shadow says the PATCH changes shadow attributes, whose document the
// gateway reads, changes and writes itself: that needs the lock too.
func (g *Gateway) lockFor(ctx context.Context, t *tenant, rt dialects.ResourceType, id string, shadow bool) (unlock func(), err error) {
	if t.caps.Patch.Has(rt) && !shadow {
		return func() {}, nil
	}
	unlock, err = store.Lock(ctx, g.store, fmt.Sprintf("lock/%s/%s/%s", t.id, rt, id), g.owners.next(), t.deadline+claimMargin)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, busy("another change to this "+rt.String()+" is still in progress; retry later", err)
	case err != nil:
		return nil, g.errState(t, "lock", err)
	}
	return unlock, nil
}
