package mappings

import (
	"strings"
	"testing"
)

func TestMappingLints(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"syntax", "User: [\n", []string{"m.yaml:1:1: YAML syntax error"}},
		{"version", "version: 2\n", []string{`m.yaml:1:10: unsupported mapping version "2"`}},
		{"unknown top key", "vesion: 1\n", []string{`m.yaml:1:1: unknown key "vesion" in the top level (did you mean "version"?)`}},
		{"unknown resource key", "User:\n  atributes: {}\n", []string{`m.yaml:2:3: unknown key "atributes" in User (did you mean "attributes"?)`}},
		{"unknown rule key", "User:\n  attributes:\n    title: {too: x}\n", []string{`m.yaml:3:13: unknown rule kind "too" in User.title (did you mean "to"?)`}},
		{"unknown type", "User:\n  attributes:\n    active: {type: bool}\n", []string{`m.yaml:3:20: User.active.type: unknown type "bool"`}},
		{"bad policy", "User:\n  unmapped: dorp\n", []string{`m.yaml:2:13: User.unmapped must be keep, drop or reject (did you mean "drop"?)`}},
		{"bad attribute path", "User:\n  attributes:\n    1title: {}\n", []string{`m.yaml:3:5: User.1title: attribute path "1title": invalid attribute name`}},
		{"bad target path", "User:\n  attributes:\n    title: {to: \"a b\"}\n", []string{`m.yaml:3:17: User.title: to: attribute path "a b"`}},
		{"duplicate target", "User:\n  attributes:\n    title: {to: job}\n    nickName: {to: JOB}\n", []string{`m.yaml:4:5: User.nickName: writes JOB, which title already writes`}},
		{"duplicate rule", "User:\n  attributes:\n    title: {}\n    Title: {}\n", []string{`m.yaml:4:5: User: attribute "Title" has two rules`}},
		{"unknown option", "User:\n  attributes:\n    title: {default: \"${options.domian}\"}\n", []string{`m.yaml:3:22: User.title: default: unknown option "domian" in ${options.domian} (the dialect's options: domain) (did you mean "domain"?)`}},
		{"map not invertible", "User:\n  attributes:\n    userType: {map: {a: x, b: x}}\n", []string{`m.yaml:3:31: User.userType: value map is not invertible: "a" and "b" both map to "x"`}},
		{"non-invertible with response rule", "User:\n  attributes:\n    userType: {map: {a: x, b: x}, response: {map: {x: a}}}\n", nil},
		{"whole and sub rules", "User:\n  attributes:\n    name: {}\n    name.givenName: {to: first}\n", []string{`m.yaml:4:5: User.name.givenName: name also has a rule`}},
		{"drop with default", "User:\n  attributes:\n    title: {drop: true, default: x}\n", []string{"a dropped or rejected attribute cannot also have default"}},
		{"schemas not URNs", "User:\n  schemas: {core: other}\n", []string{`m.yaml:2:13: User.schemas: "core" -> "other": both sides must be schema URNs`}},
		{"all problems at once", "vesion: 1\nUser:\n  unmapped: dorp\n  attributes:\n    title: {too: x}\n", []string{"m.yaml:1:1:", "m.yaml:3:13:", "m.yaml:5:13:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(Source{File: "m.yaml", Data: []byte(tc.yaml)}, nil, Options{Known: []string{"domain"}})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if _, ok := err.(Lints); !ok {
				t.Fatalf("not Lints: %T", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing %q in:\n%v", w, err)
				}
			}
		})
	}
}

func TestOverride(t *testing.T) {
	base := Source{File: "base.yaml", Data: []byte("User:\n  unmapped: drop\n  attributes:\n    userName: {}\n    title: {to: job}\n")}
	over := Source{File: "tenant.yaml", Data: []byte("User:\n  attributes:\n    TITLE: {to: position}\n    nickName: {}\n")}
	m, err := Load(base, &over, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Request(User, []byte(`{"userName":"a","title":"t","nickName":"n","displayName":"d"}`))
	if err != nil {
		t.Fatal(err)
	}
	jsonEq(t, out, `{"userName":"a","position":"t","nickName":"n"}`)
	bad := Source{File: "tenant.yaml", Data: []byte("User:\n  attributes:\n    title: {to: 1x}\n")}
	if _, err := Load(base, &bad, Options{}); err == nil || !strings.Contains(err.Error(), "tenant.yaml:3:") {
		t.Fatalf("override lint: %v", err)
	}
}
