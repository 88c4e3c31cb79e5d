package gateway

import (
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/mappings"
)

// playgroundPage is the playground's page: HTML, CSS and script, in the
// binary (nothing is fetched from elsewhere).
//
//go:embed playground
var playgroundPage embed.FS

// Playground is the JSON API behind `scimgw playground`: a tenant's
// translation tried with a mapping as it is being edited. It runs the code
// of `scimgw translate`, `scimgw schema` and the gateway itself (Translate,
// Schema, the tenant's dialect and contract); nothing is contacted.
type Playground struct {
	cfg *Config
	reg *dialects.Registry
}

// NewPlayground serves the tenants of cfg.
func NewPlayground(cfg *Config, reg *dialects.Registry) *Playground {
	return &Playground{cfg: cfg, reg: reg}
}

// PlayTenant is a tenant as the playground offers it: the mapping an
// author edits is its mapping file, or the dialect's built-in mapping
// when it has none.
type PlayTenant struct {
	ID      string `json:"id"`
	Dialect string `json:"dialect"`
	File    string `json:"file"`    // the mapping's file name
	Mapping string `json:"mapping"` // its YAML
	// Override: the mapping is the tenant's file, applied over the
	// dialect's built-in mapping.
	Override bool `json:"override"`
}

// PlayRun is one try: a client request (or, for op response, a backend
// resource) through a tenant with the mapping given.
type PlayRun struct {
	Tenant   string `json:"tenant"`
	Op       string `json:"op"`       // create, replace, patch, filter, response
	Resource string `json:"resource"` // User (default) or Group
	ID       string `json:"id"`       // the resource id in paths, for replace and patch
	Input    string `json:"input"`    // SCIM 2.0 JSON, a filter, or the backend resource
	Current  string `json:"current"`  // the backend's current resource, for dialects that read first
	Mapping  string `json:"mapping"`  // the mapping's YAML; "" keeps the tenant's
}

// PlayResult is what a try gives: the mapping's problems (by line and
// column of its YAML) or the requests the backend would receive (or the
// client's answer for op response), or the SCIM error the client would
// get, and the tenant's effective schema.
type PlayResult struct {
	Lints  []PlayLint `json:"lints"`
	Output string     `json:"output,omitempty"`
	Error  string     `json:"error,omitempty"`
	Schema string     `json:"schema,omitempty"`
	// Emulated is the same request through the gateway to the tenant's
	// emulated backend (a fresh one, holding only Current when given).
	Emulated *PlayEmulated `json:"emulated,omitempty"`
}

// PlayEmulated is a try through the gateway to an emulated backend.
type PlayEmulated struct {
	Calls  string          `json:"calls"`            // every call the backend received, in order
	Status int             `json:"status"`           // the client's answer
	Answer json.RawMessage `json:"answer,omitempty"` // its body
	Stored string          `json:"stored"`           // what the backend holds afterwards
	Note   string          `json:"note,omitempty"`   // why it was not tried
}

// PlayLint is one problem of the edited mapping.
type PlayLint struct {
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Message string `json:"message"`
}

// Tenants lists the tenants, sorted by id.
func (p *Playground) Tenants() ([]PlayTenant, error) {
	var out []PlayTenant
	for _, id := range slices.Sorted(maps.Keys(p.cfg.Tenants)) {
		tc := p.cfg.Tenants[id]
		f, err := p.reg.Lookup(tc.Dialect)
		if err != nil {
			return nil, err
		}
		pt := PlayTenant{ID: id, Dialect: tc.Dialect, File: f.Mapping.File, Mapping: string(f.Mapping.Data)}
		if tc.MappingFile != "" {
			data, err := os.ReadFile(tc.MappingFile)
			if err != nil {
				return nil, err
			}
			pt.File, pt.Mapping, pt.Override = tc.MappingFile, string(data), true
		}
		out = append(out, pt)
	}
	return out, nil
}

// Run tries r.
func (p *Playground) Run(r PlayRun) (PlayResult, error) {
	res := PlayResult{Lints: []PlayLint{}}
	tc := p.cfg.Tenants[r.Tenant]
	if tc == nil {
		return res, errors.New("no tenant " + r.Tenant)
	}
	f, err := p.reg.Lookup(tc.Dialect)
	if err != nil {
		return res, err
	}
	t := *tc
	if r.Mapping != "" {
		m, lints, err := p.compile(tc, f, r.Mapping)
		if err != nil || len(lints) > 0 {
			res.Lints = append(res.Lints, lints...)
			return res, err
		}
		t.Compiled = m
	}
	cfg := *p.cfg
	cfg.Tenants = map[string]*Tenant{r.Tenant: &t}
	var current []byte
	if r.Current != "" {
		current = []byte(r.Current)
	}
	if res.Output, err = Translate(&cfg, p.reg, r.Tenant, r.Op, r.Resource, r.ID, []byte(r.Input), current); err != nil {
		res.Error = Describe(err)
	}
	res.Schema, _ = Schema(&cfg, p.reg, r.Tenant, false)
	if r.Op != "response" {
		res.Emulated = p.emulated(&cfg, &t, r)
	}
	return res, nil
}

