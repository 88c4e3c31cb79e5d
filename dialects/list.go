package dialects

import (
	"bytes"
	"context"
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
// attribute name, and sortOrder to v.
func SetSort(v url.Values, m *mappings.Mapping, rt ResourceType, q Query) error {
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

// Chunked returns a Page that asks the backend for at most max resources
// per call, calling it as often as a larger page needs.
func Chunked(p Page, max int) Page {
	return func(ctx context.Context, start, count int) ([]gjson.Result, int, error) {
		if count <= max {
			return p(ctx, start, count)
		}
		var all []gjson.Result
		total := 0
		for len(all) < count {
			items, t, err := p(ctx, start+len(all), min(max, count-len(all)))
			if err != nil {
				return nil, 0, err
			}
			total = t
			all = append(all, items...)
			if len(items) == 0 || start+len(all) > total {
				break
			}
		}
		return all, total, nil
	}
}

// Concat returns a Page over the resources of a followed by those of b,
// as one listing; b is asked only for its total (count 0) when a fills the
// page.
func Concat(a, b Page) Page {
	return func(ctx context.Context, start, count int) ([]gjson.Result, int, error) {
		items, ta, err := a(ctx, start, count)
		if err != nil {
			return nil, 0, err
		}
		bStart, bCount := max(start-ta, 1), count-len(items)
		more, tb, err := b(ctx, bStart, bCount)
		if err != nil {
			return nil, 0, err
		}
		return append(items, more...), ta + tb, nil
	}
}

// OrElse returns a Page over the resources of a or, when a has none, over
// those of b. A Page from OrElse serves one listing (its calls made one
// after another): once a is found empty, only b is asked.
func OrElse(a, b Page) Page {
	aEmpty := false
	return func(ctx context.Context, start, count int) ([]gjson.Result, int, error) {
		if !aEmpty {
			items, total, err := a(ctx, start, count)
			if err != nil || total > 0 || len(items) > 0 {
				return items, total, err
			}
			aEmpty = true
		}
		return b(ctx, start, count)
	}
}

// ListPage returns the ListResponse (RFC 7644 §3.4.2) of the page q asks
// for.
func ListPage(ctx context.Context, q Query, p Page) ([]byte, error) {
	items, total, err := p(ctx, q.StartIndex, q.Count)
	if err != nil {
		return nil, err
	}
	raw := make([]string, len(items))
	for i, it := range items {
		raw[i] = it.Raw
	}
	return ListResponse(total, q.StartIndex, raw), nil
}
