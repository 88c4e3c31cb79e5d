// Command scimgw is the SCIM 2.0 gateway. See README.md.
//
//	scimgw [serve] [--config config.yaml]
//	scimgw validate --config config.yaml
//	scimgw emulate --dialect scim2 --listen 127.0.0.1:9000
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
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/gateway"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
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
	g, err := gateway.New(cfg, reg, log)
	if err != nil {
		log.Error("cannot start", zap.Error(err))
		return 1
	}
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
	emu := f.NewEmulator()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "scimgw:", err)
		return 1
	}
	fmt.Fprintf(stdout, "emulating %s at http://%s%s (bearer token %q; admin API under /_emulator/)\n", *name, ln.Addr(), emu.BasePath(), dialects.EmulatorToken)
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
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

func newLogger(level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Sampling = nil
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
