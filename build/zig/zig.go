// Package zig provides the one C compiler used for every target: a pinned
// zig, taken from $ZIG or PATH when its version matches, else installed from
// PyPI's ziglang package into the cache.
package zig

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
)

// Version is the pinned zig release (the PyPI package ziglang==Version).
const Version = "0.17.1"

// EnvVar names a zig binary to use instead of the cached one.
const EnvVar = "ZIG"

// Zig is a located zig binary of the pinned version.
type Zig struct {
	Path    string
	Version string
}

// Ensure finds or installs the pinned zig. log receives progress.
func Ensure(ctx context.Context, cacheDir string, log io.Writer) (*Zig, error) {
	if p := os.Getenv(EnvVar); p != "" {
		v, err := version(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("%s=%s: %w", EnvVar, p, err)
		}
		if v != Version {
			return nil, fmt.Errorf("%s=%s is zig %s, but the build is pinned to zig %s: unset %s to let the build install it", EnvVar, p, v, Version, EnvVar)
		}
		return &Zig{p, v}, nil
	}
	if p, err := exec.LookPath("zig"); err == nil {
		if v, err := version(ctx, p); err == nil && v == Version {
			return &Zig{p, v}, nil
		}
	}
	dir := filepath.Join(cacheDir, "zig", Version)
	bin := filepath.Join(dir, "ziglang", exe("zig"))
	if !cache.Exists(bin) {
		if err := install(ctx, dir, log); err != nil {
			return nil, err
		}
	}
	v, err := version(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; delete %s and run again", bin, err, dir)
	}
	if v != Version {
		return nil, fmt.Errorf("%s is zig %s, not the pinned %s; delete %s and run again", bin, v, Version, dir)
	}
	return &Zig{bin, v}, nil
}

// install runs pip into a temporary directory published as dir.
func install(ctx context.Context, dir string, log io.Writer) error {
	py, err := python()
	if err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, py, "-m", "pip", "--version").CombinedOutput(); err != nil {
		return fmt.Errorf("%s has no pip (%w: %s): install pip (Debian: apt-get install python3-pip), or set %s to a zig %s binary",
			py, err, strings.TrimSpace(string(out)), EnvVar, Version)
	}
	fmt.Fprintf(log, "zig: installing ziglang==%s with pip into %s\n", Version, dir)
	return cache.Publish(dir, func(tmp string) error {
		cmd := exec.CommandContext(ctx, py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
			"--no-deps", "--target", tmp, "ziglang=="+Version)
		// A --target install touches no system packages; Debian's pip refuses
		// without this all the same (PEP 668). Older pips ignore it.
		cmd.Env = append(os.Environ(), "PIP_BREAK_SYSTEM_PACKAGES=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("pip install ziglang==%s: %w\n%s", Version, err, out.String())
		}
		return nil
	})
}

func python() (string, error) {
	for _, name := range []string{"python3", "python"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("zig %s is not installed and Python 3 is not on PATH to install it: install Python 3 with pip (Debian: apt-get install python3-pip), or set %s to a zig %s binary", Version, EnvVar, Version)
}

func version(ctx context.Context, bin string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return "", fmt.Errorf("running %s version: %w", bin, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func exe(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}

// Env is the environment for commands that run zig: zig's directory first on
// PATH, so that build systems call plain "zig" and no install path leaks into
// their output, and zig's own caches inside ours.
func (z *Zig) Env(cacheDir string) []string {
	zc := filepath.Join(cacheDir, "zig-cache")
	return []string{
		"PATH=" + filepath.Dir(z.Path) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"ZIG_GLOBAL_CACHE_DIR=" + zc,
		"ZIG_LOCAL_CACHE_DIR=" + zc,
	}
}

// CC is the C compiler command for a zig target triple, as one string for
// build systems that split CC on spaces; it needs Env's PATH.
func CC(triple string) string { return "zig cc -target " + triple }
