package openssl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
	"github.com/mongoose-ffi/mongoose-ffi/build/command"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/objfile"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
)

// recipe is bumped whenever the steps below change what they produce.
const recipe = 3

// prefix is baked into the libraries as their install location; it is fixed
// so that the output does not depend on where the cache is.
const prefix = "/opt/mongoose-ffi/openssl"

// Libs are the static libraries each target gets, in link order.
var Libs = []string{"libssl.a", "libcrypto.a"}

// Result is one target's installed OpenSSL: Dir holds include/ and lib/.
type Result struct {
	Target  target.Target
	Version string // the pinned release
	Dir     string
	Key     string
}

// keyInputs is everything that determines a target's output.
type keyInputs struct {
	Recipe   int
	Source   string
	Target   target.Target
	Options  []string
	Speed    []string
	NoAVX512 []string
	ProbeCC  string
	Zig      string
}

// Builder builds OpenSSL from a verified release (see Sources) with zig.
type Builder struct {
	Config  *config.Config
	Zig     *zig.Zig
	Pin     *source.Pin
	Release string // the directory Sources returned
}

// Build makes static OpenSSL for one target, unless the cache holds a build
// from the same inputs.
func (b *Builder) Build(ctx context.Context, t target.Target) (Result, error) {
	cfg, pin := b.Config, b.Pin
	key := cache.Key(keyInputs{recipe, pin.Files[0].SHA256, t, Args(t), Speed(), t.NoAVX512, t.ProbeCC, b.Zig.Version})
	r := Result{Target: t, Version: pin.Version, Key: key, Dir: filepath.Join(cfg.Cache, "openssl", pin.Version, t.Dir()+"-"+key)}
	made, err := cache.Make(r.Dir, cfg.Out, func() error {
		srcDir, err := b.unpack()
		if err != nil {
			return err
		}
		return buildOne(ctx, cfg, b.Zig, srcDir, r)
	})
	if err != nil {
		return Result{}, err
	}
	if !made {
		fmt.Fprintf(cfg.Out, "openssl %s: up to date (%s)\n", t, r.Dir)
	}
	return r, nil
}

// unpack extracts the verified release once; every target builds out of
// tree from the same sources.
func (b *Builder) unpack() (string, error) {
	pin := b.Pin
	src := filepath.Join(b.Config.Cache, "work", "openssl-"+pin.Version+"-"+pin.Files[0].SHA256[:12])
	if !cache.Exists(src) {
		fmt.Fprintf(b.Config.Out, "openssl: unpacking %s\n", pin.Files[0].Name)
		if err := source.ExtractTarGz(filepath.Join(b.Release, pin.Files[0].Name), src); err != nil {
			return "", fmt.Errorf("unpacking OpenSSL: %w", err)
		}
	}
	return src, nil
}

func buildOne(ctx context.Context, cfg *config.Config, z *zig.Zig, srcDir string, r Result) error {
	t := r.Target
	start := time.Now()
	work := filepath.Join(cfg.Cache, "work", "openssl-"+t.Dir()+"-"+r.Key)
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(work, "build.log")
	env := append(z.Env(cfg.Cache),
		"CC="+zig.CC(t.Zig), "AR=zig ar", "RANLIB=zig ranlib",
		"SOURCE_DATE_EPOCH=1", // buildinf.h embeds the build date (0 would mean "now")
	)
	label := func(s string) string { return fmt.Sprintf("openssl %s: %s", t, s) }
	run := func(what string, args ...string) error {
		return command.Run(ctx, cfg.Out, command.Cmd{Label: label(what), Dir: work, Env: env, Log: logPath, Args: args})
	}
	err := cache.Publish(r.Dir, func(tmp string) error {
		configure := append([]string{"perl", filepath.Join(srcDir, "Configure"), t.OpenSSL,
			"--prefix=" + prefix, "--openssldir=/etc/ssl", "--libdir=lib"}, Args(t)...)
		if err := run("configure", configure...); err != nil {
			return err
		}
		for _, asm := range t.NoAVX512 {
			if err := run("generate "+filepath.Base(asm)+" without AVX-512", "make", "CC="+t.ProbeCC, asm); err != nil {
				return err
			}
		}
		if err := run(fmt.Sprintf("make (%d jobs)", cfg.Jobs), "make", fmt.Sprintf("-j%d", cfg.Jobs), "build_libs"); err != nil {
			return err
		}
		if err := buildForSpeed(work, run); err != nil {
			return err
		}
		stage := filepath.Join(work, "stage")
		if err := run("install", "make", "install_dev", "DESTDIR="+stage); err != nil {
			return err
		}
		for _, d := range []string{"include", "lib"} {
			if err := os.Rename(filepath.Join(stage, prefix, d), filepath.Join(tmp, d)); err != nil {
				return err
			}
		}
		// pkg-config and CMake files name the fake prefix; nothing here uses them.
		os.RemoveAll(filepath.Join(tmp, "lib", "pkgconfig"))
		os.RemoveAll(filepath.Join(tmp, "lib", "cmake"))
		return check(r, tmp, cfg.Cache, time.Since(start))
	})
	if err != nil {
		return err
	}
	var sizes []string
	for _, l := range Libs {
		if st, err := os.Stat(filepath.Join(r.Dir, "lib", l)); err == nil {
			sizes = append(sizes, fmt.Sprintf("%s %.1f MB", l, float64(st.Size())/1e6))
		}
	}
	fmt.Fprintf(cfg.Out, "openssl %s: built in %s: %s\n", t, time.Since(start).Round(time.Second), strings.Join(sizes, ", "))
	return os.RemoveAll(work)
}

