package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is the store for several replicas: every claim, lock and
// shadow attribute in one PostgreSQL database, with the database's clock
// deciding expiry, so that replicas agree whatever their own clocks say.
type Postgres struct {
	pool   *pgxpool.Pool
	claims atomic.Uint64
}

// migrations are applied in order, each once, in one transaction under
// an advisory lock (replicas starting together apply them once). A
// migration only ever adds — tables, columns with defaults, indexes —
// so that a replica of the version before keeps working on the schema a
// newer one migrated: during a rolling upgrade, and after a rollback.
var migrations = []string{
	`CREATE TABLE scimgw_claims (
		name        bytea PRIMARY KEY,
		owner       text NOT NULL,
		expires_at  timestamptz NOT NULL,
		settled     boolean NOT NULL DEFAULT false,
		waiters     integer NOT NULL DEFAULT 0,
		status      integer NOT NULL DEFAULT 0,
		body        bytea,
		scim_type   text NOT NULL DEFAULT '',
		detail      text NOT NULL DEFAULT ''
	);
	CREATE INDEX scimgw_claims_expiry ON scimgw_claims (expires_at);
	CREATE TABLE scimgw_shadows (
		tenant text NOT NULL,
		rtype  text NOT NULL,
		id     bytea NOT NULL,
		doc    bytea NOT NULL,
		PRIMARY KEY (tenant, rtype, id)
	);
	CREATE TABLE scimgw_shadow_index (
		tenant text NOT NULL,
		rtype  text NOT NULL,
		attr   text NOT NULL,
		value  bytea NOT NULL,
		id     bytea NOT NULL,
		PRIMARY KEY (tenant, rtype, attr, value, id)
	);
	CREATE INDEX scimgw_shadow_index_id ON scimgw_shadow_index (tenant, rtype, id);`,
}

// migrationLock is the advisory lock key of the migrations.
const migrationLock = 0x7363696d67770001 // "scimgw" 1

// OpenPostgres connects to dsn (a libpq URL or key=value string; set
// search_path in it to use a schema other than public) and migrates the
// schema, retrying the connection until ctx ends.
func OpenPostgres(ctx context.Context, dsn string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("state.dsn: %w", errors.Unwrap(err))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p := &Postgres{pool: pool}
	for pause := 100 * time.Millisecond; ; pause = min(2*pause, 2*time.Second) {
		if err = p.migrate(ctx); err == nil {
			return p, nil
		}
		select {
		case <-ctx.Done():
			pool.Close()
			return nil, fmt.Errorf("state store (postgres): %w", err)
		case <-time.After(pause):
		}
	}
}

func (p *Postgres) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS scimgw_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var v int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM scimgw_migrations`).Scan(&v); err != nil {
			return err
		}
		// v > len(migrations): a newer scimgw migrated it, only adding;
		// this one works with what it knows.
		for i := v; i < len(migrations); i++ {
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO scimgw_migrations (version) VALUES ($1)`, i+1); err != nil {
				return err
			}
		}
		return nil
	})
}

// noNUL drops NUL characters, which PostgreSQL's text cannot hold.
func noNUL(s string) string { return strings.ReplaceAll(s, "\x00", "") }

func ms(d time.Duration) int64 { return d.Milliseconds() }

