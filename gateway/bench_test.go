package gateway

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/builtin"
)

// benchUser is a realistic enterprise user of about 1 KB.
const benchUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"00ub0oNGTSWTBKOLGLNR","userName":"barbara.jensen@example.com","name":{"formatted":"Ms. Barbara J Jensen III","familyName":"Jensen","givenName":"Barbara","middleName":"Jane","honorificPrefix":"Ms.","honorificSuffix":"III"},"displayName":"Babs Jensen","nickName":"Babs","title":"Tour Guide","userType":"Employee","preferredLanguage":"en-US","locale":"en-US","timezone":"America/Los_Angeles","active":true,"password":"t1meMa$heen","emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],"phoneNumbers":[{"value":"555-555-5555","type":"work"},{"value":"555-555-4444","type":"mobile"}],"addresses":[{"type":"work","streetAddress":"100 Universal City Plaza","locality":"Hollywood","region":"CA","postalCode":"91608","country":"USA","formatted":"100 Universal City Plaza\nHollywood, CA 91608 USA","primary":true}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","costCenter":"4130","organization":"Universal Studios","division":"Theme Park","department":"Tour Operations","manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d","$ref":"https://backend.example.com/scim/v2/Users/26118915-6090-4610-87e4-49d8ca9f808d","displayName":"John Smith"}}}`

// benchCreated is what the backend answers: the user with id and meta.
var benchCreated = strings.Replace(strings.Replace(benchUser, `"password":"t1meMa$heen",`, "", 1), `{"schemas"`, `{"id":"2819c223-7f76-453a-919d-413861904646","meta":{"resourceType":"User","created":"2010-01-23T04:56:22Z","lastModified":"2011-05-13T04:42:34Z","version":"W/\"3694e05e9dff591\"","location":"https://backend.example.com/scim/v2/Users/2819c223-7f76-453a-919d-413861904646"},"schemas"`, 1)

// benchHandler answers every create with benchCreated.
var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/scim+json")
	w.Header().Set("Location", "https://backend.example.com/scim/v2/Users/2819c223-7f76-453a-919d-413861904646")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, benchCreated)
})

func benchBackend(tb testing.TB) *httptest.Server {
	srv := httptest.NewServer(benchHandler)
	tb.Cleanup(srv.Close)
	return srv
}

// In steady state the gateway reuses its backend connections: 16 clients
// creating users at once open about 16 connections to the backend (a few
// more when a dial races a connection coming back to the pool), not one
// for every few creates (go-cleanhttp's pool alone keeps GOMAXPROCS+1).
func TestBackendConnectionsReused(t *testing.T) {
	var conns atomic.Int32
	backend := httptest.NewUnstartedServer(benchHandler)
	backend.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	backend.Start()
	defer backend.Close()
	h := newHarness(t, acmeConfig(`{url: "`+backend.URL+`/scim/v2", auth: {type: bearer, token: backend-token}}`))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				req, _ := http.NewRequest("POST", h.srv.URL+"/acme/scim/v2/Users", strings.NewReader(benchUser))
				req.Header.Set("Authorization", "Bearer "+acmeToken)
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					t.Errorf("status %d", resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	if n := conns.Load(); n > 32 {
		t.Fatalf("800 creates from 16 clients opened %d backend connections", n)
	}
}

// BenchmarkForwardCreate compares a create through the gateway (auth,
// validation, translation, safe forwarding, normalisation, an access log
// line) — for a scim2 and a workspace tenant — with httputil.ReverseProxy
// forwarding the same request to the same backend; allocs/op are the
// whole process's per create. cpu-ns/op is the process's CPU time (user+system) per request:
// client, proxy and backend all run in this process, identically for both.
func BenchmarkForwardCreate(b *testing.B) {
	backend := benchBackend(b)
	b.Run("reverseproxy", func(b *testing.B) {
		u, _ := url.Parse(backend.URL)
		proxy := httputil.NewSingleHostReverseProxy(u)
		srv := httptest.NewServer(proxy)
		defer srv.Close()
		runCreates(b, srv.URL+"/scim/v2/Users")
	})
	cfg := benchConfig(b, backend.URL+"/scim/v2")
	// A production logger (JSON, info level) writing to nowhere.
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zap.InfoLevel))
	if os.Getenv("BENCH_NOLOG") != "" {
		log = zap.NewNop()
	}
	gw, err := New(cfg, builtin.Registry(), log)
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	srv := httptest.NewServer(gw.Handler())
	defer srv.Close()
	// scim2: the canonical create passed through; workspace: SCIM 2.0 in,
	// SCIM 1.1 out, the heaviest translation.
	b.Run("scimgw-scim2", func(b *testing.B) { runCreates(b, srv.URL+"/acme/scim/v2/Users") })
	b.Run("scimgw-workspace", func(b *testing.B) { runCreates(b, srv.URL+"/ws/scim/v2/Users") })
}

// benchConfig has the bench tenants: acme (scim2) and ws (workspace),
// both in front of the backend at url.
func benchConfig(b *testing.B, url string) *Config {
	cfg, err := ParseConfig("bench.yaml", []byte(`
server: {public_url: "https://gw.example.com"}
tenants:
  acme:
    dialect: scim2
    inbound: {bearer_tokens: ["`+acmeToken+`"]}
    backend: {url: "`+url+`", auth: {type: bearer, token: backend-token}}
  ws:
    dialect: workspace
    inbound: {bearer_tokens: ["`+acmeToken+`"]}
    backend: {url: "`+url+`", auth: {type: bearer, token: backend-token}}
    options: {domain: bench.example.com}
`), builtin.Registry())
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

func runCreates(b *testing.B, target string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	post := func() {
		req, _ := http.NewRequest("POST", target, strings.NewReader(benchUser))
		req.Header.Set("Authorization", "Bearer "+acmeToken)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	post() // warm the connections
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		post()
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cannedBackend answers every request with benchCreated, in process.
type cannedBackend struct{}

func (cannedBackend) Do(context.Context, *dialects.BackendRequest) (*dialects.BackendResponse, error) {
	return &dialects.BackendResponse{Status: http.StatusCreated, Header: http.Header{"Content-Type": {"application/scim+json"}}, Body: []byte(benchCreated)}, nil
}

// BenchmarkCreateStages times the stages of a create without HTTP — the
// contract (CheckJSON and canonical form), the dialect over a backend
// answering in process, the normalised reply — for a scim2 and a
// workspace tenant, to say where a create's CPU goes.
func BenchmarkCreateStages(b *testing.B) {
	cfg := benchConfig(b, "http://127.0.0.1:1/scim/v2")
	gw, err := New(cfg, builtin.Registry(), zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	for _, id := range []string{"acme", "ws"} {
		t := gw.tenant(id)
		tc := cfg.Tenants[id]
		f, err := builtin.Registry().Lookup(tc.Dialect)
		if err != nil {
			b.Fatal(err)
		}
		if err := t.setDialect(f, tc, cannedBackend{}); err != nil {
			b.Fatal(err)
		}
		body := []byte(benchUser)
		canon, err := t.canonicalResource(body, dialects.User)
		if err != nil {
			b.Fatal(err)
		}
		req := &dialects.Request{Action: dialects.Create, Type: dialects.User, Body: canon}
		resp, err := t.dialect.Do(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(id+"/contract", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				t.canonicalResource(body, dialects.User)
			}
		})
		b.Run(id+"/dialect", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				t.dialect.Do(context.Background(), req)
			}
		})
		b.Run(id+"/normalise", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				t.resourceReply(dialects.User, resp, projection{})
			}
		})
	}
}
