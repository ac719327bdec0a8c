package tasks

// `go tool mage test` on a prebuilt library (CI's, from artifacts:download):
// it checks out/<host>/'s library against this checkout's pins, verifies it
// and runs every suite against it, building and fetching nothing.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/prebuilt"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
)

// PrebuiltSuite is a test suite run against a prebuilt library after the Go
// suites; it returns how many suites ran and how many it skipped loudly.
type PrebuiltSuite func(ctx context.Context, lib *prebuilt.Library) (ran, skipped int, err error)

// PrebuiltSuites run in prebuilt mode after the Go suites: the Lua suites
// register here.
var PrebuiltSuites []PrebuiltSuite

// hostTarget is the target of the machine running the kit.
func hostTarget() (target.Target, error) {
	t, ok := target.Lookup(runtime.GOOS + "/" + runtime.GOARCH)
	if !ok {
		return t, fmt.Errorf("no target for this machine (%s/%s); targets: %s", runtime.GOOS, runtime.GOARCH, strings.Join(target.Names(), ", "))
	}
	return t, nil
}

// prebuiltPins is what this checkout's libraries' manifests must say.
func prebuiltPins() (prebuilt.Pins, error) {
	m, err := mongoose.Expected()
	if err != nil {
		return prebuilt.Pins{}, err
	}
	return prebuilt.Pins{Mongoose: m.Mongoose, OpenSSL: m.OpenSSL, ABI: m.ABI, Inputs: m.Inputs}, nil
}

// usePrebuilt says whether Test tests out/<host>/'s library, and why.
func usePrebuilt() (use bool, why string, err error) {
	t, err := hostTarget()
	if err != nil {
		return false, "", err
	}
	return prebuilt.Decide(filepath.Join(OutDir, t.Dir()), t)
}

// testPrebuilt verifies out/<host>/'s library, then runs lint, the unit
// tests, the glue and binding suites and any PrebuiltSuites against it, and
// the other targets' glue tests under their emulators where out/ holds them.
func testPrebuilt(ctx context.Context, why string) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	host, err := hostTarget()
	if err != nil {
		return err
	}
	pins, err := prebuiltPins()
	if err != nil {
		return err
	}
	lib, err := prebuilt.Check(filepath.Join(OutDir, host.Dir()), host, pins)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(lib.Path)
	if err != nil {
		return err
	}
	verify.PrintTable(cfg.Out, []*verify.Report{lib.Report})
	tested := fmt.Sprintf("prebuilt library %s\n  sha256 %s (mongoose %s, OpenSSL %s, zig %s)", abs, lib.SHA256, lib.Manifest.Mongoose, lib.Manifest.OpenSSL, lib.Manifest.Zig)
	fmt.Fprintf(cfg.Out, "testing the %s\n  because %s: nothing is built or fetched\n", tested, why)
	if err := Lint(ctx); err != nil {
		return err
	}
	// The tests see the mode: those that would build skip, the glue tests
	// load this library, the binding's examples too.
	env := []string{prebuilt.Env + "=1", mongoose.TestLibraryEnv + "=" + abs, "MONGOOSE_LIBRARY=" + abs}
	for _, m := range modules {
		cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-timeout=60m", "./...")
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = m, append(os.Environ(), env...), os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go test in %s against %s: %w", m, abs, err)
		}
	}
	ran, skipped := len(modules), 0
	for _, suite := range PrebuiltSuites {
		r, s, err := suite(ctx, lib)
		if err != nil {
			return err
		}
		ran, skipped = ran+r, skipped+s
	}
	r, s, err := crossPrebuilt(ctx, cfg, host, pins)
	if err != nil {
		return err
	}
	ran, skipped = ran+r, skipped+s
	fmt.Fprintf(cfg.Out, "tested the %s\n", tested)
	fmt.Printf("suites: %d passed, 0 failed, %d skipped\n", ran, skipped)
	return nil
}

// crossPrebuilt runs the glue tests of each emulated leg (QEMU, Wine)
// against out/'s prebuilt library for that target, where there is one.
func crossPrebuilt(ctx context.Context, cfg *config.Config, host target.Target, pins prebuilt.Pins) (ran, skipped int, err error) {
	for _, leg := range crossLegs {
		t, _ := target.Lookup(leg.target)
		dir := filepath.Join(OutDir, t.Dir())
		if t == host || !slices.Contains(cfg.Targets, t) || !prebuilt.Present(dir, t) {
			continue // nothing prebuilt to test for it
		}
		if reason := runnerMissing(ctx, leg); reason != "" {
			fmt.Fprintf(cfg.Out, "\n*** SKIPPED %s tests: %s; install %s\n\n", t, reason, leg.install)
			skipped++
			continue
		}
		lib, err := prebuilt.Check(dir, t, pins)
		if err != nil {
			return ran, skipped, err
		}
		bin := filepath.Join(os.TempDir(), fmt.Sprintf("mongoose-ffi-glue-%s-%d.test", t.Dir(), os.Getpid()))
		if t.OS == "windows" {
			bin += ".exe" // Wine runs only what is named like a program
		}
		defer os.Remove(bin)
		build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, "./mongoose")
		build.Env = append(os.Environ(), "GOOS="+t.OS, "GOARCH="+t.Arch, "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return ran, skipped, fmt.Errorf("building the %s test binary: %w\n%s", t, err, out)
		}
		abs, _ := filepath.Abs(lib.Path)
		if t.OS == "windows" {
			abs = `Z:` + strings.ReplaceAll(abs, "/", `\`) // Wine maps Z: to /
		}
		fmt.Fprintf(cfg.Out, "glue tests for %s under %s against the prebuilt %s (sha256 %s)\n", t, leg.runner[0], lib.Path, lib.SHA256)
		cmd := exec.CommandContext(ctx, leg.runner[0], append(leg.runner[1:], bin, "-test.count=1", "-test.v")...)
		cmd.Env = append(os.Environ(), prebuilt.Env+"=1", mongoose.TestLibraryEnv+"="+abs, "WINEDEBUG=-all")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return ran, skipped, fmt.Errorf("%s glue tests under %s: %w", t, leg.runner[0], err)
		}
		ran++
	}
	return ran, skipped, nil
}
