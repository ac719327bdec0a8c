package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
)

// Binaries are the bench's servers, built into one work directory.
type Binaries struct {
	C  string // the C server on the library: the ceiling
	Go string // the Go binding's server, which also serves net/http
}

// Compile builds the C server against lib (built for t) with zig, and the Go
// server, into work.
func Compile(ctx context.Context, z *zig.Zig, cacheDir string, t target.Target, lib, work string) (Binaries, error) {
	bins := Binaries{C: filepath.Join(work, "cserver"), Go: filepath.Join(work, "goserver")}
	libDir, err := filepath.Abs(filepath.Dir(lib))
	if err != nil {
		return bins, err
	}
	src := filepath.Join(work, "cserver.c")
	if err := os.WriteFile(src, cserver, 0o644); err != nil {
		return bins, err
	}
	cc := exec.CommandContext(ctx, z.Path, "cc", "-target", t.Zig, "-O2", "-I", libDir, src, lib,
		"-Wl,-rpath,"+libDir, "-o", bins.C)
	cc.Env = append(os.Environ(), z.Env(cacheDir)...)
	if out, err := cc.CombinedOutput(); err != nil {
		return bins, fmt.Errorf("compiling the C server: %w\n%s", err, out)
	}
	gb := exec.CommandContext(ctx, "go", "build", "-o", bins.Go, "./build/bench/goserver")
	if out, err := gb.CombinedOutput(); err != nil {
		return bins, fmt.Errorf("building the Go server: %w\n%s", err, out)
	}
	return bins, nil
}
