// Package storetest is the conformance suite every store driver runs, as
// dex runs one storage suite against every storage.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimgw/scimgw/gateway/store"
)

// Run runs the suite. open returns a new, empty store; twin, when not
// nil, returns a second handle on the same state (another replica).
func Run(t *testing.T, open func(t *testing.T) store.Store, twin func(t *testing.T, s store.Store) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, a, b store.Store)
	}{
		{"ClaimIsExclusive", claimIsExclusive},
		{"SettledOutcomeIsShared", settledOutcomeIsShared},
		{"ReleaseFreesTheName", releaseFreesTheName},
		{"ExpiredClaimIsTakenOver", expiredClaimIsTakenOver},
		{"KeptOutcomeExpires", keptOutcomeExpires},
		{"UnknownOutcomeIsTakenOver", unknownOutcomeIsTakenOver},
		{"OutcomeNobodyWaitedForIsNotKept", outcomeNobodyWaitedFor},
		{"SettleAfterLosingFails", settleAfterLosingFails},
		{"WaitAndLock", waitAndLock},
		{"Shadows", shadows},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := open(t)
			b := a
			if twin != nil {
				b = twin(t, a)
			}
			tc.run(t, a, b)
		})
	}
}

var ctx = context.Background()

// onBoth runs fn n times at once, alternating the two handles.
func onBoth(n int, a, b store.Store, fn func(i int, s store.Store)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			fn(i, s)
		}()
	}
	wg.Wait()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func claimIsExclusive(t *testing.T, a, b store.Store) {
	var mu sync.Mutex
	ours := 0
	onBoth(40, a, b, func(i int, s store.Store) {
		c, err := s.Claim(ctx, "create/t/User/bjensen", fmt.Sprint("owner-", i), time.Minute)
		if err != nil {
			t.Error(err)
			return
		}
		if c.Done != nil || c.TookOver {
			t.Errorf("first claims: %+v", c)
		}
		if c.Ours {
			mu.Lock()
			ours++
			mu.Unlock()
		}
	})
	if ours != 1 {
		t.Fatalf("%d of 40 concurrent claims were granted, want exactly 1", ours)
	}
	// Names are independent, and exact.
	for _, n := range []string{"create/t/User/bjensen2", "create/t/User/Bjensen", "create/u/User/bjensen"} {
		c, err := b.Claim(ctx, n, "other", time.Minute)
		must(t, err)
		if !c.Ours {
			t.Errorf("claim of %q not granted", n)
		}
	}
}

func settledOutcomeIsShared(t *testing.T, a, b store.Store) {
	c, err := a.Claim(ctx, "n", "first", time.Minute)
	must(t, err)
	if !c.Ours {
		t.Fatal("not granted")
	}
	if c, err := b.Claim(ctx, "n", "second", time.Minute); err != nil || c.Ours || c.Done != nil {
		t.Fatalf("a held claim: %+v, %v; want busy", c, err)
	}
	body := []byte(`{"id":"42","userName":"bjensen"}`)
	o := store.Outcome{Status: 201, Body: body}
	must(t, a.Settle(ctx, "n", "first", o, time.Minute))
	body[2] = 'X' // the store keeps its own copy
	c, err = b.Claim(ctx, "n", "second", time.Minute)
	must(t, err)
	if c.Ours || c.Done == nil {
		t.Fatalf("after settle: %+v", c)
	}
	if d := c.Done; d.Status != 201 || string(d.Body) != `{"id":"42","userName":"bjensen"}` {
		t.Fatalf("outcome %+v (%s)", d, d.Body)
	}
	// An error outcome keeps its SCIM type and detail.
	_, err = a.Claim(ctx, "e", "first", time.Minute)
	must(t, err)
	b.Claim(ctx, "e", "x", time.Minute) // waits
	must(t, a.Settle(ctx, "e", "first", store.Outcome{Status: 409, ScimType: "uniqueness", Detail: "userName exists"}, time.Minute))
	c, err = b.Claim(ctx, "e", "x", time.Minute)
	must(t, err)
	if c.Done == nil || c.Done.Status != 409 || c.Done.ScimType != "uniqueness" || c.Done.Detail != "userName exists" || len(c.Done.Body) != 0 {
		t.Fatalf("error outcome %+v", c.Done)
	}
	// Settling twice is refused.
	if err := a.Settle(ctx, "e", "first", store.Outcome{Status: 201}, time.Minute); !errors.Is(err, store.ErrLost) {
		t.Fatalf("second settle: %v, want ErrLost", err)
	}
}

