package gateway

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/mappings"
	"github.com/scimgw/scimgw/mappings/scim"
)

// Config is the whole config.yaml.
type Config struct {
	File    string             `yaml:"-"`
	Server  ServerConfig       `yaml:"server"`
	Tenants map[string]*Tenant `yaml:"tenants"`
}

// ServerConfig is the `server:` section.
type ServerConfig struct {
	// Listen is the address to serve on. Default "127.0.0.1:8080".
	Listen string `yaml:"listen"`
	// PublicURL is the base of every URL a client sees (Location,
	// meta.location, $ref). Default "http://" + Listen.
	PublicURL string `yaml:"public_url"`
	// MaxBodyBytes bounds request bodies; larger ones get 413. Default 1 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxResults caps `count` on lists (RFC 7644 §3.4.2.4). Default 200.
	MaxResults int `yaml:"max_results"`
	// ShutdownGrace is how long in-flight requests may finish after
	// SIGINT/SIGTERM. Default 15s.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// ReadTimeout, WriteTimeout and IdleTimeout bound client connections.
	// Defaults 30s, 90s, 120s.
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	IdleTimeout  time.Duration `yaml:"idle_timeout"`
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string `yaml:"log_level"`
	// Limits bound what one request may hold (scim.DefaultLimits): bodies
	// and filters beyond them get 400 and are never forwarded.
	Limits LimitsConfig `yaml:"limits"`
}

// LimitsConfig is `server.limits:`; zero fields take scim.DefaultLimits.
type LimitsConfig struct {
	MaxDepth  int `yaml:"max_depth"`  // nesting of objects and arrays; default 12
	MaxValues int `yaml:"max_values"` // elements of one array; default 10000
	MaxString int `yaml:"max_string"` // bytes of one string; default 32768
	MaxFilter int `yaml:"max_filter"` // bytes of a filter; default 8192
}

// scim returns the limits with defaults applied.
func (l LimitsConfig) scim() scim.Limits {
	return scim.Limits{MaxDepth: l.MaxDepth, MaxValues: l.MaxValues, MaxString: l.MaxString, MaxFilter: l.MaxFilter}.Or(scim.DefaultLimits)
}

// Tenant is one `tenants.<id>:` entry.
type Tenant struct {
	ID      string        `yaml:"-"`
	Dialect string        `yaml:"dialect"`
	Inbound InboundConfig `yaml:"inbound"`
	Backend BackendConfig `yaml:"backend"`
	// Mapping is the tenant's mapping file, extending or overriding the
	// dialect's built-in mapping rule by rule; relative to the config file.
	Mapping string            `yaml:"mapping"`
	Options map[string]string `yaml:"-"` // filled from `options:` by the dialect's specs
	// Compiled is the tenant's mapping, compiled at load time.
	Compiled *mappings.Mapping `yaml:"-"`
	// MaxResults overrides server.max_results for this tenant.
	MaxResults int `yaml:"max_results"`
	// PatchResponse is what a successful PATCH answers: resource (200 with
	// the resource, the default) or no_content (204). With ?attributes= it
	// is always 200 (RFC 7644 §3.5.2).
	PatchResponse string `yaml:"patch_response"`
	// UserNameCase is preserve (the default) or fold. userName is
	// case-insensitive (RFC 7643 §4.1.1); fold lower-cases it in everything
	// sent to the backend (bodies, PATCH values, filters), so matching and
	// uniqueness stay case-insensitive even when the backend is
	// case-sensitive, at the price of storing it in lower case.
	UserNameCase string `yaml:"username_case"`
}

// InboundConfig is how IdPs authenticate to the gateway.
type InboundConfig struct {
	BearerTokens []string `yaml:"bearer_tokens"`
}

// BackendConfig is how the gateway reaches the tenant's backend.
type BackendConfig struct {
	URL      string        `yaml:"url"`
	Emulated bool          `yaml:"emulated"`
	Auth     AuthConfig    `yaml:"auth"`
	Timeout  time.Duration `yaml:"timeout"` // per attempt; default 10s
	Retry    RetryConfig   `yaml:"retry"`
	// Deadline bounds all the backend work of one client operation — every
	// call and retry of a PATCH by replace or a gateway-evaluated scan;
	// default max_attempts × timeout + (max_attempts−1) × max_backoff.
	Deadline time.Duration `yaml:"deadline"`
}

