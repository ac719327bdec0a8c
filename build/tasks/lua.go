package tasks

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/bench"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/luajit"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
)

// luaBenchServer is the LuaJIT binding's bench server, when luajit is
// installed; without it the bench says so and measures the rest.
func luaBenchServer(work, lib string) ([]bench.Server, error) {
	lj, err := exec.LookPath("luajit")
	if err != nil {
		fmt.Println("\n*** SKIPPED lua bench: luajit is not installed (Debian: apt-get install luajit)")
		return nil, nil
	}
	src := filepath.Join(work, "luaserver.lua")
	if err := os.WriteFile(src, bench.LuaServerSource(), 0o644); err != nil {
		return nil, err
	}
	binding, err := filepath.Abs(filepath.Join("binding", "lua"))
	if err != nil {
		return nil, err
	}
	return []bench.Server{{Name: "lua", Cmd: []string{lj, src},
		Env: []string{"MONGOOSE_LIBRARY=" + lib, "LUA_PATH=" + binding + "/?.lua;;"}}}, nil
}

// luaLeg builds a luajit for an emulated leg's target and names it to the
// Lua tests; targets without one run no Lua tests (they say so).
func luaLeg(ctx context.Context, cfg *config.Config, t target.Target) ([]string, error) {
	if !luajit.Supported(t) || t.OS != "windows" {
		// An arm64 luajit would run, but a test binary under qemu-user
		// cannot start another arm64 program without binfmt_misc.
		return nil, nil
	}
	z, err := zig.Ensure(ctx, cfg.Cache, cfg.Out)
	if err != nil {
		return nil, err
	}
	exe, err := luajit.Build(ctx, cfg.Cache, z, t, cfg.Out)
	if err != nil {
		return nil, err
	}
	abs, _ := filepath.Abs(exe)
	return []string{mongoose.LuaJITEnv + "=" + `Z:` + strings.ReplaceAll(abs, "/", `\`)}, nil
}
