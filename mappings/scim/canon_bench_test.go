package scim

import "testing"

const benchUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"00ub0oNGTSWTBKOLGLNR","userName":"barbara.jensen@example.com","name":{"formatted":"Ms. Barbara J Jensen III","familyName":"Jensen","givenName":"Barbara","middleName":"Jane","honorificPrefix":"Ms.","honorificSuffix":"III"},"displayName":"Babs Jensen","nickName":"Babs","title":"Tour Guide","userType":"Employee","preferredLanguage":"en-US","locale":"en-US","timezone":"America/Los_Angeles","active":"True","emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],"phoneNumbers":[{"value":"555-555-5555","type":"work"}],"addresses":[{"type":"work","streetAddress":"100 Universal City Plaza","locality":"Hollywood","region":"CA","postalCode":"91608","country":"USA","primary":true}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","costCenter":"4130","department":"Tour Operations","manager":"26118915"}}`

func BenchmarkCanonicalize(b *testing.B) {
	body := []byte(benchUser)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Canonicalize(body, false)
	}
}

func BenchmarkCanonicalizeClean(b *testing.B) {
	body, _ := Canonicalize([]byte(benchUser), false)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Canonicalize(body, false)
	}
}
