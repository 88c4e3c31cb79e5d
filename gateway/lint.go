package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net"
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
)

// The config linter: the shape of config.yaml (configSpec, walked with the
// mappings package's Linter.Pairs, as mapping files are), then what the
// values mean (check): every problem reported at once, as file:line:col.

type kind uint8

const (
	kString kind = iota
	kBool
	kInt
	kFloat // a non-negative number
	kDuration
	kStrings
	kObject
	kMap   // map of name -> object with fields
	kAny   // checked by the dialect
	kOther // checked by check: a scalar or a list
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
		{name: "admin_listen", kind: kString},
		{name: "pprof", kind: kBool},
		{name: "reload", kind: kString, enum: []string{"signal", "watch"}},
		{name: "tracing", kind: kObject, fields: []field{
			{name: "endpoint", kind: kString},
			{name: "sample_ratio", kind: kFloat},
			{name: "service_name", kind: kString},
		}},
		{name: "limits", kind: kObject, fields: []field{
			{name: "max_depth", kind: kInt},
			{name: "max_values", kind: kInt},
			{name: "max_string", kind: kInt},
			{name: "max_filter", kind: kInt},
		}},
	}},
	{name: "state", kind: kObject, fields: []field{
		{name: "driver", kind: kString, enum: []string{"embedded", "postgres"}},
		{name: "path", kind: kString},
		{name: "dsn", kind: kString},
	}},
	{name: "tenants", kind: kMap, required: true, fields: []field{
		{name: "dialect", kind: kString, required: true},
		{name: "inbound", kind: kObject, required: true, fields: []field{
			{name: "bearer_tokens", kind: kStrings, required: true},
			{name: "rate", kind: kFloat},
			{name: "burst", kind: kInt},
			{name: "max_concurrent", kind: kInt},
		}},
		{name: "backend", kind: kObject, required: true, fields: []field{
			{name: "url", kind: kString},
			{name: "emulated", kind: kBool},
			{name: "auth", kind: kObject, fields: authFields},
			{name: "timeout", kind: kDuration},
			{name: "deadline", kind: kDuration},
			{name: "max_idle_conns", kind: kInt},
			{name: "idle_conn_timeout", kind: kDuration},
			{name: "max_concurrent", kind: kInt},
			{name: "circuit", kind: kObject, fields: []field{
				{name: "failures", kind: kInt},
				{name: "open_for", kind: kDuration},
			}},
			{name: "retry", kind: kObject, fields: []field{
				{name: "max_attempts", kind: kInt},
				{name: "min_backoff", kind: kDuration},
				{name: "max_backoff", kind: kDuration},
			}},
		}},
		{name: "mapping", kind: kString},
		{name: "options", kind: kAny},
		{name: "shadow", kind: kOther},
		{name: "max_results", kind: kInt},
		{name: "patch_response", kind: kString, enum: []string{"resource", "no_content"}},
		{name: "username_case", kind: kString, enum: []string{"preserve", "fold"}},
	}},
}

var tenantIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// reservedTenants are path segments the gateway serves itself.
var reservedTenants = map[string]bool{"healthz": true, "readyz": true, "metrics": true}

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
	names := make([]string, len(spec))
	for i, f := range spec {
		names[i] = f.name
	}
	seen := map[string]bool{}
	l.Pairs(n, names, "key", describe(where), func(k, v *yaml.Node) {
		seen[k.Value] = true
		f, _ := findField(spec, k.Value)
		l.checkKind(v, f, join(where, k.Value))
	})
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
	case kFloat:
		if f, err := strconv.ParseFloat(v.Value, 64); !scalar || err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			l.At(v, "%s must be a non-negative number", where)
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

// check runs the semantic checks that need the decoded values.
func (l *linter) check(cfg *Config, doc *yaml.Node, reg *dialects.Registry) {
	server := child(doc, "server")
	if u, err := url.Parse(cfg.Server.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		l.At(child(server, "public_url"), "server.public_url %q must be an absolute http(s) URL", cfg.Server.PublicURL)
	}
	if _, port, err := net.SplitHostPort(cfg.Server.Listen); err != nil || port == "" {
		l.At(child(server, "listen"), "server.listen %q must be host:port (e.g. 127.0.0.1:8080)", cfg.Server.Listen)
	}
	if a := cfg.Server.AdminListen; a != "off" {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			l.At(child(server, "admin_listen"), "server.admin_listen %q must be host:port (e.g. 127.0.0.1:9090), or off", a)
		}
	}
	if tr := cfg.Server.Tracing; tr.Endpoint != "" {
		if u, err := url.Parse(tr.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			l.At(child(child(server, "tracing"), "endpoint"), "server.tracing.endpoint %q must be the collector's http(s) URL, e.g. http://otel-collector:4318", tr.Endpoint)
		}
	}
	if r := *cfg.Server.Tracing.SampleRatio; r > 1 {
		l.At(child(child(server, "tracing"), "sample_ratio"), "server.tracing.sample_ratio must be between 0 and 1")
	}
	if st := child(doc, "state"); cfg.State.Driver == "postgres" && cfg.State.DSN == "" {
		l.At(child(st, "driver"), "state.dsn is required with driver postgres (e.g. dsn: \"${SCIMGW_PG_DSN}\")")
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
		t.Fingerprint = fingerprint(tn, t, cfg.Server)
		if sn := child(tn, "shadow"); sn != nil {
			if !t.Shadow.set() || sn.Kind == yaml.SequenceNode && !allScalars(sn) {
				l.At(sn, "%s.shadow must be unheld or a list of attribute names", where)
			} else if t.Compiled != nil {
				// Every dialect's groups are candidates here; the gateway
				// checks again with the dialect's capabilities at start.
				_, problems := newShadows(t.Shadow, t.Compiled, dialects.Capabilities{Groups: true})
				for _, p := range problems {
					l.At(sn, "%s.shadow: %s", where, p)
				}
			}
		}
	}
}

func allScalars(n *yaml.Node) bool {
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

// fingerprint sums what a tenant is built from: its YAML (after ${VAR}
// expansion), its mapping file, and the server settings it takes.
func fingerprint(n *yaml.Node, t *Tenant, s ServerConfig) string {
	h := sha256.New()
	out, _ := yaml.Marshal(n)
	h.Write(out)
	h.Write(t.mappingSum[:])
	fmt.Fprintf(h, "\x00%s\x00%d\x00%d\x00%+v", s.PublicURL, s.MaxResults, s.MaxBodyBytes, s.Limits)
	return hex.EncodeToString(h.Sum(nil))
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
		t.MappingFile, t.mappingSum = path, sha256.Sum256(data)
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
			spec, ok := f.Option(k.Value)
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
