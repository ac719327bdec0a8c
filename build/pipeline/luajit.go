package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mongoose-ffi/mongoose-ffi/build/luajit"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// LuaJIT builds a luajit for each selected target whose OS packages none
// (its row's LuaJIT: Windows) into out/luajit/<os>_<arch>/: CI's build job
// hands it to that target's native test leg, which puts it on PATH. Other
// targets' legs install their OS's.
type LuaJIT struct{}

func (LuaJIT) String() string { return "luajit" }

func (LuaJIT) Run(ctx context.Context, s *State) error {
	if err := need(Zig{}, s.Zig != nil); err != nil {
		return err
	}
	for _, t := range s.Targets {
		if t.LuaJIT == "" {
			fmt.Fprintf(s.Out, "luajit %s: its OS packages LuaJIT; nothing to build\n", t)
			continue
		}
		exe, err := luajit.Build(ctx, s.Config.Cache, s.Zig, t, s.Out)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(exe)
		if err != nil {
			return err
		}
		dir := luajitDir(s, t)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.Base(exe))
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			return fmt.Errorf("luajit %s: %w", t, err)
		}
		fmt.Fprintf(s.Out, "luajit %s: %s\n", t, dst)
	}
	return nil
}

// luajitDir is where the LuaJIT stage puts t's luajit.
func luajitDir(s *State, t target.Target) string { return filepath.Join(s.OutDir, "luajit", t.Dir()) }
