package dialects

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// fake is a backend-less dialect holding one user; it records the
// operations it is asked for, and refuses a stale version with 412.
type fake struct {
	caps    Capabilities
	calls   []string
	user    string // JSON
	version int
	stale   int // how many replaces to refuse with 412 as if changed concurrently
}

func (f *fake) Capabilities() Capabilities { return f.caps }

func (f *fake) Do(_ context.Context, req *Request) (*Response, error) {
	f.calls = append(f.calls, req.Action.String())
	etag := `W/"` + strconv.Itoa(f.version) + `"`
	switch req.Action {
	case Get:
		return &Response{Status: 200, Body: []byte(f.user), ETag: etag}, nil
	case Replace:
		if req.IfMatch != "" && req.IfMatch != etag || f.stale > 0 {
			f.stale--
			f.version++
			return nil, Errorf(http.StatusPreconditionFailed, "", "changed")
		}
		f.user, f.version = string(req.Body), f.version+1
		return &Response{Status: 200, Body: req.Body}, nil
	case Patch:
		return &Response{Status: http.StatusNoContent}, nil // answers without the resource
	case List:
		return &Response{Status: 200, Body: ListResponse(1, 1, []string{f.user})}, nil
	}
	return &Response{Status: 204}, nil
}

func patchOf(t *testing.T, ops string) *scim.PatchRequest {
	t.Helper()
	pr, err := scim.ParsePatch([]byte(`{"schemas":["` + scim.PatchOpURN + `"],"Operations":` + ops + `}`))
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

func TestDecoratePatchByReplace(t *testing.T) {
	f := &fake{caps: Capabilities{ETag: true, Immutable: [2][]string{User: {"userName"}}}, user: `{"id":"1","userName":"Ann","displayName":"A","meta":{"version":"x"}}`}
	d := Decorate("fake", f)
	req := func(ops string) *Request { return &Request{Action: Patch, Type: User, ID: "1", Patch: patchOf(t, ops)} }

	resp, err := d.Do(context.Background(), req(`[{"op":"replace","path":"displayName","value":"B"}]`))
	if err != nil || gjson.GetBytes(resp.Body, "displayName").String() != "B" || gjson.GetBytes(resp.Body, "meta").Exists() {
		t.Fatalf("%v %s", err, resp.Body)
	}
	if strings.Join(f.calls, " ") != "get replace" {
		t.Fatalf("calls %v", f.calls)
	}

	// Changed concurrently twice: read again each time, then it stands.
	f.calls, f.stale = nil, 2
	if _, err := d.Do(context.Background(), req(`[{"op":"replace","path":"displayName","value":"C"}]`)); err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.calls, " ") != "get replace get replace get replace" {
		t.Fatalf("calls %v", f.calls)
	}
	// Changed on every read: bounded, and the client learns it.
	f.calls, f.stale = nil, 10
	_, err = d.Do(context.Background(), req(`[{"op":"replace","path":"displayName","value":"D"}]`))
	var de *Error
	if !errors.As(err, &de) || de.Status != 412 || len(f.calls) != 2*maxCycles {
		t.Fatalf("%v after %v", err, f.calls)
	}
	// The client's own stale version: no second cycle.
	f.calls, f.stale = nil, 0
	r := req(`[{"op":"replace","path":"displayName","value":"E"}]`)
	r.IfMatch = `W/"0"`
	if _, err := d.Do(context.Background(), r); !errors.As(err, &de) || de.Status != 412 || len(f.calls) != 2 {
		t.Fatalf("%v after %v", err, f.calls)
	}
	// Changing an immutable attribute is refused before anything is written;
	// its case may change (userName is case-insensitive).
	f.calls = nil
	if _, err := d.Do(context.Background(), req(`[{"op":"replace","path":"userName","value":"bob"}]`)); !errors.As(err, &de) || de.ScimType != "mutability" || strings.Join(f.calls, " ") != "get" {
		t.Fatalf("%v after %v", err, f.calls)
	}
	if _, err := d.Do(context.Background(), req(`[{"op":"replace","path":"userName","value":"ANN"}]`)); err != nil {
		t.Fatal(err)
	}
}

