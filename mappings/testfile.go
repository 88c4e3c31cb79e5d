package mappings

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/scimgw/scimgw/mappings/scim"
)

// A mapping test file (NAME_test.yaml) lets mapping authors test a mapping
// without Go:
//
//	dialect: cube              # test the dialect's built-in mapping ...
//	mapping: tenant.yaml       # ... and/or this file (an override when dialect is set)
//	options: {domain: example.com}
//	tests:
//	  - name: create strips what Cube does not model
//	    resource: User         # User (default) or Group
//	    op: request            # request | response | patch | filter | path | attributes
//	    input: {userName: a, title: x}
//	    output: {schemas: [...], userName: a}
//	  - name: title cannot be filtered
//	    op: filter
//	    input: title eq "x"
//	    error: invalidFilter   # the expected SCIM error type, instead of output

// TestResult is the outcome of one test case.
type TestResult struct {
	File string
	Line int
	Name string
	Err  error // nil when the case passed
}

func (r TestResult) String() string {
	if r.Err == nil {
		return fmt.Sprintf("ok   %s:%d: %s", r.File, r.Line, r.Name)
	}
	return fmt.Sprintf("FAIL %s:%d: %s: %v", r.File, r.Line, r.Name, r.Err)
}

// TestFiles finds mapping test files: the paths themselves, or the
// *_test.yaml files below the directories among them.
func TestFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, "_test.yaml") {
				out = append(out, path)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// Dialects finds a dialect a test file names: its built-in mapping, and
// the options it declares with their defaults (which the file's options
// override).
type Dialects func(name string) (mapping Source, options map[string]string, ok bool)

// RunTestFile runs the cases of one mapping test file; dialects resolves
// the dialect it names, if it names one.
func RunTestFile(path string, dialects Dialects) ([]TestResult, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Lints{SyntaxLint(path, err)}
	}
	var spec struct {
		Dialect string            `yaml:"dialect"`
		Mapping string            `yaml:"mapping"`
		Options map[string]string `yaml:"options"`
		Tests   []yaml.Node       `yaml:"tests"`
	}
	if len(root.Content) == 0 || root.Content[0].Decode(&spec) != nil {
		return nil, Lints{{File: path, Line: 1, Col: 1, Msg: "a mapping test file has dialect or mapping, options and tests"}}
	}
	opts := Options{Values: map[string]string{}}
	var base Source
	if spec.Dialect != "" {
		var defaults map[string]string
		ok := false
		if dialects != nil {
			base, defaults, ok = dialects(spec.Dialect)
		}
		if !ok {
			return nil, Lints{{File: path, Line: 1, Col: 1, Msg: fmt.Sprintf("no built-in mapping for dialect %q", spec.Dialect)}}
		}
		for k, v := range defaults {
			opts.Known = append(opts.Known, k)
			if v != "" {
				opts.Values[k] = v
			}
		}
	}
	for k, v := range spec.Options {
		opts.Known = append(opts.Known, k)
		opts.Values[k] = v
	}
	var over *Source
	dir := filepath.Dir(path)
	switch {
	case spec.Dialect != "":
		if spec.Mapping != "" {
			src, err := readSource(filepath.Join(dir, spec.Mapping))
			if err != nil {
				return nil, err
			}
			over = &src
		}
	case spec.Mapping != "":
		if base, err = readSource(filepath.Join(dir, spec.Mapping)); err != nil {
			return nil, err
		}
	default:
		return nil, Lints{{File: path, Line: 1, Col: 1, Msg: "name the mapping to test with dialect: or mapping:"}}
	}
	m, err := Load(base, over, opts)
	if err != nil {
		return nil, err
	}
	var results []TestResult
	for i := range spec.Tests {
		results = append(results, runCase(path, m, &spec.Tests[i]))
	}
	return results, nil
}

func readSource(path string) (Source, error) {
	data, err := os.ReadFile(path)
	return Source{File: path, Data: data}, err
}

func runCase(file string, m *Mapping, n *yaml.Node) TestResult {
	var c struct {
		Name     string    `yaml:"name"`
		Resource string    `yaml:"resource"`
		Op       string    `yaml:"op"`
		Input    yaml.Node `yaml:"input"`
		Output   yaml.Node `yaml:"output"`
		Error    string    `yaml:"error"`
	}
	res := TestResult{File: file, Line: n.Line}
	if err := n.Decode(&c); err != nil {
		res.Err = err
		return res
	}
	res.Name = c.Name
	rt := User
	switch c.Resource {
	case "", "User":
	case "Group":
		rt = Group
	default:
		res.Err = fmt.Errorf("resource must be User or Group, not %q", c.Resource)
		return res
	}
	got, err := run(m, rt, c.Op, &c.Input)
	if c.Error != "" {
		scimType := scimTypeOf(err)
		switch {
		case err == nil:
			res.Err = fmt.Errorf("want error %s, got %s", c.Error, got)
		case scimType != c.Error:
			res.Err = fmt.Errorf("want error %s, got %v", c.Error, err)
		}
		return res
	}
	if err != nil {
		res.Err = err
		return res
	}
	if c.Output.Kind == yaml.ScalarNode && c.Output.Tag == "!!str" {
		if got != c.Output.Value {
			res.Err = fmt.Errorf("got %s, want %s", got, c.Output.Value)
		}
		return res
	}
	want, err := nodeJSON(&c.Output)
	if err != nil {
		res.Err = err
		return res
	}
	var g, w any
	if json.Unmarshal([]byte(got), &g) != nil || json.Unmarshal([]byte(want), &w) != nil || !reflect.DeepEqual(g, w) {
		res.Err = fmt.Errorf("\n got: %s\nwant: %s", got, want)
	}
	return res
}

