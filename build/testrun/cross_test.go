package testrun

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// Each Cross run builds its test binaries in a directory of its own and
// removes it: two checkouts testing at once (sharing the kit's cache) must
// not overwrite each other's binary while the emulator runs it. The extra
// environment reaches the tests.
func TestCrossUsesAFreshDirectoryPerRun(t *testing.T) {
	if runtime.GOOS == "windows" {
		peer.Skip(t, "SKIPPED: on Windows: the fake emulator is a shell script")
	}
	log := filepath.Join(t.TempDir(), "runs.log")
	emu := filepath.Join(t.TempDir(), "fake-emulator")
	// Records the binary it is given and the environment it is given, and
	// fails if the binary is not there.
	os.WriteFile(emu, []byte("#!/bin/sh\nprintf '%s %s %s %s\\n' \"$1\" \"$EXTRA\" \"$MONGOOSE_FFI_TEST_EMULATED\" \"$MONGOOSE_FFI_SKIP_LOG\" >> "+log+"\ntest -x \"$1\"\n"), 0o755)
	host, err := target.Host()
	if err != nil {
		peer.Skip(t, fmt.Sprint("SKIPPED: ", err))
	}
	facts := *host.Facts
	facts.Emulator = target.Emulator{Runner: []string{emu}}
	host.Facts = &facts
	saved := crossSuites
	crossSuites = []suite{{"command", ".", "./build/command", ""}} // small and quick to build
	defer func() { crossSuites = saved }()
	t.Chdir(filepath.Join("..", ".."))
	skipLog := filepath.Join(t.TempDir(), "skips.tsv")

	for range 2 {
		if err := Cross(context.Background(), io.Discard, host, "lib.so", skipLog, "EXTRA=given"); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	runs := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(runs) != 2 {
		t.Fatalf("emulator ran %d times, want 2:\n%s", len(runs), data)
	}
	var dirs []string
	for _, r := range runs {
		bin, extra, _ := strings.Cut(r, " ")
		// The tests learn they are emulated, as what, and where to log skips (build/peer).
		if want := "given " + host.String() + " " + skipLog; extra != want {
			t.Errorf("the tests' environment: %q, want %q", extra, want)
		}
		if _, err := os.Stat(filepath.Dir(bin)); err == nil {
			t.Errorf("%s is left behind after the run", filepath.Dir(bin))
		}
		dirs = append(dirs, filepath.Dir(bin))
	}
	if dirs[0] == dirs[1] {
		t.Errorf("both runs built their binary in %s: concurrent runs would overwrite each other's", dirs[0])
	}
}