// AuthConfig is the backend credential.
type AuthConfig struct {
	Type         string   `yaml:"type"` // none | bearer | basic | oauth2
	Token        string   `yaml:"token"`
	Username     string   `yaml:"username"`
	Password     string   `yaml:"password"`
	TokenURL     string   `yaml:"token_url"`
	ClientID     string   `yaml:"client_id"`
	ClientSecret string   `yaml:"client_secret"`
	Scopes       []string `yaml:"scopes"`
	// ClientAuth is how OAuth2 client credentials are sent: basic (HTTP
	// Basic, the default, RFC 6749 §2.3.1) or body (form fields).
	ClientAuth string `yaml:"client_auth"`
}

// RetryConfig bounds retries of backend calls.
type RetryConfig struct {
	MaxAttempts int           `yaml:"max_attempts"` // default 4
	MinBackoff  time.Duration `yaml:"min_backoff"`  // default 100ms
	MaxBackoff  time.Duration `yaml:"max_backoff"`  // default 5s
}

type kind uint8

const (
	kString kind = iota
	kBool
	kInt
	kDuration
	kStrings
	kObject
	kMap // map of name -> object with fields
	kAny // checked by the dialect
)

type field struct {
	name     string
	kind     kind
	required bool
	fields   []field
	enum     []string
}

var authFields = []field{
	{name: "type", kind: kString, enum: []string{"none", "bearer", "basic", "oauth2"}},
	{name: "token", kind: kString},
	{name: "username", kind: kString},
	{name: "password", kind: kString},
	{name: "token_url", kind: kString},
	{name: "client_id", kind: kString},
	{name: "client_secret", kind: kString},
	{name: "scopes", kind: kStrings},
	{name: "client_auth", kind: kString, enum: []string{"basic", "body"}},
}

var configSpec = []field{
	{name: "server", kind: kObject, fields: []field{
		{name: "listen", kind: kString},
		{name: "public_url", kind: kString},
		{name: "max_body_bytes", kind: kInt},
		{name: "max_results", kind: kInt},
		{name: "shutdown_grace", kind: kDuration},
		{name: "read_timeout", kind: kDuration},
		{name: "write_timeout", kind: kDuration},
		{name: "idle_timeout", kind: kDuration},
		{name: "log_level", kind: kString, enum: []string{"debug", "info", "warn", "error"}},
		{name: "limits", kind: kObject, fields: []field{
			{name: "max_depth", kind: kInt},
			{name: "max_values", kind: kInt},
			{name: "max_string", kind: kInt},
			{name: "max_filter", kind: kInt},
		}},
	}},
	{name: "tenants", kind: kMap, required: true, fields: []field{
		{name: "dialect", kind: kString, required: true},
		{name: "inbound", kind: kObject, required: true, fields: []field{
			{name: "bearer_tokens", kind: kStrings, required: true},
		}},
		{name: "backend", kind: kObject, required: true, fields: []field{
			{name: "url", kind: kString},
			{name: "emulated", kind: kBool},
			{name: "auth", kind: kObject, fields: authFields},
			{name: "timeout", kind: kDuration},
			{name: "deadline", kind: kDuration},
			{name: "retry", kind: kObject, fields: []field{
				{name: "max_attempts", kind: kInt},
				{name: "min_backoff", kind: kDuration},
				{name: "max_backoff", kind: kDuration},
			}},
		}},
		{name: "mapping", kind: kString},
		{name: "options", kind: kAny},
		{name: "max_results", kind: kInt},
		{name: "patch_response", kind: kString, enum: []string{"resource", "no_content"}},
		{name: "username_case", kind: kString, enum: []string{"preserve", "fold"}},
	}},
}

var tenantIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// reservedTenants are path segments the gateway serves itself.
var reservedTenants = map[string]bool{"healthz": true, "readyz": true, "metrics": true}

// LoadConfig reads, checks and decodes a config file. On any problem it
// returns Lints holding every problem found, each as file:line:col.
func LoadConfig(path string, reg *dialects.Registry) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Lints{{File: path, Line: 1, Col: 1, Msg: err.Error()}}
	}
	return ParseConfig(path, data, reg)
}

// ParseConfig checks and decodes config bytes; path is used in messages.
func ParseConfig(path string, data []byte, reg *dialects.Registry) (*Config, error) {
	l := &linter{Linter: mappings.Linter{File: path}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Lints{mappings.SyntaxLint(path, err)}
	}
	if len(root.Content) == 0 {
		return nil, Lints{{File: path, Line: 1, Col: 1, Msg: "config is empty: a tenants section is required"}}
	}
	doc := root.Content[0]
	l.ExpandEnv(doc)
	l.walk(doc, configSpec, "")
	cfg := &Config{File: path}
	if err := doc.Decode(cfg); err != nil {
		return nil, Lints{{File: path, Line: 1, Col: 1, Msg: err.Error()}}
	}
	cfg.applyDefaults()
	l.check(cfg, doc, reg)
	if len(l.Lints) > 0 {
		return nil, l.Lints.Sorted()
	}
	return cfg, nil
}

