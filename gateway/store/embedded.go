package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Embedded is the single-process store: shadow attributes in one bbolt
// file (pure Go, one file, ACID transactions fsynced on commit, and an
// exclusive file lock, so a second process cannot open it by mistake),
// claims and locks in memory.
//
// Claims need no file: they coordinate the creates of the one process
// that can open the file, and a crash ends every create they guard (the
// IdP's retry is then answered by the backend's lookup or its 409).
//
// bbolt rather than SQLite (modernc.org/sqlite): the store needs keyed
// reads and prefix scans only, and bbolt does them with a small, pure-Go
// dependency instead of a translated C database.
type Embedded struct {
	leases
	db *bolt.DB // nil without a file: shadow attributes are unavailable
}

var (
	bucketShadows = []byte("shadows") // key(tenant, type, id) → JSON object
	bucketIndex   = []byte("index")   // key(tenant, type, attr, value, id) → ""
	bucketRefs    = []byte("refs")    // key(tenant, type, id) → JSON of its index entries
	bucketMeta    = []byte("meta")    // "version" → schema version
)

// embeddedVersion is the file's schema version; OpenEmbedded migrates
// older files up to it.
const embeddedVersion = 1

// OpenEmbedded opens (creating it if needed) the state file at path; ""
// keeps no file: claims and locks work, shadow attributes do not.
func OpenEmbedded(path string) (*Embedded, error) {
	e := &Embedded{leases: newLeases()}
	if path == "" {
		return e, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("state file %s is in use by another process (the embedded store serves one replica; use driver postgres for several)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketShadows, bucketIndex, bucketRefs, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		v := 0
		if raw := meta.Get([]byte("version")); len(raw) == 8 {
			v = int(binary.BigEndian.Uint64(raw))
		}
		if v > embeddedVersion {
			return fmt.Errorf("written by a newer scimgw (schema version %d, this one knows %d)", v, embeddedVersion)
		}
		var raw [8]byte
		binary.BigEndian.PutUint64(raw[:], embeddedVersion)
		return meta.Put([]byte("version"), raw[:])
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	e.db = db
	return e, nil
}

var errNoFile = errors.New("store: shadow attributes need a state file (state.path)")

// key joins parts, each prefixed by its length, so that no value can
// run into the next and a prefix of parts is a prefix of the key.
func key(parts ...string) []byte {
	var b []byte
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

func (e *Embedded) Shadow(_ context.Context, k Key) ([]byte, error) {
	if e.db == nil {
		return nil, errNoFile
	}
	var doc []byte
	err := e.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketShadows).Get(key(k.Tenant, k.Type, k.ID)); v != nil {
			doc = bytes.Clone(v)
		}
		return nil
	})
	return doc, err
}

func (e *Embedded) Shadows(_ context.Context, tenant, typ string, ids []string) (map[string][]byte, error) {
	if e.db == nil {
		return nil, errNoFile
	}
	out := map[string][]byte{}
	err := e.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketShadows)
		for _, id := range ids {
			if v := b.Get(key(tenant, typ, id)); v != nil {
				out[id] = bytes.Clone(v)
			}
		}
		return nil
	})
	return out, err
}

func (e *Embedded) PutShadow(_ context.Context, k Key, doc []byte, index map[string]string) error {
	if e.db == nil {
		return errNoFile
	}
	refs, _ := json.Marshal(index)
	return e.db.Update(func(tx *bolt.Tx) error {
		if err := dropIndex(tx, k); err != nil {
			return err
		}
		for attr, v := range index {
			if err := tx.Bucket(bucketIndex).Put(key(k.Tenant, k.Type, attr, v, k.ID), nil); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketRefs).Put(key(k.Tenant, k.Type, k.ID), refs); err != nil {
			return err
		}
		return tx.Bucket(bucketShadows).Put(key(k.Tenant, k.Type, k.ID), doc)
	})
}

