package dialects

import (
	"bytes"
	"net/http"
	"net/url"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/scimgw/scimgw/mappings"
)

// MapList applies fn to every element of a ListResponse's "Resources" and
// returns the list with the results in their place.
func MapList(body []byte, fn func([]byte) ([]byte, error)) ([]byte, error) {
	res := gjson.GetBytes(body, "Resources")
	if !res.IsArray() {
		return body, nil
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	var err error
	n := 0
	res.ForEach(func(_, v gjson.Result) bool {
		var out []byte
		if out, err = fn([]byte(v.Raw)); err != nil {
			return false
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		buf.Write(out)
		n++
		return true
	})
	if err != nil {
		return nil, err
	}
	buf.WriteByte(']')
	out, err := sjson.SetRawBytes(body, "Resources", buf.Bytes())
	if err != nil {
		return nil, Errorf(http.StatusBadGateway, "", "cannot rewrite backend list: %v", err)
	}
	return out, nil
}

// SetSort adds the query's sortBy (RFC 7644 §3.4.2.3), in the backend's
// attribute name, and sortOrder to v; rt is a mapping resource index.
func SetSort(v url.Values, m *mappings.Mapping, rt int, q Query) error {
	if q.SortBy == "" {
		return nil
	}
	by, err := m.Path(rt, q.SortBy)
	if err != nil {
		return err
	}
	v.Set("sortBy", by)
	if q.SortOrder != "" {
		v.Set("sortOrder", q.SortOrder)
	}
	return nil
}
