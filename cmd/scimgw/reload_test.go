package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A serving process puts a changed config in service on SIGHUP, keeps
// serving the old one when the new one is invalid, reports both on its
// admin listener, and still shuts down cleanly on SIGTERM.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t)
	addr, admin := freeAddr(t), freeAddr(t)
	cfg := filepath.Join(dir, "config.yaml")
	base := `server: {listen: "` + addr + `", admin_listen: "` + admin + `", log_level: error}
tenants:
  a:
    dialect: scim2
    inbound: {bearer_tokens: ["tenant-a-token-1"]}
    backend: {emulated: true, auth: {type: bearer, token: emulator-backend-token}}
`
	extra := `  b:
    dialect: cube
    inbound: {bearer_tokens: ["tenant-b-token-1"]}
    backend: {emulated: true, auth: {type: bearer, token: emulator-backend-token}}
`
	os.WriteFile(cfg, []byte(base), 0o600)
	cmd := exec.Command(bin, "serve", "--config", cfg)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitReady(t, "http://"+admin, 0)
	users := func(tenant, token string) int {
		req, _ := http.NewRequest("GET", "http://"+addr+"/"+tenant+"/scim/v2/Users", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := users("b", "tenant-b-token-1"); s != 404 {
		t.Fatalf("tenant b before the reload: %d", s)
	}
	hupUntil := func(what string, cond func() bool) {
		t.Helper()
		cmd.Process.Signal(syscall.SIGHUP)
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("after SIGHUP: %s", what)
			}
		}
	}
	os.WriteFile(cfg, []byte(base+extra), 0o600)
	hupUntil("tenant b served", func() bool { return users("b", "tenant-b-token-1") == 200 })
	os.WriteFile(cfg, []byte(strings.Replace(base+extra, "dialect: cube", "dialect: nope", 1)), 0o600)
	hupUntil("the refusal counted", func() bool {
		return strings.Contains(string(get(t, "http://"+admin+"/metrics")), `scimgw_config_reloads_total{result="failure"} 1`)
	})
	if users("a", "tenant-a-token-1") != 200 || users("b", "tenant-b-token-1") != 200 {
		t.Fatal("an invalid config changed what is served")
	}
	m := string(get(t, "http://"+admin+"/metrics"))
	if !strings.Contains(m, `scimgw_config_reloads_total{result="success"} 1`) {
		t.Fatalf("metrics:\n%s", m)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}
