package gateway

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.uber.org/zap"

	"github.com/scimgw/scimgw/dialects"
)

// errCircuitOpen marks a call the circuit breaker refused: nothing was
// sent, so it is never an ambiguous outcome.
var errCircuitOpen = errors.New("backend circuit open")

// errNotCounted is what a call the breaker must not count reports: the
// client went away, or the gateway's own credentials were refused.
var errNotCounted = errors.New("not counted")

// errFailed is what a call that failed at the backend reports: 5xx,
// a timeout, a connection that broke.
var errFailed = errors.New("backend failed")

// protection stands between a tenant and its backend: at most
// backend.max_concurrent calls in progress (more wait for a slot, within
// the operation's deadline), and a circuit breaker (sony/gobreaker) that
// opens after backend.circuit.failures consecutive failed calls. While it
// is open every call is refused at once with 503 and Retry-After, so a
// failing backend is not hammered by IdP retries; after
// backend.circuit.open_for one probe call is let through (half-open), and
// its outcome closes or reopens the circuit. A call is one logical
// backend request with all its retries.
type protection struct {
	tenant   string
	slots    chan struct{} // nil: no cap
	cb       *gobreaker.TwoStepCircuitBreaker[struct{}]
	openFor  time.Duration
	openedAt atomic.Int64 // unix nanoseconds of the last opening
	metrics  *metrics
}

func newProtection(t *Tenant, m *metrics, log *zap.Logger) *protection {
	p := &protection{tenant: t.ID, openFor: t.Backend.Circuit.OpenFor, metrics: m}
	if n := t.Backend.MaxConcurrent; n > 0 {
		p.slots = make(chan struct{}, n)
	}
	if n := *t.Backend.Circuit.Failures; n > 0 {
		p.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
			Name:        t.ID,
			MaxRequests: 1,
			Timeout:     p.openFor,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(n) },
			IsExcluded:  func(err error) bool { return errors.Is(err, errNotCounted) },
			OnStateChange: func(_ string, from, to gobreaker.State) {
				if to == gobreaker.StateOpen {
					p.openedAt.Store(time.Now().UnixNano())
					m.circuitOpened(t.ID)
				}
				m.circuitState(t.ID, int(to))
				log.Warn("backend circuit "+to.String(), zap.String("from", from.String()))
			},
		})
		m.circuitState(t.ID, int(gobreaker.StateClosed))
	}
	return p
}

// enter admits a backend call, or returns why not; done must be called
// with the call's outcome when an admitted call ends.
func (p *protection) enter(ctx context.Context) (done func(*dialects.BackendResponse, error), err error) {
	report := func(error) {}
	if p.cb != nil {
		if report, err = p.cb.Allow(); err != nil {
			return nil, p.refusal()
		}
	}
	if p.slots != nil {
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			report(errNotCounted)
			return nil, ctx.Err()
		}
	}
	p.metrics.backendInflight(p.tenant, 1)
	return func(resp *dialects.BackendResponse, err error) {
		p.metrics.backendInflight(p.tenant, -1)
		if p.slots != nil {
			<-p.slots
		}
		report(classify(ctx, resp, err))
	}, nil
}

// classify turns a call's outcome into what the breaker counts: a
// success (nil) for any answer below 500 — a 4xx or a 429 comes from a
// backend that works —, a failure for 5xx and for calls that got no
// answer, nothing when the client went away or the gateway's own
// credentials were refused.
func classify(ctx context.Context, resp *dialects.BackendResponse, err error) error {
	switch {
	case err == nil && resp.Status >= 500:
		return errFailed
	case err == nil:
		return nil
	case errors.Is(err, errBackendCredentials), errors.Is(err, context.Canceled), ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		return errNotCounted
	}
	return errFailed
}

// refusal is the 503 for a call the open circuit refused.
func (p *protection) refusal() error {
	wait := p.openFor - time.Since(time.Unix(0, p.openedAt.Load()))
	secs := max(1, int(math.Ceil(wait.Seconds())))
	return &dialects.Error{Status: http.StatusServiceUnavailable, RetryAfter: strconv.Itoa(secs), Err: errCircuitOpen,
		Detail: fmt.Sprintf("the backend of tenant %s failed repeatedly, so the gateway stops calling it for a while (backend.circuit); nothing was sent; retry after %d s", p.tenant, secs)}
}
