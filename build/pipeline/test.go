package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	binding "github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/fuzz"
	"github.com/mongoose-ffi/mongoose-ffi/build/lint"
	"github.com/mongoose-ffi/mongoose-ffi/build/luajit"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/prebuilt"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/testrun"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
)

// Lint runs gofmt, go vet and staticcheck, then actionlint on the workflows.
type Lint struct{}

func (Lint) String() string { return "lint" }

func (Lint) Run(ctx context.Context, s *State) error {
	if err := lint.Go(ctx, s.Out); err != nil {
		return err
	}
	return lint.Workflows(ctx, s.Out, ".")
}

// Test runs every test of every module, including the integration tests
// that build with the real toolchain (outputs are cached), then the glue
// tests of every selected target whose row names an emulator, under it.
// After the Prebuilt stage chose out/'s libraries, it tests those and builds
// nothing: the tests that would build skip, saying so.
type Test struct{}

func (Test) String() string { return "test" }

func (Test) Run(ctx context.Context, s *State) error {
	env, err := nativeLibrary(ctx, s)
	if err != nil {
		return err
	}
	if s.Prebuilt.On() {
		env = append(env, prebuilt.Env+"=1")
	}
	// Tests log their skips here (build/peer); the closing summary reads it.
	logDir, err := os.MkdirTemp("", "mongoose-ffi-skips-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(logDir)
	skipLog := filepath.Join(logDir, "skips.tsv")
	env = append(env, peer.LogEnv+"="+skipLog)
	legs, skipped := len(testrun.Modules), 0
	err = func() error {
		for _, m := range testrun.Modules {
			if err := testrun.Go(ctx, s.Out, m, env, "test", "-count=1", "-timeout=60m", "./..."); err != nil {
				return err
			}
		}
		// Each fuzz target briefly (MONGOOSE_FFI_TEST_FUZZTIME); `mage fuzz` runs longer.
		if err := fuzz.Short(ctx, s.Out, env...); err != nil {
			return err
		}
		for _, t := range crossTargets(s.Out, target.All(), s.Config.Targets) {
			err := crossTest(ctx, s, t, skipLog)
			switch {
			case errors.Is(err, testrun.ErrSkipped):
				skipped++
			case err != nil:
				return err
			default:
				legs++
			}
		}
		return nil
	}()
	sum, rerr := peer.Read(skipLog)
	if rerr != nil {
		return errors.Join(err, fmt.Errorf("reading the tests' skip log: %w", rerr))
	}
	if err != nil {
		if len(sum.Missing) > 0 {
			fmt.Fprintln(s.Out)
		}
		for _, l := range sum.Lines() {
			fmt.Fprintln(s.Out, l)
		}
		return err
	}
	if host, err := target.Host(); err == nil && s.Prebuilt.On() {
		fmt.Fprintf(s.Out, "tested the %s\n", describe(s.Prebuilt.Libraries[host]))
	}
	closing(s.Out, sum, legs, skipped)
	return nil
}

// closing prints the run's closing summary: what did not run and why,
// missing peers last, then one line for the whole run, each module and
// cross leg a suite and each missing peer a skip.
func closing(w io.Writer, sum *peer.Summary, legs, skipped int) {
	fmt.Fprintln(w)
	for _, l := range sum.Lines() {
		fmt.Fprintln(w, l)
	}
	if len(sum.Peers) > 0 {
		fmt.Fprintf(w, "missing test peers: %s (go tool mage peers:install installs them; under %s=true they fail the run)\n",
			strings.Join(sum.Peers, ", "), peer.CIEnv)
	}
	fmt.Fprintf(w, "suites: %d passed, 0 failed, %d skipped\n", legs, skipped+len(sum.Peers))
}

// nativeLibrary builds this machine's library for the binding's tests and
// names it in $MONGOOSE_LIBRARY. Without mongoose's source the binding's
// library tests skip loudly, as the glue tests do. A prebuilt library is
// named for the glue tests too: they would build one otherwise.
func nativeLibrary(ctx context.Context, s *State) ([]string, error) {
	t, err := target.Host()
	if err != nil {
		testrun.Skip(s.Out, "binding library tests", err.Error())
		return nil, nil
	}
	l, err := s.Library(ctx, t)
	if errors.Is(err, source.ErrNoSource) {
		testrun.Skip(s.Out, "binding library tests", err.Error())
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lib, err := filepath.Abs(l.Path)
	if err != nil {
		return nil, err
	}
	if s.Prebuilt.On() {
		return []string{binding.EnvLibrary + "=" + lib, mongoose.TestLibraryEnv + "=" + lib}, nil
	}
	return []string{binding.EnvLibrary + "=" + lib}, nil
}

// crossTargets are the rows of table whose tests run under an emulator, in
// table order; each one not selected is said to be left out. The host's own
// row is not: the native run tests it (on an arm64 runner, linux/arm64).
func crossTargets(log io.Writer, table, selected []target.Target) []target.Target {
	host, _ := target.Host()
	var out []target.Target
	for _, t := range table {
		if len(t.Emulator.Runner) == 0 || t.String() == host.String() {
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

// crossTest builds t's library natively (or takes out/'s prebuilt one),
// then runs the glue tests for t under its emulator. A missing emulator, or
// no prebuilt library for t, is a loud skip, not a failure: the container
// has every emulator.
func crossTest(ctx context.Context, s *State, t target.Target, skipLog string) error {
	if s.Prebuilt.On() && !prebuilt.Present(filepath.Join(s.OutDir, t.Dir()), t) {
		return testrun.Skip(s.Out, t.String()+" tests", fmt.Sprintf("%s holds no prebuilt library for it, and %s builds nothing; fetch it with artifacts:download",
			filepath.Join(s.OutDir, t.Dir()), prebuilt.Env+"=1"))
	}
	if err := testrun.Usable(ctx, s.Out, t); err != nil {
		return err
	}
	lib, err := s.Library(ctx, t)
	if err != nil {
		return err
	}
	var env []string
	if s.Prebuilt.On() {
		fmt.Fprintf(s.Out, "%s tests against the %s\n", t, describe(s.Prebuilt.Libraries[t]))
		env = append(env, prebuilt.Env+"=1")
	}
	lua, err := luaJIT(ctx, s, t)
	if err != nil {
		return err
	}
	return testrun.Cross(ctx, s.Out, t, lib.Path, skipLog, append(env, lua...)...)
}

// luaJIT builds a luajit for t when t's emulated tests can start one, and
// names it to the Lua tests; elsewhere they say why they do not run. On a
// prebuilt library it takes the one the luajit stage left in out/, if any:
// without it the Lua tests there miss their peer.
func luaJIT(ctx context.Context, s *State, t target.Target) ([]string, error) {
	if t.Emulator.LuaJIT == "" {
		return nil, nil
	}
	exe := filepath.Join(luajitDir(s, t), "luajit"+t.Exe)
	if s.Prebuilt.On() {
		if _, err := os.Stat(exe); err != nil {
			return nil, nil
		}
	} else {
		var err error
		if exe, err = luajit.Build(ctx, s.Config.Cache, s.Zig, t, s.Out); err != nil {
			return nil, err
		}
	}
	abs, err := filepath.Abs(exe)
	if err != nil {
		return nil, err
	}
	if t.Emulator.Path != nil {
		abs = t.Emulator.Path(abs)
	}
	return []string{peer.LuaJITEnv + "=" + abs}, nil
}
