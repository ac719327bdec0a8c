// Package tasks holds what each mage target does, so that the magefile stays
// a list of one-liners and the same code runs natively and in the container.
package tasks

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/bench"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/container"
	"github.com/mongoose-ffi/mongoose-ffi/build/fuzz"
	"github.com/mongoose-ffi/mongoose-ffi/build/repro"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// Sources obtains and verifies every pinned third-party source.
func Sources(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	for _, get := range []func(context.Context, string, io.Writer) (string, error){mongoose.Sources, openssl.Sources} {
		dir, err := get(ctx, cfg.Cache, cfg.Out)
		if err != nil {
			return err
		}
		fmt.Fprintf(cfg.Out, "verified: %s\n", dir)
	}
	return nil
}

// Zig installs the pinned zig if needed and prints where it is.
func Zig(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	z, err := zig.Ensure(ctx, cfg.Cache, cfg.Out)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Out, "zig %s: %s\n", z.Version, z.Path)
	return nil
}

// OpenSSL builds static OpenSSL for the selected targets.
func OpenSSL(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	start := time.Now()
	rs, err := openssl.Build(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Out, "openssl: %d targets ready in %s\n", len(rs), time.Since(start).Round(10*time.Millisecond))
	return nil
}

// modules are the Go modules of the repository: the kit and the binding.
var modules = []string{".", "binding"}

// Lint runs gofmt, go vet and staticcheck over every module.
func Lint(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "gofmt", "-l", ".").CombinedOutput()
	if err != nil {
		return fmt.Errorf("gofmt: %v\n%s", err, out)
	}
	if len(out) > 0 {
		return fmt.Errorf("gofmt would change these files (run gofmt -w):\n%s", out)
	}
	// The binding keeps its go.mod free of tools: run the kit's pinned
	// staticcheck binary in each module.
	sc, err := exec.CommandContext(ctx, "go", "tool", "-n", "staticcheck").Output()
	if err != nil {
		return fmt.Errorf("building staticcheck: %v", err)
	}
	for _, m := range modules {
		if err := goCmd(ctx, m, "vet", "./..."); err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, strings.TrimSpace(string(sc)), "./...")
		cmd.Dir, cmd.Stdout, cmd.Stderr = m, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("staticcheck in %s: %v", m, err)
		}
	}
	return nil
}

// Test lints, then runs every test of every module, including the
// integration tests that build with the real toolchain (outputs are cached).
func Test(ctx context.Context) error {
	if err := Lint(ctx); err != nil {
		return err
	}
	for _, m := range modules {
		if err := goCmd(ctx, m, "test", "-count=1", "-timeout=60m", "./..."); err != nil {
			return err
		}
	}
	// QA (issue 12): each fuzz target briefly, MONGOOSE_FFI_TEST_FUZZTIME.
	if err := fuzz.Short(ctx); err != nil {
		return err
	}
	ran, skipped, err := crossTests(ctx)
	if err != nil {
		return err
	}
	// One closing line for the whole run: each module and cross leg is a suite.
	fmt.Printf("suites: %d passed, 0 failed, %d skipped\n", len(modules)+ran, skipped)
	return nil
}

// crossLeg runs the glue tests of another target under an emulator.
type crossLeg struct {
	target  string
	runner  []string // the emulator and its arguments
	minVer  int      // the runner's oldest usable major version, if it matters
	install string   // how to get the runner
}

var crossLegs = []crossLeg{
	{"linux/arm64", []string{"qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"}, 0,
		"Debian: apt-get install qemu-user libc6-arm64-cross"},
	// Go 1.26 Windows binaries need Wine 9 or newer (bcryptprimitives.dll).
	{"windows/amd64", []string{"wine"}, 9, "Wine 9 or newer: Debian trixie's wine, or the container (go tool mage docker:test)"},
}

