package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/scimgw/scimgw/dialects"
)

// authenticator produces the backend's Authorization header.
type authenticator interface {
	header(ctx context.Context) (string, error)
	// refreshable reports whether a 401 may be cured by a new token.
	refreshable() bool
	// invalidate forgets the token in the given header, if still cached.
	invalidate(header string)
	// current returns the credentials it holds now that are not in the
	// config (an OAuth access token), for redact.
	current() []string
}

// newAuthenticator returns a's authenticator; fetched, when not nil, is
// told of every OAuth token request's result.
func newAuthenticator(a AuthConfig, hc *http.Client, fetched func(error)) authenticator {
	switch a.Type {
	case "bearer":
		return static("Bearer " + a.Token)
	case "basic":
		return static("Basic " + base64.StdEncoding.EncodeToString([]byte(a.Username+":"+a.Password)))
	case "oauth2":
		return &oauth2Source{cfg: a, hc: hc, fetched: fetched}
	}
	return static("")
}

type static string

func (s static) header(context.Context) (string, error) { return string(s), nil }
func (s static) refreshable() bool                      { return false }
func (s static) invalidate(string)                      {}
func (s static) current() []string                      { return nil }

// oauth2Source implements the OAuth 2.0 client credentials grant (RFC 6749
// §4.4). The token is cached until shortly before it expires and shared by
// all requests; one refresh runs at a time while the others wait for it.
type oauth2Source struct {
	cfg     AuthConfig
	hc      *http.Client
	fetched func(error) // told of every token request's result

	mu      sync.Mutex
	token   string
	expires time.Time
	now     func() time.Time // for tests
}

// refreshMargin is how long before expiry a token is replaced.
const refreshMargin = 30 * time.Second

func (s *oauth2Source) refreshable() bool { return true }

func (s *oauth2Source) current() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == "" {
		return nil
	}
	return []string{s.token}
}

func (s *oauth2Source) invalidate(header string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if "Bearer "+s.token == header {
		s.token = ""
	}
}

func (s *oauth2Source) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

func (s *oauth2Source) header(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && s.clock().Add(refreshMargin).Before(s.expires) {
		return "Bearer " + s.token, nil
	}
	tok, ttl, err := s.fetch(ctx)
	if s.fetched != nil {
		s.fetched(err)
	}
	if err != nil {
		return "", err
	}
	s.token, s.expires = tok, s.clock().Add(ttl)
	return "Bearer " + tok, nil
}

func (s *oauth2Source) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(s.cfg.Scopes) > 0 {
		form.Set("scope", strings.Join(s.cfg.Scopes, " "))
	}
	if s.cfg.ClientAuth == "body" {
		form.Set("client_id", s.cfg.ClientID)
		form.Set("client_secret", s.cfg.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if s.cfg.ClientAuth != "body" {
		// RFC 6749 §2.3.1: form-urlencode the id and secret before Basic.
		req.SetBasicAuth(url.QueryEscape(s.cfg.ClientID), url.QueryEscape(s.cfg.ClientSecret))
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return "", 0, &dialects.UpstreamError{Attempts: 1, Timeout: isTimeout(err), Err: fmt.Errorf("oauth2 token request: %w", stripURL(err))}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", 0, &dialects.Error{Status: http.StatusBadGateway, Detail: fmt.Sprintf("the backend's token endpoint refused the gateway's client credentials (status %d)", resp.StatusCode), Err: errBackendCredentials}
	}
	var tr struct {
		AccessToken string      `json:"access_token"`
		ExpiresIn   json.Number `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", 0, &dialects.Error{Status: http.StatusBadGateway, Detail: "the backend's token endpoint returned no access_token", Err: errBackendCredentials}
	}
	ttl := time.Hour
	if n, err := tr.ExpiresIn.Int64(); err == nil && n > 0 {
		ttl = time.Duration(n) * time.Second
	}
	return tr.AccessToken, ttl, nil
}

// tokenSet checks inbound bearer tokens in constant time. It keeps SHA-256
// digests, so comparisons take the same time whatever the tokens' lengths.
type tokenSet [][sha256.Size]byte

func newTokenSet(tokens []string) tokenSet {
	ts := make(tokenSet, len(tokens))
	for i, t := range tokens {
		ts[i] = sha256.Sum256([]byte(t))
	}
	return ts
}

// allows reports whether the Authorization header carries one of the
// tokens. Every token is compared, so timing does not reveal which matched.
func (ts tokenSet) allows(authorization string) bool {
	scheme, tok, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	match := 0
	for i := range ts {
		match |= subtle.ConstantTimeCompare(got[:], ts[i][:])
	}
	return match == 1
}
