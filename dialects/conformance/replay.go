package conformance

import (
	"embed"
	"encoding/json"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects/emulator"
)

// A replay file is an ordered conversation an IdP really has with a SCIM
// service, transcribed from its public documentation (see "source"). Paths
// are relative to the tenant's /scim/v2; {{name}} is a value captured from
// an earlier response ("capture": {"name": "<gjson path>"}).
type replayFile struct {
	Name     string   `json:"name"`
	Source   string   `json:"source"`
	Dialects []string `json:"dialects,omitempty"` // only these tenants' dialects; empty: all
	// Skip names dialects the file does not apply to, with the reason.
	Skip map[string]string `json:"skip,omitempty"`
	// Unheld names, per dialect, attributes its backend does not keep:
	// expectations on them are not checked.
	Unheld map[string][]string `json:"unheld,omitempty"`
	Steps  []replayStep        `json:"steps"`
}

type replayStep struct {
	Name     string            `json:"name"`
	Dialects []string          `json:"dialects,omitempty"`
	Skip     map[string]string `json:"skip,omitempty"` // dialect -> why the step does not apply
	// Needs names attributes the step relies on the tenant keeping: it
	// is skipped for a dialect whose Unheld lists one, unless the gateway
	// shadows them.
	Needs   []string          `json:"needs,omitempty"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
	// Token replaces the tenant's token ("" keeps it; "-" sends none).
	Token  string       `json:"token,omitempty"`
	Expect replayExpect `json:"expect"`
	// Refused names dialects whose gateway must refuse the step with 400
	// and this scimType, forwarding nothing, with the reason after a colon:
	// "invalidPath: Cube keeps no email type".
	Refused map[string]string `json:"refused,omitempty"`
	Save    map[string]string `json:"capture,omitempty"`
	// Backend checks the emulated backend's stored resource afterwards.
	Backend *replayBackend `json:"backend,omitempty"`
}

type replayExpect struct {
	Status  int                        `json:"status"`
	JSON    map[string]json.RawMessage `json:"json,omitempty"`    // gjson path -> exact JSON value
	Present []string                   `json:"present,omitempty"` // gjson paths that must exist
	Absent  []string                   `json:"absent,omitempty"`  // gjson paths that must not
	Count   map[string]int             `json:"count,omitempty"`   // gjson path -> array length
}

type replayBackend struct {
	Resource string                     `json:"resource"`       // "Users/{{userId}}"
	Skip     map[string]string          `json:"skip,omitempty"` // dialect -> why the check does not apply
	JSON     map[string]json.RawMessage `json:"json,omitempty"`
	Count    map[string]int             `json:"count,omitempty"`
	Gone     bool                       `json:"gone,omitempty"`
}

// dropsAttributes reports whether a replay file lists attributes the
// dialect's backend drops.
func dropsAttributes(dialect string) bool {
	files, _ := fs.Glob(replays, "testdata/replay/*.json")
	for _, f := range files {
		data, _ := replays.ReadFile(f)
		var rf replayFile
		if json.Unmarshal(data, &rf) == nil && len(rf.Unheld[dialect]) > 0 {
			return true
		}
	}
	return false
}

var varRE = regexp.MustCompile(`\{\{(\w+)\}\}`)

//go:embed testdata/replay/*.json
var replays embed.FS

// replay runs every replay file against the dialect's tenant, each file
// on a fresh gateway from newC.
//
// shadowed: the tenant keeps what its backend drops (shadow: unheld), so
// the files' Unheld lists waive nothing.
func replay(t *testing.T, newC func(*testing.T) *Client, dialect string, shadowed bool) {
	files, _ := fs.Glob(replays, "testdata/replay/*.json")
	if len(files) < 5 {
		t.Fatalf("only %d replay files", len(files))
	}
	for _, f := range files {
		data, err := replays.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rf replayFile
		if err := json.Unmarshal(data, &rf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(rf.Dialects) > 0 && !contains(rf.Dialects, dialect) || rf.Skip[dialect] != "" {
			continue
		}
		if shadowed {
			rf.Unheld = nil
		}
		t.Run(path.Base(f), func(t *testing.T) {
			c := newC(t)
			vars := map[string]string{}
			expand := func(s string) string {
				return varRE.ReplaceAllStringFunc(s, func(m string) string {
					name := varRE.FindStringSubmatch(m)[1]
					v, ok := vars[name]
					if !ok {
						t.Fatalf("variable %s not captured yet", name)
					}
					return v
				})
			}
			for i, st := range rf.Steps {
				func() {
					if len(st.Dialects) > 0 && !contains(st.Dialects, dialect) || st.Skip[dialect] != "" {
						return
					}
					for _, n := range st.Needs {
						if contains(rf.Unheld[dialect], n) {
							return
						}
					}
					var headers []string
					for k, v := range st.Headers {
						headers = append(headers, k, v)
					}
					emu := c.Emulator()
					sent := len(emu.Requests())
					defer checkBackend(t, emu, sent, f+" step "+strconv.Itoa(i+1)+" ("+st.Name+")")
					r := c.SCIM(st.Method, expand(st.Path), st.Token, expand(string(st.Body)), headers...)
					where := func() string { return f + " step " + strconv.Itoa(i+1) + " (" + st.Name + ")" }
					if why := st.Refused[dialect]; why != "" {
						scimType, _, _ := strings.Cut(why, ":")
						r.WantError(t, 400, scimType)
						if n := len(emu.Requests()) - sent; n != 0 {
							t.Fatalf("%s: refused, yet %d request(s) reached the backend", where(), n)
						}
						return
					}
					if r.Status != st.Expect.Status {
						t.Fatalf("%s: status %d, want %d: %s", where(), r.Status, st.Expect.Status, r.Body)
					}
					if r.Status >= 400 {
						r.WantError(t, r.Status, r.JSON.Get("scimType").String())
					}
					expectJSON := map[string]json.RawMessage{}
					for p, v := range st.Expect.JSON {
						if !contains(rf.Unheld[dialect], p) {
							expectJSON[p] = v
						}
					}
					checkJSON(t, where(), r.JSON, expectJSON, st.Expect.Count, expand)
					for _, p := range st.Expect.Present {
						if contains(rf.Unheld[dialect], p) {
							return
						}
						if !r.JSON.Get(p).Exists() {
							t.Fatalf("%s: %s missing in %s", where(), p, r.Body)
						}
					}
					for _, p := range st.Expect.Absent {
						if r.JSON.Get(p).Exists() {
							t.Fatalf("%s: %s present in %s", where(), p, r.Body)
						}
					}
					for name, p := range st.Save {
						vars[name] = r.JSON.Get(p).String()
					}
					if b := st.Backend; b != nil && b.Skip[dialect] == "" {
						endpoint, id, _ := strings.Cut(expand(b.Resource), "/")
						stored := emu.Resource(endpoint, id)
						if b.Gone {
							if stored != nil {
								t.Fatalf("%s: backend still holds %s", where(), b.Resource)
							}
							return
						}
						if stored == nil {
							t.Fatalf("%s: backend has no %s", where(), b.Resource)
						}
						checkJSON(t, where()+" backend", gjson.ParseBytes(stored), b.JSON, b.Count, expand)
					}
				}()
			}
		})
	}
}

func checkJSON(t *testing.T, where string, doc gjson.Result, want map[string]json.RawMessage, counts map[string]int, expand func(string) string) {
	t.Helper()
	for p, raw := range want {
		var w, g any
		json.Unmarshal([]byte(expand(string(raw))), &w)
		got := doc.Get(p)
		if !got.Exists() {
			t.Fatalf("%s: %s missing in %s", where, p, doc.Raw)
		}
		json.Unmarshal([]byte(got.Raw), &g)
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(g)
		if string(wj) != string(gj) {
			t.Fatalf("%s: %s = %s, want %s", where, p, gj, wj)
		}
	}
	for p, n := range counts {
		if got := len(doc.Get(p).Array()); got != n {
			t.Fatalf("%s: %s has %d values, want %d: %s", where, p, got, n, doc.Raw)
		}
	}
}

// checkBackend checks the wire contract of every request the backend
// received since the first sent ones — what the gateway sent is what the
// vendor's RFC server takes — and that what it holds is a valid state
// (one primary, members that exist).
func checkBackend(t *testing.T, emu *emulator.Server, sent int, where string) {
	t.Helper()
	for _, rec := range emu.Requests()[sent:] {
		if err := emu.CheckWire(rec); err != nil {
			t.Errorf("%s: wire contract: %v", where, err)
		}
	}
	if err := emu.CheckState(); err != nil {
		t.Errorf("%s: backend state: %v", where, err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
