package openssl

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/objfile"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/step"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
)

// recipe is bumped whenever the steps below change what they produce.
const recipe = 2

// prefix is baked into the libraries as their install location; it is fixed
// so that the output does not depend on where the cache is.
const prefix = "/opt/mongoose-ffi/openssl"

// Libs are the static libraries each target gets, in link order.
var Libs = []string{"libssl.a", "libcrypto.a"}

// Result is one target's installed OpenSSL: Dir holds include/ and lib/.
type Result struct {
	Target target.Target
	Dir    string
	Key    string
	Cached bool
}

// keyInputs is everything that determines a target's output.
type keyInputs struct {
	Recipe   int
	Source   string
	Target   target.Target
	Options  []string
	NoAVX512 []string
	ProbeCC  string
	Zig      string
}

// Build makes static OpenSSL for every selected target, skipping those whose
// inputs are unchanged since they were last built.
func Build(ctx context.Context, cfg *config.Config) ([]Result, error) {
	pin, err := Pin()
	if err != nil {
		return nil, err
	}
	z, err := zig.Ensure(ctx, cfg.Cache, cfg.Out)
	if err != nil {
		return nil, err
	}
	var results []Result
	var srcDir string
	for _, t := range cfg.Targets {
		key := cache.Key(keyInputs{recipe, pin.Files[0].SHA256, t, Args(t.OS), withoutAVX512[t.Arch], probeCC[t.OS], z.Version})
		r := Result{Target: t, Key: key, Dir: filepath.Join(cfg.Cache, "openssl", pin.Version, t.Dir()+"-"+key)}
		if cache.Exists(r.Dir) {
			r.Cached = true
			fmt.Fprintf(cfg.Out, "openssl %s: up to date (%s)\n", t, r.Dir)
			results = append(results, r)
			continue
		}
		if srcDir == "" {
			if srcDir, err = unpack(ctx, cfg, pin); err != nil {
				return nil, err
			}
		}
		if err := buildOne(ctx, cfg, z, srcDir, r); err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	return results, nil
}

// unpack verifies the release and extracts it once; every target builds out
// of tree from the same sources.
func unpack(ctx context.Context, cfg *config.Config, pin *source.Pin) (string, error) {
	dir, err := Sources(ctx, cfg.Cache, cfg.Out)
	if err != nil {
		return "", err
	}
	src := filepath.Join(cfg.Cache, "work", "openssl-"+pin.Version+"-"+pin.Files[0].SHA256[:12])
	if !cache.Exists(src) {
		fmt.Fprintf(cfg.Out, "openssl: unpacking %s\n", pin.Files[0].Name)
		if err := source.ExtractTarGz(filepath.Join(dir, pin.Files[0].Name), src); err != nil {
			return "", err
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
		return step.Run(ctx, cfg.Out, step.Cmd{Label: label(what), Dir: work, Env: env, Log: logPath, Args: args})
	}
	err := cache.Publish(r.Dir, func(tmp string) error {
		configure := append([]string{"perl", filepath.Join(srcDir, "Configure"), t.OpenSSL,
			"--prefix=" + prefix, "--openssldir=/etc/ssl", "--libdir=lib"}, Args(t.OS)...)
		if err := run("configure", configure...); err != nil {
			return err
		}
		for _, asm := range withoutAVX512[t.Arch] {
			if err := run("generate "+filepath.Base(asm)+" without AVX-512", "make", "CC="+probeCC[t.OS], asm); err != nil {
				return err
			}
		}
		if err := run(fmt.Sprintf("make (%d jobs)", cfg.Jobs), "make", fmt.Sprintf("-j%d", cfg.Jobs), "build_libs"); err != nil {
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
		return check(r, tmp, time.Since(start))
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

// check refuses archives holding objects for another format or
// architecture, and records what was built.
func check(r Result, dir string, took time.Duration) error {
	m := map[string]any{"target": r.Target.String(), "key": r.Key, "options": Args(r.Target.OS), "seconds": took.Seconds()}
	for _, l := range Libs {
		n, err := objfile.CheckArchive(filepath.Join(dir, "lib", l), r.Target)
		if err != nil {
			return err
		}
		m[l+" objects"] = n
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return os.WriteFile(filepath.Join(dir, "build.json"), append(b, '\n'), 0o644)
}
