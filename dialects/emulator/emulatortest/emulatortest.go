// Package emulatortest calls an emulated backend over real HTTP, for the
// dialects' emulator tests.
package emulatortest

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// Call sends one request to url with the given header pairs ("Name",
// "value", …) and returns the status, the response header and the body.
// It fails the test when the request cannot be sent.
func Call(t testing.TB, method, url, body string, header ...string) (int, http.Header, gjson.Result) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, gjson.ParseBytes(b)
}
