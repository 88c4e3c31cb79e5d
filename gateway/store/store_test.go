package store_test

import (
	"context"
	"errors"
	"github.com/jackc/pgx/v5"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimgw/scimgw/gateway/store"
	"github.com/scimgw/scimgw/gateway/store/storetest"
)

func TestEmbedded(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.OpenEmbedded(filepath.Join(t.TempDir(), "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}, nil)
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openPostgres(t, storetest.PostgresDSN(t))
	}, func(t *testing.T, _ store.Store) store.Store {
		// A second pool on the same schema: another replica.
		return openPostgres(t, lastDSN)
	})
}

var lastDSN string

func openPostgres(t *testing.T, dsn string) store.Store {
	t.Helper()
	lastDSN = dsn
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Replicas starting together migrate the schema once.
func TestPostgresConcurrentMigration(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, err := store.OpenPostgres(ctx, dsn)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// A schema a newer scimgw migrated (migrations only add) still serves an
// older one: a rollback, or the old replicas of a rolling upgrade.
func TestPostgresNewerSchema(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO scimgw_migrations (version) VALUES (99); CREATE TABLE scimgw_from_the_future (x int)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatalf("an older scimgw on a newer schema: %v", err)
	}
	defer s.Close()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestPostgresUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := store.OpenPostgres(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err == nil || !strings.Contains(err.Error(), "state store (postgres)") {
		t.Fatalf("unreachable database: %v", err)
	}
}

// The file keeps shadows across a restart, and refuses a second process.
func TestEmbeddedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := store.OpenEmbedded(path)
	if err != nil {
		t.Fatal(err)
	}
	k := store.Key{Tenant: "t", Type: "User", ID: "1"}
	if err := s.PutShadow(context.Background(), k, []byte(`{"externalId":"e"}`), map[string]string{"externalId": "e"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenEmbedded(path); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second open: %v", err)
	}
	s.Close()
	s, err = store.OpenEmbedded(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	doc, err := s.Shadow(context.Background(), k)
	if err != nil || string(doc) != `{"externalId":"e"}` {
		t.Fatalf("after reopen: %s, %v", doc, err)
	}
	ids, _ := s.FindShadow(context.Background(), "t", "User", "externalId", "e")
	if len(ids) != 1 || ids[0] != "1" {
		t.Fatalf("index after reopen: %q", ids)
	}
}

// Without a file, claims work and shadows say what they need.
func TestEmbeddedWithoutFile(t *testing.T) {
	s, err := store.OpenEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Claim(context.Background(), "n", "o", time.Minute)
	if err != nil || !c.Ours {
		t.Fatalf("claim: %+v, %v", c, err)
	}
	if _, err := s.Shadow(context.Background(), store.Key{}); err == nil || !strings.Contains(err.Error(), "state.path") {
		t.Fatalf("shadow without a file: %v", err)
	}
	_ = errors.New
}

// failingReleases is a store whose first n Releases fail, as during an
// outage.
type failingReleases struct {
	store.Store
	mu    sync.Mutex
	fails int
	calls int
}

func (f *failingReleases) Release(ctx context.Context, name, owner string) error {
	f.mu.Lock()
	f.calls++
	fail := f.calls <= f.fails
	f.mu.Unlock()
	if fail {
		return errors.New("connection refused")
	}
	return f.Store.Release(ctx, name, owner)
}

// A lock whose release fails (the store is briefly unreachable) is
// released once the store is back, not held until its ttl: the next
// change to the resource goes through.
func TestLockReleasedAfterAnOutage(t *testing.T) {
	e, err := store.OpenEmbedded(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := &failingReleases{Store: e, fails: 3}
	unlock, err := store.Lock(context.Background(), s, "lock/t/Group/g1", "a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	unlock, err = store.Lock(ctx, s, "lock/t/Group/g1", "b", time.Minute)
	if err != nil {
		t.Fatalf("the next lock, %s later: %v", time.Since(start), err)
	}
	unlock()
	if s.calls < 4 {
		t.Fatalf("%d releases tried", s.calls)
	}
}

// Eventually stops at success or ErrLost, and gives up at its bound.
func TestEventually(t *testing.T) {
	for _, tc := range []struct {
		name  string
		errs  []error // what op answers, in turn; nil after
		tries int     // how many times op runs
	}{
		{"succeeds at once", nil, 1},
		{"succeeds later", []error{errors.New("down"), errors.New("down")}, 3},
		{"lost", []error{errors.New("down"), store.ErrLost}, 2},
		{"lost at once", []error{store.ErrLost}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			n := 0
			err := store.Eventually(context.Background(), 5*time.Second, func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				n++
				if n <= len(tc.errs) {
					return tc.errs[n-1]
				}
				return nil
			})
			if (len(tc.errs) > 0) != (err != nil) {
				t.Fatalf("first error %v", err)
			}
			time.Sleep(400 * time.Millisecond) // 50, 100, 200 ms pauses
			mu.Lock()
			defer mu.Unlock()
			if n != tc.tries {
				t.Fatalf("op ran %d times, want %d", n, tc.tries)
			}
		})
	}
	var mu sync.Mutex
	n := 0
	store.Eventually(context.Background(), 200*time.Millisecond, func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		n++
		return errors.New("down")
	})
	time.Sleep(500 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if n != 3 { // at once, after 50 and 100 ms; the next pause (200 ms) ends past the bound
		t.Fatalf("op ran %d times within 200ms", n)
	}
}