// scimTypeOf is the SCIM error type of a mapping or contract error.
func scimTypeOf(err error) string {
	var me *Error
	var se *scim.Error
	switch {
	case errors.As(err, &me):
		return me.ScimType
	case errors.As(err, &se):
		return se.ScimType
	}
	return ""
}

// TestCase is a test case (one entry of a test file's tests, as YAML)
// that pins what m does with input for op (request, response, patch,
// filter, path, attributes): its output, or the SCIM error type it
// refuses the input with. It runs Translate, as the test will.
func TestCase(m *Mapping, rt scim.ResourceType, op, name string, input []byte) ([]byte, error) {
	c := map[string]any{"name": name, "op": op}
	if rt == Group {
		c["resource"] = "Group"
	}
	scalar := op == "filter" || op == "path" || op == "attributes"
	if scalar {
		c["input"] = strings.TrimSpace(string(input))
	} else if err := json.Unmarshal(input, new(any)); err != nil {
		return nil, fmt.Errorf("the input is not JSON: %v", err)
	} else {
		var v any
		json.Unmarshal(input, &v)
		c["input"] = v
	}
	out, err := Translate(m, rt, op, input)
	switch t := scimTypeOf(err); {
	case err != nil && t != "":
		c["error"] = t
	case err != nil:
		return nil, err
	case scalar:
		c["output"] = out
	default:
		var v any
		json.Unmarshal([]byte(out), &v)
		c["output"] = v
	}
	return yaml.Marshal(c)
}

// run performs one operation of a test case, or of `scimgw translate`.
func run(m *Mapping, rt scim.ResourceType, op string, input *yaml.Node) (string, error) {
	if op == "filter" || op == "path" || op == "attributes" {
		if input.Kind != yaml.ScalarNode {
			return "", fmt.Errorf("%s input must be a string", op)
		}
		return Translate(m, rt, op, []byte(input.Value))
	}
	in, err := nodeJSON(input)
	if err != nil {
		return "", err
	}
	return Translate(m, rt, op, []byte(in))
}

// Translate runs one operation on input: a SCIM 2.0 resource (request), a
// backend resource (response), a PatchOp message (patch), a filter (filter)
// or an attribute path (path). It is what `scimgw translate` prints.
func Translate(m *Mapping, rt scim.ResourceType, op string, input []byte) (string, error) {
	switch op {
	case "request", "response", "patch":
		if !json.Valid(input) {
			return "", errorf("invalidSyntax", "input is not JSON")
		}
	}
	switch op {
	case "request":
		// What the backend receives: the contract's canonical form, mapped.
		canonical, err := m.schema[rt].Resource(input, scim.Lenient, scim.DefaultLimits)
		if err != nil {
			return "", err
		}
		out, err := m.Request(rt, canonical)
		return string(out), err
	case "response":
		out, err := m.Response(rt, input)
		return string(out), err
	case "patch":
		if err := scim.CheckJSON(input, scim.DefaultLimits); err != nil {
			return "", err
		}
		pr, err := m.schema[rt].Patch(input, scim.Lenient)
		if err != nil {
			return "", err
		}
		out, _, err := m.Patch(rt, pr)
		return string(out), err
	case "filter":
		f, err := scim.ParseFilter(strings.TrimSpace(string(input)))
		if err != nil {
			return "", errorf("invalidFilter", "%v", err)
		}
		out, err := m.Filter(rt, f)
		if err != nil {
			return "", err
		}
		return out.String(), nil
	case "path":
		return m.Path(rt, strings.TrimSpace(string(input)))
	case "attributes":
		var list []scim.AttrPath
		for _, part := range strings.Split(string(input), ",") {
			a, err := scim.ParseAttrPath(strings.TrimSpace(part))
			if err != nil {
				return "", errorf("invalidValue", "%v", err)
			}
			list = append(list, a)
		}
		var out []string
		for _, a := range m.Attributes(rt, list) {
			out = append(out, a.String())
		}
		return strings.Join(out, ","), nil
	}
	return "", fmt.Errorf("unknown op %q (request, response, patch, filter, path or attributes)", op)
}

// nodeJSON renders a YAML value as JSON.
func nodeJSON(n *yaml.Node) (string, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}
