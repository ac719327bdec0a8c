package tasks

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/mongoose-ffi/mongoose-ffi/build/bench"
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
