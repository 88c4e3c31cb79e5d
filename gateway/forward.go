package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/scimgw/scimgw/dialects"
)

// errBackendCredentials marks failures of the gateway's own backend
// credentials: nothing was applied, and the operator must act.
var errBackendCredentials = errors.New("backend credentials rejected")

// maxBackendBody bounds how much of a backend response is read.
const maxBackendBody = 16 << 20

// backend is a dialects.Backend over HTTP: auth, per-attempt timeouts and
// safe retries with go-retryablehttp.
//
// Retry policy: GET, PUT and DELETE are retried on connection errors, 429,
// 502, 503 and 504; every method is retried when the connection could not
// be made (nothing was sent) and on 429 (the request was refused, not
// processed). POST and PATCH are never repeated once they may have reached
// the backend: such failures come back as ambiguous, for the caller to
// resolve (see safeCreate).
type backend struct {
	tenant  string
	base    string // backend SCIM base URL without trailing slash
	client  *retryablehttp.Client
	auth    authenticator
	log     *zap.Logger
	metrics *metrics
	protect *protection // concurrency cap and circuit breaker
	tracing *tracing    // nil when off
}

func newBackend(t *Tenant, baseURL string, log *zap.Logger, m *metrics, tracing *tracing) *backend {
	hc := cleanhttp.DefaultPooledClient()
	hc.Timeout = t.Backend.Timeout
	// One backend host per tenant: keep as many idle connections to it as
	// the tenant may use at once (go-cleanhttp keeps GOMAXPROCS+1).
	tr := hc.Transport.(*http.Transport)
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.IdleConnTimeout = t.Backend.MaxIdleConns, t.Backend.MaxIdleConns, t.Backend.IdleConnTimeout
	b := &backend{tenant: t.ID, base: strings.TrimRight(baseURL, "/"), log: log, metrics: m, protect: newProtection(t, m, log), tracing: tracing}
	auth := t.Backend.Auth
	if strings.HasPrefix(auth.TokenURL, "/") {
		// A path: the token endpoint is on the backend's host (as
		// Workspace ONE's /SAAS/auth/oauthtoken, or an emulator's).
		if u, err := url.Parse(baseURL); err == nil {
			auth.TokenURL = u.Scheme + "://" + u.Host + auth.TokenURL
		}
	}
	b.auth = newAuthenticator(auth, hc, func(err error) { m.tokenFetch(t.ID, err) })
	rc := &retryablehttp.Client{
		HTTPClient:   hc,
		RetryWaitMin: t.Backend.Retry.MinBackoff,
		RetryWaitMax: t.Backend.Retry.MaxBackoff,
		RetryMax:     t.Backend.Retry.MaxAttempts - 1,
		CheckRetry:   b.checkRetry,
		Backoff:      backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		RequestLogHook: func(_ retryablehttp.Logger, r *http.Request, _ int) {
			if st, ok := r.Context().Value(attemptKey{}).(*attemptState); ok {
				st.start = time.Now()
				b.tracing.attemptSpan(r, st)
			}
		},
	}
	if log.Core().Enabled(zap.DebugLevel) {
		// The library formats URLs for its messages even when they are
		// dropped: give it a logger only when debug logging is on.
		rc.Logger = retryLogger{log}
	}
	rc.PrepareRetry = func(r *http.Request) error {
		return b.authorize(r)
	}
	b.client = rc
	return b
}

type attemptKey struct{}

// The headers every backend request carries, shared: net/http never
// changes a header's values in place.
var (
	acceptHeader      = []string{"application/scim+json, application/json"}
	contentTypeHeader = []string{"application/scim+json"}
)

// callsKey carries the count of requests an operation sent its backend.
type callsKey struct{}

// countCalls returns a context whose backend requests — every attempt,
// through any dialect — are counted in the returned counter.
func countCalls(ctx context.Context) (context.Context, *atomic.Int32) {
	n := new(atomic.Int32)
	return context.WithValue(ctx, callsKey{}, n), n
}

// attemptState follows one logical request across its attempts.
type attemptState struct {
	method    string
	path      string
	start     time.Time
	attempts  int
	ambiguous bool // the last failure may have reached the backend
	timeout   bool
	uncertain bool // an attempt may have been applied
	earlier   bool // an attempt before the last one may have been applied
	token     string
	span      trace.Span // of the attempt in progress, when tracing
}

// op names the request in log lines, without resource ids.
func (st *attemptState) op() string { return st.method + " " + opPath(st.path) }