// playEmulator is what the playground reads of an emulated backend.
type playEmulator interface {
	Seed(endpoint string, doc map[string]any) string
	All(endpoint string) map[string]json.RawMessage
	Requests() []emulator.Recorded
	Sent(mark int) string
}

// emulated sends the try through a gateway of the one tenant, on a fresh
// emulated backend of its dialect (seeded with r.Current, whose id the
// replace or PATCH then names).
func (p *Playground) emulated(cfg *Config, t *Tenant, r PlayRun) *PlayEmulated {
	out := &PlayEmulated{}
	if len(t.Inbound.BearerTokens) == 0 {
		out.Note = "the tenant has no inbound token"
		return out
	}
	tc := *t
	tc.Backend.Emulated = true
	one := *cfg
	one.Tenants = map[string]*Tenant{r.Tenant: &tc}
	// A state file of the try's own (opened only for a tenant with
	// shadow attributes): tries at once must not wait on one file's lock.
	dir, err := os.MkdirTemp("", "scimgw-playground-")
	if err != nil {
		out.Note = "no emulated backend: " + err.Error()
		return out
	}
	defer os.RemoveAll(dir)
	one.State = StateConfig{Driver: "embedded", Path: filepath.Join(dir, "state.db")}
	gw, err := New(&one, p.reg, zap.NewNop())
	if err != nil {
		out.Note = "no emulated backend: " + err.Error()
		return out
	}
	defer gw.Close()
	emu, ok := gw.Emulator(r.Tenant).(playEmulator)
	if !ok {
		out.Note = "the dialect has no emulator to try it on"
		return out
	}
	endpoint := "Users"
	if strings.EqualFold(r.Resource, "Group") {
		endpoint = "Groups"
	}
	id := r.ID
	if r.Current != "" {
		var doc map[string]any
		if err := json.Unmarshal([]byte(r.Current), &doc); err != nil {
			out.Note = "the backend's current resource is not a JSON object"
			return out
		}
		id = emu.Seed(endpoint, doc)
	} else if r.Op == "replace" || r.Op == "patch" {
		out.Note = "give the backend's current resource to try a " + r.Op + " on the emulated backend"
		return out
	}
	path := "/" + r.Tenant + "/scim/v2/" + endpoint
	method, body := http.MethodPost, r.Input
	switch r.Op {
	case "replace":
		method, path = http.MethodPut, path+"/"+url.PathEscape(id)
	case "patch":
		method, path = http.MethodPatch, path+"/"+url.PathEscape(id)
	case "filter":
		method, path, body = http.MethodGet, path+"?filter="+url.QueryEscape(r.Input), ""
	}
	mark := len(emu.Requests())
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+t.Inbound.BearerTokens[0])
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	rec := httptest.NewRecorder()
	gw.Handler().ServeHTTP(rec, req)
	out.Status, out.Answer = rec.Code, json.RawMessage(rec.Body.Bytes())
	if !json.Valid(out.Answer) {
		out.Answer = nil
	}
	out.Calls = emu.Sent(mark)
	stored, _ := json.MarshalIndent(emu.All(endpoint), "", "  ")
	out.Stored = string(stored)
	return out
}

// compile compiles the edited mapping of a tenant: its mapping file over
// the dialect's built-in mapping, or the built-in mapping itself.
func (p *Playground) compile(tc *Tenant, f *dialects.Factory, text string) (*mappings.Mapping, []PlayLint, error) {
	builtin, over := f.Mapping, &mappings.Source{File: tc.MappingFile, Data: []byte(text)}
	if tc.MappingFile == "" {
		builtin, over = mappings.Source{File: f.Mapping.File, Data: []byte(text)}, nil
	}
	m, err := mappings.Load(builtin, over, mappings.Options{Values: tc.Options, Known: f.OptionNames()})
	if ls, ok := IsLints(err); ok {
		var lints []PlayLint
		for _, l := range ls {
			lints = append(lints, PlayLint{Line: l.Line, Col: l.Col, Message: l.Msg})
		}
		return nil, lints, nil
	}
	return m, nil, err
}

