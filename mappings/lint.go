// Package mappings holds the declarative mapping engine: YAML mappings that
// translate SCIM 2.0 resources, PATCH operations, filters and attribute
// lists into a backend's dialect and back, compiled once at load time.
// Its subpackage scim holds the SCIM primitives the engine builds on.
package mappings

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Lint is one problem in a configuration file, reported as file:line:col.
type Lint struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (l Lint) String() string { return fmt.Sprintf("%s:%d:%d: %s", l.File, l.Line, l.Col, l.Msg) }

// Lints is every problem found in a configuration; it is an error.
type Lints []Lint

func (ls Lints) Error() string {
	lines := make([]string, len(ls))
	for i, l := range ls {
		lines[i] = l.String()
	}
	return strings.Join(lines, "\n")
}

// Sorted orders the lints by file, line and column.
func (ls Lints) Sorted() Lints {
	sort.SliceStable(ls, func(i, j int) bool {
		if ls[i].File != ls[j].File {
			return ls[i].File < ls[j].File
		}
		if ls[i].Line != ls[j].Line {
			return ls[i].Line < ls[j].Line
		}
		return ls[i].Col < ls[j].Col
	})
	return ls
}

// Linter collects lints for one file.
type Linter struct {
	File  string
	Lints Lints
}

// At records a problem at the node's position.
func (l *Linter) At(n *yaml.Node, format string, args ...any) {
	line, col := 1, 1
	if n != nil {
		line, col = n.Line, n.Column
	}
	l.Lints = append(l.Lints, Lint{File: l.File, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

// Pairs walks a YAML mapping's key-value pairs in order: a duplicate key
// is reported (and dropped from the node, so that it still decodes), a
// key not in known is reported with a did-you-mean, and fn gets every
// other pair. noun names a key in messages ("key", "rule kind"), where
// the mapping ("the top level", "tenants.acme.backend"). The config and
// the mapping files are both checked with it.
func (l *Linter) Pairs(n *yaml.Node, known []string, noun, where string, fn func(k, v *yaml.Node)) {
	seen := map[string]bool{}
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			l.At(k, "duplicate key %q in %s", k.Value, where)
			continue
		}
		seen[k.Value] = true
		kept = append(kept, k, v)
		if !contains(known, k.Value) {
			l.At(k, "unknown %s %q in %s%s", noun, k.Value, where, DidYouMean(k.Value, known))
			continue
		}
		fn(k, v)
	}
	n.Content = kept
}

// yamlLineRE finds the line number in go-yaml's syntax errors.
var yamlLineRE = regexp.MustCompile(`line (\d+)(?:, column (\d+))?: (.*)`)

// SyntaxLint turns a go-yaml parse error into a lint.
func SyntaxLint(file string, err error) Lint {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		col := 1
		if m[2] != "" {
			col, _ = strconv.Atoi(m[2])
		}
		return Lint{File: file, Line: line, Col: col, Msg: "YAML syntax error: " + m[3]}
	}
	return Lint{File: file, Line: 1, Col: 1, Msg: "YAML syntax error: " + msg}
}

// envRE matches ${VAR} and ${VAR:-default}.
var envRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// ExpandEnv replaces ${VAR} references in every scalar of the tree with the
// environment's values, and reports unset variables that have no default.
func (l *Linter) ExpandEnv(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		n.Value = envRE.ReplaceAllStringFunc(n.Value, func(ref string) string {
			m := envRE.FindStringSubmatch(ref)
			if v, ok := os.LookupEnv(m[1]); ok {
				return v
			}
			if m[2] != "" {
				return m[3]
			}
			l.At(n, "environment variable %s is not set (referenced as %s)", m[1], ref)
			return ""
		})
	}
	for _, c := range n.Content {
		l.ExpandEnv(c)
	}
}

// DidYouMean returns ` (did you mean "x"?)` for the closest candidate.
func DidYouMean(name string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