// Do sends the request, retrying as the policy allows, when the
// backend's protection admits it (protect.go).
func (b *backend) Do(ctx context.Context, br *dialects.BackendRequest) (*dialects.BackendResponse, error) {
	done, err := b.protect.enter(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := b.call(ctx, br)
	done(resp, err)
	return resp, err
}

func (b *backend) call(ctx context.Context, br *dialects.BackendRequest) (*dialects.BackendResponse, error) {
	resp, st, err := b.do(ctx, br)
	if err == nil && resp.Status == http.StatusUnauthorized && b.auth.refreshable() {
		// The cached token may have been revoked: refresh it once and resend.
		// A 401 means the backend did not process the request, so this is
		// safe for every method.
		b.auth.invalidate(st.token)
		resp, st, err = b.do(ctx, br)
	}
	if err != nil {
		return nil, err
	}
	if resp.Status == http.StatusNotFound && br.Method == http.MethodDelete && st.uncertain {
		// An earlier attempt that we could not see the end of deleted it.
		resp.Status = http.StatusNoContent
	}
	if st.earlier && br.Method != http.MethodGet && br.Method != http.MethodHead &&
		(resp.Status == http.StatusTooManyRequests || resp.Status >= 500) {
		// The last attempt was refused or failed, but an earlier one that
		// we could not see the end of may have been applied: the client
		// must not read this as "nothing happened".
		return nil, &dialects.UpstreamError{Attempts: st.attempts, Ambiguous: true,
			Err: fmt.Errorf("backend answered %d after an earlier attempt that may have been applied", resp.Status)}
	}
	if resp.Status == http.StatusUnauthorized {
		b.log.Error("backend rejected the gateway's credentials", zap.String("op", st.op()))
		return nil, &dialects.Error{Status: http.StatusBadGateway, Detail: "backend rejected the gateway's credentials", Err: errBackendCredentials}
	}
	return resp, nil
}

func (b *backend) do(ctx context.Context, br *dialects.BackendRequest) (*dialects.BackendResponse, *attemptState, error) {
	u := b.base + br.Path
	if len(br.Query) > 0 {
		u += "?" + br.Query.Encode()
	}
	st := &attemptState{method: br.Method, path: br.Path}
	ctx = context.WithValue(ctx, attemptKey{}, st)
	var body any
	if br.Body != nil {
		body = br.Body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, br.Method, u, body)
	if err != nil {
		return nil, st, fmt.Errorf("build backend request: %w", err)
	}
	for k, vs := range br.Header {
		req.Header[k] = vs
	}
	req.Header["Accept"] = acceptHeader
	if br.Body != nil && req.Header.Get("Content-Type") == "" {
		req.Header["Content-Type"] = contentTypeHeader
	}
	if err := b.authorize(req.Request); err != nil {
		return nil, st, err
	}
	st.token = req.Header.Get("Authorization")
	resp, err := b.client.Do(req)
	if err != nil {
		if ctx.Err() != nil && !st.ambiguous {
			return nil, st, ctx.Err()
		}
		return nil, st, &dialects.UpstreamError{Attempts: st.attempts, Ambiguous: st.ambiguous, Timeout: st.timeout || isTimeout(err), Err: stripURL(err)}
	}
	defer resp.Body.Close()
	data, err := readAll(resp.Body, resp.ContentLength, maxBackendBody)
	if err != nil {
		amb := br.Method == http.MethodPost || br.Method == http.MethodPatch
		return nil, st, &dialects.UpstreamError{Attempts: st.attempts, Ambiguous: amb, Timeout: isTimeout(err), Err: fmt.Errorf("read backend response: %w", stripURL(err))}
	}
	return &dialects.BackendResponse{Status: resp.StatusCode, Header: resp.Header, Body: data}, st, nil
}

// readAll reads at most limit bytes of r into a buffer sized from the
// declared length, when there is one.
func readAll(r io.Reader, declared, limit int64) ([]byte, error) {
	if declared <= 0 || declared > limit {
		return io.ReadAll(io.LimitReader(r, limit))
	}
	buf := bytes.NewBuffer(make([]byte, 0, declared+1))
	_, err := buf.ReadFrom(io.LimitReader(r, limit))
	return buf.Bytes(), err
}

func (b *backend) authorize(r *http.Request) error {
	h, err := b.auth.header(r.Context())
	if err != nil {
		return err
	}
	if h != "" {
		r.Header.Set("Authorization", h)
	}
	return nil
}

// checkRetry is the retry policy (see backend). It also logs every attempt.
func (b *backend) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st, _ := ctx.Value(attemptKey{}).(*attemptState)
	if st == nil {
		st = &attemptState{}
	}
	st.attempts++
	if n, ok := ctx.Value(callsKey{}).(*atomic.Int32); ok {
		n.Add(1)
	}
	retry, outcome := b.decide(ctx, st, resp, err)
	failed := resp == nil || resp.StatusCode >= 500 || retry
	if ce := b.log.Check(zap.DebugLevel, "backend attempt"); ce != nil || failed {
		fields := []zap.Field{zap.String("tenant", b.tenant), zap.String("op", st.op()), zap.Int("attempt", st.attempts), zap.Duration("duration", time.Since(st.start)), zap.Bool("retry", retry)}
		if resp != nil {
			fields = append(fields, zap.Int("status", resp.StatusCode))
		} else if err != nil {
			fields = append(fields, zap.String("error", outcome))
		}
		if ce != nil {
			ce.Write(fields...)
		}
		if failed {
			b.log.Info("backend attempt failed", fields...)
		}
	}
	b.metrics.attempt(b.tenant, st.method, outcome, time.Since(st.start), retry)
	endAttempt(st, resp, outcome, retry)
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil && !retry {
		return false, err
	}
	return retry, nil
}

