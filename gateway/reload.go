package gateway

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"
)

// live is the configuration in service: what a request reads once, when
// it starts, and keeps until it ends, so that a reload never changes the
// configuration under a request in progress.
type live struct {
	cfg     *Config
	tenants map[string]*tenant
}

// tenant returns the tenant in service, or nil.
func (g *Gateway) tenant(id string) *tenant { return g.live.Load().tenants[id] }

// buildTenants builds every tenant of cfg; a tenant of old whose
// configuration is unchanged (the same fingerprint: its YAML, its mapping
// file, the server settings it depends on) is kept as it is, with its
// OAuth token, connection pool, emulator and breaker. On an error the
// tenants built so far are closed and old is untouched.
func (g *Gateway) buildTenants(cfg *Config, old map[string]*tenant) (map[string]*tenant, error) {
	out := make(map[string]*tenant, len(cfg.Tenants))
	for id, tc := range cfg.Tenants {
		if t := old[id]; t != nil && t.fingerprint == tc.Fingerprint {
			out[id] = t
			continue
		}
		t, err := g.buildTenant(cfg, id, tc)
		if err != nil {
			for id, t := range out {
				if old[id] != t {
					t.close()
				}
			}
			return nil, fmt.Errorf("tenant %s: %w", id, err)
		}
		out[id] = t
	}
	return out, nil
}

// restartOnly are the settings a reload cannot change: the listeners and
// the state store are opened once.
func restartOnly(a, b *Config) []string {
	var keys []string
	sa, sb := a.Server, b.Server
	for _, c := range []struct {
		key  string
		a, b any
	}{
		{"server.listen", sa.Listen, sb.Listen},
		{"server.admin_listen", sa.AdminListen, sb.AdminListen},
		{"server.pprof", sa.Pprof, sb.Pprof},
		{"server.read_timeout", sa.ReadTimeout, sb.ReadTimeout},
		{"server.write_timeout", sa.WriteTimeout, sb.WriteTimeout},
		{"server.idle_timeout", sa.IdleTimeout, sb.IdleTimeout},
		{"server.log_level", sa.LogLevel, sb.LogLevel},
		{"server.reload", sa.Reload, sb.Reload},
		{"server.tracing", sa.Tracing, sb.Tracing},
		{"state", a.State, b.State},
	} {
		if !reflect.DeepEqual(c.a, c.b) {
			keys = append(keys, c.key)
		}
	}
	return keys
}

// Reload puts cfg, a checked configuration, in service: tenants added or
// changed are built (an emulated one gets a new emulator), unchanged ones
// are kept, and the new set replaces the old in one atomic swap. Requests
// in progress finish with the tenants they started with; a tenant removed
// or replaced is closed once its last request ended. On an error the
// configuration in service stays, and the error says why. Changes to the
// listeners, timeouts, log level or state store need a restart and are
// refused.
func (g *Gateway) Reload(cfg *Config) (err error) {
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	defer func() {
		g.metrics.loaded(cfg.Hash, true, err)
		if err != nil {
			g.log.Error("configuration reload refused; the previous configuration stays in service", zap.String("file", cfg.File), zap.Error(err))
		}
	}()
	if g.closed.Load() {
		return fmt.Errorf("the gateway is closed")
	}
	cur := g.live.Load()
	if keys := restartOnly(g.cfg, cfg); len(keys) > 0 {
		return fmt.Errorf("%s changed: that needs a restart", strings.Join(keys, ", "))
	}
	if cfg.State.Driver == "embedded" && shadowing(cfg) && !shadowing(g.cfg) {
		// The embedded store opens its file at start, and only for shadows.
		return fmt.Errorf("a tenant now keeps shadow attributes, which the embedded store keeps in the file it opens at start: that needs a restart")
	}
	tenants, err := g.buildTenants(cfg, cur.tenants)
	if err != nil {
		return err
	}
	g.live.Store(&live{cfg: cfg, tenants: tenants})
	var added, changed, removed, kept []string
	for id, t := range cur.tenants {
		switch n := tenants[id]; {
		case n == t:
			kept = append(kept, id)
			continue
		case n == nil:
			removed = append(removed, id)
		default:
			changed = append(changed, id)
		}
		go g.retire(t, cfg.Server.ShutdownGrace+t.deadline)
	}
	for id := range tenants {
		if cur.tenants[id] == nil {
			added = append(added, id)
		}
	}
	g.log.Info("configuration reloaded", zap.String("hash", cfg.Hash), zap.Strings("added", added), zap.Strings("changed", changed),
		zap.Strings("removed", removed), zap.Int("unchanged", len(kept)))
	return nil
}