// crossTests builds each leg's library natively, then runs the glue test
// binary for that target under its emulator. A missing emulator is a loud
// skip, not a failure: the container has them all.
func crossTests(ctx context.Context) (ran, skipped int, err error) {
	cfg, err := config.Load()
	if err != nil {
		return 0, 0, err
	}
	for _, leg := range crossLegs {
		t, _ := target.Lookup(leg.target)
		if !slices.Contains(cfg.Targets, t) {
			fmt.Fprintf(cfg.Out, "%s tests: not selected by %s\n", t, config.TargetsEnv)
			continue
		}
		if reason := runnerMissing(ctx, leg); reason != "" {
			fmt.Fprintf(cfg.Out, "\n*** SKIPPED %s tests: %s; install %s\n\n", leg.target, reason, leg.install)
			skipped++
			continue
		}
		tc := *cfg
		tc.Targets = []target.Target{t}
		libs, err := mongoose.Build(ctx, &tc, OutDir)
		if err != nil {
			return ran, skipped, err
		}
		bin := filepath.Join(cfg.Cache, "work", "glue-"+t.Dir()+".test")
		if t.OS == "windows" {
			bin += ".exe" // Wine runs only what is named like a program
		}
		build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, "./mongoose")
		build.Env = append(os.Environ(), "GOOS="+t.OS, "GOARCH="+t.Arch, "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return ran, skipped, fmt.Errorf("building the %s test binary: %v\n%s", t, err, out)
		}
		abs, _ := filepath.Abs(libs[0].Path)
		if t.OS == "windows" {
			abs = `Z:` + strings.ReplaceAll(abs, "/", `\`) // Wine maps Z: to /
		}
		fmt.Fprintf(cfg.Out, "glue tests for %s under %s\n", t, leg.runner[0])
		cmd := exec.CommandContext(ctx, leg.runner[0], append(leg.runner[1:], bin, "-test.count=1", "-test.v")...)
		cmd.Env = append(os.Environ(), mongoose.TestLibraryEnv+"="+abs, "WINEDEBUG=-all")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return ran, skipped, fmt.Errorf("%s glue tests under %s: %v", t, leg.runner[0], err)
		}
		ran++
	}
	return ran, skipped, nil
}

// runnerMissing says why a leg's emulator cannot be used, or "".
func runnerMissing(ctx context.Context, leg crossLeg) string {
	if _, err := exec.LookPath(leg.runner[0]); err != nil {
		return leg.runner[0] + " is not installed"
	}
	if leg.minVer == 0 {
		return ""
	}
	out, err := exec.CommandContext(ctx, leg.runner[0], "--version").Output()
	if err != nil {
		return fmt.Sprintf("%s --version failed: %v", leg.runner[0], err)
	}
	v := strings.TrimSpace(string(out)) // e.g. "wine-8.0 (Debian 8.0~repack-4)"
	var major int
	fmt.Sscanf(strings.TrimPrefix(v, "wine-"), "%d", &major)
	if major < leg.minVer {
		return fmt.Sprintf("%s is %q, older than %d", leg.runner[0], v, leg.minVer)
	}
	return ""
}

func goCmd(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %v: %v", args, err)
	}
	return nil
}

// OutDir is where libraries are installed, relative to the repository root.
const OutDir = "out"

// Build makes the mongoose library for the selected targets into out/.
func Build(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	start := time.Now()
	libs, err := mongoose.Build(ctx, cfg, OutDir)
	if err != nil {
		return err
	}
	for _, l := range libs {
		st, err := os.Stat(l.Path)
		if err != nil {
			return err
		}
		fmt.Fprintf(cfg.Out, "%-14s %-34s %6.2f MB %4d exports\n", l.Target, l.Path, float64(st.Size())/1e6, len(l.Exports))
	}
	fmt.Fprintf(cfg.Out, "build: %d targets ready in %s\n", len(libs), time.Since(start).Round(10*time.Millisecond))
	return nil
}

// Verify checks the libraries in out/ for the selected targets: format,
// exports, no OpenSSL symbols, only system libraries imported.
func Verify(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	var reports []*verify.Report
	for _, t := range cfg.Targets {
		dir := filepath.Join(OutDir, t.Dir())
		exports, err := mongoose.ReadExports(filepath.Join(dir, mongoose.ExportsFile))
		if err != nil {
			return fmt.Errorf("%s: %v; run `go tool mage build` first", t, err)
		}
		r, err := verify.Check(filepath.Join(dir, t.Library), t, exports)
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	verify.PrintTable(cfg.Out, reports)
	for _, r := range reports {
		if !r.OK() {
			return fmt.Errorf("verify: %s failed", r.Target)
		}
	}
	return nil
}

// Bench measures HTTP and WebSocket throughput of a C server on the library
// (the ceiling), the Go binding and net/http, on loopback, for this machine's
// target.
func Bench(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	t, ok := target.Lookup(runtime.GOOS + "/" + runtime.GOARCH)
	if !ok {
		return fmt.Errorf("no target for this machine (%s/%s)", runtime.GOOS, runtime.GOARCH)
	}
	tc := *cfg
	tc.Targets = []target.Target{t}
	libs, err := mongoose.Build(ctx, &tc, OutDir)
	if err != nil {
		return err
	}
	z, err := zig.Ensure(ctx, cfg.Cache, cfg.Out)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "mongoose-ffi-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	libDir, _ := filepath.Abs(libs[0].Dir)
	src := filepath.Join(work, "cserver.c")
	if err := os.WriteFile(src, bench.CServerSource(), 0o644); err != nil {
		return err
	}
	cbin, gobin := filepath.Join(work, "cserver"), filepath.Join(work, "goserver")
	cc := exec.CommandContext(ctx, z.Path, "cc", "-target", t.Zig, "-O2", "-I", libDir, src, libs[0].Path,
		"-Wl,-rpath,"+libDir, "-o", cbin)
	cc.Env = append(os.Environ(), z.Env(cfg.Cache)...)
	if out, err := cc.CombinedOutput(); err != nil {
		return fmt.Errorf("compiling the C server: %v\n%s", err, out)
	}
	if err := goCmd(ctx, ".", "build", "-o", gobin, "./build/bench/goserver"); err != nil {
		return err
	}
	abs, _ := filepath.Abs(libs[0].Path)
	s := bench.Defaults
	fmt.Fprintf(cfg.Out, "bench: %d connections, %s per figure after %s warm-up, median of %d interleaved rounds, loopback, %d CPUs\n",
		s.Conns, s.Duration, s.Warmup, s.Rounds, runtime.NumCPU())
	_, err = bench.Run(ctx, s, []bench.Server{
		{Name: "c", Cmd: []string{cbin}},
		{Name: "go", Cmd: []string{gobin, "-port"}, Env: []string{"MONGOOSE_LIBRARY=" + abs}},
		{Name: "nethttp", Cmd: []string{gobin, "-nethttp", "-port"}},
	}, cfg.Out)
	return err
}

// Reproducible builds the selected targets twice from scratch, in fresh
// copies of the checkout with empty caches, and fails unless the libraries
// are identical to each other and to out/'s (when built from the same inputs).
func Reproducible(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	var in repro.Inputs
	if in.MongooseSrc, err = mongoose.Sources(ctx, cfg.Cache, cfg.Out); err != nil {
		return err
	}
	if in.OpenSSLSrc, err = openssl.Sources(ctx, cfg.Cache, cfg.Out); err != nil {
		return err
	}
	z, err := zig.Ensure(ctx, cfg.Cache, cfg.Out)
	if err != nil {
		return err
	}
	in.Zig = z.Path
	rows, err := repro.Run(ctx, cfg, in, ".", OutDir)
	if err != nil {
		return err
	}
	repro.Print(cfg.Out, rows)
	for _, r := range rows {
		if !r.OK() {
			return fmt.Errorf("reproducible: %s differs between builds", r.Target)
		}
	}
	return nil
}

// docker prepares the engine and the image for the checkout in the current
// directory.
func docker(ctx context.Context) (*container.Engine, *container.Image, error) {
	e, err := container.Detect(ctx, os.Stdout)
	if err != nil {
		return nil, nil, err
	}
	img, err := container.ImageFor(".")
	if err != nil {
		return nil, nil, err
	}
	rev := strings.TrimSpace(gitOut(ctx, "rev-parse", "HEAD"))
	ver := strings.TrimSpace(gitOut(ctx, "describe", "--tags", "--always", "--dirty"))
	return e, img, e.Build(ctx, ".", img, ver, rev)
}

func gitOut(ctx context.Context, args ...string) string {
	out, err := exec.CommandContext(ctx, "git", args...).Output()
	if err != nil {
		return "unknown"
	}
	return string(out)
}

// DockerBase makes sure the Dockerfile's base image exists locally.
func DockerBase(ctx context.Context) error {
	e, err := container.Detect(ctx, os.Stdout)
	if err != nil {
		return err
	}
	return e.EnsureBase(ctx)
}

// DockerImage builds the toolchain image if its definition changed.
func DockerImage(ctx context.Context) error {
	_, _, err := docker(ctx)
	return err
}

// DockerRun runs the mage targets in $MONGOOSE_FFI_DOCKER_ARGS in the image.
func DockerRun(ctx context.Context) error {
	targets := strings.Fields(os.Getenv(container.ArgsEnv))
	if len(targets) == 0 {
		return fmt.Errorf("%s is empty: name the mage targets to run, e.g. %s=\"build verify\"", container.ArgsEnv, container.ArgsEnv)
	}
	return DockerTargets(ctx, targets...)
}

// DockerTargets runs mage targets in the image, with the repository, the
// kit's cache and Go's caches mounted.
func DockerTargets(ctx context.Context, targets ...string) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	e, img, err := docker(ctx)
	if err != nil {
		return err
	}
	repo, _ := filepath.Abs(".")
	m := container.Mounts{Repo: repo, Cache: cfg.Cache,
		GoModCache: strings.TrimSpace(goEnv(ctx, "GOMODCACHE")), GoCache: strings.TrimSpace(goEnv(ctx, "GOCACHE"))}
	for _, d := range []string{m.Cache, m.GoModCache, m.GoCache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var env []string
	for _, k := range []string{config.TargetsEnv, config.JobsEnv} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	// Local copies of the sources (for offline use) are shared read-only.
	m.ReadOnly = map[string]string{}
	for _, k := range []string{mongoose.LocalEnv, openssl.LocalEnv} {
		v := os.Getenv(k)
		if v == "" {
			continue
		}
		host, err := filepath.Abs(v)
		if err != nil {
			return fmt.Errorf("%s=%s: %v", k, v, err)
		}
		st, err := os.Stat(host)
		if err != nil {
			return fmt.Errorf("%s=%s: %v; point it at a directory or file holding the pinned sources", k, v, err)
		}
		// A named file brings its siblings (a tarball's signature).
		in := "/local/" + strings.ToLower(k)
		if st.IsDir() {
			m.ReadOnly[host] = in
		} else {
			m.ReadOnly[filepath.Dir(host)] = in
			in += "/" + filepath.Base(host)
		}
		env = append(env, k+"="+in)
	}
	return e.Run(ctx, img, m, env, targets...)
}

func goEnv(ctx context.Context, name string) string {
	out, _ := exec.CommandContext(ctx, "go", "env", name).Output()
	return string(out)
}
