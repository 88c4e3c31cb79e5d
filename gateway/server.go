// Package gateway is scimgw's HTTP side: it loads the configuration, serves
// the SCIM 2.0 front end per tenant (RFC 7644), authenticates IdPs, hands
// each request to the tenant's dialect, forwards through a safe retrying
// client, and normalises every response and error into SCIM 2.0.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/gateway/store"
	"github.com/scimgw/scimgw/mappings"
	"github.com/scimgw/scimgw/mappings/scim"
)

// Gateway serves every configured tenant.
type Gateway struct {
	cfg     *Config // as the gateway started: its listeners and state store
	reg     *dialects.Registry
	log     *zap.Logger
	live    atomic.Pointer[live] // the configuration in service (reload.go)
	metrics *metrics
	engine  *gin.Engine
	ready   atomic.Bool
	store   store.Store // the create ledger, write locks (ledger.go)
	// stateLog logs the refusals for an unreachable store: the first
	// each second, as an outage refuses every write (the metric counts
	// them all).
	stateLog *zap.Logger
	owners   *owners

	reloadMu sync.Mutex // one reload at a time
	closed   atomic.Bool
	tracing  *tracing     // nil when off (tracing.go)
	handler  http.Handler // engine, in otelhttp's server spans when tracing
}

// tenant is a configured tenant, built once at startup.
type tenant struct {
	id         string
	dialect    dialects.Dialect
	caps       dialects.Capabilities
	tokens     tokenSet
	base       string // public base of the tenant's SCIM API: {public_url}/{id}/scim/v2
	maxResults int
	retry      RetryConfig
	deadline   time.Duration // bound on all the backend work of one client operation
	emulator   dialects.Emulator
	discovery  *discovery
	effective  *effective // what /Schemas and /ResourceTypes publish
	log        *zap.Logger
	// patchNoContent answers a successful PATCH with 204 instead of 200
	// and the resource (tenants.<id>.patch_response: no_content).
	patchNoContent bool
	// foldUserName lower-cases userName towards the backend
	// (tenants.<id>.username_case: fold).
	foldUserName bool
	// schemas are the tenant's resource types as clients write them, by
	// dialects.ResourceType: the RFC schemas and the extensions its
	// mapping takes. Every body is validated and canonicalised by them.
	schemas [2]*scim.ResourceSchema
	limits  scim.Limits
	// shadows are the attributes the gateway keeps for the backend, by
	// resource type (tenants.<id>.shadow; shadow.go).
	shadows [2]*shadowSet
	// conflicted counts a read-modify-write cycle run again.
	conflicted func()
	// inbound bounds the requests the tenant's clients send (limits.go).
	inbound *inboundLimits
	tracing *tracing // nil when off
	maxBody int64    // server.max_body_bytes

	secrets     []string     // its configured secrets, for redact
	fingerprint string       // of its configuration: unchanged on reload, the tenant is kept
	backend     *backend     // nil in tests that give the dialect another backend
	emuSrv      *http.Server // the emulator's listener, when emulated
	active      atomic.Int64 // requests in progress (reload.go retires it at 0)
}

// schema returns the tenant's schema of a resource type.
func (t *tenant) schema(rt dialects.ResourceType) *scim.ResourceSchema { return t.schemas[rt] }

// inputSchemas returns the schemas a tenant reads client bodies with: the
// mapping's (the RFC's and the extensions its rules take), with every
// extension the dialect defines typed by that definition.
func inputSchemas(m *mappings.Mapping, c dialects.Capabilities) [2]*scim.ResourceSchema {
	out := newSchemas(m)
	if len(c.Extensions) == 0 {
		return out
	}
	cores := [2]scim.Schema{dialects.User: scim.UserSchemaDef, dialects.Group: scim.GroupSchemaDef}
	for rt, rs := range out {
		var exts []scim.Schema
		typed := false
		for _, urn := range rs.Extensions() {
			s := *rs.Extension(urn)
			for _, d := range c.Extensions {
				if strings.EqualFold(d.ID, urn) {
					s, typed = d, true
				}
			}
			exts = append(exts, s)
		}
		if typed {
			out[rt] = scim.NewResourceSchema(cores[rt], exts...)
		}
	}
	return out
}

