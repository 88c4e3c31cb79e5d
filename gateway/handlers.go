package gateway

// The request pipeline, in the order a request meets it (this file, with
// normalise.go and errors.go):
//
//	serveSCIM            tenant, bearer token, request id, the log line and metrics
//	route                path and method → operation (404, 405 with Allow, 501)
//	readBody, checkID    limit: size, media type, JSON; one opaque id
//	canonicalResource    validate and canonicalise (the contract, mappings/scim):
//	canonicalPatch         every body parsed once, into what Request carries
//	opCtx                the tenant's deadline over all the backend work
//	t.dialect.Do         the dialect, decorated with what its backend lacks
//	                       (dialects.Decorate), over the retrying backend (forward.go)
//	resourceReply        normalise: URLs, schemas, projection (normalise.go)
//	writeReply           render; writeError turns every error into a SCIM Error

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/mappings/scim"
)

// scimContentType is the media type of every SCIM response (RFC 7644 §8.1).
const scimContentType = "application/scim+json"

// reply is a successful SCIM response.
type reply struct {
	status   int
	body     []byte
	etag     string
	location string
	id       string // of the resource, not rendered
}

// serveSCIM is the single entry point of /{tenant}/scim/v2/...: it finds
// the tenant, authenticates, routes, and renders the reply or the error.
func (g *Gateway) serveSCIM(c *gin.Context) {
	start := time.Now()
	rid := newRequestID(c)
	ctx, calls := countCalls(c.Request.Context())
	t := g.tenant(c.Param("tenant"))
	if t != nil {
		t.active.Add(1)
		defer t.active.Add(-1)
		ctx = dialects.WithConflicts(ctx, t.conflicted)
	}
	c.Request = c.Request.WithContext(ctx)
	op := "unknown"
	var rep *reply
	var err error
	switch {
	case t == nil:
		err = dialects.Errorf(http.StatusNotFound, "", "unknown tenant %q", c.Param("tenant"))
	case !t.tokens.allows(c.GetHeader("Authorization")):
		c.Header("WWW-Authenticate", `Bearer realm="scimgw"`)
		err = dialects.Errorf(http.StatusUnauthorized, "", "missing or invalid bearer token for tenant %q", t.id)
	default:
		op, rep, err = g.admit(c, t)
	}
	status := 0
	if err != nil {
		status = g.writeError(c, t, rid, err)
	} else {
		status = rep.status
		writeReply(c, rep)
	}
	tenantID := "-"
	if t != nil {
		tenantID = t.id
	}
	d := time.Since(start)
	n := int(calls.Load())
	g.metrics.request(tenantID, op, status, d, n)
	if ce := g.log.Check(zap.InfoLevel, "request"); ce != nil {
		fields := []zap.Field{zap.String("request_id", rid), zap.String("tenant", tenantID), zap.String("method", c.Request.Method),
			zap.String("op", op), zap.Int("status", status), zap.Duration("duration", d), zap.Int("backend_calls", n)}
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			fields = append(fields, zap.String("trace_id", sc.TraceID().String()))
		}
		ce.Write(fields...)
	}
}

// admit routes the request when the tenant's inbound limits take it.
func (g *Gateway) admit(c *gin.Context, t *tenant) (string, *reply, error) {
	release, err := t.inbound.acquire(t.id)
	if err != nil {
		g.metrics.throttledInbound(t.id)
		return "throttled", nil, err
	}
	defer release()
	return g.route(c, t)
}

func writeReply(c *gin.Context, rep *reply) {
	if rep.etag != "" {
		c.Header("ETag", rep.etag)
	}
	if rep.location != "" {
		c.Header("Location", rep.location)
	}
	if rep.body == nil {
		c.Status(rep.status)
		return
	}
	c.Data(rep.status, scimContentType, rep.body)
}