func TestDecorateNativePatch(t *testing.T) {
	f := &fake{caps: Capabilities{Patch: AllKinds, ReadOnly: []string{"roles"}, ReadOnlyWhy: "it has its own",
		Immutable: [2][]string{User: {"userName"}}}, user: `{"id":"1","userName":"ann"}`}
	d := Decorate("fake", f)
	do := func(ops string) (*Response, error) {
		f.calls = nil
		return d.Do(context.Background(), &Request{Action: Patch, Type: User, ID: "1", Patch: patchOf(t, ops)})
	}
	// A 204 answer: the resource is read after it.
	if resp, err := do(`[{"op":"replace","path":"title","value":"T"}]`); err != nil || len(resp.Body) == 0 || strings.Join(f.calls, " ") != "patch get" {
		t.Fatalf("%v %v", err, f.calls)
	}
	var de *Error
	for _, ops := range []string{
		`[{"op":"add","path":"roles","value":[{"value":"admin"}]}]`,
		`[{"op":"replace","value":{"roles":[{"value":"admin"}]}}]`,
		`[{"op":"remove","path":"userName"}]`,
	} {
		if _, err := do(ops); !errors.As(err, &de) || de.ScimType != "mutability" || len(f.calls) != 0 {
			t.Fatalf("%s: %v after %v", ops, err, f.calls)
		}
	}
	// Setting the immutable attribute: read, compare, refuse.
	if _, err := do(`[{"op":"replace","path":"userName","value":"bob"}]`); !errors.As(err, &de) || de.ScimType != "mutability" || strings.Join(f.calls, " ") != "get" {
		t.Fatalf("%v after %v", err, f.calls)
	}
	// A replace that keeps it goes through; one that changes it does not.
	f.calls = nil
	if _, err := d.Do(context.Background(), &Request{Action: Replace, Type: User, ID: "1", Body: []byte(`{"userName":"Ann"}`)}); err != nil || strings.Join(f.calls, " ") != "get replace" {
		t.Fatalf("%v after %v", err, f.calls)
	}
	f.calls = nil
	if _, err := d.Do(context.Background(), &Request{Action: Replace, Type: User, ID: "1", Body: []byte(`{"userName":"bob"}`)}); !errors.As(err, &de) || strings.Join(f.calls, " ") != "get" {
		t.Fatalf("%v after %v", err, f.calls)
	}
	// Groups have no immutable attributes here: a replace is one call.
	f.calls = nil
	if _, err := d.Do(context.Background(), &Request{Action: Replace, Type: Group, ID: "1", Body: []byte(`{"displayName":"G"}`)}); err != nil || strings.Join(f.calls, " ") != "replace" {
		t.Fatalf("%v after %v", err, f.calls)
	}
}

// lister is a fake whose backend evaluates no filter: 250 users.
type lister struct {
	fake
	pages int
}

func (l *lister) Listing(rt ResourceType, q Query) (Page, bool, error) {
	return func(_ context.Context, start, count int) ([]gjson.Result, int, error) {
		l.pages++
		var items []gjson.Result
		for i := start; i < start+count && i <= 250; i++ {
			b, _ := json.Marshal(map[string]any{"id": strconv.Itoa(i), "userName": "u" + strconv.Itoa(i)})
			items = append(items, gjson.ParseBytes(b))
		}
		return items, 250, nil
	}, q.Filter == nil, nil
}

func TestDecorateLister(t *testing.T) {
	l := &lister{fake: fake{caps: Capabilities{Filter: true, ScanLimit: 300, ScanPage: 100}}}
	d := Decorate("fake", l)
	list := func(filter string, start, count int) gjson.Result {
		t.Helper()
		q := Query{StartIndex: start, Count: count}
		if filter != "" {
			q.Filter, _ = scim.ParseFilter(filter)
		}
		l.pages = 0
		resp, err := d.Do(context.Background(), &Request{Action: List, Type: User, Query: q})
		if err != nil {
			t.Fatal(err)
		}
		return gjson.ParseBytes(resp.Body)
	}
	// Exact: one page, the backend's total.
	if r := list("", 11, 5); r.Get("totalResults").Int() != 250 || r.Get("Resources.0.id").String() != "11" || l.pages != 1 {
		t.Fatalf("%d pages: %s", l.pages, r.Raw)
	}
	// Inexact: scanned in ScanPage pages and evaluated by the gateway.
	if r := list(`userName ew "5"`, 2, 3); r.Get("totalResults").Int() != 25 || r.Get("Resources.#.id").Raw != `["15","25","35"]` || l.pages != 3 || len(l.calls) != 0 {
		t.Fatalf("%d pages, calls %v: %s", l.pages, l.calls, r.Raw)
	}
	// Beyond ScanLimit: 400 tooMany rather than an unbounded scan.
	l.caps.ScanLimit = 200
	d = Decorate("fake", l)
	q, _ := scim.ParseFilter(`userName ew "5"`)
	_, err := d.Do(context.Background(), &Request{Action: List, Type: User, Query: Query{Filter: q, StartIndex: 1, Count: 10}})
	var de *Error
	if !errors.As(err, &de) || de.ScimType != "tooMany" {
		t.Fatalf("%v", err)
	}
}
