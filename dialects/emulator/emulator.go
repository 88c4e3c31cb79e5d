// Package emulator is an in-memory SCIM backend for demos and tests. A
// Profile makes it behave like one vendor's documented API: its base path,
// the attributes it accepts, whether it versions resources, and so on.
// Faults can be injected to make the next calls fail with a status, a
// connection reset or a delay, before or after the request is applied.
//
// Besides the SCIM API under Profile.BasePath, it serves an admin API:
//
//	POST   /_emulator/faults    body: Fault (JSON) — queue a fault
//	POST   /_emulator/ratelimit body: RateLimit (JSON) — set or lift a rate limit
//	GET    /_emulator/requests  the requests received, oldest first
//	DELETE /_emulator/state     forget all resources, faults and requests
package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// Profile describes the vendor API an emulator imitates.
type Profile struct {
	Name     string
	BasePath string // e.g. "/scim/v2"
	Token    string // bearer token the emulator requires; empty: none
	Groups   bool   // serves /Groups
	ETags    bool   // meta.version and ETag, If-Match / If-None-Match
	Sort     bool   // sortBy / sortOrder
	Patch    bool   // PATCH with a PatchOp body
	// UserGroups adds the read-only "groups" attribute to users.
	UserGroups bool
	// Allowed lists, per resource type, the attributes a body may carry and,
	// for complex ones, their allowed sub-attributes. Anything else is
	// rejected with 400 invalidValue, as a strict vendor API would. Nil
	// accepts everything.
	Allowed  map[string]map[string][]string
	MaxCount int // largest page; 0: 100

	// SCIM11 makes the emulator a SCIM 1.1 server (scim11.go): bodies
	// must carry 1.1 URNs and no 2.0 ones and are read with the profile's
	// 1.1 schemas, PATCH takes a partial resource and answers 204, filters know only eq co sw gt ge lt le with and/or,
	// bad paging parameters answer 404 and pages default to 20 items.
	SCIM11 bool
	// StartIndexBase is the index of the first result in a SCIM 1.1 list:
	// 0 (an offset) or 1.
	StartIndexBase int
	ReadOnly       []string // attributes a request body may not carry; stored ones are kept
	// OAuth, when set, serves a client credentials token endpoint; the
	// tokens it issues are accepted like Token.
	OAuth *OAuth

	// Basic, when set, accepts HTTP Basic authentication with this user
	// and password, like Token.
	Basic *[2]string
	// ContentType, when set, is the only media type request bodies may
	// have (415 otherwise).
	ContentType string
	// RateLimit, when set, answers 429 (with Retry-After) to requests
	// beyond Requests per Per; /_emulator/ratelimit changes it.
	RateLimit *RateLimit
	// UserSchema and GroupSchema are the vendor's resource types: a SCIM
	// 2.0 emulator reads every body with them in scim.Strict mode, as an
	// RFC 7643/7644 server does (no coercion, nothing outside the schema,
	// at most one primary, lower-case PATCH ops, "schemas" that list what
	// the body uses). Nil: the RFC's (scim.UserResource, GroupResource).
	// A SCIM 1.1 profile gives its 1.1 schemas (core URN
	// scim.Core11Schema), which it reads the same way.
	UserSchema, GroupSchema *scim.ResourceSchema
	// NoSchemas: the API takes no "schemas" member; the strict reading
	// then checks everything else.
	NoSchemas bool
	// Vendor is what the API does beyond the RFC; nil: RFC.
	Vendor Vendor
	// Extra serves endpoints besides Users and Groups, by name (Workspace
	// ONE's Roles).
	Extra map[string]Endpoint
}

// Endpoint is an emulated endpoint other than Users and Groups. The
// server authenticates its requests and injects faults into them as into
// any other; it calls the Endpoint without holding its own lock, and
// holds it when it calls Reset.
type Endpoint interface {
	// ServeEndpoint answers a request for the endpoint, id "" for the
	// endpoint itself.
	ServeEndpoint(w http.ResponseWriter, r *http.Request, id string, body []byte)
	// CheckWire checks a request the endpoint received against the
	// vendor's wire contract (Server.CheckWire).
	CheckWire(method, id string, body []byte) error
	// Reset forgets what requests changed.
	Reset()
}