// route dispatches on the path below /scim/v2; resource type segments
// match case-insensitively.
func (g *Gateway) route(c *gin.Context, t *tenant) (string, *reply, error) {
	segs := strings.Split(strings.Trim(c.Param("path"), "/"), "/")
	method := c.Request.Method
	if !knownMethods[method] {
		// RFC 7644 §3.12 (RFC 9110 §15.6.2): a method the service does not
		// implement at all is 501, on any path.
		return "unknown", nil, dialects.Errorf(http.StatusNotImplemented, "", "method %q is not implemented (SCIM uses GET, POST, PUT, PATCH and DELETE)", method)
	}
	var rt dialects.ResourceType
	switch strings.ToLower(segs[0]) {
	case "me":
		return "me", nil, dialects.Errorf(http.StatusNotImplemented, "", "/Me is not supported: the gateway authenticates provisioning clients, not users (RFC 7644 §3.11)")
	case "bulk":
		return "bulk", nil, dialects.Errorf(http.StatusNotImplemented, "", "/Bulk is not supported (RFC 7644 §3.7; /ServiceProviderConfig says bulk.supported: false)")
	case "users":
		rt = dialects.User
	case "groups":
		rt = dialects.Group
	case "serviceproviderconfig", "resourcetypes", "schemas":
		if method != http.MethodGet {
			return "discovery", nil, methodNotAllowed(c, http.MethodGet)
		}
		rep, err := t.discovery.serve(c, segs)
		return "discovery", rep, err
	default:
		return "unknown", nil, dialects.Errorf(http.StatusNotFound, "", "no such endpoint %q", "/"+strings.Join(segs, "/"))
	}
	name := strings.ToLower(rt.Endpoint())
	switch {
	case len(segs) == 1 && method == http.MethodGet:
		rep, err := g.list(c, t, rt, nil)
		return name + ".list", rep, err
	case len(segs) == 1 && method == http.MethodPost:
		rep, err := g.write(c, t, rt, dialects.Create, "")
		return name + ".create", rep, err
	case len(segs) == 1:
		return name, nil, methodNotAllowed(c, http.MethodGet, http.MethodPost)
	case len(segs) == 2 && segs[1] == ".search":
		if method != http.MethodPost {
			return name + ".search", nil, methodNotAllowed(c, http.MethodPost)
		}
		body, err := readBody(c, t.maxBody)
		if err != nil {
			return name + ".search", nil, err
		}
		rep, err := g.list(c, t, rt, body)
		return name + ".search", rep, err
	case len(segs) == 2:
		id := segs[1]
		if err := checkID(id); err != nil {
			return name, nil, err
		}
		switch method {
		case http.MethodGet:
			rep, err := g.get(c, t, rt, id)
			return name + ".get", rep, err
		case http.MethodPut:
			rep, err := g.write(c, t, rt, dialects.Replace, id)
			return name + ".replace", rep, err
		case http.MethodPatch:
			rep, err := g.patch(c, t, rt, id)
			return name + ".patch", rep, err
		case http.MethodDelete:
			rep, err := g.delete(c, t, rt, id)
			return name + ".delete", rep, err
		}
		return name, nil, methodNotAllowed(c, http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete)
	}
	return name, nil, dialects.Errorf(http.StatusNotFound, "", "no such endpoint %q", "/"+strings.Join(segs, "/"))
}

// knownMethods are the methods the gateway implements somewhere; any other
// is 501, while a known one on the wrong path is 405 with Allow.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodHead: true, http.MethodOptions: true,
}

// maxIDBytes bounds a resource id in a path.
const maxIDBytes = 256

// checkID refuses an id that cannot be one opaque path segment (RFC 7643
// §3.1: the id is the service provider's; RFC 3986 §3.3: "." and ".." are
// dot segments a backend would resolve): dot segments, backslashes,
// control characters, invalid UTF-8, or more than maxIDBytes. Nothing is
// sent for it; what is sent for any other id is escaped (url.PathEscape).
func checkID(id string) error {
	bad := id == "" || id == "." || id == ".." || len(id) > maxIDBytes || !utf8.ValidString(id)
	for i := 0; i < len(id) && !bad; i++ {
		bad = id[i] < 0x20 || id[i] == 0x7f || id[i] == '\\'
	}
	if bad {
		return dialects.Errorf(http.StatusNotFound, "", "no such resource: %q is not a resource id", truncateID(id))
	}
	return nil
}

func truncateID(id string) string {
	if len(id) > 64 {
		return strings.ToValidUTF8(id[:64], "") + "…"
	}
	return strings.ToValidUTF8(id, "\uFFFD")
}

func methodNotAllowed(c *gin.Context, allowed ...string) error {
	c.Header("Allow", strings.Join(allowed, ", "))
	return dialects.Errorf(http.StatusMethodNotAllowed, "", "method %s is not allowed here (allowed: %s)", c.Request.Method, strings.Join(allowed, ", "))
}

// conditional returns an If-Match or If-None-Match header for backends that
// version resources; the others do not see it (RFC 7644 §3.14: a service
// provider without versions ignores them).
func (t *tenant) conditional(c *gin.Context, header string) string {
	if !t.caps.ETag {
		return ""
	}
	return c.GetHeader(header)
}

