// Package tasks holds what each mage target does, so that the magefile stays
// a list of one-liners and the same code runs natively and in the container.
package tasks

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// Sources obtains and verifies every pinned third-party source.
func Sources(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	for _, get := range []func(context.Context, string, io.Writer) (string, error){mongoose.Sources, openssl.Sources} {
		dir, err := get(ctx, cfg.Cache, cfg.Out)
		if err != nil {
			return err
		}
		fmt.Fprintf(cfg.Out, "verified: %s\n", dir)
	}
	return nil
}

// Zig installs the pinned zig if needed and prints where it is.
func Zig(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	z, err := zig.Ensure(ctx, cfg.Cache, cfg.Out)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Out, "zig %s: %s\n", z.Version, z.Path)
	return nil
}

// OpenSSL builds static OpenSSL for the selected targets.
func OpenSSL(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	start := time.Now()
	rs, err := openssl.Build(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Out, "openssl: %d targets ready in %s\n", len(rs), time.Since(start).Round(10*time.Millisecond))
	return nil
}

// modules are the Go modules of the repository: the kit and the binding.
var modules = []string{".", "binding"}

// Lint runs gofmt, go vet and staticcheck over every module.
func Lint(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "gofmt", "-l", ".").CombinedOutput()
	if err != nil {
		return fmt.Errorf("gofmt: %v\n%s", err, out)
	}
	if len(out) > 0 {
		return fmt.Errorf("gofmt would change these files (run gofmt -w):\n%s", out)
	}
	// The binding keeps its go.mod free of tools: run the kit's pinned
	// staticcheck binary in each module.
	sc, err := exec.CommandContext(ctx, "go", "tool", "-n", "staticcheck").Output()
	if err != nil {
		return fmt.Errorf("building staticcheck: %v", err)
	}
	for _, m := range modules {
		if err := goCmd(ctx, m, "vet", "./..."); err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, strings.TrimSpace(string(sc)), "./...")
		cmd.Dir, cmd.Stdout, cmd.Stderr = m, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("staticcheck in %s: %v", m, err)
		}
	}
	return nil
}

// Test lints, then runs every test of every module, including the
// integration tests that build with the real toolchain (outputs are cached).
func Test(ctx context.Context) error {
	if err := Lint(ctx); err != nil {
		return err
	}
	for _, m := range modules {
		if err := goCmd(ctx, m, "test", "-count=1", "-timeout=60m", "./..."); err != nil {
			return err
		}
	}
	return nil
}

func goCmd(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %v: %v", args, err)
	}
	return nil
}

// OutDir is where libraries are installed, relative to the repository root.
const OutDir = "out"

// Build makes the mongoose library for the selected targets into out/.
func Build(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	start := time.Now()
	libs, err := mongoose.Build(ctx, cfg, OutDir)
	if err != nil {
		return err
	}
	for _, l := range libs {
		st, err := os.Stat(l.Path)
		if err != nil {
			return err
		}
		fmt.Fprintf(cfg.Out, "%-14s %-34s %6.2f MB %4d exports\n", l.Target, l.Path, float64(st.Size())/1e6, len(l.Exports))
	}
	fmt.Fprintf(cfg.Out, "build: %d targets ready in %s\n", len(libs), time.Since(start).Round(10*time.Millisecond))
	return nil
}

// Verify checks the libraries in out/ for the selected targets: format,
// exports, no OpenSSL symbols, only system libraries imported.
func Verify(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	var reports []*verify.Report
	for _, t := range cfg.Targets {
		dir := filepath.Join(OutDir, t.Dir())
		exports, err := mongoose.ReadExports(filepath.Join(dir, mongoose.ExportsFile))
		if err != nil {
			return fmt.Errorf("%s: %v; run `go tool mage build` first", t, err)
		}
		r, err := verify.Check(filepath.Join(dir, t.Library), t, exports)
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	verify.PrintTable(cfg.Out, reports)
	for _, r := range reports {
		if !r.OK() {
			return fmt.Errorf("verify: %s failed", r.Target)
		}
	}
	return nil
}