// decide applies the retry policy and names the attempt's outcome.
func (b *backend) decide(ctx context.Context, st *attemptState, resp *http.Response, err error) (bool, string) {
	st.earlier = st.uncertain
	idempotent := st.method == http.MethodGet || st.method == http.MethodPut || st.method == http.MethodDelete || st.method == http.MethodHead
	if err != nil {
		outcome := "error"
		if isTimeout(err) {
			outcome = "timeout"
		}
		if ctx.Err() != nil {
			// The client went away or the overall deadline passed; whatever
			// was sent may have been applied.
			st.ambiguous = st.method == http.MethodPost || st.method == http.MethodPatch
			return false, "canceled"
		}
		if notSent(err) {
			return true, "connect_error"
		}
		st.uncertain = true
		if idempotent {
			return true, outcome
		}
		st.ambiguous, st.timeout = true, isTimeout(err)
		return false, outcome
	}
	code := strconv.Itoa(resp.StatusCode)
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		// Nothing was done: wait and try again — unless the backend asks
		// for a longer wait than max_backoff or the deadline allows; then
		// the client gets the 429 with its Retry-After.
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			deadline, has := ctx.Deadline()
			if d > b.client.RetryWaitMax || has && time.Now().Add(d).After(deadline) {
				return false, code
			}
		}
		return true, code
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		st.uncertain = true
		return idempotent, code
	}
	return false, code
}

// backoff waits exponentially longer between attempts, with jitter, and
// honours Retry-After on 429 and 503, capped at max.
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(max(d, minWait), maxWait)
		}
	}
	d := minWait << min(attempt, 30)
	if d <= 0 || d > maxWait {
		d = maxWait
	}
	// Equal jitter: half fixed, half random.
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP-date
// (RFC 9110 §10.2.3).
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// notSent reports whether err happened before any byte of the request was
// written: DNS failures and refused or failed dials.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// stripURL drops the URL (whose query may hold a filter with personal
// data) from *url.Error, keeping the cause.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// opPath reduces a backend path to its resource type, for logs: ids and
// queries stay out of them.
func opPath(p string) string {
	seg := strings.Trim(p, "/")
	if i := strings.IndexByte(seg, '/'); i >= 0 {
		return "/" + seg[:i] + "/{id}"
	}
	return "/" + seg
}

// retryLogger adapts zap to retryablehttp.LeveledLogger. The library's own
// messages go to debug (every attempt is logged by checkRetry); URLs lose
// their query and errors their URL.
type retryLogger struct{ l *zap.Logger }

func (r retryLogger) Error(msg string, kv ...any) { r.log(msg, kv) }
func (r retryLogger) Info(msg string, kv ...any)  { r.log(msg, kv) }
func (r retryLogger) Debug(msg string, kv ...any) { r.log(msg, kv) }
func (r retryLogger) Warn(msg string, kv ...any)  { r.log(msg, kv) }

func (r retryLogger) log(msg string, kv []any) {
	ce := r.l.Check(zap.DebugLevel, "retryablehttp: "+msg)
	if ce == nil {
		return
	}
	fields := make([]zap.Field, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		switch v := kv[i+1].(type) {
		case error:
			fields = append(fields, zap.String(k, stripURL(v).Error()))
		case string:
			if k == "url" || k == "request" {
				v, _, _ = strings.Cut(v, "?")
			}
			fields = append(fields, zap.String(k, v))
		default:
			fields = append(fields, zap.Any(k, v))
		}
	}
	ce.Write(fields...)
}

var _ retryablehttp.LeveledLogger = retryLogger{}
