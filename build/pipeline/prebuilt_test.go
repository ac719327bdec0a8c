package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/command"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/prebuilt"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
)

// TestPrebuiltNeedsNoToolchain runs `MONGOOSE_FFI_PREBUILT=1 go tool mage
// test` on out/<host>/'s library with zig, OpenSSL and mongoose's source out
// of reach — an empty kit cache, ZIG pointing nowhere, no zig, perl or make
// on PATH, no MONGOOSE_SRC — and checks it passes, says which library it
// tested, and leaves the cache empty: nothing was built or fetched.
func TestPrebuiltNeedsNoToolchain(t *testing.T) {
	if prebuilt.On() {
		peer.Skip(t, "SKIPPED: this run is itself a prebuilt run (and would recurse)")
	}
	if testing.Short() {
		peer.Skip(t, "SKIPPED: -short: runs the whole of `go tool mage test`")
	}
	host, err := target.Host()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	dir := filepath.Join(root, OutDir, host.Dir())
	if !prebuilt.Present(dir, host) {
		peer.Skip(t, fmt.Sprintf("SKIPPED: %s holds no library: run `go tool mage build` or `go tool mage artifacts:download` first", dir))
	}
	pins, err := prebuilt.Expected()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := prebuilt.Check(dir, host, pins)
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	// PATH: Go's own directory, and sh (some tests script), shellcheck and
	// the test peers (curl, python3, luajit...: under CI=true a missing one
	// fails) linked into another.
	bin := t.TempDir()
	tools := []string{"sh", "seq", "shellcheck"}
	for _, p := range peer.All {
		if path, err := p.Find(); err == nil && !p.Builds {
			tools = append(tools, path)
		}
	}
	for _, tool := range tools {
		if p, err := exec.LookPath(tool); err == nil && runtime.GOOS != "windows" {
			os.Symlink(p, filepath.Join(bin, filepath.Base(tool)))
		}
	}
	path := filepath.Dir(goBin) + string(os.PathListSeparator) + bin
	for _, tool := range []string{"zig", "perl", "make"} {
		if p := lookIn(path, tool); p != "" {
			peer.Skip(t, fmt.Sprintf("SKIPPED: %s sits beside go (%s): cannot hide it", tool, p))
		}
	}
	cache := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "PATH", "ZIG", "MONGOOSE_SRC", "OPENSSL_SRC", "MONGOOSE_FFI_CACHE", "MONGOOSE_FFI_TARGETS", "MONGOOSE_LIBRARY", prebuilt.Env:
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PATH="+path, "ZIG="+filepath.Join(bin, "no-zig-here"), "MONGOOSE_FFI_CACHE="+cache, prebuilt.Env+"=1")
	cmd := exec.Command(goBin, "tool", "mage", "test")
	cmd.Dir, cmd.Env = root, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	log := out.String()
	if err != nil {
		t.Fatalf("go tool mage test on the prebuilt library failed: %v\n%s", err, log)
	}
	for _, want := range []string{"testing the prebuilt library " + filepath.Join(dir, host.Library), lib.SHA256, "suites: ", "0 failed"} {
		if !strings.Contains(log, want) {
			t.Errorf("output lacks %q:\n%s", want, log)
		}
	}
	filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if p != cache {
			t.Errorf("the run wrote %s into the kit's cache: it built or fetched something", p)
		}
		return err
	})
	t.Logf("tested %s (sha256 %s) with no zig, OpenSSL or mongoose source; the run ended:\n%s", lib.Path, lib.SHA256, command.LastLines(log, 12))
}

// lookIn finds an executable named tool in the directories of path.
func lookIn(path, tool string) string {
	for _, d := range filepath.SplitList(path) {
		for _, ext := range []string{"", ".exe"} {
			p := filepath.Join(d, tool+ext)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p
			}
		}
	}
	return ""
}

// The Prebuilt stage does nothing unless asked (or the machine cannot
// build), and asked with nothing in out/ it fails saying how to get one,
// leaving the State without libraries.
func TestPrebuiltStageOnlyWhenAsked(t *testing.T) {
	if len(prebuilt.MissingBuildTools()) > 0 {
		peer.Skip(t, "SKIPPED: this machine cannot build, so the stage is on by default")
	}
	newState := func() *State {
		return &State{Out: io.Discard, OutDir: t.TempDir(), Libraries: map[target.Target]mongoose.Library{}, done: map[string]bool{}}
	}
	t.Setenv(prebuilt.Env, "")
	s := newState()
	if err := s.Run(context.Background(), Prebuilt{}); err != nil || s.Prebuilt.On() || len(s.Libraries) != 0 {
		t.Errorf("unset: err %v, on %v, libraries %v; want a no-op", err, s.Prebuilt.On(), s.Libraries)
	}
	t.Setenv(prebuilt.Env, "1")
	s = newState()
	err := s.Run(context.Background(), Prebuilt{})
	if err == nil || !strings.Contains(err.Error(), "artifacts:download") || s.Prebuilt.On() || len(s.Libraries) != 0 {
		t.Errorf("=1 with an empty out/: err %v, on %v, libraries %v; want a refusal naming artifacts:download", err, s.Prebuilt.On(), s.Libraries)
	}
}