// Serve adds extension schemas the emulated backend serves besides its
// vendor's (open: their members are not checked), for a tenant whose
// mapping writes to an extension of its own. Call it before serving.
func (s *Server) Serve(rt string, urns ...string) {
	if len(urns) == 0 {
		return
	}
	exts := make([]scim.Schema, len(urns))
	for i, u := range urns {
		exts[i] = scim.Schema{ID: u, Name: u}
	}
	rs := s.schema(rt).With(exts...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt == "Group" {
		s.p.GroupSchema = rs
	} else {
		s.p.UserSchema = rs
	}
}

// schema returns the vendor's schema of a resource type.
func (s *Server) schema(rt string) *scim.ResourceSchema {
	if rt == "Group" {
		if s.p.GroupSchema != nil {
			return s.p.GroupSchema
		}
		return scim.GroupResource
	}
	if s.p.UserSchema != nil {
		return s.p.UserSchema
	}
	return scim.UserResource
}

// strict reads a resource body as an RFC 7643 server does; it reports
// whether the body passed, having answered 400 when not.
func (s *Server) strict(w http.ResponseWriter, body []byte, rt string) bool {
	if err := scim.CheckJSON(body, scim.DefaultLimits); err != nil {
		e := err.(*scim.Error)
		s.scimError(w, http.StatusBadRequest, e.ScimType, e.Msg)
		return false
	}
	if s.p.NoSchemas {
		doc := map[string]any{}
		if json.Unmarshal(body, &doc) == nil && doc != nil {
			if _, listed := doc["schemas"]; !listed {
				doc["schemas"] = listSchemas(doc, s.schema(rt).Core())
				body, _ = json.Marshal(doc)
			}
		}
	}
	if _, err := s.schema(rt).Resource(body, scim.Strict, scim.DefaultLimits); err != nil {
		e := err.(*scim.Error)
		s.scimError(w, http.StatusBadRequest, e.ScimType, e.Msg)
		return false
	}
	return true
}

// listSchemas is what a server lists in "schemas" for a resource it holds:
// its core schema and the extensions present.
func listSchemas(doc map[string]any, core string) []any {
	out := []any{core}
	var exts []string
	for k, v := range doc {
		if _, obj := v.(map[string]any); obj && len(k) > 4 && strings.EqualFold(k[:4], "urn:") {
			exts = append(exts, k)
		}
	}
	sort.Strings(exts)
	for _, e := range exts {
		out = append(out, e)
	}
	return out
}

// RateLimit is an emulated request rate limit.
type RateLimit struct {
	Requests   int           `json:"requests"`
	Per        time.Duration `json:"per"`         // ns in JSON
	RetryAfter int           `json:"retry_after"` // seconds
}

// OAuth is an emulated OAuth 2.0 token endpoint (RFC 6749 §4.4) that takes
// the client's id and secret with HTTP Basic authentication.
type OAuth struct {
	Path         string // e.g. "/SAAS/auth/oauthtoken"
	ClientID     string
	ClientSecret string
}

// Fault is an injected failure for the next Times matching requests.
type Fault struct {
	Times  int    `json:"times"`            // how many requests it applies to; 0 means 1
	Method string `json:"method,omitempty"` // only requests with this method; empty: any
	Status int    `json:"status,omitempty"` // answer with this status and a SCIM error
	// RetryAfter is sent as the Retry-After header with Status.
	RetryAfter string        `json:"retry_after,omitempty"`
	Reset      bool          `json:"reset,omitempty"` // close the connection without answering
	Delay      time.Duration `json:"delay,omitempty"` // wait before answering (or until the client gives up)
	// After applies the request first and then fails: the write happened
	// but the client cannot know it.
	After bool `json:"after,omitempty"`
	// Slow answers normally, after Delay: a slow backend, not a failing one.
	Slow bool `json:"slow,omitempty"`
}

// Recorded is a request the emulator received.
type Recorded struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query,omitempty"`
	Body   string `json:"body,omitempty"`
	// IfMatch is the request's If-Match header.
	IfMatch string `json:"if_match,omitempty"`
	// Traceparent is the request's W3C Trace Context header.
	Traceparent string `json:"traceparent,omitempty"`
	Auth        string `json:"-"`
}

// Server is an emulated backend. It is safe for concurrent use.
type Server struct {
	p Profile
	v Vendor

	mu       sync.Mutex
	users    *store
	groups   *store
	faults   []Fault
	requests []Recorded
	quiet    bool // keep no requests (Quiet)
	nextID   int
	issued   map[string]bool // OAuth tokens
	window   time.Time       // start of the rate limit window
	inWindow int
}

// New returns an emulator with no resources.
func New(p Profile) *Server {
	if p.MaxCount == 0 {
		p.MaxCount = 100
	}
	s := &Server{p: p, v: p.Vendor, issued: map[string]bool{}}
	if s.v == nil {
		s.v = RFC{}
	}
	s.reset()
	return s
}

// BasePath is where the SCIM API is served.
func (s *Server) BasePath() string { return s.p.BasePath }

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// SetRateLimit replaces the rate limit; nil lifts it.
func (s *Server) SetRateLimit(rl *RateLimit) {
	s.mu.Lock()
	s.p.RateLimit, s.inWindow, s.window = rl, 0, time.Time{}
	s.mu.Unlock()
}

