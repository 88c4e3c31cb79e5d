package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/builtin"
)

func builtinRegistry() *dialects.Registry { return builtin.Registry() }

func TestValidate(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"validate", "--config", "../../config.yaml"}, &out, &errb); code != 0 {
		t.Fatalf("shipped config: exit %d: %s%s", code, out.String(), errb.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("tenants:\n  a:\n    dialect: scim3\n    inbound: {bearer_tokens: [abcdefghij]}\n    backend: {emulated: true, timout: 3s}\n"), 0o644)
	out.Reset()
	if code := run([]string{"validate", "--config", bad}, &out, &errb); code != 1 {
		t.Fatalf("bad config: exit %d", code)
	}
	want := []string{
		bad + `:3:14: tenants.a.dialect: unknown dialect "scim3" (known: cube, firehydrant, identityiq, purecloud, scim2, workspace) (did you mean "scim2"?)`,
		bad + `:5:31: unknown key "timout" in tenants.a.backend (did you mean "timeout"?)`,
	}
	if got := strings.TrimSpace(out.String()); got != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if run([]string{"version"}, &out, &errb) != 0 || !strings.HasPrefix(out.String(), "scimgw ") {
		t.Fatalf("version: %q", out.String())
	}
	if run([]string{"frobnicate"}, &out, &errb) != 2 || !strings.Contains(errb.String(), "usage") {
		t.Fatal("unknown command")
	}
}

func TestEmulate(t *testing.T) {
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		done <- run([]string{"emulate", "--dialect", "cube", "--listen", "127.0.0.1:0"}, pw, io.Discard)
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	// "emulating cube at http://127.0.0.1:PORT/api/scim/v2 (...)"
	url := strings.Fields(line)[3]
	req, _ := http.NewRequest("GET", url+"/Users", nil)
	req.Header.Set("Authorization", "Bearer emulator-backend-token")
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("emulator: %v %v", resp, err)
	}
	resp.Body.Close()
	select {
	case code := <-done:
		t.Fatalf("emulate exited early: %d", code)
	default:
	}
	var out, errb bytes.Buffer
	if run([]string{"emulate", "--dialect", "nope"}, &out, &errb) != 2 {
		t.Fatal("unknown dialect accepted")
	}
}

func TestTranslate(t *testing.T) {
	for _, tc := range []struct {
		name, args, stdin string
		code              int
		want              []string
	}{
		{"cube create strips", "--tenant cube-demo --op create", `{"userName":"a@b.c","title":"CEO","active":"true"}`, 0,
			[]string{"POST https://your-tenant.cubecloud.dev/api/scim/v2/Users\n", `"active": true`}},
		{"cube patch drops", "--tenant cube-demo --op patch --id u-7", `{"Operations":[{"op":"replace","path":"title","value":"x"},{"op":"replace","path":"active","value":false}]}`, 0,
			[]string{"PATCH https://your-tenant.cubecloud.dev/api/scim/v2/Users/u-7\n", `"path": "active"`}},
		{"filter", "--tenant acme --op filter", `userName eq "a"`, 0,
			[]string{"GET https://acme.example.com/scim/v2/Users?count=200&filter=userName+eq+%22a%22&startIndex=1"}},
		{"group replace", "--tenant cube-demo --op replace --resource Group --id g-1", `{"displayName":"Ops","externalId":"x"}`, 0,
			[]string{"PUT https://your-tenant.cubecloud.dev/api/scim/v2/Groups/g-1"}},
		{"response", "--tenant acme --op response", `{"id":"1","userName":"a","password":"p"}`, 0,
			[]string{`"location": "http://127.0.0.1:8080/acme/scim/v2/Users/1"`}},
		{"workspace create", "--tenant workspace-demo --op create", `{"userName":"a@b.c","name":{"givenName":"A","familyName":"B"},"timezone":"UTC"}`, 0,
			[]string{"POST https://acme.vmwareidentity.com/SAAS/jersey/manager/api/scim/Users?sendMail=false\n", `"timeZone": "UTC"`, `"urn:scim:schemas:core:1.0"`, `"domain": "example.com"`}},
		{"workspace patch needing the current user", "--tenant workspace-demo --op patch --id 9d3c --current testdata/workspace-current.json",
			`{"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"babs@example.com"},{"op":"remove","path":"title"}]}`, 0,
			[]string{"GET https://acme.vmwareidentity.com/SAAS/jersey/manager/api/scim/Users/9d3c\n", "PATCH https://acme.vmwareidentity.com/SAAS/jersey/manager/api/scim/Users/9d3c\nIf-Match: W/\"7\"\n",
				`"operation": "delete"`, `"value": "babs@example.com"`, `"title"`}},
		{"purecloud create", "--tenant purecloud-demo --op create", `{"userName":"a@b.co","name":{"givenName":"A","familyName":"B"},"phoneNumbers":[{"value":"+1 415 555 0100"}],"roles":[{"value":"admin"}]}`, 0,
			[]string{"POST https://api.mypurecloud.com/api/v2/scim/v2/users\n", `"displayName": "A B"`, `"value": "+14155550100"`, `"value": "Master Admin"`}},
		{"purecloud userName not an email", "--tenant purecloud-demo --op create", `{"userName":"ab","displayName":"A"}`, 1, nil},
		{"identityiq create", "--tenant identityiq-demo --op create", `{"userName":"ann","title":"Chief","externalId":"x"}`, 0,
			[]string{"POST https://iiq.example.com/identityiq/scim/v2/Users\n", `"jobtitle": "Chief"`}},
		{"firehydrant create", "--tenant firehydrant-demo --op create", `{"userName":"a@b.co","displayName":"Ann Bo","roles":[{"value":"owner"}]}`, 0,
			[]string{"POST https://api.firehydrant.io/v1/scim/v2/Users\n", `"givenName": "Ann"`, `"owner"`}},
		{"firehydrant role not allowed", "--tenant firehydrant-demo --op create", `{"userName":"a@b.co","displayName":"Ann Bo","roles":[{"value":"god"}]}`, 1, nil},
		{"unfilterable", "--tenant cube-demo --op filter", `title eq "x"`, 1, nil},
		{"missing userName", "--tenant acme --op create", `{"name":{}}`, 1, nil},
		{"unknown tenant", "--tenant nope --op create", `{}`, 1, nil},
		{"missing op", "--tenant acme", ``, 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"--config", "../../config.yaml"}, strings.Fields(tc.args)...)
			code := translate(args, builtinRegistry(), strings.NewReader(tc.stdin), &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s%s", code, tc.code, out.String(), errb.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Fatalf("output lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), `"password"`) || strings.Contains(out.String(), "CEO") {
				t.Fatalf("leaked: %s", out.String())
			}
		})
	}
}

func TestMappingTestCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"test", "../../mappings"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), " passed, 0 failed") {
		t.Fatalf("output: %s", out.String())
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "m.yaml"), []byte("User:\n  attributes:\n    title: job\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "m_test.yaml"), []byte("mapping: m.yaml\ntests:\n  - name: wrong on purpose\n    op: request\n    input: {title: x}\n    output: {title: x}\n"), 0o644)
	out.Reset()
	if code := run([]string{"test", dir}, &out, &errb); code != 1 || !strings.Contains(out.String(), "FAIL") || !strings.Contains(out.String(), "m_test.yaml:3: wrong on purpose") {
		t.Fatalf("a failing mapping test: exit %d: %s", code, out.String())
	}
}

func TestSchema(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"schema", "--config", "../../config.yaml", "--tenant", "cube-demo"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if s := out.String(); !strings.Contains(s, "emails") || strings.Contains(s, "nickName") || strings.Contains(s, "title") {
		t.Fatalf("cube schema:\n%s", s)
	}
	out.Reset()
	if code := run([]string{"schema", "--config", "../../config.yaml", "--tenant", "workspace-demo", "--json"}, &out, &errb); code != 0 || !strings.Contains(out.String(), `"urn:scim:schemas:extension:workspace:1.0"`) {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	if code := run([]string{"schema", "--config", "../../config.yaml", "--tenant", "nope"}, &out, &errb); code != 1 {
		t.Fatalf("unknown tenant: exit %d", code)
	}
}

func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	tuneGC()
	if got := debug.SetGCPercent(100); got != 200 {
		t.Fatalf("GOGC unset: %d%%, want 200%%", got)
	}
	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	tuneGC()
	if got := debug.SetGCPercent(100); got != 50 {
		t.Fatalf("GOGC=50 overridden: %d%%", got)
	}
}

// emulate checks --option values before it starts the emulator.
func TestEmulateOptions(t *testing.T) {
	for _, args := range [][]string{
		{"emulate", "--dialect", "workspace", "--listen", "127.0.0.1:0", "--option", "start_index_base=abc"},
		{"emulate", "--dialect", "workspace", "--listen", "127.0.0.1:0", "--option", "nope=1"},
		{"emulate", "--dialect", "purecloud", "--listen", "127.0.0.1:0", "--option", "role_map=x"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 || !strings.Contains(errb.String(), "option") {
			t.Errorf("%v: exit %d, %q", args, code, errb.String())
		}
	}
}

// BenchmarkRequestLog is the cost of one access-log line as serve writes
// it (the production logger, JSON, into a file), and of the same call at
// log_level error, where it is skipped: what logging at info adds to a
// request.
func BenchmarkRequestLog(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "log"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	stderr := os.Stderr
	os.Stderr = f // newLogger writes to stderr
	defer func() { os.Stderr = stderr }()
	for _, level := range []string{"info", "error"} {
		log, err := newLogger(level)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(level, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if ce := log.Check(zap.InfoLevel, "request"); ce != nil {
					ce.Write(zap.String("request_id", "4f2a9c1e7b3d5a60"), zap.String("tenant", "acme"), zap.String("method", "POST"),
						zap.String("op", "users.create"), zap.Int("status", 201), zap.Duration("duration", 2*time.Millisecond), zap.Int("backend_calls", 1))
				}
			}
		})
	}
}

// The playground refuses to listen beyond loopback without a token.
func TestPlaygroundRefusesAnOpenListener(t *testing.T) {
	var out, errb bytes.Buffer
	t.Setenv("SCIMGW_PLAYGROUND_TOKEN", "")
	if code := run([]string{"playground", "--config", "../../config.yaml", "--listen", "0.0.0.0:0"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "beyond loopback") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}
