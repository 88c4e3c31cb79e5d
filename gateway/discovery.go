package gateway

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/mappings/scim"
)

// URNs of the discovery resources (RFC 7643 §5, §6, §7).
const (
	spcURN          = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	resourceTypeURN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaURN       = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// discovery holds a tenant's discovery documents, rendered once at startup
// from what its dialect really supports (RFC 7644 §4).
type discovery struct {
	spc           []byte
	resourceTypes []byte
	resourceType  map[string][]byte // lower-case name -> document
	schemas       []byte
	schema        map[string][]byte // lower-case URN -> document
}

type meta struct {
	ResourceType string `json:"resourceType"`
	Location     string `json:"location"`
}

type supported struct {
	Supported bool `json:"supported"`
}

func newDiscovery(t *tenant) *discovery {
	c := t.caps
	d := &discovery{resourceType: map[string][]byte{}, schema: map[string][]byte{}}
	d.spc = mustJSON(map[string]any{
		"schemas":          []string{spcURN},
		"documentationUri": "https://github.com/scimgw/scimgw#readme",
		// PATCH always works: the gateway applies it itself for backends
		// without one (dialects.Decorate).
		"patch":          supported{true},
		"bulk":           map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":         map[string]any{"supported": c.Filter, "maxResults": t.maxResults},
		"changePassword": supported{false},
		"sort":           supported{c.Sort},
		"etag":           supported{c.ETag},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "Authentication with a bearer token configured for this tenant (RFC 6750).",
		}},
		"meta": meta{"ServiceProviderConfig", t.base + "/ServiceProviderConfig"},
	})

	type ext struct {
		Schema   string `json:"schema"`
		Required bool   `json:"required"`
	}
	type resourceType struct {
		Schemas          []string `json:"schemas"`
		ID               string   `json:"id"`
		Name             string   `json:"name"`
		Endpoint         string   `json:"endpoint"`
		Description      string   `json:"description"`
		Schema           string   `json:"schema"`
		SchemaExtensions []ext    `json:"schemaExtensions,omitempty"`
		Meta             meta     `json:"meta"`
	}
	var rts []resourceType
	var schemas []scim.Schema
	for _, et := range t.effective.types {
		name := et.rt.String()
		desc := map[dialects.ResourceType]string{dialects.User: "User Account", dialects.Group: "Group"}[et.rt] + et.note
		rt := resourceType{
			Schemas: []string{resourceTypeURN}, ID: name, Name: name, Endpoint: "/" + et.rt.Endpoint(),
			Description: desc, Schema: et.core.ID, Meta: meta{"ResourceType", t.base + "/ResourceTypes/" + name},
		}
		schemas = append(schemas, et.core)
		for _, x := range et.exts {
			rt.SchemaExtensions = append(rt.SchemaExtensions, ext{Schema: x.ID})
			schemas = append(schemas, x)
		}
		rts = append(rts, rt)
	}
	var rtDocs []json.RawMessage
	for _, rt := range rts {
		doc := mustJSON(rt)
		d.resourceType[strings.ToLower(rt.ID)] = doc
		rtDocs = append(rtDocs, doc)
	}
	d.resourceTypes = listJSON(rtDocs)

	type schemaDoc struct {
		Schemas []string `json:"schemas"`
		scim.Schema
		Meta meta `json:"meta"`
	}
	var schemaDocs []json.RawMessage
	for _, s := range schemas {
		doc := mustJSON(schemaDoc{Schemas: []string{schemaURN}, Schema: s, Meta: meta{"Schema", t.base + "/Schemas/" + s.ID}})
		d.schema[strings.ToLower(s.ID)] = doc
		schemaDocs = append(schemaDocs, doc)
	}
	d.schemas = listJSON(schemaDocs)
	return d
}

// serve answers GET /ServiceProviderConfig, /ResourceTypes[/{name}] and
// /Schemas[/{urn}]. A filter is refused with 403 (RFC 7644 §4).
func (d *discovery) serve(c *gin.Context, segs []string) (*reply, error) {
	if c.Query("filter") != "" {
		return nil, dialects.Errorf(http.StatusForbidden, "", "filtering is not supported on discovery endpoints")
	}
	ok := func(b []byte) (*reply, error) { return &reply{status: http.StatusOK, body: b}, nil }
	kind := strings.ToLower(segs[0])
	switch {
	case len(segs) == 1 && kind == "serviceproviderconfig":
		return ok(d.spc)
	case len(segs) == 1 && kind == "resourcetypes":
		return ok(d.resourceTypes)
	case len(segs) == 1 && kind == "schemas":
		return ok(d.schemas)
	case len(segs) == 2 && kind == "resourcetypes":
		if doc, found := d.resourceType[strings.ToLower(segs[1])]; found {
			return ok(doc)
		}
	case len(segs) == 2 && kind == "schemas":
		id, _ := url.PathUnescape(segs[1])
		if doc, found := d.schema[strings.ToLower(id)]; found {
			return ok(doc)
		}
	}
	return nil, dialects.Errorf(http.StatusNotFound, "", "no such %s: %q", segs[0], strings.Join(segs[1:], "/"))
}

func listJSON(items []json.RawMessage) []byte {
	return mustJSON(map[string]any{
		"schemas": []string{scim.ListResponseURN}, "totalResults": len(items),
		"startIndex": 1, "itemsPerPage": len(items), "Resources": items,
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
