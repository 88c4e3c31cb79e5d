// Package store holds what a tenant's backend cannot: the create ledger
// that keeps one create per unique name across replicas, write locks for
// read-modify-write on backends without versions, and shadow attributes
// (values a backend drops, kept beside it).
//
// Two drivers implement Store: Embedded (one process; a bbolt file for
// shadows, claims in memory) and Postgres (any number of replicas on one
// database). One conformance suite (storetest) runs against both.
package store

import (
	"context"
	"errors"
	"time"
)

// Store is the gateway's state. Every method is safe for concurrent use.
type Store interface {
	// Claim tries to take name for owner until ttl from now. It does not
	// wait: a claim held by another owner and not expired comes back
	// neither Ours nor Done (see Wait).
	Claim(ctx context.Context, name, owner string, ttl time.Duration) (Claim, error)
	// Settle records the outcome of owner's claim and keeps it for keep,
	// so that a create waiting on name answers the same. An outcome no
	// Claim found busy is not kept (nobody waits for it; a later create of
	// the name is a create of its own), unless it is unknown. ErrLost when
	// the claim is no longer owner's (it expired and was taken).
	Settle(ctx context.Context, name, owner string, o Outcome, keep time.Duration) error
	// Release gives up owner's unsettled claim (or lock) on name.
	Release(ctx context.Context, name, owner string) error
	// Shadow returns the shadow attributes of a resource (a JSON object),
	// or nil when it has none.
	Shadow(ctx context.Context, k Key) ([]byte, error)
	// Shadows is Shadow for many resources of (tenant, typ) at once (a
	// page of a list): ids without shadow attributes are absent.
	Shadows(ctx context.Context, tenant, typ string, ids []string) (map[string][]byte, error)
	// PutShadow replaces the shadow attributes of a resource and the
	// values they are found by (attribute name → value; see FindShadow).
	PutShadow(ctx context.Context, k Key, doc []byte, index map[string]string) error
	// DeleteShadow removes a resource's shadow attributes and index.
	DeleteShadow(ctx context.Context, k Key) error
	// FindShadow returns, sorted, the ids of the resources of (tenant,
	// typ) whose indexed attribute attr has exactly value.
	FindShadow(ctx context.Context, tenant, typ, attr, value string) ([]string, error)

	// Ping reports whether the store can be reached (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}

// Key names one resource of one tenant: the backend's id.
type Key struct{ Tenant, Type, ID string }

// Claim is the state of a ledger name as Claim found it.
type Claim struct {
	// Ours: the caller holds the claim and must Settle or Release it.
	Ours bool
	// TookOver: Ours, and the name was claimed by an owner whose claim
	// expired unsettled (a crashed replica, or one past its deadline) or
	// who settled it as unknown: its create may have reached the backend.
	TookOver bool
	// Done is the outcome another owner settled, while it is kept.
	Done *Outcome
	// Waited (from Wait) says the name was held when the caller came: a
	// Done outcome is then that of a create the caller's ran beside.
	Waited bool
}

// Outcome is what a settled create answered. Status 0 is unknown (the
// backend did not confirm the create): the next Claim takes the name over
// instead of returning it as Done.
type Outcome struct {
	Status   int    // HTTP status; 0 unknown
	Body     []byte // the resource, for a 2xx
	ScimType string // for an error
	Detail   string // for an error
}

// ErrLost is Settle's error for a claim another owner has taken.
var ErrLost = errors.New("store: the claim expired and was taken by another owner")

// Wait claims name for owner, waiting while another owner holds it, until
// the claim is ours or settled, or ctx ends.
func Wait(ctx context.Context, s Store, name, owner string, ttl time.Duration) (Claim, error) {
	n, _ := s.(notifier)
	pause, waited := 5*time.Millisecond, false
	for {
		c, err := s.Claim(ctx, name, owner, ttl)
		c.Waited = waited
		if err != nil || c.Ours || c.Done != nil {
			return c, err
		}
		waited = true
		var changed <-chan struct{}
		if n != nil {
			// Subscribe, then look again: a change in between is not missed.
			changed = n.changed(name)
			if c, err = s.Claim(ctx, name, owner, ttl); err != nil || c.Ours || c.Done != nil {
				c.Waited = true
				return c, err
			}
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return Claim{}, ctx.Err()
		case <-changed:
			t.Stop()
		case <-t.C:
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// notifier is a store that tells waiters when a name is settled or
// released, instead of letting them poll.
type notifier interface {
	changed(name string) <-chan struct{}
}

// Lock holds name for owner until unlock, waiting while another owner
// holds it; ttl bounds it should the holder never unlock.
func Lock(ctx context.Context, s Store, name, owner string, ttl time.Duration) (unlock func(), err error) {
	c, err := Wait(ctx, s, name, owner, ttl)
	if err != nil {
		return nil, err
	}
	if !c.Ours {
		return nil, errors.New("store: " + name + " holds a settled outcome, not a lock")
	}
	return func() {
		Eventually(context.WithoutCancel(ctx), ttl, func(ctx context.Context) error { return s.Release(ctx, name, owner) })
	}, nil
}

// Eventually runs op, a change to the store that must not be lost to a
// brief outage (a lock that is not released holds back every later
// change to its resource until it expires): when op fails, it is tried
// again in the background, ever less often, until it succeeds, reports
// ErrLost, or for returns. Eventually returns op's first error.
func Eventually(ctx context.Context, within time.Duration, op func(context.Context) error) error {
	err := op(ctx)
	if err == nil || errors.Is(err, ErrLost) {
		return err
	}
	go func() {
		deadline := time.Now().Add(within)
		for pause := 50 * time.Millisecond; time.Now().Add(pause).Before(deadline); pause = min(2*pause, time.Second) {
			time.Sleep(pause)
			if err := op(ctx); err == nil || errors.Is(err, ErrLost) {
				return
			}
		}
	}()
	return err
}
