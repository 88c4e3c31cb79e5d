package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// SIGTERM in the middle of a steady mixed load: every request sent before
// the signal gets a proper answer (2xx, or a SCIM Error); after it,
// connections are refused (or, for one that was still in the kernel's
// accept queue when the port closed, reset before anything was read);
// the process exits 0 within shutdown_grace; and no create is half done:
// the backend holds exactly the users whose create was answered 201.
func TestShutdownUnderLoad(t *testing.T) {
	bin := buildBinary(t)
	backend, _ := startEmulator(t, bin, "scim2")
	addr := freeAddr(t)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`
server: {listen: %q, admin_listen: "off", log_level: error, shutdown_grace: 5s}
tenants:
  acme:
    dialect: scim2
    inbound: {bearer_tokens: ["shutdown-token-1"]}
    backend: {url: %q, auth: {type: bearer, token: emulator-backend-token}, timeout: 5s}
`, addr, backend)), 0o600)
	gw := exec.Command(bin, "serve", "--config", cfg)
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	defer gw.Process.Kill()
	waitReady(t, "http://"+addr, 0)

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	users := "http://" + addr + "/acme/scim/v2/Users"
	type result struct {
		status int
		body   []byte
		err    error
	}
	call := func(method, url, body string) result {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
		req.Header.Set("Authorization", "Bearer shutdown-token-1")
		resp, err := client.Do(req)
		if err != nil {
			return result{err: err}
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return result{resp.StatusCode, b, err}
	}
	scimError := func(b []byte) bool {
		var e struct{ Schemas []string }
		return json.Unmarshal(b, &e) == nil && len(e.Schemas) == 1 && e.Schemas[0] == "urn:ietf:params:scim:api:messages:2.0:Error"
	}
	var mu sync.Mutex
	acked := map[string]bool{} // userNames answered 201
	var problems []string
	var answered, refused int
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("u%d-%d@example.com", w, n)
				created := call("POST", users, `{"userName":"`+name+`"}`)
				results := []result{created}
				var doc struct{ ID string }
				if created.err == nil && created.status == 201 && json.Unmarshal(created.body, &doc) == nil {
					mu.Lock()
					acked[name] = true
					mu.Unlock()
					results = append(results, call("GET", users+"/"+doc.ID, ""),
						call("PATCH", users+"/"+doc.ID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`))
				}
				mu.Lock()
				for _, r := range results {
					switch {
					case r.err != nil && (errors.Is(r.err, syscall.ECONNREFUSED) || errors.Is(r.err, syscall.ECONNRESET)):
						// The port closed: refused, or, for a connection
						// still in the kernel's accept queue when it closed
						// (the gateway never read it), reset. The backend
						// check below shows such a request did nothing.
						refused++
					case r.err != nil:
						problems = append(problems, "not refused cleanly: "+r.err.Error())
					case r.status/100 == 2 || scimError(r.body):
						answered++
					default:
						problems = append(problems, fmt.Sprintf("%d without a SCIM Error: %q", r.status, r.body))
					}
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Second)
	signalled := time.Now()
	gw.Process.Signal(syscall.SIGTERM)
	waited := make(chan error, 1)
	go func() { waited <- gw.Wait() }()
	var exitErr error
	select {
	case exitErr = <-waited:
	case <-time.After(6 * time.Second):
		t.Fatal("the gateway did not exit within shutdown_grace")
	}
	took := time.Since(signalled)
	time.Sleep(200 * time.Millisecond) // the workers meet the closed port
	close(stop)
	wg.Wait()
	if exitErr != nil {
		t.Fatalf("exit after SIGTERM: %v", exitErr)
	}
	if len(problems) > 0 {
		t.Fatalf("%d problems, first: %s", len(problems), problems[0])
	}
	if answered < 50 || refused == 0 {
		t.Fatalf("answered %d, refused %d: the load did not span the shutdown", answered, refused)
	}
	// The backend holds exactly the acknowledged creates.
	held := map[string]bool{}
	for start := 1; ; start += 100 {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/Users?startIndex=%d&count=100", backend, start), nil)
		req.Header.Set("Authorization", "Bearer emulator-backend-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			TotalResults int
			Resources    []struct{ UserName string }
		}
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		for _, r := range page.Resources {
			held[r.UserName] = true
		}
		if len(page.Resources) == 0 || start+len(page.Resources) > page.TotalResults {
			break
		}
	}
	var lost, unacked []string
	for name := range acked {
		if !held[name] {
			lost = append(lost, name)
		}
	}
	for name := range held {
		if !acked[name] {
			unacked = append(unacked, name)
		}
	}
	if len(lost) > 0 || len(unacked) > 0 {
		t.Fatalf("%d users answered 201 that the backend lacks (%.3v), %d the backend holds without a 201 (%.3v)", len(lost), lost, len(unacked), unacked)
	}
	t.Logf("SIGTERM to exit %s; %d answered, %d refused, %d users created", took.Round(time.Millisecond), answered, refused, len(acked))
}
