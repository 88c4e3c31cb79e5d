package store_test

import (
	"context"
	"errors"
	"github.com/jackc/pgx/v5"
	"path/filepath"
	"strings"
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
