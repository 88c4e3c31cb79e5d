package scim

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"sort"
	"testing"
)

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return m
}

func noSkip(string) bool { return false }

func TestDiffGolden(t *testing.T) {
	skipRO := func(n string) bool { return n == "id" || n == "meta" || n == "urn:x:1.0:status" }
	cases := []struct{ name, cur, next, want string }{
		{"nothing changes", `{"id":"1","userName":"a"}`, `{"userName":"a"}`, `{}`},
		{"simple replace and removal", `{"userName":"a","title":"t","nickName":"n"}`, `{"userName":"b","title":"t"}`,
			`{"userName":"b","meta":{"attributes":["nickName"]}}`},
		{"complex merges; a removed sub-attribute is named", `{"name":{"givenName":"A","middleName":"M"}}`, `{"name":{"givenName":"B"}}`,
			`{"name":{"givenName":"B"},"meta":{"attributes":["name.middleName"]}}`},
		{"extension names use the URN", `{"urn:x:1.0":{"employeeNumber":"1","status":"1","manager":{"managerId":"m","displayName":"M"}}}`,
			`{"urn:x:1.0":{"manager":{"managerId":"n"}}}`,
			`{"urn:x:1.0":{"manager":{"managerId":"n"}},"meta":{"attributes":["urn:x:1.0:employeeNumber","urn:x:1.0:manager.displayName"]}}`},
		{"multi-valued: delete marker and new value", `{"emails":[{"value":"a@x","primary":true}]}`, `{"emails":[{"value":"b@x","primary":true}]}`,
			`{"emails":[{"value":"a@x","primary":true,"operation":"delete"},{"value":"b@x","primary":true}]}`},
		{"multi-valued: changed value sent, unchanged not", `{"members":[{"value":"1"},{"value":"2","display":"x"}]}`, `{"members":[{"value":"1"},{"value":"2","display":"y"},{"value":"3"}]}`,
			`{"members":[{"value":"2","display":"y"},{"value":"3"}]}`},
		{"all values gone: the attribute is removed", `{"emails":[{"value":"a"}]}`, `{"emails":[]}`, `{"meta":{"attributes":["emails"]}}`},
		{"plain values are replaced whole", `{"tags":["a","b"]}`, `{"tags":["b"]}`, `{"tags":["b"],"meta":{"attributes":["tags"]}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, changed := Diff(decode(t, c.cur), decode(t, c.next), skipRO)
			if !equalJSON(got, decode(t, c.want)) {
				g, _ := json.Marshal(got)
				t.Fatalf("got  %s\nwant %s", g, c.want)
			}
			if changed != (c.want != `{}`) {
				t.Fatalf("changed = %v", changed)
			}
		})
	}
}

func TestApplyPartial(t *testing.T) {
	cur := decode(t, `{"userName":"a","title":"t","name":{"givenName":"A","middleName":"M"},
		"emails":[{"value":"a@x","primary":true},{"value":"c@x"}],
		"urn:x:1.0":{"employeeNumber":"1","manager":{"managerId":"m"}}}`)
	patch := decode(t, `{"schemas":["urn:scim:schemas:core:1.0"],"title":"T",
		"name":{"familyName":"F"},
		"emails":[{"value":"a@x","operation":"delete"},{"value":"b@x","primary":true},{"value":"c@x","type":"home"}],
		"urn:x:1.0":{"manager":{"displayName":"Boss"}},
		"meta":{"attributes":["name.middleName","urn:x:1.0:employeeNumber","nickName"]}}`)
	got, err := ApplyPartial(cur, patch)
	if err != nil {
		t.Fatal(err)
	}
	want := decode(t, `{"userName":"a","title":"T","name":{"givenName":"A","familyName":"F"},
		"emails":[{"value":"c@x","type":"home"},{"value":"b@x","primary":true}],
		"urn:x:1.0":{"manager":{"managerId":"m","displayName":"Boss"}}}`)
	if !equalJSON(got, want) {
		g, _ := json.Marshal(got)
		t.Fatalf("got %s", g)
	}
	if cur["title"] != "t" {
		t.Fatal("ApplyPartial changed its input")
	}
	if _, err := ApplyPartial(cur, decode(t, `{"emails":[{"value":"x","operation":"merge"}]}`)); err == nil {
		t.Fatal("unknown operation accepted")
	}
	if _, err := ApplyPartial(cur, decode(t, `{"meta":{"attributes":["9bad"]}}`)); err == nil {
		t.Fatal("bad attribute name accepted")
	}
}

// TestDiffApplyRoundTrip checks the property the workspace dialect relies
// on: applying Diff(cur, next) to cur gives next, for random resources.
func TestDiffApplyRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 3000; i++ {
		cur, next := randomResource(r), randomResource(r)
		if r.Intn(3) == 0 {
			next = mutate(r, cur)
		}
		patch, _ := Diff(cur, next, noSkip)
		got, err := ApplyPartial(cur, patch)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := canonical(got), canonical(next); a != b {
			c, _ := json.Marshal(cur)
			p, _ := json.Marshal(patch)
			t.Fatalf("round trip failed\ncur   %s\npatch %s\ngot   %s\nwant  %s", c, p, a, b)
		}
	}
}

var names = []string{"userName", "title", "nickName", "active"}

func randomResource(r *rand.Rand) map[string]any {
	m := map[string]any{}
	for _, n := range names {
		if r.Intn(2) == 0 {
			m[n] = fmt.Sprint(r.Intn(3))
		}
	}
	if r.Intn(2) == 0 {
		name := map[string]any{}
		for _, n := range []string{"givenName", "familyName", "middleName"} {
			if r.Intn(2) == 0 {
				name[n] = fmt.Sprint(r.Intn(3))
			}
		}
		m["name"] = name
	}
	if r.Intn(2) == 0 {
		m["emails"] = randomValues(r)
	}
	if r.Intn(2) == 0 {
		ext := map[string]any{"employeeNumber": fmt.Sprint(r.Intn(3))}
		if r.Intn(2) == 0 {
			ext["manager"] = map[string]any{"managerId": fmt.Sprint(r.Intn(3))}
		}
		m["urn:x:1.0"] = ext
	}
	if r.Intn(3) == 0 {
		m["tags"] = []any{fmt.Sprint(r.Intn(3))}
	}
	return m
}

func randomValues(r *rand.Rand) []any {
	var out []any
	seen := map[string]bool{}
	primary := false
	for j := r.Intn(4); j > 0; j-- {
		v := fmt.Sprint("v", r.Intn(5))
		if seen[v] {
			continue
		}
		seen[v] = true
		el := map[string]any{"value": v}
		if r.Intn(2) == 0 {
			el["type"] = fmt.Sprint("t", r.Intn(2))
		}
		if !primary && r.Intn(3) == 0 {
			el["primary"], primary = true, true
		}
		out = append(out, el)
	}
	return out
}

func mutate(r *rand.Rand, cur map[string]any) map[string]any {
	next := deepCopy(cur).(map[string]any)
	switch r.Intn(4) {
	case 0:
		delete(next, names[r.Intn(len(names))])
	case 1:
		next["emails"] = randomValues(r)
	case 2:
		if n, ok := next["name"].(map[string]any); ok {
			delete(n, "givenName")
		}
	case 3:
		next["title"] = "changed"
	}
	return next
}

// canonical renders a resource with unassigned values left out, multi-valued
// values in order of their "value", and no primary:false markers.
func canonical(m map[string]any) string {
	var norm func(v any) any
	norm = func(v any) any {
		switch t := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, e := range t {
				if isUnassigned(e) || (k == "primary" && e == false) {
					continue
				}
				if n := norm(e); n != nil {
					out[k] = n
				}
			}
			if len(out) == 0 {
				return nil
			}
			return out
		case []any:
			var out []any
			for _, e := range t {
				out = append(out, norm(e))
			}
			sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
			return out
		}
		return v
	}
	b, _ := json.Marshal(norm(m))
	return string(b)
}

// FuzzApplyPartial: any body applies or fails cleanly, never panics, and
// never changes its input.
func FuzzApplyPartial(f *testing.F) {
	f.Add(`{"title":"x","meta":{"attributes":["name.middleName","urn:x:1.0:a"]}}`)
	f.Add(`{"emails":[{"value":"a","operation":"delete"},{"value":"b","primary":true}]}`)
	f.Add(`{"meta":{"attributes":[1]}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var patch map[string]any
		if json.Unmarshal([]byte(body), &patch) != nil || patch == nil {
			return
		}
		cur := decode(t, `{"userName":"a","name":{"givenName":"A"},"emails":[{"value":"a","primary":true}],"urn:x:1.0":{"a":"1"}}`)
		before := canonical(cur)
		ApplyPartial(cur, patch)
		if canonical(cur) != before {
			t.Fatal("input changed")
		}
	})
}
