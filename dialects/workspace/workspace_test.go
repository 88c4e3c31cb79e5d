package workspace

import (
	"net/http"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/mappings"
)

func testDialect(t *testing.T) *dialect {
	m, err := mappings.Load(Factory.Mapping, nil, mappings.Options{Values: map[string]string{"domain": "example.com", "internal_user_type": "PROVISIONED"}, Known: Factory.OptionNames()})
	if err != nil {
		t.Fatal(err)
	}
	return &dialect{m: m}
}

// Without "active", a user's state is read from userStatus: "1" enabled,
// "2" disabled, "3" deleted.
func TestActiveFromUserStatus(t *testing.T) {
	d := testDialect(t)
	for status, want := range map[string]string{"1": "true", "2": "false", "3": "false"} {
		resp, err := d.resource(dialects.User, 200, &dialects.BackendResponse{Status: 200, Header: http.Header{},
			Body: []byte(`{"schemas":["urn:scim:schemas:core:1.0"],"id":"1","userName":"a","urn:scim:schemas:extension:workspace:1.0":{"userStatus":"` + status + `"}}`)})
		if err != nil {
			t.Fatal(err)
		}
		if got := gjson.GetBytes(resp.Body, "active").Raw; got != want {
			t.Errorf("userStatus %s: active %s, want %s", status, got, want)
		}
	}
	resp, _ := d.resource(dialects.User, 200, &dialects.BackendResponse{Status: 200, Header: http.Header{},
		Body: []byte(`{"id":"1","userName":"a","active":true,"urn:scim:schemas:extension:workspace:1.0":{"userStatus":"2"}}`)})
	if gjson.GetBytes(resp.Body, "active").Raw != "true" {
		t.Error("an explicit active was overridden")
	}
	if _, err := d.resource(dialects.User, 200, &dialects.BackendResponse{Status: 200, Header: http.Header{}, Body: []byte(`<html>`)}); err == nil {
		t.Error("a body that is not JSON was accepted")
	}
}

// count agrees with len(gjson's Array) on every shape a value can have.
func TestCount(t *testing.T) {
	for _, doc := range []string{`{}`, `{"a":null}`, `{"a":[]}`, `{"a":[1]}`, `{"a":[{"v":1},{"v":[2,3]}]}`, `{"a":"x"}`, `{"a":{"b":1}}`, `{"a":[null,null,null]}`} {
		v := gjson.Get(doc, "a")
		if got, want := count(v), len(v.Array()); got != want {
			t.Errorf("%s: count %d, Array %d", doc, got, want)
		}
	}
}