func releaseFreesTheName(t *testing.T, a, b store.Store) {
	_, err := a.Claim(ctx, "n", "first", time.Minute)
	must(t, err)
	must(t, b.Release(ctx, "n", "intruder")) // not the owner: nothing happens
	if c, _ := b.Claim(ctx, "n", "second", time.Minute); c.Ours {
		t.Fatal("released by a non-owner")
	}
	must(t, a.Release(ctx, "n", "first"))
	c, err := b.Claim(ctx, "n", "second", time.Minute)
	must(t, err)
	if !c.Ours || c.TookOver {
		t.Fatalf("after release: %+v", c)
	}
}

func expiredClaimIsTakenOver(t *testing.T, a, b store.Store) {
	_, err := a.Claim(ctx, "n", "crashed", 150*time.Millisecond)
	must(t, err)
	time.Sleep(300 * time.Millisecond)
	c, err := b.Claim(ctx, "n", "next", time.Minute)
	must(t, err)
	if !c.Ours || !c.TookOver {
		t.Fatalf("expired claim: %+v, want ours and taken over", c)
	}
	if err := a.Settle(ctx, "n", "crashed", store.Outcome{Status: 201}, time.Minute); !errors.Is(err, store.ErrLost) {
		t.Fatalf("settle by the crashed owner: %v, want ErrLost", err)
	}
	must(t, b.Settle(ctx, "n", "next", store.Outcome{Status: 201}, time.Minute))
}

func keptOutcomeExpires(t *testing.T, a, b store.Store) {
	_, err := a.Claim(ctx, "n", "first", time.Minute)
	must(t, err)
	if c, _ := b.Claim(ctx, "n", "waiter", time.Minute); c.Ours {
		t.Fatal("held claim granted")
	}
	must(t, a.Settle(ctx, "n", "first", store.Outcome{Status: 201}, 150*time.Millisecond))
	time.Sleep(300 * time.Millisecond)
	c, err := b.Claim(ctx, "n", "later", time.Minute)
	must(t, err)
	if !c.Ours || c.TookOver || c.Done != nil {
		t.Fatalf("after the outcome expired: %+v, want ours, not taken over", c)
	}
}

func settleAfterLosingFails(t *testing.T, a, b store.Store) {
	if err := a.Settle(ctx, "never-claimed", "x", store.Outcome{Status: 201}, time.Minute); !errors.Is(err, store.ErrLost) {
		t.Fatalf("settle without a claim: %v", err)
	}
	_, err := a.Claim(ctx, "n", "first", time.Minute)
	must(t, err)
	if err := b.Settle(ctx, "n", "second", store.Outcome{Status: 201}, time.Minute); !errors.Is(err, store.ErrLost) {
		t.Fatalf("settle by another owner: %v", err)
	}
}

func waitAndLock(t *testing.T, a, b store.Store) {
	// Wait returns the outcome the holder settles.
	_, err := a.Claim(ctx, "n", "first", time.Minute)
	must(t, err)
	go func() {
		time.Sleep(100 * time.Millisecond)
		a.Settle(ctx, "n", "first", store.Outcome{Status: 201, Body: []byte(`{"id":"9"}`)}, time.Minute)
	}()
	c, err := store.Wait(ctx, b, "n", "second", time.Minute)
	must(t, err)
	if c.Done == nil || string(c.Done.Body) != `{"id":"9"}` {
		t.Fatalf("wait: %+v", c)
	}
	// Wait gives up with its context.
	_, err = a.Claim(ctx, "busy", "first", time.Minute)
	must(t, err)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := store.Wait(short, b, "busy", "second", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait on a held claim: %v", err)
	}
	// Lock serialises: 20 holders across both handles, never two at once.
	var mu sync.Mutex
	inside, most, done := 0, 0, 0
	onBoth(20, a, b, func(i int, s store.Store) {
		unlock, err := store.Lock(ctx, s, "lock/t/Group/1", fmt.Sprint("w", i), time.Minute)
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		inside++
		most = max(most, inside)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		inside--
		done++
		mu.Unlock()
		unlock()
	})
	if most != 1 || done != 20 {
		t.Fatalf("lock: at most %d holders at once, %d of 20 done", most, done)
	}
}