// walk checks a mapping node against a field spec: unknown keys (with a
// did-you-mean), duplicate keys, wrong types and missing required keys.
func (l *linter) walk(n *yaml.Node, spec []field, where string) {
	if n.Kind != yaml.MappingNode {
		if n.Tag == "!!null" {
			n.Kind, n.Tag, n.Value = yaml.MappingNode, "!!map", ""
		} else {
			l.At(n, "%s must be a mapping", describe(where))
			*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
			return
		}
	}
	seen := map[string]bool{}
	names := make([]string, len(spec))
	for i, f := range spec {
		names[i] = f.name
	}
	kept := n.Content[:0]
	defer func() { n.Content = kept }()
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			l.At(k, "duplicate key %q", k.Value)
			continue
		}
		kept = append(kept, k, v)
		seen[k.Value] = true
		f, ok := findField(spec, k.Value)
		if !ok {
			l.At(k, "unknown key %q in %s%s", k.Value, describe(where), mappings.DidYouMean(k.Value, names))
			continue
		}
		l.checkKind(v, f, join(where, k.Value))
	}
	for _, f := range spec {
		if f.required && !seen[f.name] {
			l.At(n, "missing required key %q in %s", f.name, describe(where))
		}
	}
}

func (l *linter) checkKind(v *yaml.Node, f field, where string) {
	before := len(l.Lints)
	defer func() {
		if len(l.Lints) > before && f.kind != kObject && f.kind != kMap && v.Kind != yaml.MappingNode {
			// Blank the bad value so decoding still works and the semantic
			// checks can report the rest of the file's problems too.
			*v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: v.Line, Column: v.Column}
		}
	}()
	scalar := v.Kind == yaml.ScalarNode
	switch f.kind {
	case kString:
		if !scalar || v.Tag == "!!null" {
			l.At(v, "%s must be a string", where)
		} else if f.enum != nil && !contains(f.enum, v.Value) {
			l.At(v, "%s: %q is not one of %s%s", where, v.Value, strings.Join(f.enum, ", "), mappings.DidYouMean(v.Value, f.enum))
		}
	case kBool:
		if !scalar || v.Tag != "!!bool" {
			l.At(v, "%s must be true or false", where)
		}
	case kInt:
		if n, err := strconv.Atoi(v.Value); !scalar || err != nil || n < 0 {
			l.At(v, "%s must be a non-negative whole number", where)
		}
	case kDuration:
		d, err := time.ParseDuration(v.Value)
		if !scalar || err != nil || d <= 0 {
			l.At(v, "%s: %q is not a duration (use e.g. 500ms, 10s, 1m)", where, v.Value)
		}
	case kStrings:
		if v.Kind != yaml.SequenceNode {
			l.At(v, "%s must be a list of strings", where)
			return
		}
		for _, el := range v.Content {
			if el.Kind != yaml.ScalarNode || el.Tag == "!!null" {
				l.At(el, "%s: every entry must be a string", where)
			}
		}
	case kObject:
		l.walk(v, f.fields, where)
	case kMap:
		if v.Kind != yaml.MappingNode {
			l.At(v, "%s must be a mapping of names to entries", where)
			*v = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column}
			return
		}
		if len(v.Content) == 0 && f.required {
			l.At(v, "%s must have at least one entry", where)
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			l.walk(v.Content[i+1], f.fields, join(where, v.Content[i].Value))
		}
	case kAny:
		if v.Kind != yaml.MappingNode && v.Tag != "!!null" {
			l.At(v, "%s must be a mapping", where)
		}
	}
}

