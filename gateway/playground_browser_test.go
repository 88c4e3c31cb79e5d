package gateway

import (
	"context"
	"flag"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scimgw/scimgw/dialects/builtin"
)

var screenshot = flag.Bool("screenshot", false, "TestPlaygroundInABrowser writes docs/playground.png")

// browser returns a headless Chromium (Debian's; SCIMGW_TEST_BROWSER
// names another), or skips when there is none, unless
// SCIMGW_TEST_BROWSER_REQUIRED=1 (CI).
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("SCIMGW_TEST_BROWSER")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("SCIMGW_TEST_BROWSER_REQUIRED") == "1" {
			t.Fatalf("SCIMGW_TEST_BROWSER_REQUIRED=1 but there is no browser at %s", path)
		}
		t.Skipf("no browser at %s (apt-get install chromium)", path)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.WindowSize(1400, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTime(); cancel(); cancelAlloc() })
	return ctx
}

// The playground in a real browser: the page loads, a broken mapping gets
// its marker at the right line, the fix changes the backend request, and
// the test case it makes passes scimgw's test runner.
func TestPlaygroundInABrowser(t *testing.T) {
	ctx := browser(t)
	cfg, err := LoadConfig("../config.yaml", builtin.Registry())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewPlayground(cfg, builtin.Registry()).Handler(""))
	defer srv.Close()

	// setValue types into a field as a user would: the value, then its
	// input event (the page debounces it).
	setValue := func(id, value string) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const e = document.getElementById(`+strconv.Quote(id)+`); e.value = `+strconv.Quote(value)+
			`; return e.dispatchEvent(new Event(e.tagName === "SELECT" ? "change" : "input")); })()`))
		return err
	}
	text := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	waitFor := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v; status %q", what, err, text(`document.getElementById("status").textContent`))
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("mapping"))); err != nil {
		t.Fatal(err)
	}
	if err := setValue("tenant", "cube-demo"); err != nil {
		t.Fatal(err)
	}
	waitFor("the cube mapping", `document.getElementById("mapping").value.includes("dialect: cube") && document.getElementById("requests").textContent.includes("Barbara")`)
	mapping := text(`document.getElementById("mapping").value`)

	// Broken: an unknown key under User, one line below "User:".
	lines := strings.Split(mapping, "\n")
	at := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "User:") {
			at = i
		}
	}
	broken := strings.Join(append(append(append([]string{}, lines[:at+1]...), "  nonsense: 1"), lines[at+1:]...), "\n")
	line := strconv.Itoa(at + 2)
	if err := setValue("mapping", broken); err != nil {
		t.Fatal(err)
	}
	waitFor("the marker", `document.querySelector("#lints li") !== null`)
	if got := text(`document.querySelector("#lints li").dataset.line`); got != line {
		t.Fatalf("the marker is at line %s, not %s: %s", got, line, text(`document.getElementById("lints").textContent`))
	}
	if got := text(`Array.from(document.querySelectorAll("#gutter .bad")).map(e => e.dataset.line).join(",")`); got != line {
		t.Fatalf("the gutter marks lines %q, not %s", got, line)
	}
	if text(`document.getElementById("mapping").getAttribute("aria-invalid")`) != "true" {
		t.Fatal("the mapping is not marked invalid for screen readers")
	}

	// Fixed, and dropping the given name: the backend request changes.
	fixed := strings.Replace(mapping, "    name.givenName: {}\n", "    name.givenName: {drop: true}\n", 1)
	if err := setValue("mapping", fixed); err != nil {
		t.Fatal(err)
	}
	waitFor("the changed request", `document.querySelector("#lints li") === null && !document.getElementById("requests").textContent.includes("Barbara") && document.getElementById("requests").textContent.includes("Jensen")`)
	// and the emulated backend stores the user without it.
	waitFor("the emulated backend", `document.getElementById("answer-status").textContent === "(201)" && document.getElementById("stored").textContent.includes("Jensen") && !document.getElementById("stored").textContent.includes("Barbara")`)

	if *screenshot {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("../docs/playground.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The test case: saved beside the mapping, it passes.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("save"))); err != nil {
		t.Fatal(err)
	}
	waitFor("the test case", `document.getElementById("testcase").value.includes("tests:")`)
	dir := t.TempDir()
	name := filepath.Join(dir, text(`document.getElementById("save-file").textContent`))
	os.WriteFile(filepath.Join(dir, text(`document.getElementById("save-mapping").textContent`)), []byte(fixed), 0o600)
	os.WriteFile(name, []byte(text(`document.getElementById("testcase").value`)), 0o600)
	cmd := exec.Command("go", "run", "../cmd/scimgw", "test", name)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "1 passed, 0 failed") {
		t.Fatalf("scimgw test on the saved test: %v\n%s", err, out)
	}

	// Every control is labelled (for screen readers), and a narrow window
	// gets one column.
	if got := text(`Array.from(document.querySelectorAll("select, textarea, input, button")).filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.textContent.trim()).map(e => e.id).join(",")`); got != "" {
		t.Fatalf("controls without a label: %s", got)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(480, 900)); err != nil {
		t.Fatal(err)
	}
	waitFor("one column", `getComputedStyle(document.querySelector(".editors")).gridTemplateColumns.split(" ").length === 1`)
}
