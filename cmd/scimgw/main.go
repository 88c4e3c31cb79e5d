// Command scimgw is the SCIM 2.0 gateway. See README.md.
//
//	scimgw [serve] [--config config.yaml]
//	scimgw validate --config config.yaml
//	scimgw emulate --dialect scim2 --listen 127.0.0.1:9000
//	scimgw translate --config config.yaml --tenant acme --op create < user.json
//	scimgw test [paths]
//	scimgw version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/gateway"
	"github.com/scimgw/scimgw/mappings"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// tuneGC sets the collector's target to 200% of the live heap unless GOGC
// is set: the gateway keeps a small live heap and allocates briefly per
// request, so the default 100% spends CPU collecting a heap of a few MB
// over and over. GOMEMLIMIT (a soft limit, e.g. 256MiB) is the knob for a
// container with little memory; both are read from the environment.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	reg := builtin.Registry()
	switch cmd {
	case "serve":
		return serve(args, reg, stderr)
	case "validate":
		return validate(args, reg, stdout, stderr)
	case "emulate":
		return emulate(args, reg, stdout, stderr)
	case "translate":
		return translate(args, reg, os.Stdin, stdout, stderr)
	case "test":
		return test(args, reg, stdout, stderr)
	case "schema":
		return schema(args, reg, stdout, stderr)
	case "playground":
		return playground(args, reg, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "scimgw", versionString())
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "scimgw: unknown command %q\n", cmd)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  scimgw [serve] [--config config.yaml]      serve the gateway (default command)
  scimgw validate --config config.yaml       check a config; print every problem as file:line:col
  scimgw emulate --dialect D --listen ADDR   run dialect D's emulated backend
  scimgw translate --config F --tenant T --op create|replace|patch|filter|response [--resource User|Group] [--id ID] [--current FILE]
                                             read a SCIM document, PatchOp, filter or backend resource on stdin and
                                             print what the gateway would send to the backend or return to the client
  scimgw test [paths]                        run mapping test files (*_test.yaml; default: dialects and mappings)
  scimgw schema --config F --tenant T [--json]
                                             print the tenant's effective schema: what its backend keeps, requires
                                             and sets itself, as /Schemas and /ResourceTypes publish it
  scimgw playground --config F [--listen 127.0.0.1:8090] [--token T]
                                             serve the mapping playground's JSON API (/api/tenants, /api/run):
                                             a tenant's translation with a mapping as it is edited
  scimgw version                             print the version
