package mappings

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// Error is input the mapping cannot translate: a 400 with a SCIM error type
// (RFC 7644 §3.12), such as invalidValue for a rejected attribute.
type Error struct {
	ScimType string
	Msg      string
}

func (e *Error) Error() string { return e.Msg }

func errorf(scimType, format string, args ...any) *Error {
	return &Error{ScimType: scimType, Msg: sprintf(format, args...)}
}

// program is one direction of a resource mapping, compiled for lookups by
// container (schema URN, "" for the core schema) and attribute name.
type program struct {
	response bool
	unmapped policy
	cores    [2]string                    // the core schema URN on both sides: paths naming it mean the root
	outCore  string                       // the output's core schema URN, quoted
	rename   map[string]string            // lower-case input container URN -> output container URN
	index    map[string]map[string]*entry // lower-case container -> lower-case attribute
	rules    []*prule
	// containers are the lower-case URNs of input containers rules name.
	containers map[string]bool
	// names filters lookups: bit (first letter, lower-cased, mod 32) of
	// names[len mod 32] is set for every indexed attribute name, so most
	// attributes no rule names are passed over without a map lookup.
	names [32]uint32
	// identity is true for a program with nothing to do: no rules, no
	// renames, everything kept. Its input passes through untouched.
	identity bool
}

// entry holds the rules of one input attribute: for the whole attribute
// and for its sub-attributes.
type entry struct {
	whole *prule
	subs  map[string]*prule
}

// prule is a rule seen from one direction.
type prule struct {
	r     *rule
	from  scim.AttrPath
	to    []string // output path: [container,] attribute [, sub]
	toq   []string // the same, as quoted JSON keys
	steps steps
	drop  policy
	index int // in program.rules
}

func newProgram(r *resource, unmapped policy, response bool) program {
	backendCore := r.core
	fwd, back := map[string]string{}, map[string]string{}
	for _, pair := range r.schemas {
		fwd[strings.ToLower(pair[0])], back[strings.ToLower(pair[1])] = pair[1], pair[0]
		if strings.EqualFold(pair[0], r.core) {
			backendCore = pair[1]
		}
	}
	p := program{response: response, unmapped: unmapped, index: map[string]map[string]*entry{}, cores: [2]string{r.core, backendCore}, containers: map[string]bool{}}
	p.outCore, p.rename = scim.Quote(backendCore), fwd
	if response {
		p.outCore, p.rename = scim.Quote(r.core), back
	}
	for _, rl := range r.rules {
		pr := &prule{r: rl, drop: rl.drop}
		if !response {
			pr.from, pr.steps = rl.scim, rl.req
			pr.to = p.segments(renamed(rl.backend, fwd))
		} else {
			if rl.drop != keep || (rl.value != "" && rl.def == "") {
				continue // the backend does not hold it, or it is a constant
			}
			pr.from, pr.steps = renamed(rl.respFrom, fwd), rl.resp
			pr.to = p.segments(rl.scim)
		}
		for _, seg := range pr.to {
			pr.toq = append(pr.toq, scim.Quote(seg))
		}
		pr.index = len(p.rules)
		p.rules = append(p.rules, pr)
		p.add(pr)
	}
	p.identity = len(p.rules) == 0 && len(p.rename) == 0 && unmapped == keep
	return p
}

// renamed returns a with its schema URN renamed by the table.
func renamed(a scim.AttrPath, table map[string]string) scim.AttrPath {
	if to, ok := table[strings.ToLower(a.URN)]; ok && a.URN != "" {
		a.URN = to
	}
	return a
}

func (p *program) isCore(urn string) bool {
	return urn == "" || strings.EqualFold(urn, p.cores[0]) || strings.EqualFold(urn, p.cores[1])
}

// segments is an output path: [container,] attribute [, sub].
func (p *program) segments(a scim.AttrPath) []string {
	var segs []string
	if !p.isCore(a.URN) {
		segs = append(segs, a.URN)
	}
	segs = append(segs, a.Attr)
	if a.Sub != "" {
		segs = append(segs, a.Sub)
	}
	return segs
}

func (p *program) containerKey(urn string) string {
	if p.isCore(urn) {
		return ""
	}
	var buf [96]byte
	low := scim.AppendLower(buf[:0], urn)
	for c := range p.containers {
		if c == string(low) {
			return c // the compiled key: no allocation
		}
	}
	return string(low)
}

