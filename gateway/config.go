package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
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
	Hash    string             `yaml:"-"` // the first 12 hex digits of the file's SHA-256
	Server  ServerConfig       `yaml:"server"`
	State   StateConfig        `yaml:"state"`
	Tenants map[string]*Tenant `yaml:"tenants"`
}

// StateConfig is `state:`, where the gateway keeps what a backend cannot
// (gateway/store): the create ledger, write locks and shadow attributes.
type StateConfig struct {
	// Driver is embedded (the default: one replica) or postgres (any
	// number of replicas on one database).
	Driver string `yaml:"driver"`
	// Path is the embedded driver's file, relative to the config file; it
	// is opened only when a tenant keeps shadow attributes. Default
	// scimgw-state.db.
	Path string `yaml:"path"`
	// DSN is the postgres driver's connection string.
	DSN string `yaml:"dsn"`
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
	// AdminListen is the admin listener's address: /metrics, /healthz,
	// /readyz and, with pprof, /debug/pprof/. "off" serves none of them
	// (the SCIM listener keeps /healthz and /readyz). Default
	// 127.0.0.1:9090: loopback, so that nothing is exposed by default.
	AdminListen string `yaml:"admin_listen"`
	// Pprof serves net/http/pprof on the admin listener.
	Pprof bool `yaml:"pprof"`
	// Reload is how a changed configuration is put in service without a
	// restart: "signal" (the default) on SIGHUP, "watch" also when the
	// file or a mapping file it names changes (reload.go).
	Reload string `yaml:"reload"`
	// Tracing exports OpenTelemetry traces (tracing.go); off by default.
	Tracing TracingConfig `yaml:"tracing"`
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
	Mapping string           `yaml:"mapping"`
	Options dialects.Options `yaml:"-"` // filled from `options:` by the dialect's specs
	// Fingerprint sums the tenant's configuration: its YAML, its mapping
	// file and the server settings a tenant is built from. A reload keeps
	// a tenant whose fingerprint did not change.
	Fingerprint string `yaml:"-"`
	// MappingFile is the mapping file's path, resolved (for reload: watch).
	MappingFile string `yaml:"-"`
	mappingSum  [32]byte
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
	// Shadow is what the gateway keeps for a backend that drops it:
	// "unheld" or a list of attributes (shadow.go).
	Shadow ShadowConfig `yaml:"shadow"`
}

// InboundConfig is how IdPs authenticate to the gateway.
type InboundConfig struct {
	BearerTokens []string `yaml:"bearer_tokens"`
	// Rate is the requests per second this replica takes from the
	// tenant's clients (a token bucket of Burst); 0, the default, sets no
	// limit: IdPs pace themselves, and backend.max_concurrent protects the
	// backend.
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"` // default: 2 × rate, at least 1
	// MaxConcurrent is the requests in progress this replica takes from
	// the tenant's clients; default 256.
	MaxConcurrent int `yaml:"max_concurrent"`
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
	// MaxIdleConns is how many idle connections to the backend are kept
	// for reuse (default 64): at least the concurrency the IdP drives, or
	// creates open new connections (and leave TIME_WAIT sockets) instead.
	MaxIdleConns int `yaml:"max_idle_conns"`
	// IdleConnTimeout closes an idle backend connection after this long
	// (default 90s); keep it below the backend's own keep-alive timeout.
	IdleConnTimeout time.Duration `yaml:"idle_conn_timeout"`
	// MaxConcurrent caps the calls in progress to the backend from this
	// replica; more wait for a slot within their deadline. Default 64.
	MaxConcurrent int           `yaml:"max_concurrent"`
	Circuit       CircuitConfig `yaml:"circuit"`
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

// TracingConfig configures OpenTelemetry tracing (tracing.go).
type TracingConfig struct {
	// Endpoint is the OTLP/HTTP collector's base URL, such as
	// http://otel-collector:4318 (traces go to /v1/traces); empty, the
	// default, turns tracing off, at no cost.
	Endpoint string `yaml:"endpoint"`
	// SampleRatio is the share of traces the gateway starts that are
	// sampled; a client's traceparent decides for its own. Default 1.
	SampleRatio *float64 `yaml:"sample_ratio"`
	// ServiceName is the resource's service.name; default scimgw.
	ServiceName string `yaml:"service_name"`
}

// CircuitConfig is the backend's circuit breaker (protect.go).
type CircuitConfig struct {
	// Failures is how many consecutive failed calls (5xx, timeouts,
	// broken connections, after their retries) open the circuit; 0 turns
	// the breaker off. Default 5.
	Failures *int `yaml:"failures"`
	// OpenFor is how long an open circuit refuses calls before it lets
	// one probe through. Default 30s.
	OpenFor time.Duration `yaml:"open_for"`
}

// RetryConfig bounds retries of backend calls.
type RetryConfig struct {
	MaxAttempts int           `yaml:"max_attempts"` // default 4
	MinBackoff  time.Duration `yaml:"min_backoff"`  // default 100ms
	MaxBackoff  time.Duration `yaml:"max_backoff"`  // default 5s
}

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
	sum := sha256.Sum256(data)
	cfg := &Config{File: path, Hash: hex.EncodeToString(sum[:6])}
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
	if s.AdminListen == "" {
		s.AdminListen = "127.0.0.1:9090"
	}
	if s.Reload == "" {
		s.Reload = "signal"
	}
	if s.Tracing.SampleRatio == nil {
		one := 1.0
		s.Tracing.SampleRatio = &one
	}
	if s.Tracing.ServiceName == "" {
		s.Tracing.ServiceName = "scimgw"
	}
	if c.State.Driver == "" {
		c.State.Driver = "embedded"
	}
	if c.State.Path == "" {
		c.State.Path = "scimgw-state.db"
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
		setDefault(&b.MaxIdleConns, 64)
		setDefault(&b.IdleConnTimeout, 90*time.Second)
		setDefault(&b.MaxConcurrent, 64)
		if b.Circuit.Failures == nil {
			five := 5
			b.Circuit.Failures = &five
		}
		setDefault(&b.Circuit.OpenFor, 30*time.Second)
		if b.Auth.Type == "" {
			b.Auth.Type = "none"
		}
		if b.Auth.ClientAuth == "" {
			b.Auth.ClientAuth = "basic"
		}
		setDefault(&t.MaxResults, s.MaxResults)
		if in := &t.Inbound; in.Rate > 0 {
			setDefault(&in.Burst, max(1, int(2*in.Rate)))
		}
		setDefault(&t.Inbound.MaxConcurrent, 256)
	}
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
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
