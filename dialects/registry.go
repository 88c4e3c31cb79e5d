package dialects

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/scimgw/scimgw/mappings"
	"net/http"
	"sort"
	"strings"
)

// OptionKind is the type of a dialect option's value.
type OptionKind uint8

// Option kinds.
const (
	String OptionKind = iota
	Bool
	Int
	Enum
	// Map is a YAML mapping of strings to strings; the dialect receives it
	// as a JSON object.
	Map
)

// Options are a tenant's dialect options as the gateway checked them
// against the dialect's OptionSpecs at load, with the defaults applied;
// the accessors read values already known to have their kind, so a
// Factory decodes its options once, in New, without re-checking them.
type Options map[string]string

// String returns the option's value.
func (o Options) String(name string) string { return o[name] }

// Bool returns a Bool option.
func (o Options) Bool(name string) bool { return o[name] == "true" }

// Int returns an Int option; a value that is not one is a programming
// error (the gateway checked it at load).
func (o Options) Int(name string) int {
	if o[name] == "" {
		return 0
	}
	n, err := strconv.Atoi(o[name])
	if err != nil {
		panic(fmt.Sprintf("dialects: option %s is not an integer: %q", name, o[name]))
	}
	return n
}

// Map returns a Map option (a JSON object of strings); nil when unset.
func (o Options) Map(name string) map[string]string {
	if o[name] == "" {
		return nil
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(o[name]), &m); err != nil {
		panic(fmt.Sprintf("dialects: option %s is not a map of strings: %v", name, err))
	}
	return m
}

// OptionSpec declares one key of a tenant's `options:` for a dialect; the
// gateway checks options against it (with file:line:col errors) before the
// dialect is built.
type OptionSpec struct {
	Name        string
	Kind        OptionKind
	Default     string // applied when the key is absent; "" means no default
	Required    bool
	Values      []string // allowed values, for Enum
	Description string
}

// ScanLimit is the option of a dialect that is a Lister: the most
// resources the gateway reads to evaluate a filter the backend cannot
// (Capabilities.ScanLimit).
var ScanLimit = OptionSpec{Name: "scan_limit", Kind: Int, Default: "1000", Description: "most resources the gateway reads to evaluate a filter the backend cannot; a larger listing is 400 tooMany"}

// Emulator is an in-memory backend that behaves like the vendor's API.
type Emulator interface {
	http.Handler
	// BasePath is the path under which the emulator serves its SCIM API;
	// a tenant's backend URL is the emulator's address plus BasePath.
	BasePath() string
}

// EmulatorToken is the bearer token every built-in emulator requires; the
// shipped config.yaml uses it as the demo tenants' backend credential.
const EmulatorToken = "emulator-backend-token"

// Factory describes and builds one dialect. A dialect's files live in
// dialects/<Name>/: its code, its built-in mapping (mapping.yaml, embedded
// and handed over here) and that mapping's tests (mapping_test.yaml), its
// emulator, its tests and goldens (testdata/) and a README.md with the
// vendor's behaviour and limits.
type Factory struct {
	Name        string
	Description string
	Options     []OptionSpec
	// Mapping is the dialect's built-in mapping; a tenant's mapping file
	// overrides it rule by rule.
	Mapping mappings.Source
	New     func(cfg Config) (Dialect, error)
	// NewEmulator starts a fresh emulated backend for this dialect, for
	// `backend.emulated: true`, `scimgw emulate` and tests. It gets the
	// tenant's options (defaults applied), so that it behaves like the
	// backend the options describe.
	NewEmulator func(options Options) Emulator
	// Demo is how a tenant reaches the emulator and what options it needs,
	// as YAML flow mappings for backend.auth and options; the shipped
	// config.yaml's demo tenants and the conformance suite use them.
	Demo Demo
}

// Demo is an emulated tenant's backend.auth and options (YAML).
type Demo struct {
	Auth, Options string
}

// Check reports whether v, given as text (scimgw emulate --option), is a
// value of the option's kind.
func (o OptionSpec) Check(v string) error {
	switch o.Kind {
	case Bool:
		if v != "true" && v != "false" {
			return fmt.Errorf("option %s must be true or false, not %q", o.Name, v)
		}
	case Int:
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			return fmt.Errorf("option %s must be a whole number, not %q", o.Name, v)
		}
	case Enum:
		for _, ok := range o.Values {
			if v == ok {
				return nil
			}
		}
		return fmt.Errorf("option %s: %q is not one of %s", o.Name, v, strings.Join(o.Values, ", "))
	case Map:
		var m map[string]string
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return fmt.Errorf("option %s must be a JSON object of strings: %v", o.Name, err)
		}
	}
	return nil
}

// Option returns the dialect's option of that name.
func (f *Factory) Option(name string) (OptionSpec, bool) {
	for _, o := range f.Options {
		if o.Name == name {
			return o, true
		}
	}
	return OptionSpec{}, false
}

// OptionNames lists the names of the dialect's options.
func (f *Factory) OptionNames() []string {
	names := make([]string, len(f.Options))
	for i, o := range f.Options {
		names[i] = o.Name
	}
	return names
}

// Registry maps dialect names to factories. It is a value, so tests and
// embedders can build their own; the gateway uses builtin.Registry.
type Registry struct {
	byName map[string]*Factory
}

// NewRegistry returns a registry holding the given factories.
// It panics on an empty or duplicate name: that is a programming error.
func NewRegistry(fs ...*Factory) *Registry {
	r := &Registry{byName: map[string]*Factory{}}
	for _, f := range fs {
		r.Register(f)
	}
	return r
}

// Register adds a factory; it panics on an empty or duplicate name.
func (r *Registry) Register(f *Factory) {
	if f == nil || f.Name == "" || f.New == nil {
		panic("dialects: factory without a name or constructor")
	}
	if _, dup := r.byName[f.Name]; dup {
		panic("dialects: dialect registered twice: " + f.Name)
	}
	r.byName[f.Name] = f
}

// Lookup returns the named factory, or an error listing the known dialects.
func (r *Registry) Lookup(name string) (*Factory, error) {
	if f, ok := r.byName[name]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("unknown dialect %q (known: %s)", name, strings.Join(r.Names(), ", "))
}

// Names returns the registered dialect names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Mappings resolves the dialects mapping test files name: their built-in
// mappings and option defaults.
func (r *Registry) Mappings() mappings.Dialects {
	return func(name string) (mappings.Source, map[string]string, bool) {
		f, err := r.Lookup(name)
		if err != nil {
			return mappings.Source{}, nil, false
		}
		defaults := map[string]string{}
		for _, o := range f.Options {
			defaults[o.Name] = o.Default
		}
		return f.Mapping, defaults, true
	}
}
