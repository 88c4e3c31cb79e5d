package scim

import (
	"errors"
	"testing"

	"github.com/tidwall/gjson"
)

func TestParseFilterCanonical(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"eq", `userName eq "bjensen"`, `userName eq "bjensen"`},
		{"operator case", `userName Eq "bjensen"`, `userName eq "bjensen"`},
		{"presence", `title PR`, `title pr`},
		{"and binds tighter than or", `a eq 1 or b eq 2 and c eq 3`, `a eq 1 or b eq 2 and c eq 3`},
		{"grouping kept where needed", `(a eq 1 or b eq 2) and c eq 3`, `(a eq 1 or b eq 2) and c eq 3`},
		{"redundant parens dropped", `(a eq 1) and (c eq 3)`, `a eq 1 and c eq 3`},
		{"not", `NOT (userName sw "j")`, `not (userName sw "j")`},
		{"not without space", `not(userName sw "j")`, `not (userName sw "j")`},
		{"value path", `emails[type eq "work" and value co "@example.com"]`, `emails[type eq "work" and value co "@example.com"]`},
		{"urn attribute", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42"`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42"`},
		{"urn sub attribute", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`},
		{"literals", `active eq TRUE and x eq null and n gt -1.5e3`, `active eq true and x eq null and n gt -1.5e3`},
		{"escaped string", `displayName eq "a \"b\" \u00e9"`, `displayName eq "a \"b\" \u00e9"`},
		{"date compare", `meta.lastModified gt "2011-05-13T04:42:34Z"`, `meta.lastModified gt "2011-05-13T04:42:34Z"`},
		{"unquoted value", `userName sw O`, `userName sw "O"`},
		{"unquoted date", `meta.Created gt 2015-10-10T14:38:21.8617979-07:00`, `meta.Created gt "2015-10-10T14:38:21.8617979-07:00"`},
		{"single quotes", `displayName sw 'Group "A"'`, `displayName sw "Group \"A\""`},
		{"unquoted in a complex filter", `name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`, `name.FamilyName eq "Employee" and (emails.Value co "example.com" or emails.Value co "example.org")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseFilter(tc.in)
			if err != nil {
				t.Fatalf("ParseFilter(%q): %v", tc.in, err)
			}
			if got := e.String(); got != tc.want {
				t.Fatalf("String() = %q, want %q", got, tc.want)
			}
			again, err := ParseFilter(e.String())
			if err != nil || again.String() != e.String() {
				t.Fatalf("canonical form does not round-trip: %v %q", err, again)
			}
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"empty", ``},
		{"missing value", `userName eq`},
		{"keyword as value", `userName eq and`},
		{"unterminated single quote", `userName eq 'x`},
		{"unknown operator", `userName like "x"`},
		{"unterminated string", `userName eq "x`},
		{"unbalanced paren", `(userName eq "x"`},
		{"trailing garbage", `userName eq "x" y`},
		{"nested value filter", `emails[type[x eq 1] eq "a"]`},
		{"bad attribute", `1abc eq "x"`},
		{"dangling and", `a eq 1 and`},
		{"not without parens", `not a eq 1`},
		{"urn without attribute", `urn:ietf:params:scim:schemas:core:2.0:User: eq "x"`},
		{"too deep", deep(60)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFilter(tc.in)
			var fe *FilterError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseFilter(%q) = %v, want *FilterError", tc.in, err)
			}
		})
	}
}

func deep(n int) string {
	s := `a eq 1`
	for i := 0; i < n; i++ {
		s = "(" + s + ")"
	}
	return s
}

const user = `{
 "schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
 "id":"2819c223","externalId":"Ext-1","userName":"BJensen@example.com","active":true,
 "name":{"givenName":"Barbara","familyName":"Jensen"},
 "emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],
 "meta":{"lastModified":"2011-05-13T04:42:34Z"},
 "age": 42,
 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","manager":{"value":"26118915"}}
}`

func TestMatch(t *testing.T) {
	doc := gjson.Parse(user)
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{`userName eq "bjensen@example.com"`, true}, // userName is not caseExact
		{`USERNAME EQ "BJENSEN@EXAMPLE.COM"`, true},
		{`id eq "2819C223"`, false}, // id is caseExact
		{`externalId eq "ext-1"`, false},
		{`externalId eq "Ext-1"`, true},
		{`userName ne "x"`, true},
		{`name.familyName co "ens"`, true},
		{`name.familyName sw "Je" and name.givenName ew "ara"`, true},
		{`emails co "jensen.org"`, true},
		{`emails.value ew "example.com"`, true},
		{`emails[type eq "work" and value co "example.com"]`, true},
		{`emails[type eq "home" and value co "example.com"]`, false},
		{`emails.type eq "other"`, false},
		{`active eq true`, true},
		{`active eq false`, false},
		{`not (active eq true)`, false},
		{`age gt 40 and age le 42`, true},
		{`age lt 42`, false},
		{`title pr`, false},
		{`name pr`, true},
		{`title eq null`, true},
		{`meta.lastModified gt "2011-05-13T04:42:33Z"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"`, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bj"`, true},
		{`userName eq "nobody" or (active eq true and name.givenName eq "barbara")`, true},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			e, err := ParseFilter(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Match(doc); got != tc.want {
				t.Fatalf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParsePatchPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`name.givenName`, `name.givenName`},
		{`emails[type eq "work"].value`, `emails[type eq "work"].value`},
		{`members[value eq "2819c223"]`, `members[value eq "2819c223"]`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`},
	} {
		p, err := ParsePatchPath(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if p.String() != tc.want {
			t.Fatalf("%q: got %q", tc.in, p.String())
		}
	}
	for _, bad := range []string{``, `emails[type eq "work"`, `emails[type eq "work"]x`, `name.givenName[type eq "x"]`, `a b`} {
		if _, err := ParsePatchPath(bad); err == nil {
			t.Fatalf("%q: expected an error", bad)
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`userName eq "x"`, `a eq 1 or b eq 2 and not (c pr)`, `emails[type eq "work"]`, `x gt 1.5e3`, `(((a eq "\"")))`, `urn:a:b:c eq true`} {
		f.Add(s)
	}
	doc := gjson.Parse(user)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseFilter(s)
		if err != nil {
			var fe *FilterError
			if !errors.As(err, &fe) {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		canon := e.String()
		again, err := ParseFilter(canon)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", canon, s, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form unstable: %q -> %q", canon, again.String())
		}
		if e.Match(doc) != again.Match(doc) {
			t.Fatalf("canonical form matches differently: %q", canon)
		}
	})
}

func FuzzParsePatchPath(f *testing.F) {
	for _, s := range []string{`name.givenName`, `emails[type eq "work"].value`, `urn:x:y:z:a.b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePatchPath(s)
		if err != nil {
			return
		}
		again, err := ParsePatchPath(p.String())
		if err != nil || again.String() != p.String() {
			t.Fatalf("%q -> %q does not round-trip: %v", s, p.String(), err)
		}
	})
}

func FuzzParseAttrPath(f *testing.F) {
	for _, s := range []string{"userName", "name.givenName", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "$ref"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseAttrPath(s)
		if err != nil {
			return
		}
		again, err := ParseAttrPath(p.String())
		if err != nil || again != p {
			t.Fatalf("%q -> %q does not round-trip: %v", s, p.String(), err)
		}
	})
}
