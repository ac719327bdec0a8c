// Package tasks holds what each mage target does, so that the magefile stays
// a list of one-liners and the same code runs natively and in the container.
package tasks

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/config"
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

// Lint runs gofmt, go vet and staticcheck over the module.
func Lint(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "gofmt", "-l", ".").CombinedOutput()
	if err != nil {
		return fmt.Errorf("gofmt: %v\n%s", err, out)
	}
	if len(out) > 0 {
		return fmt.Errorf("gofmt would change these files (run gofmt -w):\n%s", out)
	}
	if err := goCmd(ctx, "vet", "./..."); err != nil {
		return err
	}
	return goCmd(ctx, "tool", "staticcheck", "./...")
}

// Test lints, then runs every test, including the integration tests that
// build with the real toolchain (their outputs are cached).
func Test(ctx context.Context) error {
	if err := Lint(ctx); err != nil {
		return err
	}
	return goCmd(ctx, "test", "-count=1", "-timeout=60m", "./...")
}

func goCmd(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %v: %v", args, err)
	}
	return nil
}
