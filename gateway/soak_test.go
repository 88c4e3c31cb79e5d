package gateway

import (
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"go.uber.org/zap/zapcore"

	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/dialects/conformance"
	"github.com/scimgw/scimgw/dialects/emulator"
	"github.com/scimgw/scimgw/gateway/store/storetest"
	"github.com/scimgw/scimgw/mappings/scim"
)

var (
	soakFor    = flag.Duration("soak", 0, "run TestSoak this long (e.g. 10m); CI runs 10s")
	soakFaults = flag.Duration("soak.faults", 15*time.Millisecond, "mean time between TestSoak's injected faults")
)

// soakTenants are the shipped demo config's tenants: one of every dialect.
var soakTenants = map[string]string{
	"acme": "acme-demo-token", "cube-demo": "cube-demo-token", "workspace-demo": "workspace-demo-token",
	"purecloud-demo": "purecloud-demo-token", "identityiq-demo": "identityiq-demo-token", "firehydrant-demo": "firehydrant-demo-token",
}

// soakFault is one injectable backend failure.
type soakFault struct {
	class string
	f     emulator.Fault
}

var soakFaultKinds = []soakFault{
	{"reset before the write", emulator.Fault{Reset: true}},
	{"reset after the write", emulator.Fault{Reset: true, After: true}},
	{"timeout", emulator.Fault{Delay: 2 * time.Second}},
	{"timeout after the write", emulator.Fault{Delay: 2 * time.Second, After: true}},
	{"429 Retry-After", emulator.Fault{Status: 429, RetryAfter: "0"}},
	{"500", emulator.Fault{Status: 500}},
	{"502", emulator.Fault{Status: 502}},
	{"503", emulator.Fault{Status: 503, RetryAfter: "0"}},
	{"slow answer", emulator.Fault{Delay: 150 * time.Millisecond, Slow: true}},
}

// soakLedger is what the clients were told, per tenant.
type soakLedger struct {
	mu          sync.Mutex
	created     map[string]map[string]string // tenant → id → userName: answered 201
	deleted     map[string]map[string]bool   // tenant → id: answered 204
	deleteTried map[string]map[string]bool   // tenant → id: a DELETE was sent
	unknown     map[string]map[string]bool   // tenant → userName: a create answered 5xx (its outcome unknown)
	refused     map[string]map[string]bool   // tenant → userName: a create refused for the state store (nothing sent)
	group       map[string]string            // tenant → the group its users join and leave
	member      map[string]map[string]string // tenant → user id → "in", "out" or "unknown", as answered
	status      map[int]int
	circuit     int      // 503s of an open circuit: nothing sent
	stateDown   []window // when the 503s for an unreachable state store were asked and answered
	bad         []string
	lat         []time.Duration
}

func (l *soakLedger) note(r response, start time.Time) {
	took := time.Since(start)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status[r.status]++
	if r.status == 503 && strings.Contains(r.json.Get("detail").String(), "backend.circuit") {
		l.circuit++
	}
	if r.status == 503 && stateUnavailable(r) {
		l.stateDown = append(l.stateDown, window{start, start.Add(took)})
	}
	l.lat = append(l.lat, took)
	if r.status >= 400 && (r.json.Get("schemas.0").String() != scim.ErrorURN || r.json.Get("status").Type != gjson.String || r.header.Get("Content-Type") != "application/scim+json") {
		l.bad = append(l.bad, fmt.Sprintf("%d is not a SCIM Error: %.200s", r.status, r.body))
	}
}

// TestSoak runs IdP-shaped clients against a tenant of every dialect while
// the emulators fail at random (see soakFaultKinds; one every
// -soak.faults on average, 15 ms by default), for -soak (10 s in CI,
// with -short 3 s), and checks: no acknowledged create lost and no
// duplicate user; no acknowledged delete undone; group membership the
// acknowledged adds minus the acknowledged removes; every non-2xx a SCIM
// Error; no more 5xx than faults injected; p99 within the tenants'
// deadline; goroutines, heap and open files back to their baseline.
//
// It runs against one gateway (the embedded store), and against two
// replicas on one PostgreSQL store behind a proxy that makes the store
// unreachable for 50–250 ms every 64 × -soak.faults on average (1 s by
// default), each client request going to either replica at random.
func TestSoak(t *testing.T) {
	t.Run("one gateway", func(t *testing.T) { soak(t, 1, "") })
	t.Run("two replicas on PostgreSQL", func(t *testing.T) { soak(t, 2, storetest.PostgresDSN(t)) })
}