func (p *program) add(pr *prule) {
	c := p.containerKey(pr.from.URN)
	if c != "" {
		p.containers[c] = true
	}
	if p.index[c] == nil {
		p.index[c] = map[string]*entry{}
	}
	key := strings.ToLower(pr.from.Attr)
	p.markName(key)
	e := p.index[c][key]
	if e == nil {
		e = &entry{}
		p.index[c][key] = e
	}
	if len(pr.to) > 0 {
		top := strings.ToLower(pr.to[0])
		// Mark the name in the top-level index too, so one lookup tells
		// whether an unplaced member may be copied straight through.
		if p.index[""] == nil {
			p.index[""] = map[string]*entry{}
		}
		if p.index[""][top] == nil {
			p.index[""][top] = &entry{}
			p.markName(top)
		}
	}
	if pr.from.Sub == "" {
		e.whole = pr
		return
	}
	if e.subs == nil {
		e.subs = map[string]*prule{}
	}
	e.subs[strings.ToLower(pr.from.Sub)] = pr
}

func nameBit(name string) (row int, bit uint32) {
	if name == "" {
		return 0, 1
	}
	return len(name) % 32, 1 << ((name[0] | 0x20) % 32) // 0x20 lower-cases ASCII letters
}

func (p *program) markName(name string) {
	row, bit := nameBit(name)
	p.names[row] |= bit
}

func (p *program) lookup(container, attr string) *entry {
	if row, bit := nameBit(attr); p.names[row]&bit == 0 {
		return nil // no rule names an attribute like it
	}
	attrs := p.index[container]
	if attrs == nil {
		return nil
	}
	var buf [64]byte
	return attrs[string(scim.AppendLower(buf[:0], attr))] // no allocation for the lookup
}

// mode says whether a document is a whole resource (defaults and required
// attributes apply) or a partial one, such as a PATCH value.
type mode uint8

const (
	whole mode = iota
	partial
)