func (p *Postgres) Claim(ctx context.Context, name, owner string, ttl time.Duration) (Claim, error) {
	if p.claims.Add(1)%1000 == 0 {
		// Rows no claim came back for (a crashed replica's, an outcome
		// kept for waiters) are dropped now and then.
		p.pool.Exec(ctx, `DELETE FROM scimgw_claims WHERE expires_at < now() - interval '1 hour'`)
	}
	for {
		var c Claim
		retry := false
		err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO scimgw_claims (name, owner, expires_at)
				VALUES ($1, $2, now() + $3 * interval '1 millisecond') ON CONFLICT (name) DO NOTHING`, []byte(name), owner, ms(ttl))
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				c.Ours = true
				return nil
			}
			var expired, settled bool
			var o Outcome
			err = tx.QueryRow(ctx, `SELECT expires_at <= now(), settled, status, body, scim_type, detail
				FROM scimgw_claims WHERE name = $1 FOR UPDATE`, []byte(name)).
				Scan(&expired, &settled, &o.Status, &o.Body, &o.ScimType, &o.Detail)
			if errors.Is(err, pgx.ErrNoRows) {
				retry = true // released in between: claim again
				return nil
			}
			if err != nil {
				return err
			}
			switch {
			case !expired && settled && o.Status != 0:
				c.Done = &o
			case !expired && !settled:
				_, err = tx.Exec(ctx, `UPDATE scimgw_claims SET waiters = waiters + 1 WHERE name = $1`, []byte(name))
			default:
				_, err = tx.Exec(ctx, `UPDATE scimgw_claims SET owner = $2, expires_at = now() + $3 * interval '1 millisecond',
					settled = false, waiters = 0, status = 0, body = NULL, scim_type = '', detail = ''
					WHERE name = $1`, []byte(name), owner, ms(ttl))
				c.Ours, c.TookOver = true, !settled || o.Status == 0
			}
			return err
		})
		if err != nil || !retry {
			return c, err
		}
	}
}

func (p *Postgres) Settle(ctx context.Context, name, owner string, o Outcome, keep time.Duration) error {
	for range 3 {
		// Kept when someone waits for it, or when it is unknown.
		tag, err := p.pool.Exec(ctx, `UPDATE scimgw_claims SET settled = true, expires_at = now() + $3 * interval '1 millisecond',
			status = $4, body = $5, scim_type = $6, detail = $7
			WHERE name = $1 AND owner = $2 AND NOT settled AND (waiters > 0 OR $4 = 0)`,
			[]byte(name), owner, ms(keep), o.Status, o.Body, o.ScimType, noNUL(o.Detail))
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		tag, err = p.pool.Exec(ctx, `DELETE FROM scimgw_claims WHERE name = $1 AND owner = $2 AND NOT settled AND waiters = 0`, []byte(name), owner)
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		var mine bool
		err = p.pool.QueryRow(ctx, `SELECT count(*) > 0 FROM scimgw_claims WHERE name = $1 AND owner = $2 AND NOT settled`, []byte(name), owner).Scan(&mine)
		if err != nil {
			return err
		}
		if !mine {
			return ErrLost
		}
		// A waiter came between the two statements: keep it after all.
	}
	return ErrLost
}

func (p *Postgres) Release(ctx context.Context, name, owner string) error {
	_, err := p.pool.Exec(ctx, `DELETE FROM scimgw_claims WHERE name = $1 AND owner = $2 AND NOT settled`, []byte(name), owner)
	return err
}

func (p *Postgres) Shadow(ctx context.Context, k Key) ([]byte, error) {
	var doc []byte
	err := p.pool.QueryRow(ctx, `SELECT doc FROM scimgw_shadows WHERE tenant = $1 AND rtype = $2 AND id = $3`, k.Tenant, k.Type, []byte(k.ID)).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return doc, err
}

func (p *Postgres) Shadows(ctx context.Context, tenant, typ string, ids []string) (map[string][]byte, error) {
	keys := make([][]byte, len(ids))
	for i, id := range ids {
		keys[i] = []byte(id)
	}
	rows, err := p.pool.Query(ctx, `SELECT id, doc FROM scimgw_shadows WHERE tenant = $1 AND rtype = $2 AND id = ANY($3)`, tenant, typ, keys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var id, doc []byte
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, err
		}
		out[string(id)] = doc
	}
	return out, rows.Err()
}

func (p *Postgres) PutShadow(ctx context.Context, k Key, doc []byte, index map[string]string) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO scimgw_shadows (tenant, rtype, id, doc) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant, rtype, id) DO UPDATE SET doc = EXCLUDED.doc`, k.Tenant, k.Type, []byte(k.ID), doc); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM scimgw_shadow_index WHERE tenant = $1 AND rtype = $2 AND id = $3`, k.Tenant, k.Type, []byte(k.ID)); err != nil {
			return err
		}
		for attr, v := range index {
			if _, err := tx.Exec(ctx, `INSERT INTO scimgw_shadow_index (tenant, rtype, attr, value, id) VALUES ($1, $2, $3, $4, $5)`,
				k.Tenant, k.Type, attr, []byte(v), []byte(k.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (p *Postgres) DeleteShadow(ctx context.Context, k Key) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM scimgw_shadow_index WHERE tenant = $1 AND rtype = $2 AND id = $3`, k.Tenant, k.Type, []byte(k.ID)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM scimgw_shadows WHERE tenant = $1 AND rtype = $2 AND id = $3`, k.Tenant, k.Type, []byte(k.ID))
		return err
	})
}

func (p *Postgres) FindShadow(ctx context.Context, tenant, typ, attr, value string) ([]string, error) {
	rows, err := p.pool.Query(ctx, `SELECT id FROM scimgw_shadow_index WHERE tenant = $1 AND rtype = $2 AND attr = $3 AND value = $4
		ORDER BY id`, tenant, typ, attr, []byte(value))
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out, err
}

func (p *Postgres) Ping(ctx context.Context) error { return p.pool.Ping(ctx) }

func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}
