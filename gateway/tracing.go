package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/scimgw/scimgw/dialects"
)

// Tracing with OpenTelemetry, off unless server.tracing.endpoint is set;
// when off nothing here runs. When on:
//
//   - otelhttp makes the server span of every SCIM request, taking the
//     client's W3C traceparent (a sampled client trace is followed);
//   - the gateway adds a span for the validation of a body and one for
//     the dialect's work (tracedDialect), and one client span for each
//     backend attempt (forward.go), whose traceparent goes to the backend;
//   - the trace id is in the request's log line.
//
// Outbound spans are the gateway's own, not otelhttp's transport: its
// url.full would carry the query, and a filter carries userNames. No span
// carries a body, a query, a token or an error's detail.

// Version is the gateway's version, for the traces' service.version; the
// command sets it.
var Version = "dev"

// propagator reads and writes W3C Trace Context headers.
var propagator = propagation.TraceContext{}

// tracing is the gateway's tracer provider, or nil when off.
type tracing struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
}

func newTracing(c TracingConfig, version string) (*tracing, error) {
	if c.Endpoint == "" {
		return nil, nil
	}
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(strings.TrimRight(c.Endpoint, "/")+"/v1/traces"))
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(*c.SampleRatio))),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", c.ServiceName), attribute.String("service.version", version))),
	)
	return &tracing{tp: tp, tracer: tp.Tracer("github.com/scimgw/scimgw/gateway")}, nil
}

// handler wraps the SCIM handler with otelhttp's server spans; probes are
// not traced.
func (tr *tracing) handler(h http.Handler) http.Handler {
	if tr == nil {
		return h
	}
	return otelhttp.NewHandler(h, "scim",
		otelhttp.WithTracerProvider(tr.tp),
		otelhttp.WithPropagators(propagator),
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" && r.URL.Path != "/readyz" }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + routeOf(r.URL.Path) }),
	)
}

// close flushes the spans not yet exported.
func (tr *tracing) close() {
	if tr == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tr.tp.Shutdown(ctx)
}

// span starts a span named "what of" under ctx when tracing is on (the
// name is built only then); end takes the outcome, recorded as a status
// class, never as its text.
func (tr *tracing) span(ctx context.Context, what, of string) (context.Context, func(error)) {
	if tr == nil {
		return ctx, func(error) {}
	}
	ctx, s := tr.tracer.Start(ctx, what+" "+of)
	return ctx, func(err error) {
		if err != nil {
			status, scimType, _, _ := clientError(err, "-")
			s.SetAttributes(attribute.Int("scim.error.status", status))
			if scimType != "" {
				s.SetAttributes(attribute.String("scim.error.type", scimType))
			}
			s.SetStatus(codes.Error, http.StatusText(status))
		}
		s.End()
	}
}

// tracedDialect is the dialect with a span around each operation.
type tracedDialect struct {
	dialects.Dialect
	tr *tracing
}

func (d tracedDialect) Do(ctx context.Context, req *dialects.Request) (*dialects.Response, error) {
	ctx, end := d.tr.span(ctx, "dialect "+req.Action.String(), req.Type.String())
	resp, err := d.Dialect.Do(ctx, req)
	end(err)
	return resp, err
}

// attemptSpan starts the client span of one backend attempt and writes
// its traceparent into the request.
func (tr *tracing) attemptSpan(r *http.Request, st *attemptState) {
	if tr == nil {
		return
	}
	_, st.span = tr.tracer.Start(r.Context(), "backend "+st.op(), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("http.request.method", st.method), attribute.Int("scimgw.attempt", st.attempts+1)))
	propagator.Inject(trace.ContextWithSpan(r.Context(), st.span), propagation.HeaderCarrier(r.Header))
}

// endAttempt ends an attempt's span with its outcome.
func endAttempt(st *attemptState, resp *http.Response, outcome string, retry bool) {
	if st.span == nil {
		return
	}
	st.span.SetAttributes(attribute.String("scimgw.outcome", outcome), attribute.Bool("scimgw.retry", retry))
	if resp != nil {
		st.span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	}
	if resp == nil || resp.StatusCode >= 500 {
		st.span.SetStatus(codes.Error, outcome)
	}
	st.span.End()
	st.span = nil
}