// retire closes a tenant taken out of service once its requests in
// progress have ended, or after at most wait. A request reads the tenant
// set and counts itself within microseconds; the first second covers it.
func (g *Gateway) retire(t *tenant, wait time.Duration) {
	time.Sleep(time.Second)
	deadline := time.Now().Add(wait)
	for t.active.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	t.close()
}

// ReloadFile reads, checks and puts in service the configuration file at
// path (Reload). A file that does not pass the checks leaves the
// configuration in service; its problems are logged as file:line:col.
func (g *Gateway) ReloadFile(path string) error {
	cfg, err := LoadConfig(path, g.reg)
	if err != nil {
		g.metrics.loaded("", true, err)
		g.log.Error("configuration reload refused; the previous configuration stays in service", zap.String("file", path), zap.String("problems", err.Error()))
		return err
	}
	return g.Reload(cfg)
}

// unchanged reports whether cfg is what is in service: the same file and
// every tenant's fingerprint the same.
func (g *Gateway) unchanged(cfg *Config) bool {
	cur := g.live.Load()
	if cfg.Hash != cur.cfg.Hash || len(cfg.Tenants) != len(cur.tenants) {
		return false
	}
	for id, tc := range cfg.Tenants {
		if t := cur.tenants[id]; t == nil || t.fingerprint != tc.Fingerprint {
			return false
		}
	}
	return true
}

// Watch reloads the configuration file at path on every value from hup
// (SIGHUP) and, with server.reload: watch, when the file or a mapping file
// it names changes (fsnotify on their directories, so that a Kubernetes
// ConfigMap's symlink swap is seen too), until ctx is done.
func (g *Gateway) Watch(ctx context.Context, path string, hup <-chan os.Signal) error {
	var events <-chan fsnotify.Event
	var errs <-chan error
	var w *fsnotify.Watcher
	if g.cfg.Server.Reload == "watch" {
		var err error
		if w, err = fsnotify.NewWatcher(); err != nil {
			return fmt.Errorf("watch %s: %w", path, err)
		}
		defer w.Close()
		events, errs = w.Events, w.Errors
		g.watchDirs(w, path)
	}
	var debounce <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			g.log.Info("SIGHUP: reloading the configuration", zap.String("file", path))
			g.ReloadFile(path)
		case err := <-errs: // read, or the watcher stalls
			g.log.Warn("configuration watch", zap.Error(err))
		case ev := <-events:
			if g.watched(path, ev.Name) {
				debounce = time.After(250 * time.Millisecond) // editors write in steps
			}
		case <-debounce:
			debounce = nil
			cfg, err := LoadConfig(path, g.reg)
			switch {
			case err != nil:
				g.metrics.loaded("", true, err)
				g.log.Error("configuration reload refused; the previous configuration stays in service", zap.String("file", path), zap.String("problems", err.Error()))
			case g.unchanged(cfg):
			default:
				g.log.Info("configuration file changed: reloading", zap.String("file", path))
				if g.Reload(cfg) == nil {
					g.watchDirs(w, path)
				}
			}
		}
	}
}

// watchDirs watches the directories of the config file and of the
// mapping files in service.
func (g *Gateway) watchDirs(w *fsnotify.Watcher, path string) {
	dirs := map[string]bool{filepath.Dir(path): true}
	for _, tc := range g.live.Load().cfg.Tenants {
		if tc.MappingFile != "" {
			dirs[filepath.Dir(tc.MappingFile)] = true
		}
	}
	for d := range dirs {
		if err := w.Add(d); err != nil {
			g.log.Warn("cannot watch a configuration directory", zap.String("dir", d), zap.Error(err))
		}
	}
}

// watched reports whether a change to name may change the configuration:
// the config file, a mapping file in service, or a ConfigMap's data
// symlink ("..data").
func (g *Gateway) watched(path, name string) bool {
	base := filepath.Base(name)
	if base == "..data" || filepath.Clean(name) == filepath.Clean(path) || base == filepath.Base(path) {
		return true
	}
	for _, tc := range g.live.Load().cfg.Tenants {
		if tc.MappingFile != "" && filepath.Base(tc.MappingFile) == base {
			return true
		}
	}
	return false
}