// newSchemas returns a tenant's resource schemas, from its mapping.
func newSchemas(m *mappings.Mapping) [2]*scim.ResourceSchema {
	if m == nil {
		return [2]*scim.ResourceSchema{scim.UserResource, scim.GroupResource}
	}
	return [2]*scim.ResourceSchema{dialects.User: m.Schema(dialects.User), dialects.Group: m.Schema(dialects.Group)}
}

// New builds the gateway from a checked config: it starts the in-process
// emulators of emulated tenants and builds every tenant's dialect. Close
// stops the emulators.
func New(cfg *Config, reg *dialects.Registry, log *zap.Logger) (*Gateway, error) {
	gin.SetMode(gin.ReleaseMode)
	g := &Gateway{cfg: cfg, reg: reg, log: log, metrics: newMetrics(), owners: newOwners()}
	g.stateLog = log.Named("state").WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, time.Second, 1, 0)
	}))
	st, err := openStore(cfg)
	if err != nil {
		return nil, err
	}
	g.store = st
	if g.tracing, err = newTracing(cfg.Server.Tracing, Version); err != nil {
		g.store.Close()
		return nil, err
	}
	tenants, err := g.buildTenants(cfg, nil)
	if err != nil {
		g.store.Close()
		g.tracing.close()
		return nil, err
	}
	g.live.Store(&live{cfg: cfg, tenants: tenants})
	g.engine = g.routes()
	g.handler = g.tracing.handler(g.engine)
	g.metrics.loaded(cfg.Hash, false, nil)
	g.ready.Store(true)
	return g, nil
}

