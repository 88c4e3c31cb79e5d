package emulator

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// urn20 begins every SCIM 2.0 URN, which a SCIM 1.1 server does not know.
const urn20 = "urn:ietf:params:scim:"

// writable refuses a request body the API would not take: one that sets a
// read-only attribute, or — for a SCIM 1.1 server — one in SCIM 2.0 shape.
func (s *Server) writable(w http.ResponseWriter, body []byte) bool {
	if err := s.writableErr(gjson.ParseBytes(body)); err != nil {
		s.scimError(w, http.StatusBadRequest, err.ScimType, err.Msg)
		return false
	}
	return true
}

func (s *Server) writableErr(doc gjson.Result) *scim.Error {
	for _, k := range s.p.ReadOnly {
		if scim.Field(doc, k).Exists() {
			return &scim.Error{ScimType: "mutability", Msg: fmt.Sprintf("attribute %q is read-only", k)}
		}
	}
	if !s.p.SCIM11 || !doc.IsObject() {
		return nil
	}
	return shape11(doc)
}

// shape11 refuses a body in SCIM 2.0 shape, which a SCIM 1.1 server does
// not know: Operations, 2.0 URNs in "schemas" or as attribute names, and
// "schemas" without the 1.1 core URN.
func shape11(doc gjson.Result) *scim.Error {
	if scim.Field(doc, "Operations").Exists() {
		return &scim.Error{ScimType: "invalidSyntax", Msg: "SCIM 1.1 PATCH takes a partial resource, not Operations"}
	}
	core := false
	for _, u := range scim.Field(doc, "schemas").Array() {
		if strings.HasPrefix(strings.ToLower(u.String()), urn20) {
			return &scim.Error{ScimType: "invalidValue", Msg: fmt.Sprintf("unknown schema %q", u.String())}
		}
		core = core || u.String() == scim.Core11Schema
	}
	if !core {
		return &scim.Error{ScimType: "invalidValue", Msg: `"schemas" must list ` + scim.Core11Schema}
	}
	bad := ""
	doc.ForEach(func(k, _ gjson.Result) bool {
		if strings.HasPrefix(strings.ToLower(k.Str), urn20) {
			bad = k.Str
		}
		return bad == ""
	})
	if bad != "" {
		return &scim.Error{ScimType: "invalidValue", Msg: fmt.Sprintf("unknown attribute %q", bad)}
	}
	return nil
}

// checkPartial11 reads a SCIM 1.1 partial resource (PATCH) as the server
// does (after writableErr): its meta.attributes and "operation" marks
// (scim.ApplyPartial), and its values against the vendor's 1.1 schema — a
// partial resource is read as a whole one, with the required attributes
// it need not carry filled in.
func (s *Server) checkPartial11(body []byte, rt string) error {
	var patch map[string]any
	if err := json.Unmarshal(body, &patch); err != nil || patch == nil {
		return &scim.Error{ScimType: "invalidSyntax", Msg: "body is not a JSON object"}
	}
	whole, err := scim.ApplyPartial(map[string]any{}, patch)
	if err != nil {
		return err
	}
	whole["schemas"] = patch[scim.FindKey(patch, "schemas")]
	required := "userName"
	if rt == "Group" {
		required = "displayName"
	}
	if _, ok := whole[scim.FindKey(whole, required)]; !ok {
		whole[required] = "(not changed)"
	}
	raw, _ := json.Marshal(whole)
	_, err = s.schema(rt).Resource(raw, scim.Strict, scim.DefaultLimits)
	return err
}

// unsupportedFilter says why a SCIM 1.1 server cannot evaluate the filter:
// it knows eq co sw gt ge lt le, and and or; not ne, ew, pr, not or
// [value filters].
func (s *Server) unsupportedFilter(f *scim.Expr) string {
	if !s.p.SCIM11 {
		return ""
	}
	why := ""
	var walk func(e *scim.Expr)
	walk = func(e *scim.Expr) {
		if e == nil || why != "" {
			return
		}
		switch e.Kind {
		case scim.Not:
			why = "operator not is not supported"
		case scim.ValuePath:
			why = "complex attribute filters are not supported"
		case scim.Compare:
			switch e.Op {
			case scim.OpNe, scim.OpEw, scim.OpPr:
				why = "operator " + e.Op + " is not supported"
			}
			if strings.HasPrefix(strings.ToLower(e.Path.URN), urn20) {
				why = "unknown attribute " + e.Path.String()
			}
		}
		walk(e.Left)
		walk(e.Right)
	}
	walk(f)
	return why
}