// PlayTestCase is a try turned into a mapping test file (*_test.yaml):
// run beside the edited mapping saved as MappingFile, `scimgw test`
// passes it while the mapping does what it did.
type PlayTestCase struct {
	File        string `json:"file"`         // a name for the test file
	MappingFile string `json:"mapping_file"` // the name the test gives the mapping
	YAML        string `json:"yaml"`
}

// playOps are the mapping test ops of the playground's.
var playOps = map[string]string{"create": "request", "replace": "request", "patch": "patch", "filter": "filter", "response": "response"}

// TestCase turns a try into a test file of one case, named name.
func (p *Playground) TestCase(r PlayRun, name string) (PlayTestCase, error) {
	tc := p.cfg.Tenants[r.Tenant]
	if tc == nil {
		return PlayTestCase{}, errors.New("no tenant " + r.Tenant)
	}
	op, ok := playOps[r.Op]
	if !ok {
		return PlayTestCase{}, fmt.Errorf("no test case for op %q", r.Op)
	}
	f, err := p.reg.Lookup(tc.Dialect)
	if err != nil {
		return PlayTestCase{}, err
	}
	text := r.Mapping
	if text == "" {
		ts, err := p.Tenants()
		if err != nil {
			return PlayTestCase{}, err
		}
		for _, pt := range ts {
			if pt.ID == r.Tenant {
				text = pt.Mapping
			}
		}
	}
	m, lints, err := p.compile(tc, f, text)
	if err != nil {
		return PlayTestCase{}, err
	}
	if len(lints) > 0 {
		return PlayTestCase{}, fmt.Errorf("the mapping has problems (line %d: %s): fix them first", lints[0].Line, lints[0].Message)
	}
	rt := dialects.User
	if strings.EqualFold(r.Resource, "Group") {
		rt = dialects.Group
	}
	c, err := mappings.TestCase(m, rt, op, name, []byte(r.Input))
	if err != nil {
		return PlayTestCase{}, err
	}
	out := PlayTestCase{File: r.Tenant + "_test.yaml", MappingFile: filepath.Base(f.Mapping.File)}
	head := map[string]any{"mapping": out.MappingFile}
	if tc.MappingFile != "" {
		out.MappingFile = filepath.Base(tc.MappingFile)
		head = map[string]any{"dialect": tc.Dialect, "mapping": out.MappingFile}
	}
	if len(tc.Options) > 0 {
		head["options"] = tc.Options
	}
	h, _ := yaml.Marshal(head)
	out.YAML = "# A mapping test from scimgw playground (tenant " + r.Tenant + "); run it with scimgw test.\n" +
		string(h) + "tests:\n  - " + strings.ReplaceAll(strings.TrimSpace(string(c)), "\n", "\n    ") + "\n"
	return out, nil
}

// Handler serves the API: GET /api/tenants, POST /api/run (PlayRun in,
// PlayResult out), POST /api/testcase (PlayRun and a name in,
// PlayTestCase out). A token, when not "", must come as a bearer token
// (compared in constant time); without one every request is 401.
func (p *Playground) Handler(token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/tenants", func(w http.ResponseWriter, _ *http.Request) {
		ts, err := p.Tenants()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writePlay(w, ts)
	})
	mux.HandleFunc("POST /api/run", func(w http.ResponseWriter, r *http.Request) {
		var run PlayRun
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&run); err != nil {
			http.Error(w, "the body is not a PlayRun: "+err.Error(), http.StatusBadRequest)
			return
		}
		res, err := p.Run(run)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writePlay(w, res)
	})
	mux.HandleFunc("POST /api/testcase", func(w http.ResponseWriter, r *http.Request) {
		var run struct {
			PlayRun
			Name string `json:"name"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&run); err != nil {
			http.Error(w, "the body is not a PlayRun: "+err.Error(), http.StatusBadRequest)
			return
		}
		if run.Name == "" {
			run.Name = run.Op + " (from the playground)"
		}
		tc, err := p.TestCase(run.PlayRun, run.Name)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writePlay(w, tc)
	})
	page, _ := fs.Sub(playgroundPage, "playground")
	static := http.FileServerFS(page)
	if token == "" {
		mux.Handle("GET /", static)
		return mux
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			static.ServeHTTP(w, r) // the page holds nothing of the tenants'
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			http.Error(w, "the playground needs its token", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// PlaygroundListen checks where the playground may listen: on loopback
// only, unless it has a token (it shows the tenants' mappings and
// options).
func PlaygroundListen(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); token == "" && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--listen %s is beyond loopback: set a token (--token or SCIMGW_PLAYGROUND_TOKEN) first", addr)
	}
	return nil
}

func writePlay(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