func (c *Config) applyDefaults() {
	s := &c.Server
	if s.Listen == "" {
		s.Listen = "127.0.0.1:8080"
	}
	if s.PublicURL == "" {
		s.PublicURL = "http://" + s.Listen
	}
	s.PublicURL = strings.TrimRight(s.PublicURL, "/")
	setDefault(&s.MaxBodyBytes, 1<<20)
	setDefault(&s.MaxResults, 200)
	setDefault(&s.ShutdownGrace, 15*time.Second)
	setDefault(&s.ReadTimeout, 30*time.Second)
	setDefault(&s.WriteTimeout, 90*time.Second)
	setDefault(&s.IdleTimeout, 120*time.Second)
	if s.LogLevel == "" {
		s.LogLevel = "info"
	}
	for id, t := range c.Tenants {
		t.ID = id
		b := &t.Backend
		setDefault(&b.Timeout, 10*time.Second)
		setDefault(&b.Retry.MaxAttempts, 4)
		setDefault(&b.Retry.MinBackoff, 100*time.Millisecond)
		setDefault(&b.Retry.MaxBackoff, 5*time.Second)
		r := b.Retry
		setDefault(&b.Deadline, time.Duration(r.MaxAttempts)*b.Timeout+time.Duration(r.MaxAttempts-1)*r.MaxBackoff)
		if b.Auth.Type == "" {
			b.Auth.Type = "none"
		}
		if b.Auth.ClientAuth == "" {
			b.Auth.ClientAuth = "basic"
		}
		setDefault(&t.MaxResults, s.MaxResults)
	}
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// check runs the semantic checks that need the decoded values.
func (l *linter) check(cfg *Config, doc *yaml.Node, reg *dialects.Registry) {
	server := child(doc, "server")
	if u, err := url.Parse(cfg.Server.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		l.At(child(server, "public_url"), "server.public_url %q must be an absolute http(s) URL", cfg.Server.PublicURL)
	}
	tenants := child(doc, "tenants")
	ids := make([]string, 0, len(cfg.Tenants))
	for id := range cfg.Tenants {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t := cfg.Tenants[id]
		tn := child(tenants, id)
		key := keyNode(tenants, id)
		where := "tenants." + id
		if !tenantIDRE.MatchString(id) || reservedTenants[id] {
			l.At(key, "tenant id %q must be letters, digits, '.', '_' or '-' and not one of healthz, readyz, metrics", id)
		}
		inbound := child(tn, "inbound")
		if inbound != nil && len(t.Inbound.BearerTokens) == 0 {
			l.At(child(inbound, "bearer_tokens"), "%s.inbound.bearer_tokens must list at least one token", where)
		}
		for i, tok := range t.Inbound.BearerTokens {
			if len(tok) < 8 {
				l.At(child(inbound, "bearer_tokens").Content[i], "%s.inbound.bearer_tokens[%d] is empty or shorter than 8 characters", where, i)
			}
		}
		backend := child(tn, "backend")
		if !t.Backend.Emulated {
			if u, err := url.Parse(t.Backend.URL); t.Backend.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				n := child(backend, "url")
				if n == nil {
					n = backend
				}
				l.At(n, "%s.backend.url must be an absolute http(s) URL (or set backend.emulated: true)", where)
			}
		}
		l.checkAuth(t.Backend.Auth, child(backend, "auth"), where+".backend.auth")
		r := t.Backend.Retry
		if r.MinBackoff > r.MaxBackoff {
			l.At(child(backend, "retry"), "%s.backend.retry.min_backoff (%s) is larger than max_backoff (%s)", where, r.MinBackoff, r.MaxBackoff)
		}
		f, err := reg.Lookup(t.Dialect)
		if err != nil {
			l.At(child(tn, "dialect"), "%s.dialect: %v%s", where, err, mappings.DidYouMean(t.Dialect, reg.Names()))
			continue
		}
		if f.NewEmulator == nil && t.Backend.Emulated {
			l.At(child(backend, "emulated"), "%s: dialect %q has no emulator", where, t.Dialect)
		}
		t.Options = l.checkOptions(f, child(tn, "options"), where+".options", tn)
		t.Compiled = l.loadMapping(cfg.File, f, t, child(tn, "mapping"))
	}
}

// loadMapping compiles the tenant's mapping: the dialect's built-in one and
// the tenant's file on top. Problems in either are reported with their own
// file:line:col.
func (l *linter) loadMapping(configFile string, f *dialects.Factory, t *Tenant, n *yaml.Node) *mappings.Mapping {
	builtin := f.Mapping
	if len(builtin.Data) == 0 {
		l.At(n, "dialect %s has no built-in mapping", f.Name)
		return nil
	}
	var over *mappings.Source
	if t.Mapping != "" {
		path := t.Mapping
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(configFile), path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			l.At(n, "tenants.%s.mapping: %v", t.ID, err)
			return nil
		}
		over = &mappings.Source{File: path, Data: data}
	}
	m, err := mappings.Load(builtin, over, mappings.Options{Values: t.Options, Known: f.OptionNames()})
	if ls, ok := IsLints(err); ok {
		l.Lints = append(l.Lints, ls...)
		return nil
	}
	return m
}

