package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"

	binding "github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/testrun"
)

// Lint runs gofmt, go vet and staticcheck.
type Lint struct{}

func (Lint) String() string { return "lint" }

func (Lint) Run(ctx context.Context, s *State) error { return testrun.Lint(ctx, s.Out) }

// Test runs every test of every module, including the integration tests
// that build with the real toolchain (outputs are cached), then the glue
// tests of every selected target whose row names an emulator, under it.
type Test struct{}

func (Test) String() string { return "test" }

func (Test) Run(ctx context.Context, s *State) error {
	env, err := nativeLibrary(ctx, s)
	if err != nil {
		return err
	}
	for _, m := range testrun.Modules {
		if err := testrun.Go(ctx, s.Out, m, env, "test", "-count=1", "-timeout=60m", "./..."); err != nil {
			return err
		}
	}
	ran, skipped := 0, 0
	for _, t := range crossTargets(s.Out, target.All(), s.Config.Targets) {
		err := crossTest(ctx, s, t)
		switch {
		case errors.Is(err, testrun.ErrSkipped):
			skipped++
		case err != nil:
			return err
		default:
			ran++
		}
	}
	// One closing line for the whole run: each module and cross leg is a suite.
	fmt.Fprintf(s.Out, "suites: %d passed, 0 failed, %d skipped\n", len(testrun.Modules)+ran, skipped)
	return nil
}

// nativeLibrary builds this machine's library for the binding's tests and
// names it in $MONGOOSE_LIBRARY. Without mongoose's source the binding's
// library tests skip loudly, as the glue tests do.
func nativeLibrary(ctx context.Context, s *State) ([]string, error) {
	t, ok := target.Lookup(runtime.GOOS + "/" + runtime.GOARCH)
	if !ok {
		testrun.Skip(s.Out, "binding library tests", fmt.Sprintf("no target for this machine (%s/%s)", runtime.GOOS, runtime.GOARCH))
		return nil, nil
	}
	err := s.Build(ctx, t)
	if errors.Is(err, source.ErrNoSource) {
		testrun.Skip(s.Out, "binding library tests", err.Error())
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lib, err := filepath.Abs(s.Libraries[t].Path)
	if err != nil {
		return nil, err
	}
	return []string{binding.EnvLibrary + "=" + lib}, nil
}

// crossTargets are the rows of table whose tests run under an emulator, in
// table order; each one not selected is said to be left out.
func crossTargets(log io.Writer, table, selected []target.Target) []target.Target {
	var out []target.Target
	for _, t := range table {
		if len(t.Emulator.Runner) == 0 {
			continue
		}
		if !slices.Contains(selected, t) {
			fmt.Fprintf(log, "%s tests: not selected by %s\n", t, config.TargetsEnv)
			continue
		}
		out = append(out, t)
	}
	return out
}

// crossTest builds t's library natively, then runs the glue tests for t
// under its emulator. A missing emulator is a loud skip, not a failure: the
// container has them all.
func crossTest(ctx context.Context, s *State, t target.Target) error {
	if err := testrun.Usable(ctx, s.Out, t); err != nil {
		return err
	}
	if err := s.Build(ctx, t); err != nil {
		return err
	}
	return testrun.Cross(ctx, s.Out, t, s.Libraries[t].Path, filepath.Join(s.Config.Cache, "work"))
}
