package luajit

import (
	"context"
	"debug/pe"
	"os"
	"strings"
	"testing"

	prebuilt "github.com/mongoose-ffi/mongoose-ffi/build/prebuilt/mode"

	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
)

// TestBuildWindows cross-builds luajit.exe (cached after the first run) and
// checks it is an amd64 Windows program.
func TestBuildWindows(t *testing.T) {
	if testing.Short() {
		peer.Skip(t, "SKIPPED: -short: builds LuaJIT")
	}
	if prebuilt.On() {
		peer.Skip(t, prebuilt.SkipReason+": this test builds LuaJIT with zig")
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	z, err := zig.Ensure(ctx, cfg.Cache, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := target.Lookup("windows/amd64")
	exe, err := Build(ctx, cfg.Cache, z, tg, os.Stderr)
	if err != nil {
		if strings.Contains(err.Error(), "cannot obtain") {
			peer.Skip(t, "SKIPPED: LuaJIT's source is not reachable: "+err.Error())
		}
		t.Fatal(err)
	}
	f, err := pe.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		t.Errorf("%s: machine %#x", exe, f.Machine)
	}
}

func TestPin(t *testing.T) {
	p, err := Pin()
	if err != nil || len(p.Files) != 1 || !strings.HasSuffix(p.Files[0].Name, ".orig.tar.xz") {
		t.Fatalf("%v %v", p, err)
	}
}