// CheckWire checks a request the emulator received against the wire
// contract of the vendor it emulates: the path names one resource type
// and at most one opaque id, and a body is what an RFC 7643/7644 server of
// the vendor's schema takes (scim.Strict; for SCIM 1.1, its 1.1 schemas),
// within the vendor's static rules (ReadOnly, Allowed). Tests run it on
// every request a gateway sent, so that an emulator's own leniency cannot
// hide a defect.
func (s *Server) CheckWire(r Recorded) error {
	rest, ok := strings.CutPrefix(r.Path, s.p.BasePath+"/")
	if !ok {
		return fmt.Errorf("%s %s: outside the SCIM base path %s", r.Method, r.Path, s.p.BasePath)
	}
	endpoint, id, _ := strings.Cut(rest, "/")
	if e := s.p.Extra[endpoint]; e != nil {
		if err := e.CheckWire(r.Method, id, []byte(r.Body)); err != nil {
			return fmt.Errorf("%s %s: %v", r.Method, r.Path, err)
		}
		return nil
	}
	rt := "User"
	switch {
	case strings.EqualFold(endpoint, "Groups"):
		rt = "Group"
	case !strings.EqualFold(endpoint, "Users"):
		return fmt.Errorf("%s %s: no such resource type", r.Method, r.Path)
	}
	if id == "." || id == ".." || strings.ContainsAny(id, "/\\") || strings.IndexFunc(id, func(c rune) bool { return c < 0x20 || c == 0x7f }) >= 0 {
		return fmt.Errorf("%s %s: the id is not one opaque segment", r.Method, r.Path)
	}
	if r.Body == "" {
		return nil
	}
	body := []byte(r.Body)
	if err := scim.CheckJSON(body, scim.DefaultLimits); err != nil {
		return fmt.Errorf("%s %s: %v", r.Method, r.Path, err)
	}
	// The vendor's own static rules: read-only and unsupported attributes.
	if e := s.writableErr(gjson.ParseBytes(body)); e != nil {
		return fmt.Errorf("%s %s: %v", r.Method, r.Path, e)
	}
	if r.Method != http.MethodPatch || s.p.SCIM11 { // a resource body
		var doc map[string]any
		json.Unmarshal(body, &doc)
		for _, k := range []string{"id", "meta", "groups", "password"} {
			delete(doc, scim.FindKey(doc, k)) // ignored, as decode does
		}
		if e := s.allowed(doc, rt); e != nil {
			return fmt.Errorf("%s %s: %v", r.Method, r.Path, e)
		}
	}
	var err error
	switch {
	case s.p.SCIM11 && r.Method == http.MethodPatch:
		err = s.checkPartial11(body, rt)
	case s.p.SCIM11 && r.Method == http.MethodPost:
		_, err = s.schema(rt).Resource(body, scim.Strict, scim.DefaultLimits)
	case r.Method == http.MethodPost, r.Method == http.MethodPut:
		if s.p.NoSchemas {
			var doc map[string]any
			json.Unmarshal(body, &doc)
			if _, listed := doc["schemas"]; listed {
				return fmt.Errorf("%s %s: %s takes no \"schemas\"", r.Method, r.Path, s.p.Name)
			}
			doc["schemas"] = listSchemas(doc, s.schema(rt).Core())
			body, _ = json.Marshal(doc)
		}
		_, err = s.schema(rt).Resource(body, scim.Strict, scim.DefaultLimits)
	case r.Method == http.MethodPatch:
		if s.p.NoSchemas {
			body, _ = sjson.SetBytes(body, "schemas", []string{scim.PatchOpURN})
		}
		_, err = s.schema(rt).Patch(body, scim.Strict)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %v", r.Method, r.Path, err)
	}
	return nil
}

// CheckState checks every stored resource as RFC 7643 defines it: each is
// a valid resource of the vendor's schema, with at most one primary value
// per attribute (§2.4), and every group member exists.
func (s *Server) CheckState() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range []*store{s.users, s.groups} {
		rt := "User"
		if st == s.groups {
			rt = "Group"
		}
		for id, res := range st.byID {
			var doc map[string]any
			json.Unmarshal(res.raw, &doc)
			doc["schemas"] = listSchemas(doc, s.schema(rt).Core()) // what it would list
			raw, _ := json.Marshal(doc)
			if _, err := s.schema(rt).Resource(raw, scim.Strict, scim.DefaultLimits); err != nil {
				return fmt.Errorf("stored %s %s: %v", rt, id, err)
			}
			if rt == "Group" {
				members, _ := doc["members"].([]any)
				for _, m := range members {
					v, _ := m.(map[string]any)["value"].(string)
					if s.users.byID[v] == nil && s.groups.byID[v] == nil {
						return fmt.Errorf("stored Group %s: member %q does not exist", id, v)
					}
				}
			}
		}
	}
	return nil
}