// opCtx bounds all the backend work of one operation — a create's
// look-ups, a PATCH's read-apply-replace cycles, a gateway-evaluated
// scan's pages — by the client's own context and the tenant's deadline
// (backend.deadline).
func opCtx(c *gin.Context, t *tenant) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), t.deadline)
}

func (g *Gateway) get(c *gin.Context, t *tenant, rt dialects.ResourceType, id string) (*reply, error) {
	proj, err := projectionFrom(c.Query("attributes"), c.Query("excludedAttributes"))
	if err != nil {
		return nil, err
	}
	ctx, cancel := opCtx(c, t)
	defer cancel()
	resp, err := t.dialect.Do(ctx, &dialects.Request{Action: dialects.Get, Type: rt, ID: id, IfNoneMatch: t.conditional(c, "If-None-Match"),
		Attributes: proj.include, ExcludedAttributes: proj.exclude})
	if err != nil {
		return nil, err
	}
	if resp.Body, err = g.withShadow(ctx, t, rt, resp.Body); err != nil {
		return nil, err
	}
	return t.resourceReply(rt, resp, proj)
}

// input reads what every write takes: the projection of the answer
// (attributes, excludedAttributes) and the request body.
func (g *Gateway) input(c *gin.Context, t *tenant) (projection, []byte, error) {
	proj, err := projectionFrom(c.Query("attributes"), c.Query("excludedAttributes"))
	if err != nil {
		return proj, nil, err
	}
	body, err := readBody(c, t.maxBody)
	return proj, body, err
}

// write handles create (POST) and replace (PUT).
func (g *Gateway) write(c *gin.Context, t *tenant, rt dialects.ResourceType, action dialects.Action, id string) (_ *reply, err error) {
	proj, body, err := g.input(c, t)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			rememberPassword(c, body) // for redact, when a backend echoes it
		}
	}()
	_, validated := t.tracing.span(c.Request.Context(), "validate", rt.String())
	body, err = t.canonicalResource(body, rt)
	if validated(err); err != nil {
		return nil, err
	}
	if t.foldUserName && rt == dialects.User {
		body = scim.FoldUserName(body)
	}
	ctx, cancel := opCtx(c, t)
	defer cancel()
	var shadow []byte
	if t.shadows[rt] != nil {
		shadow = t.shadows[rt].extract(body)
	}
	req := &dialects.Request{Action: action, Type: rt, ID: id, Body: body, IfMatch: t.conditional(c, "If-Match"),
		Attributes: proj.include, ExcludedAttributes: proj.exclude}
	var resp *dialects.Response
	if action == dialects.Create {
		resp, err = g.create(ctx, t, req, shadow)
	} else {
		resp, err = t.dialect.Do(ctx, req)
	}
	if err != nil {
		return nil, err
	}
	if action == dialects.Replace && shadow != nil {
		g.keepShadow(ctx, t, rt, id, shadow)
		resp.Body = merge(resp.Body, shadow)
	}
	rep, err := t.resourceReply(rt, resp, proj)
	if err == nil && action == dialects.Create {
		rep.status = http.StatusCreated
		rep.location = t.location(rt, rep.id)
	}
	return rep, err
}

func (g *Gateway) patch(c *gin.Context, t *tenant, rt dialects.ResourceType, id string) (_ *reply, err error) {
	proj, body, err := g.input(c, t)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			rememberPassword(c, body) // for redact, when a backend echoes it
		}
	}()
	_, validated := t.tracing.span(c.Request.Context(), "validate", "PatchOp")
	pr, err := t.canonicalPatch(body, rt)
	if validated(err); err != nil {
		return nil, err
	}
	if t.foldUserName && rt == dialects.User {
		scim.FoldUserNamePatch(pr)
	}
	ctx, cancel := opCtx(c, t)
	defer cancel()
	var shadowOps []scim.PatchOperation
	if s := t.shadows[rt]; s != nil {
		shadowOps = s.shadowOps(pr.Operations)
	}
	req := &dialects.Request{Action: dialects.Patch, Type: rt, ID: id, Patch: pr, IfMatch: t.conditional(c, "If-Match")}
	if len(pr.Operations) == 0 {
		// An empty PatchOp changes nothing (Microsoft's validator sends one).
		req = &dialects.Request{Action: dialects.Get, Type: rt, ID: id}
	}
	if req.Action == dialects.Patch || len(shadowOps) > 0 {
		unlock, err := g.lockFor(ctx, t, rt, id, len(shadowOps) > 0)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	// A tenant with shadows reads them before the backend is called: with
	// the store unreachable, nothing is sent.
	var shadow []byte
	if t.shadows[rt] != nil {
		if shadow, err = g.patchShadow(ctx, t, rt, id, shadowOps); err != nil {
			return nil, err
		}
	}
	resp, err := t.dialect.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if len(shadowOps) > 0 {
		g.keepShadow(ctx, t, rt, id, shadow)
	}
	if shadow != nil {
		resp.Body = merge(resp.Body, shadow)
	}
	rep, err := t.resourceReply(rt, resp, proj)
	if err == nil && t.patchNoContent && !proj.active() {
		// RFC 7644 §3.5.2 allows 204; with ?attributes= it requires 200.
		rep.status, rep.body = http.StatusNoContent, nil
	}
	return rep, err
}