func (l *linter) checkAuth(a AuthConfig, n *yaml.Node, where string) {
	var missing []string
	need := func(key, val string) {
		if val == "" {
			missing = append(missing, key)
		}
	}
	defer func() {
		if len(missing) > 0 {
			l.At(n, "%s: type %s needs %s", where, a.Type, strings.Join(missing, ", "))
		}
	}()
	switch a.Type {
	case "bearer":
		need("token", a.Token)
	case "basic":
		need("username", a.Username)
		need("password", a.Password)
	case "oauth2":
		need("token_url", a.TokenURL)
		need("client_id", a.ClientID)
		need("client_secret", a.ClientSecret)
		if a.TokenURL != "" && !strings.HasPrefix(a.TokenURL, "/") {
			if u, err := url.Parse(a.TokenURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				l.At(child(n, "token_url"), "%s.token_url must be an absolute http(s) URL, or a path on the backend's host", where)
			}
		}
	}
}

// stringMap checks a mapping of strings to strings and returns it as a JSON
// object.
func (l *linter) stringMap(n *yaml.Node, where string) string {
	m := map[string]string{}
	if n.Kind != yaml.MappingNode {
		l.At(n, "%s must be a mapping of names to names, e.g. {admin: Master Admin}", where)
		return "{}"
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			l.At(v, "%s.%s must be a non-empty string", where, k.Value)
			continue
		}
		m[k.Value] = v.Value
	}
	out, _ := json.Marshal(m)
	return string(out)
}

// checkOptions validates a tenant's options against the dialect's specs and
// returns them with defaults applied.
func (l *linter) checkOptions(f *dialects.Factory, n *yaml.Node, where string, tenant *yaml.Node) map[string]string {
	out := map[string]string{}
	names := make([]string, len(f.Options))
	for i, o := range f.Options {
		names[i] = o.Name
	}
	seen := map[string]bool{}
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			spec, ok := findOption(f.Options, k.Value)
			if !ok {
				known := "it has none"
				if len(names) > 0 {
					known = "known: " + strings.Join(names, ", ")
				}
				l.At(k, "unknown option %q for dialect %s (%s)%s", k.Value, f.Name, known, mappings.DidYouMean(k.Value, names))
				continue
			}
			seen[k.Value] = true
			if spec.Kind == dialects.Map {
				out[k.Value] = l.stringMap(v, where+"."+k.Value)
				continue
			}
			if v.Kind != yaml.ScalarNode {
				l.At(v, "%s.%s must be a single value", where, k.Value)
				continue
			}
			switch spec.Kind {
			case dialects.Bool:
				if v.Tag != "!!bool" {
					l.At(v, "%s.%s must be true or false", where, k.Value)
				}
			case dialects.Int:
				if _, err := strconv.Atoi(v.Value); err != nil {
					l.At(v, "%s.%s must be a whole number", where, k.Value)
				}
			case dialects.Enum:
				if !contains(spec.Values, v.Value) {
					l.At(v, "%s.%s: %q is not one of %s", where, k.Value, v.Value, strings.Join(spec.Values, ", "))
				}
			}
			out[k.Value] = v.Value
		}
	}
	for _, o := range f.Options {
		if seen[o.Name] {
			continue
		}
		if o.Required {
			at := n
			if at == nil {
				at = tenant
			}
			l.At(at, "%s: dialect %s requires option %q", where, f.Name, o.Name)
		}
		if o.Default != "" {
			out[o.Name] = o.Default
		}
	}
	return out
}

func findOption(specs []dialects.OptionSpec, name string) (dialects.OptionSpec, bool) {
	for _, o := range specs {
		if o.Name == name {
			return o, true
		}
	}
	return dialects.OptionSpec{}, false
}

func findField(spec []field, name string) (field, bool) {
	for _, f := range spec {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

// child returns the value node of key in mapping n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if k := keyNode(n, key); k != nil {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i] == k {
				return n.Content[i+1]
			}
		}
	}
	return nil
}

func keyNode(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

func join(where, key string) string {
	if where == "" {
		return key
	}
	return where + "." + key
}

func describe(where string) string {
	if where == "" {
		return "the top level"
	}
	return where
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Lint and Lints are configuration problems, reported as file:line:col.
type (
	Lint  = mappings.Lint
	Lints = mappings.Lints
)

// linter checks one config file.
type linter struct {
	mappings.Linter
}

// IsLints reports whether err holds configuration lints.
func IsLints(err error) (Lints, bool) {
	var ls Lints
	ok := errors.As(err, &ls)
	return ls, ok
}