// Requests returns the SCIM requests received so far, oldest first.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.requests...)
}

// Sent returns the requests received since mark (an index into
// Requests), as "METHOD path?query" lines with If-Match and the body
// indented below: what golden files and the playground show.
func (s *Server) Sent(mark int) string {
	var b strings.Builder
	for _, r := range s.Requests()[mark:] {
		b.WriteString(r.Method + " " + r.Path)
		if r.Query != "" {
			q, _ := url.QueryUnescape(r.Query)
			b.WriteString("?" + q)
		}
		b.WriteByte('\n')
		if r.IfMatch != "" {
			b.WriteString("  If-Match: " + r.IfMatch + "\n")
		}
		if r.Body != "" {
			var buf bytes.Buffer
			json.Indent(&buf, []byte(r.Body), "  ", "  ")
			b.WriteString("  " + buf.String() + "\n")
		}
	}
	return b.String()
}

// Seed stores a resource directly, as the vendor's own tools would, and
// returns its id: for resources its API cannot create (Genesys groups).
func (s *Server) Seed(endpoint string, doc map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.storeFor(endpoint)
	rt := "User"
	if st == s.groups {
		rt = "Group"
	}
	s.nextID++
	now := time.Now().UTC().Format(time.RFC3339)
	res := &resource{id: fmt.Sprintf("%s-%04d", strings.ToLower(rt[:1]), s.nextID), created: now}
	s.store(st, res, rt, doc, now)
	return res.id
}

// Count returns how many resources of the endpoint ("Users" or "Groups") exist.
func (s *Server) Count(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.storeFor(endpoint).byID)
}

// All returns every stored resource of an endpoint, by id.
func (s *Server) All(endpoint string) map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]json.RawMessage{}
	if st := s.storeFor(endpoint); st != nil {
		for id, r := range st.byID {
			out[id] = r.raw
		}
	}
	return out
}

// Resource returns the stored resource, or nil.
func (s *Server) Resource(endpoint, id string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.storeFor(endpoint)
	if st == nil || st.byID[id] == nil {
		return nil
	}
	return st.byID[id].raw
}

// ClearFaults drops the faults not yet applied.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Quiet stops keeping the requests received (Requests), for long runs.
func (s *Server) Quiet() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quiet, s.requests = true, nil
}

// Reset forgets every resource, fault and recorded request.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}

func (s *Server) reset() {
	s.users, s.groups = newStore(), newStore()
	s.faults, s.requests = nil, nil
	for _, e := range s.p.Extra {
		e.Reset()
	}
}

func (s *Server) storeFor(endpoint string) *store {
	switch strings.ToLower(endpoint) {
	case "users":
		return s.users
	case "groups":
		if s.p.Groups {
			return s.groups
		}
	}
	return nil
}

// ServeHTTP serves the admin API and the SCIM API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_emulator/") {
		s.admin(w, r)
		return
	}
	if s.p.OAuth != nil && r.URL.Path == s.p.OAuth.Path {
		s.token(w, r)
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.scimError(w, http.StatusBadRequest, "invalidSyntax", "cannot read body")
		return
	}
	s.mu.Lock()
	if !s.quiet {
		s.requests = append(s.requests, Recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body),
			IfMatch: r.Header.Get("If-Match"), Traceparent: r.Header.Get("Traceparent"), Auth: r.Header.Get("Authorization")})
	}
	f, faulty := s.takeFault(r.Method)
	limited := s.limited()
	s.mu.Unlock()
	if limited > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(limited))
		s.scimError(w, http.StatusTooManyRequests, "", fmt.Sprintf("Rate limit exceeded the maximum. Retry the request in [%d] seconds", limited))
		return
	}

	if faulty && f.Slow {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
		faulty = false
	}
	if faulty && !f.After {
		s.fail(w, r, f)
		return
	}
	if faulty {
		rec := &recorder{header: http.Header{}}
		s.serveSCIM(rec, r, body)
		s.fail(w, r, f)
		return
	}
	s.serveSCIM(w, r, body)
}

// limited counts a request against the rate limit and returns the
// Retry-After seconds when it is over, else 0.
func (s *Server) limited() int {
	rl := s.p.RateLimit
	if rl == nil || rl.Requests <= 0 {
		return 0
	}
	now := time.Now()
	if now.Sub(s.window) >= rl.Per {
		s.window, s.inWindow = now, 0
	}
	s.inWindow++
	if s.inWindow <= rl.Requests {
		return 0
	}
	return max(rl.RetryAfter, 1)
}