func shadows(t *testing.T, a, b store.Store) {
	k := store.Key{Tenant: "t", Type: "User", ID: "id-1"}
	doc, err := a.Shadow(ctx, k)
	must(t, err)
	if doc != nil {
		t.Fatalf("shadow of an unknown resource: %s", doc)
	}
	must(t, a.PutShadow(ctx, k, []byte(`{"externalId":"E1"}`), map[string]string{"externalId": "E1"}))
	// Odd bytes in every part must not run into the next part.
	odd := store.Key{Tenant: "t", Type: "User", ID: "id\x00-2/é"}
	must(t, a.PutShadow(ctx, odd, []byte(`{"externalId":"E1x"}`), map[string]string{"externalId": "E1\x00x", "displayName": "d"}))
	must(t, a.PutShadow(ctx, store.Key{Tenant: "t", Type: "Group", ID: "g"}, []byte(`{}`), map[string]string{"externalId": "E1"}))
	must(t, a.PutShadow(ctx, store.Key{Tenant: "u", Type: "User", ID: "x"}, []byte(`{}`), map[string]string{"externalId": "E1"}))
	find := func(attr, v string, want ...string) {
		t.Helper()
		ids, err := b.FindShadow(ctx, "t", "User", attr, v)
		must(t, err)
		if !slices.Equal(ids, want) && !(len(ids) == 0 && len(want) == 0) {
			t.Fatalf("find %s=%q: %q, want %q", attr, v, ids, want)
		}
	}
	find("externalId", "E1", "id-1")
	find("externalId", "E1\x00x", "id\x00-2/é")
	find("externalId", "e1") // exact: callers fold case where the attribute is caseExact false
	find("externalId", "E")
	find("displayName", "d", "id\x00-2/é")
	doc, err = b.Shadow(ctx, k)
	must(t, err)
	if string(doc) != `{"externalId":"E1"}` {
		t.Fatalf("shadow %s", doc)
	}
	// Many at once: those with shadows, by id.
	many, err := b.Shadows(ctx, "t", "User", []string{"id-1", "nope", "id\x00-2/é"})
	must(t, err)
	if len(many) != 2 || string(many["id-1"]) != `{"externalId":"E1"}` || string(many["id\x00-2/é"]) != `{"externalId":"E1x"}` {
		t.Fatalf("shadows: %q", many)
	}
	if none, err := b.Shadows(ctx, "t", "User", nil); err != nil || len(none) != 0 {
		t.Fatalf("shadows of no ids: %q, %v", none, err)
	}
	// Replacing replaces the index too.
	must(t, b.PutShadow(ctx, k, []byte(`{"externalId":"E2"}`), map[string]string{"externalId": "E2"}))
	find("externalId", "E1")
	find("externalId", "E2", "id-1")
	// Two resources with one value are both found, in order.
	must(t, a.PutShadow(ctx, store.Key{Tenant: "t", Type: "User", ID: "id-0"}, []byte(`{}`), map[string]string{"externalId": "E2"}))
	find("externalId", "E2", "id-0", "id-1")
	must(t, a.DeleteShadow(ctx, k))
	find("externalId", "E2", "id-0")
	doc, err = b.Shadow(ctx, k)
	must(t, err)
	if doc != nil {
		t.Fatalf("deleted shadow still there: %s", doc)
	}
	must(t, a.DeleteShadow(ctx, k)) // deleting twice is fine
}

// PostgresDSN returns the DSN of a new, empty schema in the test database
// named by SCIMGW_TEST_PG_DSN (.ci/postgres.sh starts one). Without it the
// test is skipped, unless SCIMGW_TEST_PG_REQUIRED=1 (as in CI): then it
// fails.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("SCIMGW_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("SCIMGW_TEST_PG_REQUIRED") == "1" {
			t.Fatal("SCIMGW_TEST_PG_REQUIRED=1 but SCIMGW_TEST_PG_DSN is not set")
		}
		t.Skip("SCIMGW_TEST_PG_DSN not set (.ci/postgres.sh starts a PostgreSQL for these tests)")
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("SCIMGW_TEST_PG_DSN: %v", err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("t%d_%d", time.Now().UnixNano(), rand.Uint32())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

func unknownOutcomeIsTakenOver(t *testing.T, a, b store.Store) {
	_, err := a.Claim(ctx, "n", "first", time.Minute)
	must(t, err)
	must(t, a.Settle(ctx, "n", "first", store.Outcome{}, time.Minute))
	c, err := b.Claim(ctx, "n", "second", time.Minute)
	must(t, err)
	if !c.Ours || !c.TookOver || c.Done != nil {
		t.Fatalf("after an unknown outcome: %+v, want ours and taken over", c)
	}
	if c, _ := a.Claim(ctx, "n", "third", time.Minute); c.Ours || c.Done != nil {
		t.Fatalf("the new owner's claim: %+v, want busy", c)
	}
}

// A create nobody waited for leaves nothing behind: the next create of
// the name is a create of its own, and the store does not grow.
func outcomeNobodyWaitedFor(t *testing.T, a, b store.Store) {
	_, err := a.Claim(ctx, "n", "first", time.Minute)
	must(t, err)
	must(t, a.Settle(ctx, "n", "first", store.Outcome{Status: 201, Body: []byte(`{"id":"1"}`)}, time.Minute))
	c, err := b.Claim(ctx, "n", "later", time.Minute)
	must(t, err)
	if !c.Ours || c.TookOver || c.Done != nil {
		t.Fatalf("after an outcome nobody waited for: %+v, want ours", c)
	}
}