func soak(t *testing.T, replicas int, dsn string) {
	d := *soakFor
	if d == 0 {
		d = 10 * time.Second
		if testing.Short() {
			d = 3 * time.Second
		}
	}
	base, _ := os.ReadFile("../config.yaml")
	cfgText := regexp.MustCompile(`timeout: 10s`).ReplaceAllString(string(base), "timeout: 400ms\n      deadline: 3s")
	cfgText = regexp.MustCompile(`retry: \{[^}]*\}`).ReplaceAllString(cfgText, "retry: {max_attempts: 4, min_backoff: 5ms, max_backoff: 50ms}\n      circuit: {failures: 5, open_for: 200ms}")
	var proxy *flakyProxy
	if dsn != "" {
		// Idle connections closed soon, so that open files go back to
		// their baseline after the load.
		var through string
		proxy, through = startFlakyProxy(t, dsn)
		cfgText += "\nstate: {driver: postgres, dsn: \"" + through + "&pool_max_conn_idle_time=200ms&pool_health_check_period=100ms\"}\n"
	}
	emus, cfgText := soakBackends(t, cfgText)
	// Logs observed from warn up (a line for every request would be the heap), checked for secrets as they come.
	var hs []*harness
	for range replicas {
		hs = append(hs, newHarnessLogging(t, "../config.yaml", cfgText, zapcore.WarnLevel))
	}
	pick := func() *harness { return hs[rand.IntN(len(hs))] } // a load balancer
	h := hs[0]
	// The baseline: the gateways serving, their backends empty, no load.
	runtime.GC()
	goroutines, fds := runtime.NumGoroutine(), openFiles()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap := ms.HeapAlloc
	l := &soakLedger{created: map[string]map[string]string{}, deleted: map[string]map[string]bool{}, deleteTried: map[string]map[string]bool{},
		unknown: map[string]map[string]bool{}, status: map[int]int{}, group: map[string]string{}, member: map[string]map[string]string{},
		refused: map[string]map[string]bool{}}
	for id, token := range soakTenants {
		l.created[id], l.deleted[id], l.deleteTried[id], l.unknown[id], l.refused[id] = map[string]string{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
		l.member[id] = map[string]string{}
		// A group to join and leave, where the backend creates groups.
		if r := h.do("POST", "/"+id+"/scim/v2/Groups", token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"soak-`+id+`"}`); r.status == 201 {
			l.group[id] = r.json.Get("id").String()
		}
	}
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	injected := map[string]int{}
	var injMu sync.Mutex
	wg.Add(1)
	go func() { // the chaos: a random fault into a random backend, often
		defer wg.Done()
		ids := slices.Sorted(maps.Keys(soakTenants))
		for time.Now().Before(stop) {
			f := soakFaultKinds[rand.IntN(len(soakFaultKinds))]
			f.f.Method = []string{"", "POST", "GET", "PATCH", "PUT", "DELETE"}[rand.IntN(6)]
			emus[ids[rand.IntN(len(ids))]].Inject(f.f)
			injMu.Lock()
			injected[f.class]++
			injMu.Unlock()
			time.Sleep(time.Duration(rand.Int64N(2*int64(*soakFaults) + 1))) // uniform, mean -soak.faults
		}
	}()
	if proxy != nil {
		wg.Add(1)
		go func() { // the state store goes away now and then
			defer wg.Done()
			for time.Now().Before(stop) {
				time.Sleep(time.Duration(rand.Int64N(2*64*int64(*soakFaults) + 1)))
				proxy.cut(50*time.Millisecond + time.Duration(rand.Int64N(int64(200*time.Millisecond))))
			}
		}()
	}
	wg.Add(1)
	go func() { // the logs checked for secrets and let go, so that they are not the heap
		defer wg.Done()
		for done := false; !done; {
			time.Sleep(time.Second)
			done = !time.Now().Before(stop)
			for _, h := range hs {
				conformance.NoSecretsIn(t, h.logs.TakeAll(), secrets...)
			}
		}
	}()
	for id, token := range soakTenants {
		for w := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; time.Now().Before(stop); n++ {
					soakFlow(pick, l, id, token, fmt.Sprintf("soak.%d.%d", w, n))
				}
			}()
		}
	}
	wg.Wait()

	// What the backends hold against what the clients were told.
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	for id, e := range emus {
		stored := e.All("Users")
		names := map[string]int{}
		for sid, raw := range stored {
			name := strings.ToLower(scim.Field(gjson.ParseBytes(raw), "userName").String())
			names[name]++
			if _, acked := l.created[id][sid]; !acked && !l.unknown[id][name] {
				fail("%s: the backend holds %s (%s), whose create no client was told of", id, sid, name)
			}
			if l.refused[id][name] {
				fail("%s: the backend holds %s (%s), whose create was refused as not sent (state store unavailable)", id, sid, name)
			}
		}
		for name, n := range names {
			if n > 1 {
				fail("%s: %d users named %s", id, n, name)
			}
		}
		for sid, name := range l.created[id] {
			switch {
			case l.deleted[id][sid] && stored[sid] != nil && (id != "firehydrant-demo" || scim.Field(gjson.ParseBytes(stored[sid]), "active").Bool()):
				// FireHydrant deactivates on DELETE (its documented
				// behaviour); the others remove the user.
				fail("%s: %s (%s) was answered 204 to DELETE but is still there", id, sid, name)
			case !l.deleted[id][sid] && !l.deleteTried[id][sid] && stored[sid] == nil:
				fail("%s: %s (%s) was answered 201 and is gone", id, sid, name)
			}
		}
	}
	// Group membership is the acknowledged adds minus the acknowledged
	// removes (an unknown outcome may go either way).
	for _, e := range emus {
		e.ClearFaults()
	}
	time.Sleep(300 * time.Millisecond) // an open circuit half-opens (open_for 200ms)
	for id := range emus {
		gid := l.group[id]
		if gid == "" {
			continue
		}
		r := h.do("GET", "/"+id+"/scim/v2/Groups/"+gid, soakTenants[id], "")
		if r.status != 200 {
			fail("%s: the group answers %d", id, r.status)
			continue
		}
		in := map[string]bool{}
		for _, m := range r.json.Get("members").Array() {
			in[m.Get("value").String()] = true
		}
		for uid, state := range l.member[id] {
			switch {
			case state == "in" && !in[uid]:
				fail("%s: %s was added to the group (acknowledged) but is not a member", id, uid)
			case state == "out" && in[uid]:
				fail("%s: %s was removed from the group (acknowledged) but is a member", id, uid)
			}
		}
		for uid := range in {
			if _, known := l.member[id][uid]; !known {
				fail("%s: %s is a member, though never added", id, uid)
			}
		}
	}
	memberships := map[string]int{}
	for id, m := range l.member {
		if l.group[id] != "" {
			memberships[id] = len(m)
		}
	}
	fivexx, faults := 0, 0
	for s, n := range l.status {
		if s >= 500 {
			fivexx += n
		}
	}
	fivexx -= l.circuit // refused while the backend kept failing: no call, no fault of its own
	// Refused for the state store: each while it was unreachable (or just
	// after: a connection cut is found broken when next used).
	fivexx -= len(l.stateDown)
	var lateStore time.Duration
	for _, w := range l.stateDown {
		late := time.Duration(-1)
		if proxy != nil {
			late = proxy.after(w)
		}
		lateStore = max(lateStore, late)
		if late < 0 || late > 250*time.Millisecond {
			fail("a 503 for an unreachable state store, asked %s and answered %s, while it was reachable (%s after it was last cut)", w.from.Format("15:04:05.000"), w.to.Format("15:04:05.000"), late)
			break
		}
	}
	for _, n := range injected {
		faults += n
	}
	if fivexx > faults {
		fail("%d answers were 5xx with %d faults injected", fivexx, faults)
	}
	problems = append(problems, l.bad...)
	slices.Sort(l.lat)
	p99 := l.lat[len(l.lat)*99/100]
	if bound := 4 * time.Second; p99 > bound { // backend.deadline 3s, plus the gateway
		fail("p99 %s over %s", p99, bound)
	}

	// Everything returns to its baseline once the load is gone: the
	// emulators emptied, the idle connections (which hold goroutines and
	// files, and are the pools' job to keep) closed.
	requests, statuses, circuit, stateDown := len(l.lat), l.status, l.circuit, len(l.stateDown)
	cuts := 0
	if proxy != nil {
		cuts = len(proxy.cuts)
	}
	l = nil
	for id, e := range emus {
		e.Reset()
		for _, h := range hs {
			h.gw.tenant(id).backend.client.HTTPClient.CloseIdleConnections()
		}
	}
	http.DefaultClient.CloseIdleConnections()
	var g2, f2 int
	var heap2 uint64
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		g2, f2, heap2 = runtime.NumGoroutine(), openFiles(), ms.HeapAlloc
		if g2 <= goroutines && f2 <= fds && heap2 <= heap+8<<20 || time.Now().After(deadline) {
			break
		}
	}
	if g2 > goroutines {
		fail("goroutines %d after the load, %d before", g2, goroutines)
	}
	if f2 > fds {
		fail("open files %d after the load, %d before", f2, fds)
	}
	if heap2 > heap+8<<20 {
		fail("heap %.1f MB after the load, %.1f MB before", float64(heap2)/(1<<20), float64(heap)/(1<<20))
	}
	t.Logf("soak %s, %d replicas: %d requests, statuses %v (%d of the 503s by an open circuit, %d for the state store), p99 %s; faults injected %v (%d), state store unreachable %d times (its 503s at most %s after); goroutines %d → %d, open files %d → %d, heap %.1f → %.1f MB, peak RSS of the test process %s; group memberships followed %v; %d invariant violations",
		d, replicas, requests, statuses, circuit, stateDown, p99.Round(time.Millisecond), injected, faults, cuts, lateStore, goroutines, g2, fds, f2, float64(heap)/(1<<20), float64(heap2)/(1<<20), peakRSS(), memberships, len(problems))
	if len(problems) > 0 {
		t.Fatalf("%d invariant violations:\n%s", len(problems), strings.Join(problems[:min(len(problems), 20)], "\n"))
	}
}

// stateUnavailable says r is the refusal of a write for an unreachable
// state store, before anything was sent.
func stateUnavailable(r response) bool {
	return strings.Contains(r.json.Get("detail").String(), "state store is unavailable; nothing was sent")
}

// soakBackends serves an emulated backend for each tenant of cfgText
// (the shipped demo config) over HTTP, shared by every replica, and
// returns them and the config pointing at them.
func soakBackends(t *testing.T, cfgText string) (map[string]*emulator.Server, string) {
	t.Helper()
	cfg, err := ParseConfig("../config.yaml", []byte(cfgText), builtin.Registry())
	if err != nil {
		t.Fatal(err)
	}
	emus := map[string]*emulator.Server{}
	for id := range soakTenants {
		tc := cfg.Tenants[id]
		f, err := builtin.Registry().Lookup(tc.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		emu := newEmulator(f, tc).(*emulator.Server)
		emu.Quiet()
		srv := httptest.NewServer(emu)
		t.Cleanup(srv.Close)
		emus[id] = emu
		cfgText = strings.Replace(cfgText, `"`+tc.Backend.URL+`"`, `"`+srv.URL+emu.BasePath()+`"`, 1)
	}
	return emus, strings.ReplaceAll(cfgText, "emulated: true", "emulated: false")
}

// soakFlow is one user's life as Entra and Okta run it: create, look up
// by userName, join the tenant's group, update, deactivate, leave the
// group (Okta's and Entra's remove), delete.
func soakFlow(pick func() *harness, l *soakLedger, tenant, token, name string) {
	user := name + "@example.com"
	base := "/" + tenant + "/scim/v2/Users"
	do := func(method, path, body string) response {
		start := time.Now()
		r := pick().do(method, path, token, body)
		l.note(r, start)
		return r
	}
	r := do("POST", base, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+user+`","displayName":"Soak User","name":{"givenName":"Soak","familyName":"User"},"emails":[{"value":"`+user+`","type":"work","primary":true}],"active":true}`)
	id := r.json.Get("id").String()
	l.mu.Lock()
	switch {
	case r.status == 201:
		l.created[tenant][id] = strings.ToLower(user)
	case r.status == 503 && stateUnavailable(r):
		l.refused[tenant][strings.ToLower(user)] = true
	case r.status >= 500:
		l.unknown[tenant][strings.ToLower(user)] = true
	}
	l.mu.Unlock()
	if r.status != 201 {
		return
	}
	do("GET", base+"?filter=userName+eq+%22"+user+"%22", "")
	l.mu.Lock()
	gid := l.group[tenant]
	l.mu.Unlock()
	membership := func(r response, ok string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		switch {
		case r.status/100 == 2:
			l.member[tenant][id] = ok
		case r.status >= 500:
			l.member[tenant][id] = "unknown"
		}
	}
	const patchOp = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`
	group := "/" + tenant + "/scim/v2/Groups/" + gid
	if gid != "" {
		membership(do("PATCH", group, patchOp+`{"op":"add","path":"members","value":[{"value":"`+id+`"}]}]}`), "in")
	}
	do("PATCH", base+"/"+id, patchOp+`{"op":"replace","path":"displayName","value":"Soak User Renamed"}]}`)
	do("PATCH", base+"/"+id, patchOp+`{"op":"replace","path":"active","value":false}]}`)
	if gid != "" {
		remove := `{"op":"remove","path":"members[value eq \"` + id + `\"]"}` // Okta's
		if len(name)%2 == 0 {
			remove = `{"op":"remove","path":"members","value":[{"value":"` + id + `"}]}` // Entra's
		}
		membership(do("PATCH", group, patchOp+remove+`]}`), "out")
		l.mu.Lock()
		left := l.member[tenant][id] != "in"
		l.mu.Unlock()
		if !left {
			return // still a member, as far as the client knows: keep the user
		}
	}
	l.mu.Lock()
	l.deleteTried[tenant][id] = true
	l.mu.Unlock()
	if r := do("DELETE", base+"/"+id, ""); r.status == 204 {
		l.mu.Lock()
		l.deleted[tenant][id] = true
		l.mu.Unlock()
	}
}

// peakRSS is the process's peak resident set (VmHWM).
func peakRSS() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// openFiles counts the process's open file descriptors.
func openFiles() int {
	fds, _ := os.ReadDir("/proc/self/fd")
	return len(fds)
}