// buildForSpeed compiles the speed sources again with speedFlag after the
// Makefile's CFLAGS (the last -O wins), then has make archive them again.
func buildForSpeed(work string, run func(string, ...string) error) error {
	mk, err := os.ReadFile(filepath.Join(work, "Makefile"))
	if err != nil {
		return err
	}
	cflags, ok := makeVar(string(mk), "CFLAGS")
	if !ok {
		return fmt.Errorf("openssl: no CFLAGS line in %s", filepath.Join(work, "Makefile"))
	}
	for _, o := range speed {
		obj, err := objectOf(string(mk), o.Arg)
		if err != nil {
			return err
		}
		file := filepath.Join(work, filepath.FromSlash(obj))
		small, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if err := os.Remove(file); err != nil {
			return err
		}
		flags := strings.Join(speedFlags, " ")
		if err := run("build "+o.Arg+" with "+flags, "make", "CFLAGS="+cflags+" "+flags, obj); err != nil {
			return err
		}
		fast, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if bytes.Equal(small, fast) {
			return fmt.Errorf("openssl: %s came out the same with %s: the flags did not reach the compiler", o.Arg, flags)
		}
	}
	// Archived again from scratch: a timestamp equal to the old archive's
	// (one-second file systems) must not keep the -Os objects.
	for _, l := range Libs {
		if err := os.Remove(filepath.Join(work, l)); err != nil {
			return err
		}
	}
	return run("archive what was built for speed", "make", "build_libs")
}

// objectOf finds the object the Makefile builds from a source ("obj: src"
// lines); the object's name and extension differ by target.
func objectOf(mk, src string) (string, error) {
	var objs []string
	for _, l := range strings.Split(mk, "\n") {
		obj, deps, ok := strings.Cut(l, ": ")
		if f := strings.Fields(deps); ok && len(f) > 0 && !strings.ContainsAny(obj, " \t") && strings.HasSuffix(f[0], "/"+src) {
			objs = append(objs, obj)
		}
	}
	if len(objs) != 1 {
		return "", fmt.Errorf("openssl: the Makefile builds %d objects from %s, want 1: fix speed in openssl/options.go", len(objs), src)
	}
	return objs[0], nil
}

// makeVar reads a "NAME=value" line of a Makefile.
func makeVar(mk, name string) (string, bool) {
	for _, l := range strings.Split(mk, "\n") {
		if v, ok := strings.CutPrefix(l, name+"="); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// check refuses archives holding objects for another format or
// architecture, or naming the cache (the output must not depend on where it
// is), and records what was built.
func check(r Result, dir, cacheDir string, took time.Duration) error {
	m := map[string]any{"target": r.Target.String(), "key": r.Key, "options": Args(r.Target), "speed": Speed(), "seconds": took.Seconds()}
	for _, l := range Libs {
		path := filepath.Join(dir, "lib", l)
		n, err := objfile.CheckArchive(path, r.Target)
		if err != nil {
			return err
		}
		m[l+" objects"] = n
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if work := filepath.Join(cacheDir, "work"); bytes.Contains(data, []byte(work)) {
			return fmt.Errorf("openssl %s: %s names the build directory under %s (debug info?): it would differ from one machine to another", r.Target, l, work)
		}
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return os.WriteFile(filepath.Join(dir, "build.json"), append(b, '\n'), 0o644)
}