// list11 answers a SCIM 1.1 list: startIndex counts from StartIndexBase,
// count defaults to 20, and a bad startIndex, count or sortBy is a 404, as
// Workspace ONE documents.
func (s *Server) list11(w http.ResponseWriter, r *http.Request, st *store, rt string, f *scim.Expr) {
	q := r.URL.Query()
	start, count := s.p.StartIndexBase, 20
	for _, p := range []struct {
		name string
		dst  *int
		min  int
	}{{"startIndex", &start, s.p.StartIndexBase}, {"count", &count, 0}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < p.min {
				s.scimError(w, http.StatusNotFound, "", fmt.Sprintf("invalid %s %q", p.name, v))
				return
			}
			*p.dst = n
		}
	}
	count = min(count, s.p.MaxCount)
	var hits []*resource
	for _, id := range st.order {
		res := st.byID[id]
		if f == nil || f.Match(gjson.ParseBytes(s.view(r, res, rt))) {
			hits = append(hits, res)
		}
	}
	if by := q.Get("sortBy"); by != "" {
		path, err := scim.ParseAttrPath(by)
		if err != nil || strings.HasPrefix(strings.ToLower(path.URN), urn20) {
			s.scimError(w, http.StatusNotFound, "", fmt.Sprintf("invalid sortBy %q", by))
			return
		}
		desc := strings.EqualFold(q.Get("sortOrder"), "descending")
		sort.SliceStable(hits, func(i, j int) bool {
			a := strings.ToLower(scim.Lookup(gjson.ParseBytes(hits[i].raw), path).String())
			b := strings.ToLower(scim.Lookup(gjson.ParseBytes(hits[j].raw), path).String())
			return a < b != desc && a != b
		})
	}
	page := []json.RawMessage{}
	for i := start - s.p.StartIndexBase; i < len(hits) && len(page) < count; i++ {
		page = append(page, s.shape11(r, s.view(r, hits[i], rt)))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":      []string{scim.Core11Schema},
		"totalResults": len(hits),
		"startIndex":   start,
		"itemsPerPage": len(page),
		"Resources":    page,
	})
}

// patch11 applies a SCIM 1.1 PATCH (a partial resource, scim.ApplyPartial)
// and answers 204 No Content, as Workspace ONE does.
func (s *Server) patch11(w http.ResponseWriter, r *http.Request, st *store, rt, id string, body []byte) {
	res := s.existing(w, r, st, id)
	if res == nil || !s.writable(w, body) {
		return
	}
	var patch, cur map[string]any
	if err := json.Unmarshal(body, &patch); err != nil || patch == nil {
		s.scimError(w, http.StatusBadRequest, "invalidSyntax", "body is not a JSON object")
		return
	}
	json.Unmarshal(res.raw, &cur)
	next, err := scim.ApplyPartial(cur, patch)
	if err != nil {
		s.scimError(w, http.StatusBadRequest, err.(*scim.PatchError).ScimType, err.Error())
		return
	}
	delete(next, "meta")
	delete(next, "id")
	next["schemas"] = listSchemas(next, s.schema(rt).Core())
	raw, _ := json.Marshal(next)
	if !s.strict(w, raw, rt) {
		return
	}
	doc, ok := s.decode(w, raw, rt)
	if !ok || !s.checked(w, r.Method, rt, cur, doc) || !s.unique(w, st, rt, doc, id) {
		return
	}
	s.store(st, res, rt, doc, time.Now().UTC().Format(time.RFC3339))
	if s.p.ETags {
		w.Header().Set("ETag", s.etag(res))
	}
	w.WriteHeader(http.StatusNoContent)
}

// shape11 applies what a SCIM 1.1 answer adds to a stored resource: the
// decorations (Vendor.Created), and the "attributes" parameter — the
// minimal set (schemas, id, meta, userName or displayName) plus the
// attributes asked for.
func (s *Server) shape11(r *http.Request, raw []byte, decorate ...func(map[string]any)) []byte {
	var doc map[string]any
	json.Unmarshal(raw, &doc)
	for _, d := range decorate {
		if d != nil {
			d(doc)
		}
	}
	if list := r.URL.Query().Get("attributes"); list != "" {
		out := map[string]any{}
		for _, k := range []string{"schemas", "id", "meta", "userName", "displayName"} {
			if v, ok := doc[k]; ok {
				out[k] = v
			}
		}
		for _, name := range strings.Split(list, ",") {
			p, err := scim.ParseAttrPath(strings.TrimSpace(name))
			if err != nil {
				continue
			}
			src, dst := doc, out
			if p.URN != "" {
				src, _ = doc[scim.FindKey(doc, p.URN)].(map[string]any)
				if src == nil {
					continue
				}
				if dst, _ = out[p.URN].(map[string]any); dst == nil {
					dst = map[string]any{}
					out[p.URN] = dst
				}
			}
			if v, ok := src[scim.FindKey(src, p.Attr)]; ok {
				dst[p.Attr] = v
			}
		}
		doc = out
	}
	out, _ := json.Marshal(doc)
	return out
}

// token serves the OAuth 2.0 client credentials grant (RFC 6749 §4.4) with
// HTTP Basic client authentication; grant_type may be in the body or the
// query, as Workspace ONE accepts both.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	o := s.p.OAuth
	switch {
	case r.Method != http.MethodPost:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	case !ok || subtle.ConstantTimeCompare([]byte(id), []byte(o.ClientID)) != 1 || subtle.ConstantTimeCompare([]byte(secret), []byte(o.ClientSecret)) != 1:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	r.ParseForm()
	if r.Form.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	b := make([]byte, 16)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	s.mu.Lock()
	s.issued[tok] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 21600})
}

// authorized checks the Authorization header against Profile.Token and
// the OAuth tokens issued.
func (s *Server) authorized(h string) bool {
	if s.p.Token == "" && s.p.OAuth == nil && s.p.Basic == nil {
		return true
	}
	if s.p.Basic != nil {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(s.p.Basic[0]+":"+s.p.Basic[1]))
		if subtle.ConstantTimeCompare([]byte(h), []byte(want)) == 1 {
			return true
		}
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return false
	}
	if s.p.Token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.p.Token)) == 1 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued[tok]
}
