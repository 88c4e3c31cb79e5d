package gateway

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimgw/scimgw/dialects/builtin"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestConfigGolden checks every lint of each testdata/config/*.yaml against
// its .golden file: all problems at once, as file:line:col: message.
func TestConfigGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/config/*.yaml")
	if len(files) == 0 {
		t.Fatal("no golden configs")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := LoadConfig(f, builtin.Registry())
			if err == nil {
				t.Fatal("config accepted")
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
			}
			want, _ := os.ReadFile(golden)
			if got != string(want) {
				t.Fatalf("lints differ from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

func TestShippedConfigIsValid(t *testing.T) {
	cfg, err := LoadConfig("../config.yaml", builtin.Registry())
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Tenants) < 2 || !cfg.Tenants["acme"].Backend.Emulated {
		t.Fatalf("demo config changed: %+v", cfg.Tenants)
	}
}

func TestConfigDefaultsAndEnv(t *testing.T) {
	t.Setenv("SCIMGW_TEST_TOKEN", "from-the-environment")
	cfg, err := ParseConfig("c.yaml", []byte(`
tenants:
  t1:
    dialect: scim2
    inbound: {bearer_tokens: ["${SCIMGW_TEST_TOKEN}", "${SCIMGW_TEST_NOPE:-fallback-token}"]}
    backend: {url: "https://b.example.com/scim/v2/"}
`), builtin.Registry())
	if err != nil {
		t.Fatal(err)
	}
	tc := cfg.Tenants["t1"]
	if tc.Inbound.BearerTokens[0] != "from-the-environment" || tc.Inbound.BearerTokens[1] != "fallback-token" {
		t.Fatalf("env: %v", tc.Inbound.BearerTokens)
	}
	s := cfg.Server
	if s.Listen != "127.0.0.1:8080" || s.PublicURL != "http://127.0.0.1:8080" || s.MaxBodyBytes != 1<<20 || tc.Backend.Timeout.String() != "10s" || tc.Backend.Retry.MaxAttempts != 4 || tc.MaxResults != 200 {
		t.Fatalf("defaults: %+v %+v", s, tc)
	}
	if tc.Options["patch"] != "true" || tc.Options["sort"] != "false" {
		t.Fatalf("option defaults: %v", tc.Options)
	}
}

func TestConfigLints(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"syntax error", "tenants:\n  a: [\n", "c.yaml:2:1: YAML syntax error"},
		{"empty", "", "config is empty"},
		{"no tenants", "server: {}\n", `c.yaml:1:1: missing required key "tenants"`},
		{"tenants not a map", "tenants: [a]\n", "c.yaml:1:10: tenants must be a mapping"},
		{"duplicate key", "tenants:\n  a: {dialect: scim2, dialect: cube}\n", `c.yaml:2:23: duplicate key "dialect"`},
		{"reserved tenant id", "tenants:\n  healthz:\n    dialect: scim2\n    inbound: {bearer_tokens: [abcdefghij]}\n    backend: {emulated: true}\n", `c.yaml:2:3: tenant id "healthz"`},
		{"bad public url", "server: {public_url: nope}\ntenants:\n  a:\n    dialect: scim2\n    inbound: {bearer_tokens: [abcdefghij]}\n    backend: {emulated: true}\n", "c.yaml:1:22: server.public_url"},
		{"basic without password", "tenants:\n  a:\n    dialect: scim2\n    inbound: {bearer_tokens: [abcdefghij]}\n    backend: {emulated: true, auth: {type: basic, username: u}}\n", "type basic needs password"},
		{"mapping file missing", "tenants:\n  a:\n    dialect: scim2\n    inbound: {bearer_tokens: [abcdefghij]}\n    backend: {emulated: true}\n    mapping: no-such-file.yaml\n", "c.yaml:6:14: tenants.a.mapping: open no-such-file.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("c.yaml", []byte(tc.yaml), builtin.Registry())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if _, ok := IsLints(err); !ok {
				t.Fatalf("not Lints: %T", err)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	seed, _ := os.ReadFile("../config.yaml")
	f.Add(string(seed))
	bad, _ := os.ReadFile("testdata/config/bad.yaml")
	f.Add(string(bad))
	f.Add("tenants: {a: {dialect: cube}}")
	for _, name := range []string{"limits", "tracing", "state"} {
		b, _ := os.ReadFile("testdata/config/" + name + ".yaml")
		f.Add(string(b))
	}
	reg := builtin.Registry()
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := ParseConfig("f.yaml", []byte(s), reg)
		if err == nil {
			if len(cfg.Tenants) == 0 {
				t.Fatal("valid config without tenants")
			}
			return
		}
		ls, ok := IsLints(err)
		if !ok || len(ls) == 0 {
			t.Fatalf("error is not a non-empty Lints: %T %v", err, err)
		}
		for _, l := range ls {
			if l.Line < 1 || l.Col < 1 || l.Msg == "" {
				t.Fatalf("bad lint %+v", l)
			}
		}
	})
}
