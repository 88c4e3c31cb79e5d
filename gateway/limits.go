package gateway

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/scimgw/scimgw/dialects"
)

// inboundLimits bound what one tenant's clients may ask of this replica:
// a request rate (a token bucket, golang.org/x/time/rate) and a number of
// requests in progress. Beyond either the client gets 429 with
// Retry-After (RFC 6585 §4), and nothing reaches the backend.
type inboundLimits struct {
	rate  *rate.Limiter // nil: no rate limit
	slots chan struct{} // nil: no concurrency limit
}

func newInboundLimits(c InboundConfig) *inboundLimits {
	l := &inboundLimits{}
	if c.Rate > 0 {
		l.rate = rate.NewLimiter(rate.Limit(c.Rate), c.Burst)
	}
	if c.MaxConcurrent > 0 {
		l.slots = make(chan struct{}, c.MaxConcurrent)
	}
	return l
}

// acquire admits a request, or returns the 429 to answer; release must be
// called when an admitted request ends.
func (l *inboundLimits) acquire(tenant string) (release func(), err error) {
	if l.rate != nil {
		now := time.Now()
		r := l.rate.ReserveN(now, 1)
		if d := r.DelayFrom(now); d > 0 {
			r.CancelAt(now)
			secs := max(1, int(math.Ceil(d.Seconds())))
			return nil, &dialects.Error{Status: http.StatusTooManyRequests, RetryAfter: strconv.Itoa(secs),
				Detail: fmt.Sprintf("tenant %s sends more than its %g requests per second (tenants.%s.inbound.rate); retry after %d s", tenant, float64(l.rate.Limit()), tenant, secs)}
		}
	}
	if l.slots == nil {
		return func() {}, nil
	}
	select {
	case l.slots <- struct{}{}:
		return func() { <-l.slots }, nil
	default:
		return nil, &dialects.Error{Status: http.StatusTooManyRequests, RetryAfter: "1",
			Detail: fmt.Sprintf("tenant %s has %d requests in progress, its limit (tenants.%s.inbound.max_concurrent); retry after 1 s", tenant, cap(l.slots), tenant)}
	}
}
