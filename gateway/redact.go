package gateway

import (
	"encoding/base64"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/tidwall/gjson"

	"github.com/scimgw/scimgw/mappings/scim"
)

// Secrets never reach a log line or a client, even when a backend echoes
// them in an error (its message is logged; its vendor code and correlation
// id are shown): what a backend wrote passes through redact first. It
// replaces the gateway's own secrets of the tenant (inbound tokens,
// backend token, Basic password and its encoding, OAuth client secret and
// current access token), the password of the request being answered, and
// anything shaped like a credential (Bearer or Basic values, password=,
// "client_secret": …).

// redacted stands in for a secret.
const redacted = "[redacted]"

// credentialRE matches what is shaped like a credential: an Authorization
// header with its value, a Bearer or Basic value, or a key that names a
// secret with its value (group 1 keeps the key).
var credentialRE = regexp.MustCompile(`(?i)\bauthorization"?\s*[:=]\s*"?(?:(?:bearer|basic)\s+)?[^"\s,&;}]+|\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]+|("?\b(?:password|passwd|pwd|client_secret|secret|access_token|refresh_token|token|api_key|apikey)\b"?\s*[:=]\s*"?)[^"\s,&;}]+`)

// tenantSecrets lists a tenant's configured secrets (at build time).
func tenantSecrets(tc *Tenant) []string {
	a := tc.Backend.Auth
	s := append([]string(nil), tc.Inbound.BearerTokens...)
	s = append(s, a.Token, a.Password, a.ClientSecret)
	if a.Type == "basic" {
		s = append(s, base64.StdEncoding.EncodeToString([]byte(a.Username+":"+a.Password)))
	}
	out := s[:0]
	for _, v := range s {
		if len(v) >= 4 { // shorter ones would redact ordinary words
			out = append(out, v)
		}
	}
	return out
}

// requestPasswordKey is where the handlers keep the request's password
// (gin's context), for redact.
const requestPasswordKey = "scimgw.password"

// rememberPassword keeps the passwords a request body carries (as the
// attribute, in any case, or as a PatchOp value), for redact. The
// handlers call it only when the request failed.
func rememberPassword(c *gin.Context, body []byte) {
	var pws []string
	var walk func(v gjson.Result)
	walk = func(v gjson.Result) {
		if p := scim.Field(v, "path").String(); v.IsObject() && (scim.FoldEq(p, "password") || strings.HasSuffix(strings.ToLower(p), ":password")) {
			if val := scim.Field(v, "value"); val.Type == gjson.String {
				pws = append(pws, val.Str) // a PatchOp operation on password
			}
		}
		v.ForEach(func(k, e gjson.Result) bool {
			if scim.FoldEq(k.Str, "password") && e.Type == gjson.String {
				pws = append(pws, e.Str)
			} else if e.IsObject() || e.IsArray() {
				walk(e)
			}
			return true
		})
	}
	walk(scim.Parse(body))
	if len(pws) > 0 {
		c.Set(requestPasswordKey, pws)
	}
}

// redact removes from s the tenant's secrets, the request's passwords and
// anything shaped like a credential.
func (t *tenant) redact(c *gin.Context, s string) string {
	if s == "" {
		return s
	}
	var secrets []string
	if t != nil {
		secrets = append(secrets, t.secrets...)
		if t.backend != nil {
			secrets = append(secrets, t.backend.auth.current()...)
		}
	}
	if c != nil {
		if pws, ok := c.Get(requestPasswordKey); ok {
			secrets = append(secrets, pws.([]string)...)
		}
	}
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, redacted)
		}
	}
	return credentialRE.ReplaceAllString(s, "${1}"+redacted)
}
