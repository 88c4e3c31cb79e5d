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
// completes; new connections are refused afterwards.
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
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()

	gw.Emulator("acme").(*emulator.Server).Inject(emulator.Fault{Delay: 200 * time.Millisecond, Status: 429, RetryAfter: "0"})
	status := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", url+"/acme/scim/v2/Users", nil)
		req.Header.Set("Authorization", "Bearer "+acmeToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if s := <-status; s != 200 {
		t.Fatalf("in-flight request got %d", s)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Fatal("still accepting after shutdown")
	}
}