func (g *Gateway) delete(c *gin.Context, t *tenant, rt dialects.ResourceType, id string) (*reply, error) {
	ctx, cancel := opCtx(c, t)
	defer cancel()
	if _, err := t.dialect.Do(ctx, &dialects.Request{Action: dialects.Delete, Type: rt, ID: id, IfMatch: t.conditional(c, "If-Match")}); err != nil {
		return nil, err
	}
	if t.shadows[rt] != nil {
		if err := g.store.DeleteShadow(context.WithoutCancel(ctx), shadowKey(t, rt, id)); err != nil {
			g.metrics.stateError(t.id, "shadow_delete")
			t.log.Error("the resource was deleted but its shadow attributes could not be removed", zap.String("id", id), zap.Error(err))
		}
	}
	return &reply{status: http.StatusNoContent}, nil
}

// list serves GET /Users and POST /Users/.search (RFC 7644 §3.4.2, §3.4.3).
// A search body, when given, supplies the parameters instead of the query.
func (g *Gateway) list(c *gin.Context, t *tenant, rt dialects.ResourceType, search []byte) (*reply, error) {
	p := listParams{
		filter: c.Query("filter"), startIndex: c.Query("startIndex"), count: c.Query("count"),
		sortBy: c.Query("sortBy"), sortOrder: c.Query("sortOrder"),
		attributes: c.Query("attributes"), excluded: c.Query("excludedAttributes"),
	}
	if search != nil {
		var err error
		if p, err = searchParams(search); err != nil {
			return nil, err
		}
	}
	if len(p.filter) > t.limits.MaxFilter {
		return nil, dialects.Errorf(http.StatusBadRequest, "invalidFilter", "the filter is longer than %d bytes", t.limits.MaxFilter)
	}
	q, proj, err := p.parse(t.maxResults)
	if err != nil {
		return nil, err
	}
	if err := t.schema(rt).CheckFilter(q.Filter); err != nil {
		return nil, err
	}
	if t.foldUserName && rt == dialects.User {
		q.Filter = scim.FoldUserNameFilter(q.Filter)
	}
	ctx, cancel := opCtx(c, t)
	defer cancel()
	term, shadowed, onShadow, err := t.shadows[rt].shadowFilter(q.Filter)
	if err != nil {
		return nil, err
	}
	req := &dialects.Request{Action: dialects.List, Type: rt, Query: q, Attributes: proj.include, ExcludedAttributes: proj.exclude}
	if q.Count == 0 {
		// Only the total is wanted; still ask the backend for it.
		req.Query.Count = 1
	}
	var resp *dialects.Response
	if onShadow {
		resp, err = g.listShadowed(ctx, t, rt, q, term, shadowed)
	} else {
		resp, err = t.dialect.Do(ctx, req)
	}
	if err == nil && !onShadow {
		resp.Body, err = g.withShadows(ctx, t, rt, resp.Body)
	}
	var de *dialects.Error
	if errors.As(err, &de) && de.Status == http.StatusNotFound {
		// Some backends answer 404 to a query that matches nothing; a SCIM
		// list is 200 with totalResults 0 (RFC 7644 §3.4.2).
		resp, err = &dialects.Response{Status: http.StatusOK, Body: []byte(`{"totalResults":0,"Resources":[]}`)}, nil
	}
	if err != nil {
		return nil, err
	}
	body, err := t.listBody(rt, resp.Body, q, proj)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: body}, nil
}

// listParams are list parameters as the client wrote them.
type listParams struct {
	filter, startIndex, count, sortBy, sortOrder, attributes, excluded string
}

