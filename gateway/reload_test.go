package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/dialects/emulator"
)

const (
	wsReloadToken    = "ws-token-1234567"
	extraReloadToken = "extra-token-1234"
)

// reloadTenants are tenant blocks of the reload tests' configs.
var reloadTenants = map[string]string{
	"acme": `
  acme:
    dialect: scim2
    inbound: {bearer_tokens: ["` + acmeToken + `"]}
    backend: {emulated: true, auth: {type: bearer, token: emulator-backend-token}}
`,
	"ws": `
  ws:
    dialect: workspace
    inbound: {bearer_tokens: ["` + wsReloadToken + `"]}
    backend: {emulated: true, auth: {type: oauth2, token_url: /SAAS/auth/oauthtoken, client_id: emulator-client, client_secret: emulator-client-secret}}
    options: {domain: example.com}
`,
	"cube": `
  cube:
    dialect: cube
    inbound: {bearer_tokens: ["` + cubeToken + `"]}
    backend: {emulated: true, auth: {type: bearer, token: emulator-backend-token}}
`,
	"cube2": `
  cube:
    dialect: cube
    inbound: {bearer_tokens: ["cube-token-changed"]}
    backend: {emulated: true, auth: {type: bearer, token: emulator-backend-token}}
`,
	"extra": `
  extra:
    dialect: scim2
    inbound: {bearer_tokens: ["` + extraReloadToken + `"]}
    backend: {emulated: true, auth: {type: bearer, token: emulator-backend-token}}
`,
}

