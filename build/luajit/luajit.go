// Package luajit cross-builds LuaJIT with the kit's zig, from Debian's
// source package of it (pinned and verified like the other sources), so the
// Lua binding's tests can run where no LuaJIT package is: targets this
// machine emulates (Wine) and Windows runners.
package luajit

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
	"github.com/mongoose-ffi/mongoose-ffi/build/command"
	"github.com/mongoose-ffi/mongoose-ffi/build/debian"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
)

//go:embed pin.json
var pinJSON []byte

// recipe is bumped whenever Build changes what it produces.
const recipe = 1

// LocalEnv names a local copy of the pinned tarball (or its directory).
const LocalEnv = "LUAJIT_SRC"

// Pin is the pinned LuaJIT source.
func Pin() (*source.Pin, error) { return source.Parse(pinJSON, "build/luajit/pin.json") }

// Sources returns the cache directory holding the verified tarball.
func Sources(ctx context.Context, cacheDir string, log io.Writer) (string, error) {
	pin, err := Pin()
	if err != nil {
		return "", err
	}
	orig := pin.Files[0].Name
	r := &source.Request{Pin: pin, Cache: cacheDir, LocalEnv: LocalEnv, Log: log, Fallbacks: []source.Fallback{{
		Name:  "Debian source package luajit/" + debian.Suite + " (apt-get source)",
		Fetch: func(ctx context.Context, dir string) error { return debian.SourceFiles(ctx, dir, "luajit", orig) },
	}}}
	return r.Obtain(ctx)
}

// Build returns the path of a luajit for t, built once into the cache.
func Build(ctx context.Context, cacheDir string, z *zig.Zig, t target.Target, log io.Writer) (string, error) {
	pin, err := Pin()
	if err != nil {
		return "", err
	}
	src, err := Sources(ctx, cacheDir, log)
	if err != nil {
		return "", err
	}
	sys := t.LuaJIT
	if sys == "" {
		sys = t.Emulator.LuaJIT
	}
	if sys == "" {
		return "", fmt.Errorf("luajit for %s: its target row names no LuaJIT TARGET_SYS (LuaJIT, or Emulator.LuaJIT)", t)
	}
	exe := "luajit" + t.Exe
	key := cache.Key(struct {
		Recipe      int
		Tarball     string
		Target      target.Target
		Zig, System string
	}{recipe, pin.Files[0].SHA256, t, z.Version, sys})
	entry := filepath.Join(cacheDir, "luajit", pin.Version, t.Dir()+"-"+key)
	_, err = cache.Make(entry, log, func() error {
		fmt.Fprintf(log, "luajit %s: build\n", t)
		return cache.Publish(entry, func(out string) error {
			work := filepath.Join(cacheDir, "work", "luajit-"+t.Dir()+"-"+key)
			if err := os.RemoveAll(work); err != nil {
				return err
			}
			if err := os.MkdirAll(work, 0o755); err != nil {
				return err
			}
			env := z.Env(cacheDir)
			// Go's archive packages have no xz: tar does it.
			if err := command.Run(ctx, io.Discard, command.Cmd{Label: "luajit " + t.String() + ": unpack", Dir: work, Env: env,
				Log: filepath.Join(work, "build.log"), Args: []string{"tar", "-xJf", filepath.Join(src, pin.Files[0].Name), "--strip-components=1"}}); err != nil {
				return err
			}
			// zig must be on PATH as "zig": the make variables hold commands.
			if err := command.Run(ctx, io.Discard, command.Cmd{Label: "luajit " + t.String() + ": make", Dir: work, Env: env,
				Log: filepath.Join(work, "build.log"), Args: []string{"make", "-C", "src", "HOST_CC=zig cc", "CC=zig cc -target " + t.Zig,
					"TARGET_SYS=" + sys, "TARGET_AR=zig ar rcus", "TARGET_STRIP=true", "BUILDMODE=static"}}); err != nil {
				return err
			}
			data, err := os.ReadFile(filepath.Join(work, "src", exe))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, exe), data, 0o755); err != nil {
				return err
			}
			return os.RemoveAll(work)
		})
	})
	if err != nil {
		return "", fmt.Errorf("luajit for %s: %w", t, err)
	}
	return filepath.Join(entry, exe), nil
}