`)
}

// configFlag parses the --config flag of a subcommand.
func configFlag(name string, args []string, stderr io.Writer) (string, bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config.yaml", "config file")
	if err := fs.Parse(args); err != nil {
		return "", false
	}
	return *path, true
}

func serve(args []string, reg *dialects.Registry, stderr io.Writer) int {
	path, ok := configFlag("serve", args, stderr)
	if !ok {
		return 2
	}
	cfg, err := gateway.LoadConfig(path, reg)
	if err != nil {
		fmt.Fprintf(stderr, "scimgw: invalid configuration:\n%v\n", err)
		return 1
	}
	log, err := newLogger(cfg.Server.LogLevel)
	if err != nil {
		fmt.Fprintln(stderr, "scimgw:", err)
		return 1
	}
	defer log.Sync()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	gateway.Version = versionString()
	g, err := gateway.New(cfg, reg, log)
	if err != nil {
		log.Error("cannot start", zap.Error(err))
		return 1
	}
	// SIGHUP (and, with server.reload: watch, a change to the file) puts
	// a changed configuration in service without a restart.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		if err := g.Watch(ctx, path, hup); err != nil {
			log.Error("configuration watch", zap.Error(err))
		}
	}()
	if err := g.ListenAndServe(ctx); err != nil {
		log.Error("server stopped", zap.Error(err))
		return 1
	}
	return 0
}

func validate(args []string, reg *dialects.Registry, stdout, stderr io.Writer) int {
	path, ok := configFlag("validate", args, stderr)
	if !ok {
		return 2
	}
	cfg, err := gateway.LoadConfig(path, reg)
	if err != nil {
		fmt.Fprintln(stdout, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok (%d tenant(s))\n", path, len(cfg.Tenants))
	return 0
}

func emulate(args []string, reg *dialects.Registry, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("dialect", "scim2", "dialect whose backend to emulate")
	listen := fs.String("listen", "127.0.0.1:9000", "address to listen on")
	var opts []string
	fs.Func("option", "dialect option key=value the emulated backend follows (repeatable)", func(s string) error {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("want key=value")
		}
		opts = append(opts, s)
		return nil
	})
	if fs.Parse(args) != nil {
		return 2
	}
	f, err := reg.Lookup(*name)
	if err != nil || f.NewEmulator == nil {
		if err == nil {
			err = fmt.Errorf("dialect %q has no emulator", *name)
		}
		fmt.Fprintln(stderr, "scimgw:", err)
		return 2
	}
	options := map[string]string{}
	for _, o := range f.Options {
		options[o.Name] = o.Default
	}
	for _, kv := range opts {
		k, v, _ := strings.Cut(kv, "=")
		spec, known := f.Option(k)
		if !known {
			fmt.Fprintf(stderr, "scimgw: dialect %s has no option %q (options: %s)\n", f.Name, k, strings.Join(f.OptionNames(), ", "))
			return 2
		}
		if err := spec.Check(v); err != nil {
			fmt.Fprintln(stderr, "scimgw:", err)
			return 2
		}
		options[k] = v
	}
	emu := f.NewEmulator(options)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "scimgw:", err)
		return 1
	}
	fmt.Fprintf(stdout, "emulating %s at http://%s%s (bearer token %q; admin API under /_emulator/)\n", *name, ln.Addr(), emu.BasePath(), dialects.EmulatorToken)
	return serveUntilSignal(ln, emu, stderr)
}

// playground serves the mapping playground's API for a config's tenants.
func playground(args []string, reg *dialects.Registry, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("playground", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config.yaml", "config file")
	listen := fs.String("listen", "127.0.0.1:8090", "address to listen on (beyond loopback only with a token)")
	token := fs.String("token", os.Getenv("SCIMGW_PLAYGROUND_TOKEN"), "bearer token the playground requires (default $SCIMGW_PLAYGROUND_TOKEN)")
	if fs.Parse(args) != nil {
		return 2
	}
	if err := gateway.PlaygroundListen(*listen, *token); err != nil {
		fmt.Fprintln(stderr, "scimgw playground:", err)
		return 2
	}
	cfg, err := gateway.LoadConfig(*path, reg)
	if err != nil {
		fmt.Fprintf(stderr, "scimgw: invalid configuration:\n%v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "scimgw:", err)
		return 1
	}
	fmt.Fprintf(stdout, "playground API for %s at http://%s/api/ (GET tenants, POST run)\n", *path, ln.Addr())
	return serveUntilSignal(ln, gateway.NewPlayground(cfg, reg).Handler(*token), stderr)
}

// serveUntilSignal serves h on ln until SIGINT or SIGTERM.
func serveUntilSignal(ln net.Listener, h http.Handler, stderr io.Writer) int {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "scimgw:", err)
		return 1
	}
	return 0
}

func translate(args []string, reg *dialects.Registry, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("translate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config.yaml", "config file")
	tenant := fs.String("tenant", "", "tenant id (required)")
	op := fs.String("op", "", "one of "+strings.Join(gateway.TranslateOps, ", ")+" (required)")
	resource := fs.String("resource", "User", "User or Group")
	id := fs.String("id", "ID", "resource id in the path, for replace and patch")
	currentFile := fs.String("current", "", "file holding the backend's current resource, for dialects that read before writing (workspace)")
	if fs.Parse(args) != nil {
		return 2
	}
	if *tenant == "" || *op == "" {
		fmt.Fprintln(stderr, "scimgw translate: --tenant and --op are required")
		return 2
	}
	cfg, err := gateway.LoadConfig(*path, reg)
	if err != nil {
		fmt.Fprintf(stderr, "scimgw: invalid configuration:\n%v\n", err)
		return 1
	}
	input, err := io.ReadAll(io.LimitReader(stdin, cfg.Server.MaxBodyBytes+1))
	if err != nil {
		fmt.Fprintln(stderr, "scimgw:", err)
		return 1
	}
	var current []byte
	if *currentFile != "" {
		if current, err = os.ReadFile(*currentFile); err != nil {
			fmt.Fprintln(stderr, "scimgw:", err)
			return 1
		}
	}
	out, err := gateway.Translate(cfg, reg, *tenant, *op, *resource, *id, input, current)
	if err != nil {
		fmt.Fprintln(stderr, "scimgw translate:", gateway.Describe(err))
		return 1
	}
	fmt.Fprint(stdout, out)
	return 0
}

func schema(args []string, reg *dialects.Registry, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config.yaml", "config file")
	tenant := fs.String("tenant", "", "tenant id (required)")
	asJSON := fs.Bool("json", false, "print the /Schemas and /ResourceTypes documents")
	if fs.Parse(args) != nil {
		return 2
	}
	if *tenant == "" {
		fmt.Fprintln(stderr, "scimgw schema: --tenant is required")
		return 2
	}
	cfg, err := gateway.LoadConfig(*path, reg)
	if err != nil {
		fmt.Fprintf(stderr, "scimgw: invalid configuration:\n%v\n", err)
		return 1
	}
	out, err := gateway.Schema(cfg, reg, *tenant, *asJSON)
	if err != nil {
		fmt.Fprintln(stderr, "scimgw schema:", err)
		return 1
	}
	fmt.Fprint(stdout, out)
	return 0
}

func test(args []string, reg *dialects.Registry, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"dialects", "mappings"} // every dialect's mapping tests, and the rule-kind tests
	}
	files, err := mappings.TestFiles(args)
	if err != nil {
		fmt.Fprintln(stderr, "scimgw test:", err)
		return 2
	}
	known := reg.Mappings()
	passed, failed := 0, 0
	for _, f := range files {
		results, err := mappings.RunTestFile(f, known)
		if err != nil {
			fmt.Fprintf(stdout, "FAIL %s\n%v\n", f, err)
			failed++
			continue
		}
		for _, r := range results {
			fmt.Fprintln(stdout, r)
			if r.Err != nil {
				failed++
			} else {
				passed++
			}
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 || passed == 0 {
		return 1
	}
	return 0
}

func newLogger(level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Sampling = nil
	// No caller annotation: a line's message and fields say where it is
	// from, and finding the caller costs every request's log line a stack walk.
	cfg.DisableCaller = true
	cfg.EncoderConfig.TimeKey = "time"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	return cfg.Build()
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
