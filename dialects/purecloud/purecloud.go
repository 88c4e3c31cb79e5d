// Package purecloud is the Genesys Cloud (PureCloud) SCIM v2 dialect
// (seed 002; MyPureCloud platform-client SDK docs, SCIMApi): SCIM 2.0 under
// /api/v2/scim/v2 with lower-case /users and /groups, no name attribute, a
// userName that is the user's email address, and the
// urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User
// extension. The mapping (mapping.yaml) keeps what Genesys
// models; this package does the rest:
//
//   - users are checked and reshaped before they are sent (userName an
//     email, displayName composed from name, the userName email left out,
//     phone numbers in E.164 with Genesys' types, roles by name);
//   - lists: Genesys evaluates one "eq" comparison on a few short names,
//     lists only active users when there is no filter, and serves at most
//     25 users a call; the gateway chooses the comparison to send,
//     evaluates the rest, lists inactive users too, and pages for itself;
//   - groups exist in Genesys: only their members change.
package purecloud

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/scim2"
	"github.com/scimgw/scimgw/mappings"
	"github.com/scimgw/scimgw/mappings/scim"
)

// Extension is the Genesys Cloud user extension.
const Extension = "urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User"

// PageSize is the most users Genesys serves in one call ("a page size
// over 25 may exceed internal resource limits and return a 429 error").
const PageSize = 25

//go:embed mapping.yaml
var mapping []byte

// Factory registers the purecloud dialect.
var Factory = &dialects.Factory{
	Name:        "purecloud",
	Mapping:     mappings.Source{File: "dialects/purecloud/mapping.yaml", Data: mapping},
	Description: "Genesys Cloud (PureCloud) SCIM v2",
	Options: []dialects.OptionSpec{
		{Name: "role_map", Kind: dialects.Map, Description: "client role values to Genesys role names, e.g. {admin: Master Admin}; others are sent as they are"},
		{Name: "include_inactive", Kind: dialects.Bool, Default: "true", Description: "list deactivated users too (Genesys lists only active users unless asked for inactive ones)"},
		{Name: "inactive_lookup", Kind: dialects.Enum, Values: []string{"off", "also"}, Default: "off", Description: "also: a lookup by userName, externalId or email that finds nothing is repeated over the deactivated users (for an organisation whose filtered lookups hide them; read at most scan_limit)"},
		dialects.ScanLimit,
		{Name: "name_from_display", Kind: dialects.Bool, Default: "true", Description: "return name (formatted, givenName, familyName) derived from displayName, since Genesys keeps no name"},
	},
	New: func(cfg dialects.Config) (dialects.Dialect, error) {
		o := cfg.Options
		d := &dialect{m: cfg.Mapping, b: cfg.Backend, includeInactive: o.Bool("include_inactive"), inactiveLookup: o.String("inactive_lookup") == "also", nameFromDisplay: o.Bool("name_from_display"),
			roles: o.Map("role_map"), rolesBack: map[string]string{}, scanLimit: o.Int("scan_limit")}
		if d.roles == nil {
			d.roles = map[string]string{}
		}
		for k, v := range d.roles {
			if _, dup := d.rolesBack[v]; dup {
				d.rolesBack[v] = "" // not invertible: returned as Genesys names it
				continue
			}
			d.rolesBack[v] = k
		}
		d.c = scim2.NewClient(cfg.Backend, cfg.Mapping, scim2.Config{Name: "purecloud", Caps: d.Capabilities(), LowerCasePaths: true})
		return d, nil
	},
	NewEmulator: func(dialects.Options) dialects.Emulator { return NewEmulator() },
	Demo:        dialects.Demo{Auth: `{type: oauth2, token_url: /oauth/token, client_id: emulator-client, client_secret: emulator-client-secret}`, Options: `{role_map: {admin: Master Admin, agent: employee}}`},
}