func (s *Server) takeFault(method string) (Fault, bool) {
	for i, f := range s.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		s.faults[i].Times--
		if s.faults[i].Times <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return f, true
	}
	return Fault{}, false
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, f Fault) {
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if f.Reset {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	s.scimError(w, status, "", "injected fault")
}

func (s *Server) admin(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_emulator/faults" && r.Method == http.MethodPost:
		var f Fault
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, "bad fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.Inject(f)
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == "/_emulator/ratelimit" && r.Method == http.MethodPost:
		var rl RateLimit
		if err := json.NewDecoder(r.Body).Decode(&rl); err != nil {
			http.Error(w, "bad rate limit: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.SetRateLimit(&rl)
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == "/_emulator/requests" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Requests())
	case r.URL.Path == "/_emulator/state" && r.Method == http.MethodDelete:
		s.mu.Lock()
		s.reset()
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

// serveSCIM handles one SCIM request against the store.
func (s *Server) serveSCIM(w http.ResponseWriter, r *http.Request, body []byte) {
	if !s.authorized(r.Header.Get("Authorization")) {
		s.scimError(w, http.StatusUnauthorized, "", "invalid or missing bearer token")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, s.p.BasePath+"/")
	if !ok {
		s.scimError(w, http.StatusNotFound, "", "no such endpoint")
		return
	}
	endpoint, id, _ := strings.Cut(rest, "/")
	if e := s.p.Extra[endpoint]; e != nil && !strings.Contains(id, "/") {
		e.ServeEndpoint(w, r, id, body)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.storeFor(endpoint)
	if !s.v.Serves(endpoint) {
		st = nil
	}
	if st == nil || strings.Contains(id, "/") {
		s.scimError(w, http.StatusNotFound, "", "no such endpoint")
		return
	}
	rt := "User"
	if st == s.groups {
		rt = "Group"
	}
	if id != "" {
		id = s.v.Resolve(r, id, func(key string) (string, bool) { id, ok := st.byKey[strings.ToLower(key)]; return id, ok })
	}
	if ct := r.Header.Get("Content-Type"); s.p.ContentType != "" && len(body) > 0 && !strings.HasPrefix(ct, s.p.ContentType) {
		s.scimError(w, http.StatusUnsupportedMediaType, "", fmt.Sprintf("Content-Type %q is not supported; send %s", ct, s.p.ContentType))
		return
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		if status, scimType, detail := s.v.Validate(r.Method, rt, body); status != 0 {
			s.scimError(w, status, scimType, detail)
			return
		}
	}
	switch {
	case !s.v.Allows(r.Method, rt, id != ""):
		s.scimError(w, http.StatusMethodNotAllowed, "", fmt.Sprintf("%s is not allowed on %s here", r.Method, strings.ToLower(rt)+"s"))
	case id == "" && r.Method == http.MethodGet:
		s.list(w, r, st, rt)
	case id == "" && r.Method == http.MethodPost:
		s.create(w, r, st, rt, body)
	case id != "" && r.Method == http.MethodGet:
		s.get(w, r, st, rt, id)
	case id != "" && r.Method == http.MethodPut:
		s.replace(w, r, st, rt, id, body)
	case id != "" && r.Method == http.MethodPatch && s.p.SCIM11:
		s.patch11(w, r, st, rt, id, body)
	case id != "" && r.Method == http.MethodPatch && s.p.Patch:
		s.patch(w, r, st, rt, id, body)
	case id != "" && r.Method == http.MethodDelete:
		if st.byID[id] == nil {
			s.scimError(w, http.StatusNotFound, "", fmt.Sprintf("Resource %s not found", id))
			return
		}
		var doc map[string]any
		json.Unmarshal(st.byID[id].raw, &doc)
		if s.v.Delete(rt, doc) {
			s.store(st, st.byID[id], rt, doc, time.Now().UTC().Format(time.RFC3339))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		st.remove(id)
		if rt == "User" {
			s.dropMember(id)
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		s.scimError(w, http.StatusMethodNotAllowed, "", "method not allowed")
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, st *store, rt string) {
	q := r.URL.Query()
	var f *scim.Expr
	if fs := q.Get("filter"); fs != "" {
		var err error
		if f, err = scim.ParseFilter(fs); err != nil {
			s.scimError(w, http.StatusBadRequest, "invalidFilter", err.Error())
			return
		}
		if bad := s.unsupportedFilter(f); bad != "" {
			s.scimError(w, http.StatusBadRequest, "invalidFilter", bad)
			return
		}
	}
	var bad string
	if f, bad = s.v.Filter(rt, f); bad != "" {
		s.scimError(w, http.StatusBadRequest, "invalidFilter", bad)
		return
	}
	if s.p.SCIM11 {
		s.list11(w, r, st, rt, f)
		return
	}
	start, count := 1, s.p.MaxCount
	if v := q.Get("startIndex"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.scimError(w, http.StatusBadRequest, "invalidValue", "startIndex is not an integer")
			return
		}
		start = max(n, 1)
	}
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.scimError(w, http.StatusBadRequest, "invalidValue", "count is not an integer")
			return
		}
		if status := s.v.CountOver(); n > s.p.MaxCount && status != 0 {
			s.scimError(w, status, "", fmt.Sprintf("count %d exceeds internal resource limits", n))
			return
		}
		count = min(max(n, 0), s.p.MaxCount)
	}
	var hits []*resource
	for _, id := range st.order {
		res := st.byID[id]
		if f == nil || f.Match(gjson.ParseBytes(s.view(r, res, rt))) {
			hits = append(hits, res)
		}
	}
	if by := q.Get("sortBy"); by != "" && s.p.Sort {
		path, err := scim.ParseAttrPath(by)
		if err != nil {
			s.scimError(w, http.StatusBadRequest, "invalidValue", err.Error())
			return
		}
		desc := strings.EqualFold(q.Get("sortOrder"), "descending")
		sort.SliceStable(hits, func(i, j int) bool {
			a := strings.ToLower(scim.Lookup(gjson.ParseBytes(hits[i].raw), path).String())
			b := strings.ToLower(scim.Lookup(gjson.ParseBytes(hits[j].raw), path).String())
			if desc {
				return a > b
			}
			return a < b
		})
	}
	total := len(hits)
	page := []json.RawMessage{}
	for i := start - 1; i < total && len(page) < count; i++ {
		page = append(page, s.view(r, hits[i], rt))
	}
	list := map[string]any{
		"schemas":      []string{scim.ListResponseURN},
		"totalResults": total,
		"startIndex":   start,
		"itemsPerPage": len(page),
		"Resources":    page,
	}
	s.v.List(list)
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, st *store, rt, id string) {
	res := st.byID[id]
	if res == nil {
		s.scimError(w, http.StatusNotFound, "", fmt.Sprintf("Resource %s not found", id))
		return
	}
	if s.p.ETags {
		if inm := r.Header.Get("If-None-Match"); inm != "" && inm == s.etag(res) {
			w.Header().Set("ETag", s.etag(res))
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	s.writeResource(w, r, http.StatusOK, res, rt)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, st *store, rt string, body []byte) {
	if !s.writable(w, body) || !s.strict(w, body, rt) {
		return
	}
	doc, ok := s.decode(w, body, rt)
	if !ok || !s.checked(w, r.Method, rt, nil, doc) || !s.unique(w, st, rt, doc, "") {
		return
	}
	s.nextID++
	id := fmt.Sprintf("%s-%04d", strings.ToLower(rt[:1]), s.nextID)
	if s.p.SCIM11 {
		id = fmt.Sprintf("%08x-0000-4000-8000-%012d", s.nextID, s.nextID) // UUIDs, as Workspace ONE
	}
	now := time.Now().UTC().Format(time.RFC3339)
	res := &resource{id: id, created: now}
	s.store(st, res, rt, doc, now)
	w.Header().Set("Location", s.location(r, rt, id))
	password := gjson.GetBytes(body, "password").Exists()
	s.writeResource(w, r, http.StatusCreated, res, rt, func(doc map[string]any) { s.v.Created(r, rt, password, doc) })
}

// checked applies the vendor's own rules (Vendor.Check).
func (s *Server) checked(w http.ResponseWriter, method, rt string, cur, next map[string]any) bool {
	if status, detail := s.v.Check(method, rt, cur, next); status != 0 {
		s.scimError(w, status, "", detail)
		return false
	}
	return true
}

// existing returns the resource to change, or answers 404 or 412.
func (s *Server) existing(w http.ResponseWriter, r *http.Request, st *store, id string) *resource {
	res := st.byID[id]
	if res == nil {
		s.scimError(w, http.StatusNotFound, "", fmt.Sprintf("Resource %s not found", id))
		return nil
	}
	if !s.preconditionOK(w, r, res) {
		return nil
	}
	return res
}

func (s *Server) replace(w http.ResponseWriter, r *http.Request, st *store, rt, id string, body []byte) {
	res := s.existing(w, r, st, id)
	if res == nil {
		return
	}
	if !s.writable(w, body) || !s.strict(w, body, rt) {
		return
	}
	var cur map[string]any
	json.Unmarshal(res.raw, &cur)
	doc, ok := s.decode(w, body, rt)
	if !ok || !s.checked(w, r.Method, rt, cur, doc) || !s.unique(w, st, rt, doc, id) {
		return
	}
	s.store(st, res, rt, doc, time.Now().UTC().Format(time.RFC3339))
	s.writeResource(w, r, http.StatusOK, res, rt)
}

func (s *Server) patch(w http.ResponseWriter, r *http.Request, st *store, rt, id string, body []byte) {
	res := s.existing(w, r, st, id)
	if res == nil {
		return
	}
	if err := scim.CheckJSON(body, scim.DefaultLimits); err != nil {
		s.scimError(w, http.StatusBadRequest, err.(*scim.Error).ScimType, err.Error())
		return
	}
	if s.p.NoSchemas && !gjson.GetBytes(body, "schemas").Exists() {
		body, _ = sjson.SetBytes(body, "schemas", []string{scim.PatchOpURN})
	}
	// An RFC 7644 server: the message must already be canonical.
	req, err := s.schema(rt).Patch(body, scim.Strict)
	if err != nil {
		s.scimError(w, http.StatusBadRequest, err.(*scim.Error).ScimType, err.Error())
		return
	}
	var cur map[string]any
	if err := json.Unmarshal(res.raw, &cur); err != nil {
		s.scimError(w, http.StatusInternalServerError, "", "stored resource is corrupt")
		return
	}
	next, err := scim.ApplyPatch(cur, req.Operations)
	if err != nil {
		s.scimError(w, http.StatusBadRequest, err.(*scim.Error).ScimType, err.Error())
		return
	}
	delete(next, "meta")
	delete(next, "id")
	if !s.p.NoSchemas {
		next["schemas"] = listSchemas(next, s.schema(rt).Core())
	}
	raw, _ := json.Marshal(next)
	if !s.strict(w, raw, rt) {
		return
	}
	doc, ok := s.decode(w, raw, rt)
	if !ok || !s.unique(w, st, rt, doc, id) {
		return
	}
	s.store(st, res, rt, doc, time.Now().UTC().Format(time.RFC3339))
	s.writeResource(w, r, http.StatusOK, res, rt)
}

func (s *Server) preconditionOK(w http.ResponseWriter, r *http.Request, res *resource) bool {
	if !s.p.ETags {
		return true
	}
	if im := r.Header.Get("If-Match"); im != "" && im != "*" && strings.Replace(im, `W/"`, `W"`, 1) != strings.Replace(s.etag(res), `W/"`, `W"`, 1) {
		status, scimType := s.v.Mismatch()
		s.scimError(w, status, scimType, "resource version does not match If-Match")
		return false
	}
	return true
}

// decode checks a resource body and returns it without read-only attributes.
func (s *Server) decode(w http.ResponseWriter, body []byte, rt string) (map[string]any, bool) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil || doc == nil {
		s.scimError(w, http.StatusBadRequest, "invalidSyntax", "body is not a JSON object")
		return nil, false
	}
	for _, k := range []string{"id", "meta", "groups", "password"} {
		delete(doc, scim.FindKey(doc, k))
	}
	required := "userName"
	if rt == "Group" {
		required = "displayName"
	}
	if v, _ := doc[scim.FindKey(doc, required)].(string); v == "" {
		s.scimError(w, http.StatusBadRequest, "invalidValue", required+" is required")
		return nil, false
	}
	if err := s.allowed(doc, rt); err != nil {
		s.scimError(w, http.StatusBadRequest, err.ScimType, err.Msg)
		return nil, false
	}
	return doc, true
}

// allowed refuses an attribute outside Profile.Allowed.
func (s *Server) allowed(doc map[string]any, rt string) *scim.Error {
	allowed := s.p.Allowed[rt]
	if allowed == nil {
		return nil
	}
	for k, v := range doc {
		subs, ok := lookupFold(allowed, k)
		if s.p.SCIM11 {
			subs, ok = allowed[k] // a Java server: names are case-sensitive
		}
		if !ok {
			return &scim.Error{ScimType: "invalidValue", Msg: fmt.Sprintf("attribute %q is not supported", k)}
		}
		if bad := unsupportedSub(v, subs); bad != "" {
			return &scim.Error{ScimType: "invalidValue", Msg: fmt.Sprintf("attribute %q is not supported", k+"."+bad)}
		}
	}
	return nil
}

func lookupFold(m map[string][]string, k string) ([]string, bool) {
	for name, v := range m {
		if strings.EqualFold(name, k) {
			return v, true
		}
	}
	return nil, false
}

// unsupportedSub returns the first sub-attribute of v not in subs.
func unsupportedSub(v any, subs []string) string {
	if subs == nil {
		return ""
	}
	check := func(m map[string]any) string {
		for k := range m {
			if scim.Pick(subs, k) == "" {
				return k
			}
		}
		return ""
	}
	switch t := v.(type) {
	case map[string]any:
		return check(t)
	case []any:
		for _, el := range t {
			if m, ok := el.(map[string]any); ok {
				if bad := check(m); bad != "" {
					return bad
				}
			}
		}
	}
	return ""
}

// unique enforces case-insensitive uniqueness of userName (Users) or
// displayName (Groups), as a 409 uniqueness error.
func (s *Server) unique(w http.ResponseWriter, st *store, rt string, doc map[string]any, self string) bool {
	attr := "userName"
	if rt == "Group" {
		attr = "displayName"
	}
	key := strings.ToLower(doc[scim.FindKey(doc, attr)].(string))
	if other, taken := st.byKey[key]; taken && other != self {
		s.scimError(w, s.v.Conflict(), "uniqueness", fmt.Sprintf("%s %q is already taken", attr, doc[scim.FindKey(doc, attr)]))
		return false
	}
	return true
}

func (s *Server) store(st *store, res *resource, rt string, doc map[string]any, now string) {
	doc["id"] = res.id
	doc["meta"] = map[string]any{"resourceType": rt, "created": res.created, "lastModified": now}
	if s.p.SCIM11 {
		doc["meta"] = map[string]any{"created": res.created, "lastModified": now} // 1.1 has no resourceType
	}
	if rt == "Group" {
		if members, ok := doc[scim.FindKey(doc, "members")].([]any); ok {
			for _, m := range members {
				if mm, ok := m.(map[string]any); ok {
					delete(mm, "$ref") // recomputed on read
				}
			}
		}
	}
	res.version++
	raw, _ := json.Marshal(doc)
	res.raw = raw
	attr := "userName"
	if rt == "Group" {
		attr = "displayName"
	}
	st.put(res, strings.ToLower(doc[scim.FindKey(doc, attr)].(string)))
}

// view renders a stored resource as the backend returns it.
func (s *Server) view(r *http.Request, res *resource, rt string) []byte {
	var doc map[string]any
	json.Unmarshal(res.raw, &doc)
	meta := doc["meta"].(map[string]any)
	meta["location"] = s.p.BasePath + "/" + rt + "s/" + res.id // made absolute in writeResource
	if s.p.ETags {
		meta["version"] = s.etag(res)
	}
	if rt == "Group" {
		if members, ok := doc[scim.FindKey(doc, "members")].([]any); ok {
			for _, m := range members {
				if mm, ok := m.(map[string]any); ok {
					if v, ok := mm["value"].(string); ok && !s.p.SCIM11 {
						mm["$ref"] = s.p.BasePath + "/Users/" + v
					}
				}
			}
		}
	}
	s.v.View(r, rt, doc)
	if rt == "User" && s.p.UserGroups {
		var gs []any
		for _, gid := range s.groups.order {
			g := gjson.ParseBytes(s.groups.byID[gid].raw)
			for _, m := range g.Get("members").Array() {
				switch {
				case m.Get("value").String() != res.id:
				case s.p.SCIM11:
					gs = append(gs, map[string]any{"value": gid, "display": g.Get("displayName").String(), "type": "direct"})
				default:
					gs = append(gs, map[string]any{"value": gid, "display": g.Get("displayName").String(), "$ref": s.p.BasePath + "/Groups/" + gid})
				}
			}
		}
		if gs != nil {
			doc["groups"] = gs
		}
	}
	raw, _ := json.Marshal(doc)
	return raw
}

// writeResource answers with a stored resource, changed by decorate if given.
func (s *Server) writeResource(w http.ResponseWriter, r *http.Request, status int, res *resource, rt string, decorate ...func(map[string]any)) {
	if _, header := s.v.Version(res.version); s.p.ETags && header {
		w.Header().Set("ETag", s.etag(res))
	}
	raw := s.view(r, res, rt)
	if s.p.SCIM11 {
		raw = s.shape11(r, raw, decorate...)
	}
	// Make the backend's own URLs absolute, as real backends do.
	origin := "http://" + r.Host
	raw = []byte(strings.ReplaceAll(string(raw), `"`+s.p.BasePath+"/", `"`+origin+s.p.BasePath+"/"))
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	w.Write(raw)
}

func (s *Server) location(r *http.Request, rt, id string) string {
	return "http://" + r.Host + s.p.BasePath + "/" + rt + "s/" + id
}

// dropMember removes a deleted user from every group.
func (s *Server) dropMember(id string) {
	for _, res := range s.groups.byID {
		var doc map[string]any
		json.Unmarshal(res.raw, &doc)
		members, _ := doc["members"].([]any)
		var kept []any
		for _, m := range members {
			if mm, ok := m.(map[string]any); !ok || mm["value"] != id {
				kept = append(kept, m)
			}
		}
		if len(kept) != len(members) {
			doc["members"] = kept
			res.raw, _ = json.Marshal(doc)
		}
	}
}

// Error answers with the vendor's error body, for an Endpoint.
func (s *Server) Error(w http.ResponseWriter, status int, scimType, detail string) {
	s.scimError(w, status, scimType, detail)
}

func (s *Server) scimError(w http.ResponseWriter, status int, scimType, detail string) {
	writeJSON(w, status, s.v.Errors(status, scimType, detail))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	defer r.Body.Close()
	return io.ReadAll(io.LimitReader(r.Body, 4<<20))
}

// recorder swallows a response, for faults injected after the request ran.
type recorder struct {
	header http.Header
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(int)             {}