// searchParams reads a SearchRequest body (RFC 7644 §3.4.3).
func searchParams(body []byte) (listParams, error) {
	if !gjson.ValidBytes(body) || !scim.Parse(body).IsObject() {
		return listParams{}, dialects.Errorf(http.StatusBadRequest, "invalidSyntax", "search body is not a JSON object")
	}
	doc := scim.Parse(body)
	str := func(name string) string { return scim.Field(doc, name).String() }
	list := func(name string) string {
		v := scim.Field(doc, name)
		if !v.IsArray() {
			return v.String()
		}
		var parts []string
		for _, el := range v.Array() {
			parts = append(parts, el.String())
		}
		return strings.Join(parts, ",")
	}
	return listParams{
		filter: str("filter"), startIndex: str("startIndex"), count: str("count"),
		sortBy: str("sortBy"), sortOrder: str("sortOrder"),
		attributes: list("attributes"), excluded: list("excludedAttributes"),
	}, nil
}

// parse validates list parameters: startIndex below 1 means 1, a negative
// count means 0, count is capped at maxResults (RFC 7644 §3.4.2.4).
func (p listParams) parse(maxResults int) (dialects.Query, projection, error) {
	q := dialects.Query{StartIndex: 1, Count: maxResults, SortBy: p.sortBy}
	if p.filter != "" {
		f, err := scim.ParseFilter(p.filter)
		if err != nil {
			return q, projection{}, err
		}
		q.Filter = f
	}
	if p.startIndex != "" {
		n, err := strconv.Atoi(p.startIndex)
		if err != nil {
			return q, projection{}, dialects.Errorf(http.StatusBadRequest, "invalidValue", "startIndex %q is not an integer", p.startIndex)
		}
		q.StartIndex = max(n, 1)
	}
	if p.count != "" {
		n, err := strconv.Atoi(p.count)
		if err != nil {
			return q, projection{}, dialects.Errorf(http.StatusBadRequest, "invalidValue", "count %q is not an integer", p.count)
		}
		q.Count = min(max(n, 0), maxResults)
	}
	if p.sortBy != "" {
		if _, err := scim.ParseAttrPath(p.sortBy); err != nil {
			return q, projection{}, dialects.Errorf(http.StatusBadRequest, "invalidValue", "sortBy: %v", err)
		}
	}
	switch strings.ToLower(p.sortOrder) {
	case "":
	case "ascending", "descending":
		q.SortOrder = strings.ToLower(p.sortOrder)
	default:
		return q, projection{}, dialects.Errorf(http.StatusBadRequest, "invalidValue", "sortOrder must be ascending or descending")
	}
	proj, err := projectionFrom(p.attributes, p.excluded)
	return q, proj, err
}

// readBody reads a request body of at most limit bytes and checks its
// media type and that it is an object.
func readBody(c *gin.Context, limit int64) ([]byte, error) {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/scim+json" || mt == "application/json" || strings.HasSuffix(mt, "+json")) {
			return nil, dialects.Errorf(http.StatusUnsupportedMediaType, "", "Content-Type %q is not supported; send application/scim+json or application/json", ct)
		}
	}
	body, err := readAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit), c.Request.ContentLength, limit+1)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, dialects.Errorf(http.StatusRequestEntityTooLarge, "", "request body is larger than %d bytes", limit)
		}
		return nil, dialects.Errorf(http.StatusBadRequest, "invalidSyntax", "cannot read request body")
	}
	if len(body) == 0 {
		return nil, dialects.Errorf(http.StatusBadRequest, "invalidSyntax", "request body is empty")
	}
	// JSON syntax is checked in the same pass as the contract's bounds
	// (canonicalResource: scim.ResourceSchema.Resource; canonicalPatch:
	// scim.CheckJSON).
	if !scim.Parse(body).IsObject() {
		return nil, dialects.Errorf(http.StatusBadRequest, "invalidSyntax", "request body must be a JSON object")
	}
	return body, nil
}

// canonicalResource checks a resource for create or replace against the
// tenant's schema and returns its canonical form (scim.ResourceSchema.Resource):
// nothing that fails reaches the backend.
func (t *tenant) canonicalResource(body []byte, rt dialects.ResourceType) ([]byte, error) {
	return t.schema(rt).Resource(body, scim.Lenient, t.limits)
}

// canonicalPatch checks a PatchOp message against the tenant's schema and
// returns its canonical form (scim.ResourceSchema.Patch), which every later
// stage reads instead of the body.
func (t *tenant) canonicalPatch(body []byte, rt dialects.ResourceType) (*scim.PatchRequest, error) {
	if err := scim.CheckJSON(body, t.limits); err != nil {
		return nil, err
	}
	return t.schema(rt).Patch(body, scim.Lenient)
}