func reloadYAML(server string, tenants ...string) string {
	s := "server: {listen: \"127.0.0.1:0\", public_url: \"https://gw.example.com\"" + server + "}\ntenants:"
	for _, t := range tenants {
		s += reloadTenants[t]
	}
	return s
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	// Written aside and renamed, as editors and ConfigMaps do.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func reloadGateway(t *testing.T, path string) (*Gateway, *httptest.Server, *observer.ObservedLogs) {
	t.Helper()
	cfg, err := LoadConfig(path, builtin.Registry())
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	gw, err := New(cfg, builtin.Registry(), zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(func() { srv.Close(); gw.Close(); assertNoSecretsLogged(t, logs) })
	return gw, srv, logs
}

// Tenants are added, changed and removed by reloads while clients keep
// two unchanged tenants busy: not one of their requests fails, and they
// keep their emulator (its users), their OAuth token and their pool. An
// invalid file or a change that needs a restart leaves the configuration
// in service, and the metrics say so.
func TestReloadUnderLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, path, reloadYAML("", "acme", "ws", "cube"))
	gw, srv, _ := reloadGateway(t, path)
	users := func(tenant string) string { return srv.URL + "/" + tenant + "/scim/v2/Users" }
	if s := statusOf("POST", users("acme"), acmeToken, `{"userName":"before.reload@example.com"}`); s != 201 {
		t.Fatalf("create before the reloads: %d", s)
	}
	acme, ws := gw.tenant("acme"), gw.tenant("ws")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var ok, failed atomic.Int64
	var firstFailure atomic.Value
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				var s int
				switch {
				case i%2 == 0:
					s = statusOf("POST", users("acme"), acmeToken, fmt.Sprintf(`{"userName":"load.%d.%d@example.com"}`, i, n))
				default:
					s = statusOf("GET", users("ws")+"?count=1", wsReloadToken, "")
				}
				if s/100 == 2 {
					ok.Add(1)
				} else {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprintf("worker %d request %d: %d", i, n, s))
				}
			}
		}()
	}
	step := func(yaml string) error {
		time.Sleep(100 * time.Millisecond)
		writeFile(t, path, yaml)
		return gw.ReloadFile(path)
	}
	if err := step(reloadYAML("", "acme", "ws", "cube", "extra")); err != nil {
		t.Fatal(err)
	}
	if s := statusOf("GET", users("extra"), extraReloadToken, ""); s != 200 {
		t.Fatalf("added tenant: %d", s)
	}
	extraBackend := gw.tenant("extra").backend.base
	if err := step(reloadYAML("", "acme", "ws", "cube2", "extra")); err != nil {
		t.Fatal(err)
	}
	if a, b := statusOf("GET", users("cube"), cubeToken, ""), statusOf("GET", users("cube"), "cube-token-changed", ""); a != 401 || b != 200 {
		t.Fatalf("changed tenant: old token %d, new token %d", a, b)
	}
	if err := step(reloadYAML("", "acme", "ws", "cube2")); err != nil {
		t.Fatal(err)
	}
	if s := statusOf("GET", users("extra"), extraReloadToken, ""); s != 404 {
		t.Fatalf("removed tenant: %d", s)
	}
	err := step(strings.Replace(reloadYAML("", "acme", "ws", "cube2", "extra"), "dialect: cube", "dialect: cubes", 1))
	if err == nil || !strings.Contains(err.Error(), "config.yaml:") || !strings.Contains(err.Error(), `"cubes"`) {
		t.Fatalf("invalid config: %v", err)
	}
	err = step(reloadYAML(`, admin_listen: "127.0.0.1:0"`, "acme", "ws", "cube2", "extra"))
	if err == nil || !strings.Contains(err.Error(), "server.admin_listen changed: that needs a restart") {
		t.Fatalf("restart-only change: %v", err)
	}
	err = step(strings.Replace(reloadYAML("", "acme", "ws", "cube2"), "    dialect: cube\n", "    dialect: cube\n    shadow: unheld\n", 1))
	if err == nil || !strings.Contains(err.Error(), "shadow attributes") {
		t.Fatalf("shadows without the state file: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()

	if failed.Load() > 0 {
		t.Fatalf("%d of %d requests to unchanged tenants failed during the reloads; first: %v", failed.Load(), ok.Load()+failed.Load(), firstFailure.Load())
	}
	if ok.Load() < 20 {
		t.Fatalf("only %d requests ran during the reloads", ok.Load())
	}
	if gw.tenant("acme") != acme || gw.tenant("ws") != ws {
		t.Fatal("an unchanged tenant was rebuilt")
	}
	if gw.tenant("extra") != nil || gw.tenant("cube") == nil {
		t.Fatal("the refused reloads changed the tenants in service")
	}
	if s := statusOf("GET", users("acme")+"?filter=userName+eq+%22before.reload@example.com%22", acmeToken, ""); s != 200 {
		t.Fatalf("acme after the reloads: %d", s)
	}
	if n := testutil.ToFloat64(gw.metrics.tokens.WithLabelValues("ws", "ok")); n != 1 {
		t.Fatalf("the unchanged OAuth tenant fetched %v tokens, want 1", n)
	}
	for result, want := range map[string]float64{"success": 3, "failure": 3} {
		if n := testutil.ToFloat64(gw.metrics.reloads.WithLabelValues(result)); n != want {
			t.Fatalf("scimgw_config_reloads_total{result=%q} = %v, want %v", result, n, want)
		}
	}
	if n := testutil.ToFloat64(gw.metrics.configInfo.WithLabelValues(gw.live.Load().cfg.Hash)); n != 1 {
		t.Fatal("scimgw_config_info does not name the configuration in service")
	}
	// The removed tenant's emulator is closed once its requests ended.
	deadline := time.Now().Add(3 * time.Second)
	for {
		resp, err := http.Get(extraBackend + "/Users")
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("the removed tenant's emulator still serves")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// With server.reload: watch a change to the file, or to a mapping file it
// names, is put in service without a signal; a SIGHUP reloads in any
// mode, and an unchanged file is not a reload.
func TestReloadWatch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	mapping := filepath.Join(dir, "acme.yaml")
	writeFile(t, mapping, "version: 1\nUser:\n  attributes:\n    nickName: {reject: true}\n")
	withMapping := strings.Replace(reloadTenants["acme"], "    backend:", "    mapping: acme.yaml\n    backend:", 1)
	yaml := "server: {listen: \"127.0.0.1:0\", public_url: \"https://gw.example.com\", reload: watch}\ntenants:" + withMapping
	writeFile(t, path, yaml)
	gw, _, _ := reloadGateway(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	hup := make(chan os.Signal, 1)
	done := make(chan error, 1)
	go func() { done <- gw.Watch(ctx, path, hup) }()
	defer func() { cancel(); <-done }()
	time.Sleep(100 * time.Millisecond) // the watch is in place

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("not reloaded: %s", what)
			}
		}
	}
	writeFile(t, path, yaml+reloadTenants["extra"])
	waitFor("a tenant added to the file", func() bool { return gw.tenant("extra") != nil })
	acme := gw.tenant("acme")
	writeFile(t, mapping, "version: 1\nUser:\n  attributes:\n    nickName: {drop: true}\n")
	waitFor("the mapping file changed", func() bool { return gw.tenant("acme") != acme })
	reloads := testutil.ToFloat64(gw.metrics.reloads.WithLabelValues("success"))
	writeFile(t, path, yaml+reloadTenants["extra"]) // the same bytes
	time.Sleep(500 * time.Millisecond)
	if n := testutil.ToFloat64(gw.metrics.reloads.WithLabelValues("success")); n != reloads {
		t.Fatalf("an unchanged file was reloaded (%v reloads, want %v)", n, reloads)
	}
	hup <- os.Interrupt
	waitFor("SIGHUP", func() bool { return testutil.ToFloat64(gw.metrics.reloads.WithLabelValues("success")) == reloads+1 })
}

// A request in progress when its tenant is changed or removed finishes
// with the tenant it started with (its emulator is not closed under it);
// the next request gets the new configuration.
func TestReloadInFlight(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, path, reloadYAML("", "acme", "cube"))
	gw, srv, _ := reloadGateway(t, path)
	gw.Emulator("acme").(*emulator.Server).Inject(emulator.Fault{Method: "GET", Delay: 1500 * time.Millisecond, Slow: true})
	done := inFlight(srv.URL + "/acme/scim/v2/Users")
	time.Sleep(100 * time.Millisecond)
	writeFile(t, path, reloadYAML("", "cube"))
	if err := gw.ReloadFile(path); err != nil {
		t.Fatal(err)
	}
	if s := statusOf("GET", srv.URL+"/acme/scim/v2/Users", acmeToken, ""); s != 404 {
		t.Fatalf("a request after the removal: %d", s)
	}
	if s := <-done; s != 200 {
		t.Fatalf("the request in progress across the reload got %d", s)
	}
}