type dialect struct {
	c               *scim2.Client
	b               dialects.Backend
	m               *mappings.Mapping
	includeInactive bool
	inactiveLookup  bool // a lookup on a unique attribute that finds nothing reads the deactivated users
	nameFromDisplay bool
	scanLimit       int
	roles           map[string]string // client value -> Genesys role name
	rolesBack       map[string]string // Genesys role name -> client value ("" if ambiguous)
}

// extensionSchema is Genesys Cloud's User extension (seed 002,
// developer.genesys.cloud SCIM schemas).
var extensionSchema = scim.Schema{ID: Extension, Name: "GenesysUser", Description: "Genesys Cloud user extension", Attributes: []scim.Attribute{
	scim.Attr("routingSkills", "complex", "The user's routing skills.").Multi().With(
		scim.Attr("name", "string", "The skill's name."), scim.Attr("proficiency", "decimal", "Proficiency, 0 to 5.")),
	scim.Attr("routingLanguages", "complex", "The user's routing languages.").Multi().With(
		scim.Attr("name", "string", "The language's name."), scim.Attr("proficiency", "decimal", "Proficiency, 0 to 5.")),
	scim.Attr("externalIds", "complex", "Identifiers of the user in other systems.").Multi().With(
		scim.Attr("authority", "string", "The system the id is from."), scim.Attr("value", "string", "The id.")),
}}

func (d *dialect) Capabilities() dialects.Capabilities {
	return dialects.Capabilities{Patch: dialects.AllKinds, Filter: true, ETag: true, Groups: true, GroupMembersOnly: true, Enterprise: true,
		Extensions: []scim.Schema{extensionSchema}, ScanLimit: d.scanLimit, ScanPage: 4 * PageSize}
}

func (d *dialect) Do(ctx context.Context, req *dialects.Request) (*dialects.Response, error) {
	resp, err := d.do(ctx, req)
	if err != nil || req.Type != dialects.User || len(resp.Body) == 0 {
		return resp, err
	}
	resp.Body, err = d.userBack(resp.Body)
	return resp, err
}

func (d *dialect) do(ctx context.Context, req *dialects.Request) (*dialects.Response, error) {
	if req.Type == dialects.Group && (req.Action == dialects.Create || req.Action == dialects.Delete) {
		return nil, dialects.Unsupported("Genesys Cloud groups are created and deleted in Genesys Cloud itself; SCIM can only change their members")
	}
	switch {
	case req.Type != dialects.User:
	case req.Action == dialects.Create || req.Action == dialects.Replace:
		body, err := d.prepare(req.Body)
		if err != nil {
			return nil, err
		}
		r := *req
		r.Body = body
		return d.c.Do(ctx, &r)
	case req.Action == dialects.Patch:
		pr, err := d.patch(ctx, req)
		if err != nil {
			return nil, err
		}
		r := *req
		r.Patch = pr
		return d.c.Do(ctx, &r)
	}
	return d.c.Do(ctx, req)
}

// checkUserName refuses a userName that is not an email address: it is the
// user's Genesys Cloud login and main email.
func checkUserName(v string) error {
	if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
		return dialects.Errorf(http.StatusBadRequest, "invalidValue", "Genesys Cloud needs userName to be an email address, not %q", v)
	}
	return nil
}

