package gateway

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/mappings"
)

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
		builtin, over := f.Mapping, &mappings.Source{File: tc.MappingFile, Data: []byte(r.Mapping)}
		if tc.MappingFile == "" {
			builtin, over = mappings.Source{File: f.Mapping.File, Data: []byte(r.Mapping)}, nil
		}
		m, err := mappings.Load(builtin, over, mappings.Options{Values: tc.Options, Known: f.OptionNames()})
		if ls, ok := IsLints(err); ok {
			for _, l := range ls {
				res.Lints = append(res.Lints, PlayLint{Line: l.Line, Col: l.Col, Message: l.Msg})
			}
			return res, nil
		}
		if err != nil {
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
	return res, nil
}

// Handler serves the API: GET /api/tenants, POST /api/run (PlayRun in,
// PlayResult out). A token, when not "", must come as a bearer token
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
	if token == "" {
		return mux
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
