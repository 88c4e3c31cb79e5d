package dialects

import (
	"bytes"
	"net/http"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
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