// prepare checks and reshapes a SCIM 2.0 user for Genesys Cloud, still in
// SCIM 2.0 names (the mapping then leaves out what Genesys does not hold).
func (d *dialect) prepare(body []byte) ([]byte, error) {
	doc := scim.Parse(body)
	userName := scim.Field(doc, "userName").String()
	if err := checkUserName(userName); err != nil {
		return nil, err
	}
	var err error
	if display := strings.TrimSpace(scim.Field(doc, "displayName").String()); display == "" {
		display = composeName(scim.Field(doc, "name"))
		if display == "" {
			return nil, dialects.Errorf(http.StatusBadRequest, "invalidValue", "Genesys Cloud needs displayName (or name.formatted, or name.givenName and name.familyName to compose it)")
		}
		if body, err = sjson.SetBytes(body, "displayName", display); err != nil {
			return nil, err
		}
	}
	if emails := scim.Field(doc, "emails"); emails.Exists() {
		if body, err = sjson.SetRawBytes(body, keyOf(doc, "emails"), workEmail(emails, userName)); err != nil {
			return nil, err
		}
	}
	if phones := scim.Field(doc, "phoneNumbers"); phones.Exists() {
		out, err := phoneNumbers(phones)
		if err != nil {
			return nil, err
		}
		if body, err = sjson.SetRawBytes(body, keyOf(doc, "phoneNumbers"), out); err != nil {
			return nil, err
		}
	}
	if roles := scim.Field(doc, "roles"); roles.Exists() {
		if body, err = sjson.SetRawBytes(body, keyOf(doc, "roles"), d.rolesOut(roles)); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// keyOf returns the key of doc's member name as the client wrote it
// (names are case-insensitive), or name when there is none.
func keyOf(doc gjson.Result, name string) string {
	if key, _ := scim.Member(doc, name); key != "" {
		return key
	}
	return name
}

// composeName is name.formatted, else givenName and familyName joined.
func composeName(name gjson.Result) string {
	if f := strings.TrimSpace(scim.Field(name, "formatted").String()); f != "" {
		return f
	}
	return strings.TrimSpace(scim.Field(name, "givenName").String() + " " + scim.Field(name, "familyName").String())
}

// workEmail keeps the one email Genesys lets a client set, its work email:
// the userName email (type "other" in Genesys) is read-only and left out;
// of the others, the primary one (or the first) is sent as "work".
func workEmail(emails gjson.Result, userName string) []byte {
	var pick gjson.Result
	emails.ForEach(func(_, e gjson.Result) bool {
		v := scim.Field(e, "value").String()
		if strings.EqualFold(v, userName) || strings.EqualFold(scim.Field(e, "type").String(), "other") || v == "" {
			return true
		}
		if !pick.Exists() || scim.Field(e, "primary").Bool() && !scim.Field(pick, "primary").Bool() {
			pick = e
		}
		return true
	})
	if !pick.Exists() {
		return []byte("[]")
	}
	out := `[{"value":` + scim.Quote(scim.Field(pick, "value").String()) + `,"type":"work"`
	if scim.Field(pick, "primary").Bool() {
		out += `,"primary":true`
	}
	return []byte(out + "}]")
}

var (
	extRE     = regexp.MustCompile(`(?i)\s*(?:;ext=|ext\.?|x|#)\s*(\d{1,10})$`)
	e164RE    = regexp.MustCompile(`^\+[1-9]\d{6,14}$`)
	telURIRE  = regexp.MustCompile(`^tel:\+[1-9]\d{6,14}(;ext=\d{1,10})?$`)
	phoneJunk = strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "", "/", "", "\u00a0", "")
)

// phoneNumber normalises a number to E.164 (+31205550100), or to a tel URI
// (tel:+31205550100;ext=12) when it has an extension. It needs the
// international form: a leading + or 00.
func phoneNumber(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if telURIRE.MatchString(v) {
		return v, true
	}
	ext := ""
	if m := extRE.FindStringSubmatchIndex(v); m != nil {
		ext, v = v[m[2]:m[3]], v[:m[0]]
	}
	v = phoneJunk.Replace(v)
	if strings.HasPrefix(v, "00") {
		v = "+" + v[2:]
	}
	if !e164RE.MatchString(v) {
		return "", false
	}
	if ext != "" {
		return "tel:" + v + ";ext=" + ext, true
	}
	return v, true
}

// phoneTypes are Genesys' phone types; more than one work number goes to
// work2, work3 and work4.
var phoneTypes = map[string]bool{"work": true, "work2": true, "work3": true, "work4": true, "home": true, "mobile": true, "other": true}

// phoneNumbers normalises numbers and types; fax and pager numbers, which
// Genesys does not keep, are left out.
func phoneNumbers(phones gjson.Result) ([]byte, error) {
	var out []string
	used := map[string]bool{}
	var err error
	phones.ForEach(func(_, p gjson.Result) bool {
		typ := strings.ToLower(scim.Field(p, "type").String())
		switch {
		case typ == "fax" || typ == "pager":
			return true
		case typ == "" || typ == "work" || !phoneTypes[typ]:
			typ = ""
			for _, w := range []string{"work", "work2", "work3", "work4"} {
				if !used[w] {
					typ = w
					break
				}
			}
			if typ == "" {
				err = dialects.Errorf(http.StatusBadRequest, "invalidValue", "Genesys Cloud keeps at most four work phone numbers")
				return false
			}
		case used[typ]:
			err = dialects.Errorf(http.StatusBadRequest, "invalidValue", "Genesys Cloud keeps one %s phone number", typ)
			return false
		}
		num, ok := phoneNumber(scim.Field(p, "value").String())
		if !ok {
			err = dialects.Errorf(http.StatusBadRequest, "invalidValue", "phone number %q is not in international form (E.164, e.g. +31205550100, or a tel: URI)", scim.Field(p, "value").String())
			return false
		}
		used[typ] = true
		el := `{"value":` + scim.Quote(num) + `,"type":"` + typ + `"`
		if scim.Field(p, "primary").Bool() {
			el += `,"primary":true`
		}
		out = append(out, el+"}")
		return true
	})
	if err != nil {
		return nil, err
	}
	return []byte("[" + strings.Join(out, ",") + "]"), nil
}

// rolesOut renders roles as Genesys takes them, [{"value": role name}],
// through options.role_map; a role may come as a string or an object.
func (d *dialect) rolesOut(roles gjson.Result) []byte {
	var out []string
	roles.ForEach(func(_, r gjson.Result) bool {
		v := r.String()
		if r.IsObject() {
			v = scim.Field(r, "value").String()
		}
		if mapped, ok := d.roles[v]; ok {
			v = mapped
		}
		if v != "" {
			out = append(out, `{"value":`+scim.Quote(v)+`}`)
		}
		return true
	})
	return []byte("[" + strings.Join(out, ",") + "]")
}

// userBack finishes a user for the client: roles, which Genesys may
// return as strings, become objects with the client's own role values;
// the userName email (type "other") is primary when no email is; and
// name is derived from displayName ("Given Family": the last word is the
// family name) unless options.name_from_display is false.
func (d *dialect) userBack(body []byte) ([]byte, error) {
	doc := scim.Parse(body)
	var err error
	if display := scim.Field(doc, "displayName").String(); d.nameFromDisplay && display != "" && !scim.Field(doc, "name").Exists() {
		name := map[string]string{"formatted": display, "familyName": display}
		if given, family, ok := dialects.SplitName(display); ok {
			name["givenName"], name["familyName"] = given, family
		}
		if body, err = sjson.SetBytes(body, "name", name); err != nil {
			return nil, err
		}
	}
	if roles := scim.Field(doc, "roles"); roles.IsArray() {
		var out []string
		roles.ForEach(func(_, r gjson.Result) bool {
			v := r.String()
			if r.IsObject() {
				v = scim.Field(r, "value").String()
			}
			if back := d.rolesBack[v]; back != "" {
				v = back
			}
			out = append(out, `{"value":`+scim.Quote(v)+`}`)
			return true
		})
		if body, err = sjson.SetRawBytes(body, keyOf(doc, "roles"), []byte("["+strings.Join(out, ",")+"]")); err != nil {
			return nil, err
		}
	}
	emails := scim.Field(doc, "emails")
	primary := false
	emails.ForEach(func(_, e gjson.Result) bool {
		primary = primary || scim.Field(e, "primary").Bool()
		return !primary
	})
	if !primary {
		for i, e := range emails.Array() {
			if strings.EqualFold(scim.Field(e, "type").String(), "other") {
				body, _ = sjson.SetBytes(body, keyOf(doc, "emails")+"."+strconv.Itoa(i)+".primary", true)
				break
			}
		}
	}
	return body, nil
}

// patch rewrites a PatchOp for Genesys Cloud: name changes become a
// displayName change (unless the PATCH sets displayName itself), userName
// must stay an email, phone numbers are normalised and roles mapped.
func (d *dialect) patch(ctx context.Context, req *dialects.Request) (*scim.PatchRequest, error) {
	var err error
	var ops []scim.PatchOperation
	name := map[string]string{} // sub-attribute -> new value ("" when removed)
	touchesName, setsDisplay := false, false
	for _, op := range req.Patch.Operations {
		p, _ := scim.ParsePatchPath(op.Path)
		val := gjson.ParseBytes(op.Value)
		switch {
		case op.Path == "" && val.IsObject():
			// Path-less: split out the name, reshape the rest.
			rest := map[string]json.RawMessage{}
			json.Unmarshal(op.Value, &rest)
			for k, v := range rest {
				kp, _ := scim.ParsePatchPath(k)
				switch {
				case kp.Attr.Is("name", kp.Attr.Sub):
					touchesName = true
					collectName(name, kp.Attr.Sub, gjson.ParseBytes(v))
					delete(rest, k)
					continue
				case kp.Attr.Is("displayName", ""):
					setsDisplay = true
				}
				if rest[k], err = d.patchValue(kp, gjson.ParseBytes(v)); err != nil {
					return nil, err
				}
			}
			op.Value, _ = json.Marshal(rest)
		case p.Filter == nil && p.Attr.Is("name", p.Attr.Sub):
			touchesName = true
			if strings.EqualFold(op.Op, "remove") {
				val = gjson.Result{}
			}
			collectName(name, p.Attr.Sub, val)
			continue
		case p.Attr.Is("displayName", ""):
			setsDisplay = true
		case !strings.EqualFold(op.Op, "remove") && val.Exists():
			if op.Value, err = d.patchValue(p, val); err != nil {
				return nil, err
			}
		}
		ops = append(ops, op)
	}
	if touchesName && !setsDisplay {
		display, err := d.displayFromName(ctx, req.ID, name)
		if err != nil {
			return nil, err
		}
		v, _ := json.Marshal(display)
		ops = append(ops, scim.PatchOperation{Op: "replace", Path: "displayName", Value: v})
	}
	return &scim.PatchRequest{Schemas: []string{scim.PatchOpURN}, Operations: ops}, nil
}

// collectName records name sub-attributes set (or, with no value, removed).
func collectName(name map[string]string, sub string, v gjson.Result) {
	if sub != "" {
		name[strings.ToLower(sub)] = v.String()
		return
	}
	for _, k := range []string{"formatted", "givenname", "familyname"} {
		name[k] = ""
	}
	v.ForEach(func(k, sv gjson.Result) bool {
		name[strings.ToLower(k.Str)] = sv.String()
		return true
	})
}

// displayFromName composes the new displayName from a PATCH's name
// changes; when it sets only part of the name, the rest is taken from the
// current displayName ("Given Family": the last word is the family name).
func (d *dialect) displayFromName(ctx context.Context, id string, name map[string]string) (string, error) {
	if f := strings.TrimSpace(name["formatted"]); f != "" {
		return f, nil
	}
	given, hasGiven := name["givenname"]
	family, hasFamily := name["familyname"]
	if !hasGiven || !hasFamily {
		cur, err := d.c.Do(ctx, &dialects.Request{Action: dialects.Get, Type: dialects.User, ID: id})
		if err != nil {
			return "", err
		}
		curGiven, curFamily, ok := dialects.SplitName(gjson.GetBytes(cur.Body, "displayName").String())
		if !ok {
			curFamily = strings.TrimSpace(gjson.GetBytes(cur.Body, "displayName").String())
		}
		if !hasFamily {
			family = curFamily
		}
		if !hasGiven {
			given = curGiven
		}
	}
	display := strings.TrimSpace(strings.TrimSpace(given) + " " + strings.TrimSpace(family))
	if display == "" {
		return "", dialects.Errorf(http.StatusBadRequest, "invalidValue", "Genesys Cloud needs a displayName; this PATCH would leave the name empty")
	}
	return display, nil
}

// patchValue reshapes the value a PATCH sets at p as prepare does for a
// whole user: userName must be an email, phone numbers are normalised,
// roles mapped, and emails sent as the work email (the "other" one is the
// userName, read-only).
func (d *dialect) patchValue(p scim.PatchPath, val gjson.Result) (json.RawMessage, error) {
	arr := val
	if !val.IsArray() {
		arr = gjson.Parse("[" + val.Raw + "]")
	}
	whole := p.Filter == nil && p.Attr.Sub == "" && p.Sub == ""
	switch {
	case p.Attr.Is("userName", ""):
		if err := checkUserName(val.String()); err != nil {
			return nil, err
		}
	case p.Attr.Is("phoneNumbers", p.Attr.Sub):
		return d.patchPhones(p, val)
	case p.Attr.Is("roles", "") && whole:
		return d.rolesOut(arr), nil
	case p.Attr.Is("emails", "") && whole:
		var out []string
		arr.ForEach(func(_, e gjson.Result) bool {
			if !strings.EqualFold(scim.Field(e, "type").String(), "other") {
				out = append(out, `{"value":`+scim.Quote(scim.Field(e, "value").String())+`,"type":"work"}`)
			}
			return true
		})
		return json.RawMessage("[" + strings.Join(out, ",") + "]"), nil
	}
	return json.RawMessage(val.Raw), nil
}

// patchPhones normalises the phone numbers in a PATCH value.
func (d *dialect) patchPhones(p scim.PatchPath, val gjson.Result) (json.RawMessage, error) {
	if p.Sub == "value" || p.Attr.Sub == "value" {
		num, ok := phoneNumber(val.String())
		if !ok {
			return nil, dialects.Errorf(http.StatusBadRequest, "invalidValue", "phone number %q is not in international form (E.164, e.g. +31205550100, or a tel: URI)", val.String())
		}
		return json.Marshal(num)
	}
	if p.Filter != nil || p.Attr.Sub != "" || p.Sub != "" {
		return json.RawMessage(val.Raw), nil
	}
	arr := val
	if !val.IsArray() {
		arr = gjson.Parse("[" + val.Raw + "]")
	}
	out, err := phoneNumbers(arr)
	return json.RawMessage(out), err
}

// filterNames are the attributes Genesys Cloud filters on, by their SCIM
// 2.0 path, with the short names its filter takes.
var filterNames = map[string]string{
	"id": "id", "username": "userName", "externalid": "externalId", "active": "active",
	"emails.value": "email", "displayname": "displayName",
	scim.EnterpriseSchema + ":employeenumber": "employeeNumber",
	scim.EnterpriseSchema + ":manager.value":  "manager",
	scim.EnterpriseSchema + ":division":       "division",
}

// priority orders the comparisons the gateway may send, most selective first.
var priority = []string{"id", "userName", "externalId", "email", "employeeNumber", "displayName", "manager", "division", "active"}

// unique are the filter names that find one user (Genesys filters users
// on no id: the gateway reads them all for an id, deactivated ones too).
var unique = map[string]bool{"userName": true, "externalId": true, "email": true}

// backendFilter returns the one comparison of f that Genesys evaluates
// (a top-level "eq" on a name it filters on, the most selective one), in
// Genesys' names, and whether it selects exactly what f does.
func backendFilter(rt dialects.ResourceType, f *scim.Expr) (name string, value scim.Value, exact bool) {
	var conjuncts []*scim.Expr
	var walk func(e *scim.Expr)
	walk = func(e *scim.Expr) {
		if e.Kind == scim.And {
			walk(e.Left)
			walk(e.Right)
			return
		}
		conjuncts = append(conjuncts, e)
	}
	walk(f)
	best := len(priority)
	for _, c := range conjuncts {
		if c.Kind == scim.ValuePath && c.Left.Kind == scim.Compare && c.Left.Path.Sub == "" {
			// emails[value eq "x"] is emails.value eq "x".
			flat := *c.Left
			flat.Path = scim.AttrPath{URN: c.Path.URN, Attr: c.Path.Attr, Sub: c.Left.Path.Attr}
			c = &flat
		}
		if c.Kind != scim.Compare || c.Op != scim.OpEq || c.Value.Kind == scim.NullValue || c.Value.Kind == scim.NumberValue {
			continue
		}
		key := strings.ToLower(c.Path.Attr)
		if c.Path.Sub != "" {
			key += "." + strings.ToLower(c.Path.Sub)
		}
		if c.Path.URN != "" && !strings.EqualFold(c.Path.URN, scim.UserSchema) && !strings.EqualFold(c.Path.URN, scim.GroupSchema) {
			key = strings.ToLower(c.Path.URN) + ":" + key
			if strings.EqualFold(c.Path.URN, scim.EnterpriseSchema) {
				key = scim.EnterpriseSchema + ":" + key[len(scim.EnterpriseSchema)+1:]
			}
		}
		n, ok := filterNames[key]
		if !ok || (rt == dialects.Group) != (n == "displayName" || n == "id") {
			continue
		}
		if (n == "active") != (c.Value.Kind == scim.BoolValue) {
			continue
		}
		for i, p := range priority {
			if p == n && i < best {
				best, name, value = i, n, c.Value
			}
		}
	}
	return name, value, name != "" && len(conjuncts) == 1
}

// Listing sends Genesys the one comparison it evaluates best; the gateway
// evaluates the rest of the filter over it.
func (d *dialect) Listing(rt dialects.ResourceType, q dialects.Query) (dialects.Page, bool, error) {
	name, value, exact := "", scim.Value{}, q.Filter == nil
	if q.Filter != nil {
		name, value, exact = backendFilter(rt, q.Filter)
	}
	switch {
	case name == "active" && value.Bool():
		// Genesys lists the active users when there is no filter.
		return d.page(rt, ""), exact, nil
	case name != "" && rt == dialects.User && d.inactiveLookup && unique[name]:
		// Where Genesys' lookups find only active users: none found, the
		// gateway looks among the deactivated ones.
		return dialects.OrElse(d.page(rt, name+" eq "+value.Raw), d.page(rt, "active eq false")), false, nil
	case name != "":
		return d.page(rt, name+" eq "+value.Raw), exact, nil
	case rt == dialects.User && d.includeInactive:
		// Without a filter Genesys lists only active users: list the
		// inactive ones after them.
		return dialects.Concat(d.page(rt, ""), d.page(rt, "active eq false")), exact, nil
	}
	return d.page(rt, ""), exact, nil
}

// page returns a Page of the backend's listing with filter, in SCIM 2.0
// form, fetched at most PageSize users a call.
func (d *dialect) page(rt dialects.ResourceType, filter string) dialects.Page {
	return dialects.Chunked(func(ctx context.Context, start, count int) ([]gjson.Result, int, error) {
		v := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(count)}}
		if filter != "" {
			v.Set("filter", filter)
		}
		resp, err := dialects.Send(ctx, d.b, "purecloud", &dialects.BackendRequest{Method: http.MethodGet, Path: "/" + strings.ToLower(rt.Endpoint()), Query: v})
		if err != nil {
			return nil, 0, err
		}
		return dialects.Resources(resp.Body, start, func(r []byte) ([]byte, error) {
			out, err := d.m.Response(rt, r)
			if err == nil && rt == dialects.User {
				out, err = d.userBack(out)
			}
			return out, err
		})
	}, PageSize)
}