// dropIndex removes the index entries of k, as its refs list them.
func dropIndex(tx *bolt.Tx, k Key) error {
	raw := tx.Bucket(bucketRefs).Get(key(k.Tenant, k.Type, k.ID))
	if raw == nil {
		return nil
	}
	var old map[string]string
	if err := json.Unmarshal(raw, &old); err != nil {
		return err
	}
	for attr, v := range old {
		if err := tx.Bucket(bucketIndex).Delete(key(k.Tenant, k.Type, attr, v, k.ID)); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketRefs).Delete(key(k.Tenant, k.Type, k.ID))
}

func (e *Embedded) DeleteShadow(_ context.Context, k Key) error {
	if e.db == nil {
		return errNoFile
	}
	return e.db.Update(func(tx *bolt.Tx) error {
		if err := dropIndex(tx, k); err != nil {
			return err
		}
		return tx.Bucket(bucketShadows).Delete(key(k.Tenant, k.Type, k.ID))
	})
}

func (e *Embedded) FindShadow(_ context.Context, tenant, typ, attr, value string) ([]string, error) {
	if e.db == nil {
		return nil, errNoFile
	}
	prefix := key(tenant, typ, attr, value)
	var ids []string
	err := e.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketIndex).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			rest := k[len(prefix):]
			n, w := binary.Uvarint(rest)
			if w <= 0 || uint64(len(rest)-w) != n {
				continue // a longer value with this value as its prefix
			}
			ids = append(ids, string(rest[w:]))
		}
		return nil
	})
	sort.Strings(ids)
	return ids, err
}

func (e *Embedded) Ping(context.Context) error { return nil }

func (e *Embedded) Close() error {
	if e.db == nil {
		return nil
	}
	return e.db.Close()
}

// leases are claims and locks held in memory.
type leases struct {
	mu    *sync.Mutex
	rows  map[string]*lease
	waits map[string]chan struct{} // closed when the name is settled or released
	swept time.Time
}

type lease struct {
	owner   string
	expires time.Time
	settled bool
	waiters int // Claims that found it held
	out     Outcome
}

func newLeases() leases {
	return leases{mu: &sync.Mutex{}, rows: map[string]*lease{}, waits: map[string]chan struct{}{}}
}

func (l *leases) Claim(_ context.Context, name, owner string, ttl time.Duration) (Claim, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.swept) > time.Minute {
		l.sweep(now)
	}
	r := l.rows[name]
	switch {
	case r == nil:
	case now.Before(r.expires) && r.settled && r.out.Status != 0:
		out := r.out
		return Claim{Done: &out}, nil
	case now.Before(r.expires) && !r.settled:
		r.waiters++
		return Claim{}, nil
	default:
		delete(l.rows, name)
	}
	l.rows[name] = &lease{owner: owner, expires: now.Add(ttl)}
	return Claim{Ours: true, TookOver: r != nil && (!r.settled || r.out.Status == 0)}, nil
}

// sweep drops expired rows; l.mu is held.
func (l *leases) sweep(now time.Time) {
	l.swept = now
	for name, r := range l.rows {
		if !now.Before(r.expires) {
			delete(l.rows, name)
		}
	}
	for name := range l.waits {
		if l.rows[name] == nil {
			l.wake(name)
		}
	}
}

func (l *leases) changed(name string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := l.waits[name]
	if ch == nil {
		ch = make(chan struct{})
		l.waits[name] = ch
	}
	return ch
}

// wake tells the waiters on name; l.mu is held.
func (l *leases) wake(name string) {
	if ch := l.waits[name]; ch != nil {
		close(ch)
		delete(l.waits, name)
	}
}

func (l *leases) Settle(_ context.Context, name, owner string, o Outcome, keep time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.rows[name]
	if r == nil || r.owner != owner || r.settled {
		return ErrLost
	}
	if r.waiters == 0 && o.Status != 0 {
		delete(l.rows, name) // nobody waits for it
		l.wake(name)
		return nil
	}
	o.Body = bytes.Clone(o.Body)
	r.settled, r.out, r.expires = true, o, time.Now().Add(keep)
	l.wake(name)
	return nil
}

func (l *leases) Release(_ context.Context, name, owner string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := l.rows[name]; r != nil && r.owner == owner && !r.settled {
		delete(l.rows, name)
		l.wake(name)
	}
	return nil
}
