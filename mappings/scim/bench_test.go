package scim

import "testing"

// benchUser is a realistic 1.4 KB enterprise user create, as IdPs send it.
const benchUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"00ub0oNGTSWTBKOLGLNR","userName":"barbara.jensen@example.com","name":{"formatted":"Ms. Barbara J Jensen III","familyName":"Jensen","givenName":"Barbara","middleName":"Jane","honorificPrefix":"Ms.","honorificSuffix":"III"},"displayName":"Babs Jensen","nickName":"Babs","title":"Tour Guide","userType":"Employee","preferredLanguage":"en-US","locale":"en-US","timezone":"America/Los_Angeles","active":true,"password":"t1meMa$heen","emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],"phoneNumbers":[{"value":"555-555-5555","type":"work"},{"value":"555-555-4444","type":"mobile"}],"addresses":[{"type":"work","streetAddress":"100 Universal City Plaza","locality":"Hollywood","region":"CA","postalCode":"91608","country":"USA","formatted":"100 Universal City Plaza\nHollywood, CA 91608 USA","primary":true}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","costCenter":"4130","organization":"Universal Studios","division":"Theme Park","department":"Tour Operations","manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d","$ref":"https://backend.example.com/scim/v2/Users/26118915-6090-4610-87e4-49d8ca9f808d","displayName":"John Smith"}}}`

func BenchmarkCheckJSON(b *testing.B) {
	body := []byte(benchUser)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := CheckJSON(body, DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResource(b *testing.B) {
	body := []byte(benchUser)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := UserResource.Resource(body, Lenient, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
