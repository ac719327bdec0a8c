// Package fuzz runs the kit's Go fuzz targets: bytes from the network sent
// to the real library's HTTP, WebSocket and TCP listeners (this package's
// tests), and corrupted library files given to verify.Check. `go tool mage
// fuzz` runs each for MONGOOSE_FFI_FUZZTIME; `go tool mage test` runs each
// briefly, for MONGOOSE_FFI_TEST_FUZZTIME.
package fuzz

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Environment variables: how long each target fuzzes.
const (
	TimeEnv     = "MONGOOSE_FFI_FUZZTIME"      // go tool mage fuzz; default 60s
	TestTimeEnv = "MONGOOSE_FFI_TEST_FUZZTIME" // go tool mage test; default 3s, 0 skips
)

// Target is one fuzz function in one package.
type Target struct{ Pkg, Func string }

// Targets are every fuzz target of the kit.
var Targets = []Target{
	{"./build/fuzz", "FuzzHTTP"},
	{"./build/fuzz", "FuzzWebSocket"},
	{"./build/fuzz", "FuzzTCP"},
	{"./build/verify", "FuzzCheck"},
}

// Duration reads env as a Go duration ("90s", "5m"), or def when unset.
func Duration(env string, def time.Duration) (time.Duration, error) {
	s := os.Getenv(env)
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q: want a duration such as 60s or 5m (0 skips)", env, s)
	}
	return d, nil
}

// Run fuzzes each target for d in turn, from the repository root. A finding
// fails the run; go test has saved the input under the package's
// testdata/fuzz/<Func>/, where it becomes a regression seed once fixed.
func Run(ctx context.Context, d time.Duration, out io.Writer, env ...string) error {
	if d == 0 {
		fmt.Fprintln(out, "fuzz: skipped (duration 0)")
		return nil
	}
	for _, t := range Targets {
		fmt.Fprintf(out, "fuzz %s %s for %s\n", t.Pkg, t.Func, d)
		corpus := filepath.Join(t.Pkg, "testdata", "fuzz", t.Func)
		before := entries(corpus)
		var log bytes.Buffer
		cmd := exec.CommandContext(ctx, "go", "test", "-run=^$", "-fuzz=^"+t.Func+"$", "-fuzztime="+d.String(), t.Pkg)
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdout = io.MultiWriter(out, &log)
		cmd.Stderr = cmd.Stdout
		err := cmd.Run()
		if err != nil && spurious(log.String(), before, entries(corpus)) {
			// Go 1.26's fuzz coordinator can report its own -fuzztime
			// deadline as a failure (go.dev/issue/75804, fixed in 1.27):
			// no input failed, none was saved.
			fmt.Fprintf(out, "fuzz %s: the run ended on Go's fuzztime deadline race (go.dev/issue/75804), no failing input\n", t.Func)
			err = nil
		}
		if err != nil {
			return fmt.Errorf("fuzz %s in %s found a failing input (saved under %s/testdata/fuzz/%s/; rerun with go test -run=%s/<name> %s): %w",
				t.Func, t.Pkg, t.Pkg, t.Func, t.Func, t.Pkg, err)
		}
	}
	return nil
}

// Main is `go tool mage fuzz`: every target for MONGOOSE_FFI_FUZZTIME (60s).
func Main(ctx context.Context) error {
	d, err := Duration(TimeEnv, 60*time.Second)
	if err != nil {
		return err
	}
	return Run(ctx, d, os.Stdout)
}

// Short is the brief run inside `go tool mage test`, MONGOOSE_FFI_TEST_FUZZTIME
// (3s) each, with env (the library to use) added.
func Short(ctx context.Context, out io.Writer, env ...string) error {
	d, err := Duration(TestTimeEnv, 3*time.Second)
	if err != nil {
		return err
	}
	return Run(ctx, d, out, env...)
}

// entries are the names in a corpus directory.
func entries(dir string) map[string]bool {
	names := map[string]bool{}
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		names[de.Name()] = true
	}
	return names
}

// spurious says whether a failed fuzz run is Go's deadline race: it says
// only "context deadline exceeded" and saved no new input.
func spurious(log string, before, after map[string]bool) bool {
	for name := range after {
		if !before[name] {
			return false
		}
	}
	return strings.Contains(log, "context deadline exceeded") && !strings.Contains(log, "Failing input written")
}
