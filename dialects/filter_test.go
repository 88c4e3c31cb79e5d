package dialects

import (
	"context"
	"fmt"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

func onlyEqSw(e *scim.Expr) bool { return e.Op == scim.OpEq || e.Op == scim.OpSw }

func TestWiden(t *testing.T) {
	cases := []struct {
		filter, backend string
		exact           bool
	}{
		{`userName eq "a"`, `userName eq "a"`, true},
		{`userName eq "a" and title sw "b"`, `userName eq "a" and title sw "b"`, true},
		{`userName eq "a" or title sw "b"`, `userName eq "a" or title sw "b"`, true},
		{`userName sw "a" and title ne "x"`, `userName sw "a"`, false},
		{`title ne "x" and userName sw "a"`, `userName sw "a"`, false},
		{`userName sw "a" or title ne "x"`, ``, false},
		{`not (userName eq "a")`, ``, false},
		{`title pr`, ``, false},
		{`emails[type eq "work"]`, `emails.type eq "work"`, true},
		{`emails[type eq "work" and value ew "@x.com"]`, `emails.type eq "work"`, false},
		{`emails[type eq "work" and value sw "a"]`, `emails.type eq "work" and emails.value sw "a"`, false},
		{`urn:x:1.0:emails[type eq "work"]`, `urn:x:1.0:emails.type eq "work"`, true},
	}
	for _, c := range cases {
		f, err := scim.ParseFilter(c.filter)
		if err != nil {
			t.Fatal(err)
		}
		w, exact := Widen(f, onlyEqSw)
		got := ""
		if w != nil {
			got = w.String()
		}
		if got != c.backend || exact != c.exact {
			t.Errorf("%s: got %q exact=%v, want %q exact=%v", c.filter, got, exact, c.backend, c.exact)
		}
	}
}

// FilterList pages through the backend, keeps what matches, and pages the
// matches as the client asked.
func TestFilterList(t *testing.T) {
	var all []gjson.Result
	for i := 1; i <= 25; i++ {
		all = append(all, gjson.Parse(fmt.Sprintf(`{"id":"%d","title":"t%d"}`, i, i%3)))
	}
	calls := 0
	page := func(_ context.Context, start, count int) ([]gjson.Result, int, error) {
		calls++
		end := min(start-1+count, len(all))
		return all[start-1 : end], len(all), nil
	}
	f, _ := scim.ParseFilter(`title ne "t0"`)
	body, err := FilterList(context.Background(), Query{Filter: f, StartIndex: 3, Count: 4}, page, 10, 100)
	if err != nil {
		t.Fatal(err)
	}
	doc := gjson.ParseBytes(body)
	if doc.Get("totalResults").Int() != 17 || doc.Get("startIndex").Int() != 3 || doc.Get("itemsPerPage").Int() != 4 ||
		doc.Get("Resources.#.id").String() != `["4","5","7","8"]` || calls != 3 {
		t.Fatalf("calls %d: %s", calls, body)
	}
	if _, err := FilterList(context.Background(), Query{Filter: f, StartIndex: 1, Count: 4}, page, 10, 20); err == nil || err.(*Error).ScimType != "tooMany" {
		t.Fatalf("scan limit: %v", err)
	}
}

// A backend of n resources {"id":"1"}… that serves at most max a call and
// counts its calls.
func fakePage(n, max int, calls *int) Page {
	return func(_ context.Context, start, count int) ([]gjson.Result, int, error) {
		*calls++
		if count > max {
			return nil, 0, Errorf(429, "", "count %d", count)
		}
		var out []gjson.Result
		for i := start; i < start+count && i <= n; i++ {
			out = append(out, gjson.Parse(fmt.Sprintf(`{"id":"%d"}`, i)))
		}
		return out, n, nil
	}
}

func TestChunkedConcatListPage(t *testing.T) {
	ctx := context.Background()
	var ca, cb int
	p := Concat(Chunked(fakePage(30, 25, &ca), 25), Chunked(fakePage(12, 25, &cb), 25))
	body, err := ListPage(ctx, Query{StartIndex: 21, Count: 40}, p)
	if err != nil {
		t.Fatal(err)
	}
	doc := gjson.ParseBytes(body)
	if doc.Get("totalResults").Int() != 42 || doc.Get("itemsPerPage").Int() != 22 || doc.Get("startIndex").Int() != 21 ||
		doc.Get("Resources.0.id").String() != "21" || doc.Get("Resources.9.id").String() != "30" || doc.Get("Resources.10.id").String() != "1" || doc.Get("Resources.21.id").String() != "12" {
		t.Fatalf("%s", body)
	}
	if ca != 1 || cb != 1 {
		t.Fatalf("calls: %d and %d", ca, cb)
	}
	// 40 from the start: two calls of at most 25 to the first listing.
	ca, cb = 0, 0
	body, _ = ListPage(ctx, Query{StartIndex: 1, Count: 40}, p)
	if gjson.GetBytes(body, "itemsPerPage").Int() != 40 || gjson.GetBytes(body, "Resources.39.id").String() != "10" || ca != 2 || cb != 1 {
		t.Fatalf("calls %d %d: %s", ca, cb, body)
	}
	// A page the first listing fills asks the second only for its total.
	ca, cb = 0, 0
	body, _ = ListPage(ctx, Query{StartIndex: 1, Count: 5}, p)
	if gjson.GetBytes(body, "totalResults").Int() != 42 || gjson.GetBytes(body, "itemsPerPage").Int() != 5 || ca != 1 || cb != 1 {
		t.Fatalf("calls %d %d: %s", ca, cb, body)
	}
}

// expand runs ExpandPathless on a PatchOp body.
func expand(body string) ([]byte, error) {
	pr, err := scim.ParsePatch([]byte(body))
	if err != nil {
		return nil, err
	}
	out, err := ExpandPathless(pr)
	if err != nil {
		return nil, err
	}
	return out.Marshal(), nil
}

func TestExpandPathless(t *testing.T) {
	out, err := expand((`{"Operations":[{"op":"Replace","value":{"active":false,"name":{"givenName":"G","familyName":"F"},"name.formatted":"G F",
		"urn:x:1.0":{"employeeNumber":"7"}}},{"op":"remove","path":"title"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := gjson.GetBytes(out, "Operations.#.path").Raw
	if got != `["active","name.givenName","name.familyName","name.formatted","urn:x:1.0:employeeNumber","title"]` ||
		gjson.GetBytes(out, "Operations.0.value").Raw != "false" || gjson.GetBytes(out, "Operations.4.value").Raw != `"7"` ||
		gjson.GetBytes(out, "Operations.0.op").String() != "Replace" {
		t.Fatalf("%s", out)
	}
	if _, err := expand(`{"Operations":[{"op":"add","value":[1]}]}`); err == nil {
		t.Fatal("a path-less add of an array accepted")
	}
}

// FuzzExpandPathless: whatever PatchOp comes in, what comes out has a path
// on every operation and parses.
func FuzzExpandPathless(f *testing.F) {
	f.Add(`{"Operations":[{"op":"replace","value":{"a":1,"b":{"c":2},"urn:x:1.0":{"d":3}}}]}`)
	f.Add(`{"Operations":[{"op":"remove","path":"x"}]}`)
	f.Add(`{"Operations":[]}`) // once gave "Operations": null
	f.Add(`{"Operations":[{"op":"add","value":{"":1}}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		out, err := expand(body)
		if err != nil {
			return
		}
		if _, err := scim.ParsePatch(out); err != nil {
			t.Fatalf("%s -> %s: %v", body, out, err)
		}
		for _, p := range gjson.GetBytes(out, "Operations.#.path").Array() {
			if p.String() == "" {
				t.Fatalf("an operation without a path: %s", out)
			}
		}
	})
}

func TestCompleteName(t *testing.T) {
	for in, want := range map[string]string{
		`{"name":{"givenName":"A","familyName":"B"},"displayName":"X Y"}`: `{"givenName":"A","familyName":"B"}`,
		`{"name":{"formatted":"Anna Maria de Vries"}}`:                    `{"formatted":"Anna Maria de Vries","givenName":"Anna Maria de","familyName":"Vries"}`,
		`{"name":{"givenName":"Babs"},"displayName":"Barbara Jensen"}`:    `{"givenName":"Babs","familyName":"Jensen"}`,
		`{"displayName":"Cher"}`:                                          ``,
	} {
		out, ok := CompleteName([]byte(in))
		if got := gjson.GetBytes(out, "name").Raw; ok != (want != "") || ok && got != want {
			t.Errorf("%s: %v %s, want %s", in, ok, got, want)
		}
	}
}
