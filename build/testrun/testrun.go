// Package testrun runs the kit's tests: every Go module's tests, and the
// glue tests of other targets under the emulator their target row names.
package testrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	binding "github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
)

// Modules are the Go modules of the repository: the kit and the binding.
var Modules = []string{".", "binding"}

// ErrSkipped is matched (errors.Is) by a leg that could not run here: a loud
// skip, not a failure.
var ErrSkipped = errors.New("skipped")

// Go runs the go command in dir, with env added to the environment and the
// output on out.
func Go(ctx context.Context, out io.Writer, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %v: %w", args, err)
	}
	return nil
}

// Skip prints the one banner every skipped leg gets and returns an error
// matching ErrSkipped.
func Skip(out io.Writer, what, reason string) error {
	fmt.Fprintf(out, "\n*** SKIPPED %s: %s\n\n", what, reason)
	return fmt.Errorf("%s: %s: %w", what, reason, ErrSkipped)
}

// Usable returns an error matching ErrSkipped, after the banner, when the
// target's emulator cannot run here; nil when it can.
func Usable(ctx context.Context, out io.Writer, t target.Target) error {
	if reason := missing(ctx, t.Emulator); reason != "" {
		return Skip(out, t.String()+" tests", reason+"; install "+t.Emulator.Install)
	}
	return nil
}

// missing says why an emulator cannot be used, or "".
func missing(ctx context.Context, e target.Emulator) string {
	if len(e.Runner) == 0 {
		return "the target names no emulator"
	}
	if _, err := exec.LookPath(e.Runner[0]); err != nil {
		return e.Runner[0] + " is not installed"
	}
	if e.MinVersion == 0 {
		return ""
	}
	out, err := exec.CommandContext(ctx, e.Runner[0], "--version").Output()
	if err != nil {
		return fmt.Sprintf("%s --version failed: %v", e.Runner[0], err)
	}
	v := strings.TrimSpace(string(out))
	if major := majorVersion(v); major < e.MinVersion {
		return fmt.Sprintf("%s is %q, older than %d", e.Runner[0], v, e.MinVersion)
	}
	return ""
}

// versionNumber is the first dotted number in a version line.
var versionNumber = regexp.MustCompile(`(\d+)\.\d`)

// majorVersion reads the major version from a line such as
// "wine-8.0 (Debian 8.0~repack-4)" or "qemu-aarch64 version 9.2.0"; 0 if none.
func majorVersion(v string) int {
	m := versionNumber.FindStringSubmatch(v)
	if m == nil {
		return 0
	}
	major, _ := strconv.Atoi(m[1])
	return major
}

// suite is a package whose tests also run under emulators.
type suite struct {
	name, module, pkg string
	skip              string // tests that cannot run there (-test.skip)
}

// crossSuites: the kit's glue tests and the binding's own; the README test
// needs the go command, which an emulated program does not have.
var crossSuites = []suite{
	{"glue", ".", "./mongoose", ""},
	{"binding", "binding", "./mongoose", "^TestREADMESnippets$"},
}

// Cross builds each suite's test binary for t and runs it under t's
// emulator against lib, t's library, with env added to the tests'
// environment; the tests log their skips to skipLog (build/peer). The
// binaries go to a fresh temporary directory, removed afterwards: two
// checkouts testing at once must not share one.
func Cross(ctx context.Context, out io.Writer, t target.Target, lib, skipLog string, env ...string) error {
	e := t.Emulator
	abs, err := filepath.Abs(lib)
	if err != nil {
		return err
	}
	workDir, err := os.MkdirTemp("", "mongoose-ffi-cross-"+t.Dir()+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(workDir)
	if skipLog, err = filepath.Abs(skipLog); err != nil {
		return err
	}
	if e.Path != nil {
		abs, skipLog = e.Path(abs), e.Path(skipLog)
	}
	for _, s := range crossSuites {
		bin, err := filepath.Abs(filepath.Join(workDir, s.name+"-"+t.Dir()+".test"+t.Exe)) // Wine runs only what is named like a program
		if err != nil {
			return err
		}
		build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, s.pkg)
		build.Dir = s.module
		build.Env = append(os.Environ(), "GOOS="+t.OS, "GOARCH="+t.Arch, "CGO_ENABLED=0")
		if b, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("building the %s %s test binary: %w\n%s", t, s.name, err, b)
		}
		args := slices.Concat(e.Runner[1:], []string{bin, "-test.count=1", "-test.v"})
		if s.skip != "" {
			args = append(args, "-test.skip", s.skip)
		}
		fmt.Fprintf(out, "%s tests for %s under %s\n", s.name, t, e.Runner[0])
		cmd := exec.CommandContext(ctx, e.Runner[0], args...)
		cmd.Dir = filepath.Join(s.module, s.pkg) // as go test runs it: in the package's directory
		cmd.Env = slices.Concat(os.Environ(), []string{mongoose.TestLibraryEnv + "=" + abs, binding.EnvLibrary + "=" + abs,
			peer.EmulatedEnv + "=" + t.String(), peer.LogEnv + "=" + skipLog}, e.Env, env)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s tests under %s: %w", t, s.name, e.Runner[0], err)
		}
	}
	return nil
}
