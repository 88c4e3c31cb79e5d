package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"validate", "--config", "../../config.yaml"}, &out, &errb); code != 0 {
		t.Fatalf("shipped config: exit %d: %s%s", code, out.String(), errb.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("tenants:\n  a:\n    dialect: scim3\n    inbound: {bearer_tokens: [abcdefghij]}\n    backend: {emulated: true, timout: 3s}\n"), 0o644)
	out.Reset()
	if code := run([]string{"validate", "--config", bad}, &out, &errb); code != 1 {
		t.Fatalf("bad config: exit %d", code)
	}
	want := []string{
		bad + `:3:14: tenants.a.dialect: unknown dialect "scim3" (known: cube, scim2) (did you mean "scim2"?)`,
		bad + `:5:31: unknown key "timout" in tenants.a.backend (did you mean "timeout"?)`,
	}
	if got := strings.TrimSpace(out.String()); got != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if run([]string{"version"}, &out, &errb) != 0 || !strings.HasPrefix(out.String(), "scimgw ") {
		t.Fatalf("version: %q", out.String())
	}
	if run([]string{"frobnicate"}, &out, &errb) != 2 || !strings.Contains(errb.String(), "usage") {
		t.Fatal("unknown command")
	}
}

func TestEmulate(t *testing.T) {
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		done <- run([]string{"emulate", "--dialect", "cube", "--listen", "127.0.0.1:0"}, pw, io.Discard)
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	// "emulating cube at http://127.0.0.1:PORT/api/scim/v2 (...)"
	url := strings.Fields(line)[3]
	req, _ := http.NewRequest("GET", url+"/Users", nil)
	req.Header.Set("Authorization", "Bearer emulator-backend-token")
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("emulator: %v %v", resp, err)
	}
	resp.Body.Close()
	select {
	case code := <-done:
		t.Fatalf("emulate exited early: %d", code)
	default:
	}
	var out, errb bytes.Buffer
	if run([]string{"emulate", "--dialect", "nope"}, &out, &errb) != 2 {
		t.Fatal("unknown dialect accepted")
	}
}
