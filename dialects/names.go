package dialects

import (
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// SplitName splits a full name into given and family name: the last word
// is the family name ("Anna Maria de Vries" gives "Anna Maria de" and
// "Vries"). ok is false for fewer than two words.
func SplitName(full string) (given, family string, ok bool) {
	words := strings.Fields(full)
	if len(words) < 2 {
		return "", "", false
	}
	return strings.Join(words[:len(words)-1], " "), words[len(words)-1], true
}

// CompleteName returns a user whose name.givenName and name.familyName are
// set, for backends that require both: what is missing is split from
// name.formatted, else from displayName. ok is false when neither gives
// two words and a name is still missing.
func CompleteName(body []byte) ([]byte, bool) {
	doc := scim.Parse(body)
	return CompleteNameOf(body, scim.Field(doc, "name"), scim.Field(doc, "displayName"))
}

// CompleteNameOf is CompleteName for a user whose name and displayName
// are already found.
func CompleteNameOf(body []byte, name, displayName gjson.Result) ([]byte, bool) {
	given, family := scim.Field(name, "givenName").String(), scim.Field(name, "familyName").String()
	if given != "" && family != "" {
		return body, true
	}
	g, f, ok := SplitName(scim.Field(name, "formatted").String())
	if !ok {
		g, f, ok = SplitName(displayName.String())
	}
	if !ok {
		return body, false
	}
	if given == "" {
		body, _ = sjson.SetBytes(body, "name.givenName", g)
	}
	if family == "" {
		body, _ = sjson.SetBytes(body, "name.familyName", f)
	}
	return body, true
}
