// Package zigtest gives tests the pinned zig, installing it if needed.
package zigtest

import (
	"context"
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	prebuilt "github.com/mongoose-ffi/mongoose-ffi/build/prebuilt/mode"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
)

// Run runs zig with args in dir and fails the test if it fails.
func Run(t testing.TB, dir string, args ...string) {
	t.Helper()
	if prebuilt.On() {
		peer.Skip(t, prebuilt.SkipReason+": this test compiles its fixture with zig")
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	z, err := zig.Ensure(context.Background(), cfg.Cache, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(z.Path, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), z.Env(cfg.Cache)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("zig %v: %v\n%s", args, err, out)
	}
}
