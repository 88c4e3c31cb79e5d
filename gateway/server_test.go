package gateway

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/dialects/emulator"
)

// TestGracefulShutdown: a request in flight when the signal arrives still
// completes; new connections are refused afterwards, on both listeners.
// While the gateway drains, the admin listener reports it not ready.
func TestGracefulShutdown(t *testing.T) {
	cfg, err := ParseConfig("t.yaml", []byte(testConfig), builtin.Registry())
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(cfg, builtin.Registry(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, ln, admin) }()
	url := "http://" + ln.Addr().String()
	adminURL := "http://" + admin.Addr().String()
	for _, p := range []string{"/metrics", "/readyz"} {
		if resp, err := http.Get(adminURL + p); err != nil || resp.StatusCode != 200 {
			t.Fatalf("admin %s: %v %v", p, resp, err)
		}
	}

	gw.Emulator("acme").(*emulator.Server).Inject(emulator.Fault{Delay: 200 * time.Millisecond, Status: 429, RetryAfter: "0"})
	status := inFlight(url + "/acme/scim/v2/Users")
	time.Sleep(50 * time.Millisecond)
	cancel()
	time.Sleep(20 * time.Millisecond)
	if resp, err := http.Get(adminURL + "/readyz"); err != nil || resp.StatusCode != 503 {
		t.Fatalf("admin /readyz while draining: %v %v", resp, err)
	}
	if s := <-status; s != 200 {
		t.Fatalf("in-flight request got %d", s)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	for _, u := range []string{url, adminURL} {
		if _, err := http.Get(u + "/healthz"); err == nil {
			t.Fatalf("%s still accepting after shutdown", u)
		}
	}
}
