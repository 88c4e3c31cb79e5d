package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimgw/scimgw/gateway/store/storetest"
)

// Two gateway processes on one PostgreSQL and one emulated backend (a
// third process): 50 identical creates fired at both at once create one
// user, and every answer is that user (201) or a 409.
func TestTwoReplicaProcesses(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	bin := buildBinary(t)
	start := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Stderr = io.Discard
		return cmd
	}
	backend, root := startEmulator(t, bin, "scim2")

	var gws []string
	for i := range 2 {
		addr := freeAddr(t)
		cfg := filepath.Join(t.TempDir(), "config.yaml")
		os.WriteFile(cfg, []byte(fmt.Sprintf(`
server: {listen: %q, admin_listen: "off", log_level: error}
state: {driver: postgres, dsn: %q}
tenants:
  acme:
    dialect: scim2
    inbound: {bearer_tokens: ["replica-token-123"]}
    backend: {url: %q, auth: {type: bearer, token: emulator-backend-token}, timeout: 5s}
`, addr, dsn, backend)), 0o600)
		gw := start("serve", "--config", cfg)
		if err := gw.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { gw.Process.Kill(); gw.Wait() })
		waitReady(t, "http://"+addr, i)
		gws = append(gws, "http://"+addr+"/acme/scim/v2/Users")
	}

	// The first POST to reach the backend is slow: the others come while
	// it runs, on both replicas.
	if r := post(t, root+"/_emulator/faults", "", `{"method":"POST","delay":400000000,"slow":true}`); r.status/100 != 2 {
		t.Fatalf("inject the slow create: %d %s", r.status, r.body)
	}
	var wg sync.WaitGroup
	status := make([]int, 50)
	ids := make([]string, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := post(t, gws[i%2], "replica-token-123", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com"}`)
			var doc struct{ ID string }
			json.Unmarshal(resp.body, &doc)
			status[i], ids[i] = resp.status, doc.ID
		}()
	}
	wg.Wait()
	var id string
	for i := range 50 {
		switch {
		case status[i] == 201 && (id == "" || ids[i] == id):
			id = ids[i]
		case status[i] == 409:
		default:
			t.Fatalf("answer %d: %d", i, status[i])
		}
	}
	var reqs []struct{ Method, Path string }
	r := get(t, root+"/_emulator/requests")
	json.Unmarshal(r, &reqs)
	creates := 0
	for _, q := range reqs {
		if q.Method == "POST" && strings.HasSuffix(q.Path, "/Users") {
			creates++
		}
	}
	if creates != 1 || id == "" {
		t.Fatalf("the backend received %d creates (user %q), want 1", creates, id)
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildBinary builds the command once for the package's tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "scimgw-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "scimgw")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// startEmulator runs `scimgw emulate` for the dialect and returns its SCIM
// base URL and its root (where /_emulator/ is).
func startEmulator(t *testing.T, bin, dialect string) (base, root string) {
	t.Helper()
	emu := exec.Command(bin, "emulate", "--dialect", dialect, "--listen", "127.0.0.1:0")
	emu.Stderr = io.Discard
	out, _ := emu.StdoutPipe()
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Process.Kill(); emu.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	base = strings.Fields(line)[3] // "emulating scim2 at URL (...)"
	return base, strings.TrimSuffix(base, "/scim/v2")
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t *testing.T, base string, i int) {
	for range 100 {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("replica %d not ready", i)
}

type answer struct {
	status int
	body   []byte
}

func post(t *testing.T, url, token, body string) answer {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/scim+json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, b}
}

func get(t *testing.T, url string) []byte {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}