// run translates one document.
func (p *program) run(body []byte, m mode) ([]byte, error) {
	doc := scim.Parse(body)
	if !doc.IsObject() {
		return nil, errorf("invalidSyntax", "resource is not a JSON object")
	}
	if p.identity {
		return body, nil
	}
	t := getTree()
	defer t.release()
	if t.raw == nil {
		t.raw = make([][2]string, 0, 32)
	}
	var seen []bool
	if m == whole && !p.response {
		seen = make([]bool, len(p.rules))
	}
	var err error
	hadSchemas := false
	doc.ForEach(func(k, v gjson.Result) bool {
		name := k.Str
		switch {
		case strings.EqualFold(name, "schemas"):
			hadSchemas = true
			return true
		case !p.response && strings.EqualFold(name, "meta"):
			return true // read-only (RFC 7643 §3.1)
		case p.isContainer(name, v):
			if p.unmapped == keep && !p.knownContainer(name) && p.lookup("", name) == nil {
				// No rule reads or writes this extension and it keeps its
				// name: copy it whole instead of member by member.
				t.set([]string{k.Raw}, v.Raw)
				return true
			}
			cont := p.containerKey(name)
			outName := k.Raw
			if to, ok := p.rename[cont]; ok {
				outName = scim.Quote(to)
			}
			outCont := []string{outName}
			v.ForEach(func(sk, sv gjson.Result) bool {
				err = p.memberRaw(t, seen, cont, outCont, name, sk.Str, sk.Raw, sv)
				return err == nil
			})
		case strings.Contains(name, ".") || isURN(name):
			// A path as a key: "name.givenName", "urn:...:User:employeeNumber".
			err = p.pathMember(t, seen, name, v)
		default:
			err = p.memberRaw(t, seen, "", nil, "", name, k.Raw, v)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if seen != nil {
		for i, pr := range p.rules {
			r := pr.r
			switch {
			case r.value != "":
				t.set(pr.toq, r.value)
			case !seen[i] && r.def != "":
				t.set(pr.toq, r.def)
			case !seen[i] && r.required:
				return nil, errorf("invalidValue", "%s is required", r.key)
			}
		}
	}
	if hadSchemas || p.response {
		t.setSchemas(p.outCore)
	}
	var buf bytes.Buffer
	buf.Grow(len(body) + len(body)/4 + 64)
	t.write(&buf)
	return buf.Bytes(), nil
}

// knownContainer reports whether rules read from the container urn or
// the mapping renames it.
func (p *program) knownContainer(urn string) bool {
	var buf [96]byte
	low := scim.AppendLower(buf[:0], urn)
	_, renamed := p.rename[string(low)]
	return renamed || p.containers[string(low)]
}

// isContainer reports whether a member is a schema extension object: a URN
// key the mapping knows as a container, or any URN key holding an object
// that is not itself an attribute path of a known container.
func (p *program) isContainer(key string, v gjson.Result) bool {
	if !isURN(key) || !v.IsObject() {
		return false
	}
	var buf [96]byte
	low := scim.AppendLower(buf[:0], key) // map lookups by string(low) do not allocate
	if _, ok := p.rename[string(low)]; ok || p.containers[string(low)] {
		return true
	}
	if i := bytes.LastIndexByte(low, ':'); i > 0 && (p.containers[string(low[:i])] || p.rename[string(low[:i])] != "") {
		_, err := scim.ParseAttrPath(key) // an attribute path of a known container
		return err != nil
	}
	return true
}

// pathMember translates a member whose key is an attribute path.
func (p *program) pathMember(t *tree, seen []bool, key string, v gjson.Result) error {
	a, err := scim.ParseAttrPath(key)
	if err != nil {
		return p.unplaced(t, nil, "", key, "", v, true)
	}
	if a.Sub != "" {
		v = gjson.Parse("{" + scim.Quote(a.Sub) + ":" + v.Raw + "}")
	}
	if p.isCore(a.URN) {
		return p.member(t, seen, "", nil, "", a.Attr, v)
	}
	outName := a.URN
	if to, ok := p.rename[strings.ToLower(a.URN)]; ok {
		outName = to
	}
	return p.member(t, seen, p.containerKey(a.URN), []string{scim.Quote(outName)}, a.URN, a.Attr, v)
}

// member translates one attribute of the input.
func (p *program) member(t *tree, seen []bool, cont string, outCont []string, urn, name string, v gjson.Result) error {
	return p.memberRaw(t, seen, cont, outCont, urn, name, "", v)
}

// memberRaw is member with the input's raw (quoted) key, when known.
func (p *program) memberRaw(t *tree, seen []bool, cont string, outCont []string, urn, name, rawKey string, v gjson.Result) error {
	e := p.lookup(cont, name)
	if e == nil || e.whole == nil && e.subs == nil {
		if !p.response && strings.EqualFold(name, "id") && p.unmapped != keep {
			return nil
		}
		return p.unplaced(t, outCont, urn, name, rawKey, v, cont == "" && e != nil)
	}
	if e.whole != nil {
		return p.emit(t, seen, e.whole, v)
	}
	// Sub-attribute rules: a complex value, or the values of a multi-valued one.
	if v.IsArray() {
		for sub, pr := range e.subs {
			vals := scim.Lookup(gjson.Parse(`{"a":`+primaryFirst(v)+`}`), scim.AttrPath{Attr: "a", Sub: sub})
			if len(vals.Array()) > 0 {
				if err := p.emit(t, seen, pr, vals); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if !v.IsObject() {
		return p.unplaced(t, outCont, urn, name, rawKey, v, true)
	}
	var err error
	v.ForEach(func(sk, sv gjson.Result) bool {
		if pr := e.subs[strings.ToLower(sk.Str)]; pr != nil {
			err = p.emit(t, seen, pr, sv)
		} else {
			q := rawKey
			if q == "" {
				q = scim.Quote(name)
			}
			err = p.unplaced(t, append(outCont[:len(outCont):len(outCont)], q), urn, sk.Str, sk.Raw, sv, true)
		}
		return err == nil
	})
	return err
}

// primaryFirst returns the array with its primary element first.
func primaryFirst(arr gjson.Result) string {
	p := primaryOrFirst(arr)
	if !p.Exists() || p.Raw == arr.Get("0").Raw {
		return arr.Raw
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	buf.WriteString(p.Raw)
	arr.ForEach(func(_, el gjson.Result) bool {
		if el.Raw != p.Raw {
			buf.WriteByte(',')
			buf.WriteString(el.Raw)
		}
		return true
	})
	buf.WriteByte(']')
	return buf.String()
}

func (p *program) emit(t *tree, seen []bool, pr *prule, v gjson.Result) error {
	switch pr.drop {
	case drop:
		return nil
	case reject:
		return errorf("invalidValue", "attribute %s is not supported by this backend", pr.r.key)
	}
	if v.Type == gjson.Null {
		return nil // unassigned (RFC 7643 §2.5)
	}
	raw, ok := pr.steps.apply(v)
	if !ok {
		return nil
	}
	if seen != nil {
		seen[pr.index] = true
	}
	t.set(pr.toq, raw)
	return nil
}

// unplaced handles an attribute no rule places, by the unmapped policy.
// taken says a rule writes a top-level member of the same name, so the
// value must be merged through the tree rather than copied as it is.
func (p *program) unplaced(t *tree, outCont []string, urn, name, rawKey string, v gjson.Result, taken bool) error {
	switch p.unmapped {
	case drop:
		return nil
	case reject:
		full := name
		if urn != "" {
			full = urn + ":" + name
		}
		return errorf("invalidValue", "attribute %s is not supported by this backend", full)
	}
	if len(outCont) == 0 && !taken && !strings.Contains(name, ".") {
		{
			if rawKey == "" {
				rawKey = scim.Quote(name)
			}
			t.raw = append(t.raw, [2]string{rawKey, v.Raw})
			return nil
		}
	}
	var room [8]string // set keeps no reference to path: it stays on the stack
	path := append(room[:0], outCont...)
	switch {
	case strings.Contains(name, "."):
		for _, part := range strings.Split(name, ".") {
			path = append(path, scim.Quote(part))
		}
	case rawKey != "":
		path = append(path, rawKey)
	default:
		path = append(path, scim.Quote(name))
	}
	t.set(path, v.Raw)
	return nil
}

func isURN(s string) bool { return len(s) > 4 && strings.EqualFold(s[:4], "urn:") }

// tree is an output document under construction. Its keys are quoted JSON
// strings, ready to write.
type tree struct {
	keys []string
	vals []string // raw JSON; "" when the member is a subtree
	kids []*tree
	// raw holds top-level members copied as they are (raw key and value),
	// when no rule writes a member of that name.
	raw [][2]string
	// schemas, when set, is the core URN of a "schemas" member to write.
	schemas string
}

// trees are reused: a document's tree is done with once it is written.
var trees = sync.Pool{New: func() any {
	return &tree{keys: make([]string, 0, 16), vals: make([]string, 0, 16), kids: make([]*tree, 0, 16)}
}}

func getTree() *tree { return trees.Get().(*tree) }

// release returns t and its subtrees to the pool, holding nothing of the
// document.
func (t *tree) release() {
	for _, k := range t.kids {
		if k != nil {
			k.release()
		}
	}
	clear(t.keys)
	clear(t.vals)
	clear(t.kids)
	clear(t.raw)
	t.keys, t.vals, t.kids, t.raw, t.schemas = t.keys[:0], t.vals[:0], t.kids[:0], t.raw[:0], ""
	trees.Put(t)
}

func (t *tree) find(name string) int {
	for i, k := range t.keys {
		if k == name {
			return i
		}
	}
	return -1
}

// set puts raw at path, creating objects on the way; a value already there
// is replaced.
func (t *tree) set(path []string, raw string) {
	for len(path) > 1 {
		i := t.find(path[0])
		if i < 0 {
			t.keys, t.vals, t.kids = append(t.keys, path[0]), append(t.vals, ""), append(t.kids, getTree())
			i = len(t.keys) - 1
		} else if t.kids[i] == nil {
			// A raw object is there already: make it a subtree.
			sub := getTree()
			gjson.Parse(t.vals[i]).ForEach(func(k, v gjson.Result) bool {
				sub.set([]string{k.Raw}, v.Raw)
				return true
			})
			t.kids[i], t.vals[i] = sub, ""
		}
		t, path = t.kids[i], path[1:]
	}
	if i := t.find(path[0]); i >= 0 {
		t.vals[i], t.kids[i] = raw, nil
		return
	}
	t.keys, t.vals, t.kids = append(t.keys, path[0]), append(t.vals, raw), append(t.kids, nil)
}

// setSchemas makes write start with "schemas": the core URN (quoted) and
// every extension container.
func (t *tree) setSchemas(core string) { t.schemas = core }

func (t *tree) write(buf *bytes.Buffer) {
	buf.WriteByte('{')
	first := true
	if t.schemas != "" {
		buf.WriteString(`"schemas":[`)
		buf.WriteString(t.schemas)
		for i, k := range t.keys {
			if len(k) > 5 && isURN(k[1:]) && (t.kids[i] != nil || strings.HasPrefix(t.vals[i], "{")) {
				buf.WriteByte(',')
				buf.WriteString(k)
			}
		}
		buf.WriteByte(']')
		first = false
	}
	for i, r := range t.raw {
		if i > 0 || !first {
			buf.WriteByte(',')
		}
		buf.WriteString(r[0])
		buf.WriteByte(':')
		buf.WriteString(r[1])
	}
	for i, k := range t.keys {
		if i > 0 || len(t.raw) > 0 || !first {
			buf.WriteByte(',')
		}
		buf.WriteString(k)
		buf.WriteByte(':')
		if t.kids[i] != nil {
			t.kids[i].write(buf)
		} else {
			buf.WriteString(t.vals[i])
		}
	}
	buf.WriteByte('}')
}

// Request translates a SCIM 2.0 resource (create or replace) into the
// backend's form. rt is User or Group.
func (m *Mapping) Request(rt scim.ResourceType, body []byte) ([]byte, error) {
	return m.res[rt].req.run(body, whole)
}

// Response translates a backend resource into SCIM 2.0.
func (m *Mapping) Response(rt scim.ResourceType, body []byte) ([]byte, error) {
	return m.res[rt].resp.run(body, whole)
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