func (g *Gateway) buildTenant(cfg *Config, id string, tc *Tenant) (*tenant, error) {
	f, err := g.reg.Lookup(tc.Dialect)
	if err != nil {
		return nil, err
	}
	log := g.log.Named("tenant").With(zap.String("tenant", id), zap.String("dialect", tc.Dialect))
	t := &tenant{
		id:         id,
		base:       cfg.Server.PublicURL + "/" + id + "/scim/v2",
		maxResults: tc.MaxResults,
		retry:      tc.Backend.Retry,
		log:        log,

		patchNoContent: tc.PatchResponse == "no_content",
		foldUserName:   tc.UserNameCase == "fold",
		limits:         cfg.Server.Limits.scim(),
		conflicted:     func() { g.metrics.conflict(id) },
		maxBody:        cfg.Server.MaxBodyBytes,
		tracing:        g.tracing,
		fingerprint:    tc.Fingerprint,
	}
	t.tokens = newTokenSet(tc.Inbound.BearerTokens)
	t.secrets = tenantSecrets(tc)
	t.inbound = newInboundLimits(tc.Inbound)
	backendURL := tc.Backend.URL
	if tc.Backend.Emulated {
		emu := newEmulator(f, tc)
		addr, srv, err := startEmulator(emu)
		if err != nil {
			return nil, fmt.Errorf("start emulator: %w", err)
		}
		t.emuSrv = srv
		t.emulator = emu
		backendURL = "http://" + addr + emu.BasePath()
		log.Info("emulated backend started", zap.String("url", backendURL))
	}
	t.deadline = tc.Backend.Deadline
	t.backend = newBackend(tc, backendURL, log, g.metrics, g.tracing)
	if err := t.setDialect(f, tc, t.backend); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// newEmulator is the emulated backend of a tenant of dialect f. It
// serves the extensions the tenant's mapping writes to, as the real
// backend must.
func newEmulator(f *dialects.Factory, tc *Tenant) dialects.Emulator {
	emu := f.NewEmulator(tc.Options)
	if x, ok := emu.(interface {
		Serve(rt string, urns ...string)
	}); ok && tc.Compiled != nil {
		x.Serve("User", tc.Compiled.BackendExtensions(dialects.User)...)
		x.Serve("Group", tc.Compiled.BackendExtensions(dialects.Group)...)
	}
	return emu
}

// setDialect builds the tenant's dialect over backend b, and what follows
// from its capabilities.
func (t *tenant) setDialect(f *dialects.Factory, tc *Tenant, b dialects.Backend) error {
	d, err := f.New(dialects.Config{Tenant: t.id, Backend: b, Options: tc.Options, Mapping: tc.Compiled, Log: t.log})
	if err != nil {
		return err
	}
	// What the backend lacks, the gateway supplies around the dialect.
	t.dialect = dialects.Decorate(f.Name, d)
	if t.tracing != nil {
		t.dialect = tracedDialect{t.dialect, t.tracing}
	}
	t.caps = t.dialect.Capabilities()
	if t.caps.MaxResults > 0 && t.caps.MaxResults < t.maxResults {
		t.maxResults = t.caps.MaxResults
	}
	var problems []string
	if t.shadows, problems = newShadows(tc.Shadow, tc.Compiled, t.caps); len(problems) > 0 {
		return fmt.Errorf("shadow: %s", strings.Join(problems, "; "))
	}
	t.effective = newEffective(tc.Compiled, t.caps, t.shadows)
	t.schemas = inputSchemas(tc.Compiled, t.caps)
	t.discovery = newDiscovery(t)
	return nil
}

func startEmulator(h http.Handler) (string, *http.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return ln.Addr().String(), srv, nil
}

// close stops the tenant's emulator and drops its idle backend
// connections.
func (t *tenant) close() {
	if t.emuSrv != nil {
		t.emuSrv.Close()
	}
	if t.backend != nil {
		t.backend.client.HTTPClient.CloseIdleConnections()
	}
}

// Handler returns the gateway's HTTP handler.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Emulator returns the in-process emulated backend of a tenant, or nil.
func (g *Gateway) Emulator(tenantID string) dialects.Emulator {
	if t := g.tenant(tenantID); t != nil {
		return t.emulator
	}
	return nil
}

// Close stops the emulators and closes the state store.
func (g *Gateway) Close() {
	g.ready.Store(false)
	if g.closed.Swap(true) {
		return
	}
	if l := g.live.Load(); l != nil {
		for _, t := range l.tenants {
			t.close()
		}
	}
	if g.store != nil {
		g.store.Close()
	}
	g.tracing.close()
}

// drainNew is how long connections accepted before a shutdown have to
// send their request.
const drainNew = 250 * time.Millisecond

// Serve serves the SCIM API on ln and, when admin is not nil, the admin
// endpoints on admin (AdminHandler), until ctx is done; then it shuts
// down gracefully: it reports not ready, stops accepting, and lets
// in-flight requests finish within server.shutdown_grace. The admin
// listener closes last, so that probes see the drain.
func (g *Gateway) Serve(ctx context.Context, ln, admin net.Listener) error {
	s := g.cfg.Server
	srv := &http.Server{
		Handler:           g.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.ReadTimeout,
		WriteTimeout:      s.WriteTimeout,
		IdleTimeout:       s.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(g.log.Named("http")),
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	var adminSrv *http.Server
	if admin != nil {
		adminSrv = &http.Server{Handler: g.AdminHandler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: srv.ErrorLog}
		go func() { errc <- adminSrv.Serve(admin) }()
		g.log.Info("admin endpoints serving", zap.String("listen", admin.Addr().String()), zap.Bool("pprof", s.Pprof))
	}
	g.log.Info("scimgw serving", zap.String("listen", ln.Addr().String()), zap.String("public_url", s.PublicURL), zap.Int("tenants", len(g.live.Load().tenants)))
	select {
	case err := <-errc:
		srv.Close()
		if adminSrv != nil {
			adminSrv.Close()
		}
		g.Close()
		return err
	case <-ctx.Done():
	}
	g.ready.Store(false)
	grace := g.live.Load().cfg.Server.ShutdownGrace // reloadable
	g.log.Info("shutting down", zap.Duration("grace", grace))
	// Stop accepting first, while the connections already accepted are
	// served as usual: net/http drops a request it reads after Shutdown
	// began (the client sees the connection close, unanswered), so those
	// get drainNew to send theirs. Responses meanwhile close their
	// connections, so that clients do not reuse one about to be closed.
	srv.SetKeepAlivesEnabled(false)
	ln.Close()
	time.Sleep(drainNew)
	sctx, cancel := context.WithTimeoutCause(context.Background(), grace, fmt.Errorf("graceful shutdown exceeded %s", grace))
	defer cancel()
	err := srv.Shutdown(sctx)
	if adminSrv != nil {
		adminSrv.Close()
	}
	g.Close()
	if err != nil {
		return fmt.Errorf("shutdown: %w", context.Cause(sctx))
	}
	return nil
}

// ListenAndServe listens on server.listen and server.admin_listen and
// serves until ctx is done.
func (g *Gateway) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", g.cfg.Server.Listen)
	if err != nil {
		g.Close()
		return err
	}
	var admin net.Listener
	if a := g.cfg.Server.AdminListen; a != "off" {
		if admin, err = net.Listen("tcp", a); err != nil {
			ln.Close()
			g.Close()
			return fmt.Errorf("admin listener: %w", err)
		}
	}
	err = g.Serve(ctx, ln, admin)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// AdminHandler serves the admin endpoints: /metrics (Prometheus),
// /healthz, /readyz and, with server.pprof, /debug/pprof/.
func (g *Gateway) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", g.metrics.handler())
	mux.HandleFunc("GET /healthz", g.healthz)
	mux.HandleFunc("GET /readyz", g.readyz)
	if g.cfg.Server.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// healthz says the process serves (liveness).
func (g *Gateway) healthz(w http.ResponseWriter, _ *http.Request) {
	io.WriteString(w, "ok\n")
}

// readyz says the gateway takes traffic (readiness): it is not shutting
// down and its state store answers.
func (g *Gateway) readyz(w http.ResponseWriter, r *http.Request) {
	if !g.ready.Load() {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := g.store.Ping(ctx); err != nil {
		http.Error(w, "state store unreachable", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ready\n")
}

func (g *Gateway) routes() *gin.Engine {
	e := gin.New()
	e.HandleMethodNotAllowed = false
	e.Use(g.recoverer)
	e.GET("/healthz", gin.WrapF(g.healthz))
	e.GET("/readyz", gin.WrapF(g.readyz))
	e.Any("/:tenant/scim/v2/*path", g.serveSCIM)
	e.Any("/:tenant/scim/v2", g.serveSCIM)
	e.NoRoute(func(c *gin.Context) {
		if !knownMethods[c.Request.Method] {
			// gin routes only the standard methods: an unknown one on a
			// tenant's path still gets its tenant, auth and 501.
			if parts := strings.SplitN(strings.TrimPrefix(c.Request.URL.Path, "/"), "/", 4); len(parts) >= 3 && parts[1] == "scim" && parts[2] == "v2" {
				c.Params = gin.Params{{Key: "tenant", Value: parts[0]}, {Key: "path", Value: "/" + strings.Join(parts[3:], "/")}}
				g.serveSCIM(c)
				return
			}
			g.writeError(c, nil, newRequestID(c), dialects.Errorf(http.StatusNotImplemented, "", "method %q is not implemented", c.Request.Method))
			return
		}
		g.writeError(c, nil, newRequestID(c), dialects.Errorf(http.StatusNotFound, "", "no such endpoint: SCIM endpoints are under /{tenant}/scim/v2"))
	})
	return e
}

// recoverer turns a panic in a handler into a SCIM 500 and a log line.
func (g *Gateway) recoverer(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			rid := newRequestID(c)
			g.log.Error("panic serving request", zap.Any("panic", v), zap.String("request_id", rid), zap.String("route", routeOf(c.Request.URL.Path)))
			g.writeError(c, nil, rid, errors.New("panic"))
			c.Abort()
		}
	}()
	c.Next()
}

// routeOf is a request path with the resource id left out, for logs and
// span names: /acme/scim/v2/Users/{id}.
func routeOf(p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	if len(parts) > 4 {
		parts = append(parts[:4], "{id}")
	}
	return "/" + strings.Join(parts, "/")
}
