package bench

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// LuaServer is the LuaJIT binding's server (binding/lua, on lib), written
// into work; none when luajit is not installed, which it says.
func LuaServer(work, lib, bindingDir string, log io.Writer) ([]Server, error) {
	lj, err := exec.LookPath("luajit")
	if err != nil {
		fmt.Fprintln(log, "\n*** SKIPPED lua bench: luajit is not installed (Debian: apt-get install luajit)")
		return nil, nil
	}
	src := filepath.Join(work, "luaserver.lua")
	if err := os.WriteFile(src, luaserver, 0o644); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(bindingDir)
	if err != nil {
		return nil, err
	}
	return []Server{{Name: "lua", Cmd: []string{lj, src}, Kinds: []string{"http", "ws"}, // its server has no TLS
		Env: []string{"MONGOOSE_LIBRARY=" + lib, "LUA_PATH=" + dir + "/?.lua;;"}}}, nil
}
