// Package prebuilt lets the kit test a library it did not build (one from
// CI, fetched by `go tool mage artifacts:download`): it decides when to,
// reads the library's manifest, refuses one built from other pins, and
// verifies it — without zig, OpenSSL or mongoose's source.
package prebuilt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/prebuilt/mode"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
)

// Env, On and SkipReason: see package mode, which tests import.
const (
	Env        = mode.Env
	SkipReason = mode.SkipReason
)

// On reports whether this process tests a prebuilt library.
func On() bool { return mode.On() }

// Files beside each library: its manifest and its export list.
const (
	ManifestFile = mongoose.ManifestFile
	ExportsFile  = verify.ExportsFile
)

// Manifest is what a library's manifest.json holds.
type Manifest = mongoose.Manifest

// Pins is what the manifest of a library built from this checkout says:
// versions, the glue header's hash (the ABI) and the hashes of the sources.
type Pins struct {
	Mongoose, OpenSSL, ABI string
	Inputs                 map[string]string
}

// Expected is what this checkout's libraries' manifests must say, read from
// the pins alone: nothing is built or fetched.
func Expected() (Pins, error) {
	m, err := mongoose.Expected()
	if err != nil {
		return Pins{}, err
	}
	return Pins{Mongoose: m.Mongoose, OpenSSL: m.OpenSSL, ABI: m.ABI, Inputs: m.Inputs}, nil
}

// Library is a prebuilt library that passed Check.
type Library struct {
	Target   target.Target
	Dir      string // out/<os>_<arch>
	Path     string // the library in Dir
	SHA256   string // of the library file
	Exports  []string
	Manifest Manifest
	Report   *verify.Report
}

// Present reports whether dir holds t's library and its manifest.
func Present(dir string, t target.Target) bool {
	for _, f := range []string{t.Library, ManifestFile} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || !st.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// Check reads dir's manifest, refuses a library built for another target
// or from other pins, then verifies the library itself (format, exports,
// no OpenSSL symbol, system imports only).
func Check(dir string, t target.Target, want Pins) (*Library, error) {
	lib := filepath.Join(dir, t.Library)
	m, err := mongoose.ReadManifest(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w; a library needs the %s built beside it (go tool mage build, or artifacts:download)", dir, err, ManifestFile)
	}
	if err != nil {
		return nil, err
	}
	if err := compare(*m, t, want); err != nil {
		return nil, fmt.Errorf("%s is refused: %w; fetch the libraries of a CI run of this commit (go tool mage artifacts:download, MONGOOSE_FFI_RUN=<run id>) or build them (go tool mage build)", lib, err)
	}
	exports, err := verify.ReadExports(filepath.Join(dir, ExportsFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %w; the export list is built beside the library", dir, err)
	}
	r, err := verify.Check(lib, t, exports)
	if err != nil {
		return nil, err
	}
	if !r.OK() {
		return nil, fmt.Errorf("%s fails verification: %s", lib, failures(r))
	}
	sum, err := source.FileSHA256(lib)
	if err != nil {
		return nil, err
	}
	return &Library{Target: t, Dir: dir, Path: lib, SHA256: sum, Exports: exports, Manifest: *m, Report: r}, nil
}

// compare says how a manifest differs from this checkout's pins.
func compare(m Manifest, t target.Target, want Pins) error {
	var diffs []string
	if m.Target != t.String() {
		diffs = append(diffs, fmt.Sprintf("it is for %q, not %s", m.Target, t))
	}
	if m.Mongoose != want.Mongoose {
		diffs = append(diffs, fmt.Sprintf("it holds mongoose %q, this checkout pins %s", m.Mongoose, want.Mongoose))
	}
	if m.OpenSSL != want.OpenSSL {
		diffs = append(diffs, fmt.Sprintf("it holds OpenSSL %q, this checkout pins %s", m.OpenSSL, want.OpenSSL))
	}
	if m.ABI != want.ABI {
		diffs = append(diffs, fmt.Sprintf("it has another glue ABI (mongoose_ffi.h sha256 %s, this checkout's %s)", short(m.ABI), short(want.ABI)))
	}
	names := make([]string, 0, len(want.Inputs))
	for n := range want.Inputs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if n == "mongoose_ffi.h" && m.ABI != want.ABI {
			continue // said above
		}
		if got := m.Inputs[n]; got != want.Inputs[n] {
			diffs = append(diffs, fmt.Sprintf("it was built from another %s (sha256 %s, this checkout's %s)", n, short(got), short(want.Inputs[n])))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("its %s does not match this checkout: %s", ManifestFile, strings.Join(diffs, "; "))
	}
	return nil
}

// failures lists what verify found wrong.
func failures(r *verify.Report) string {
	var f []string
	f = append(f, r.Problems...)
	for _, c := range []struct {
		what  string
		names []string
	}{{"missing exports", r.Missing}, {"OpenSSL symbols exported", r.Leaked}, {"imports outside the allowlist", r.Foreign}} {
		if len(c.names) > 0 {
			f = append(f, c.what+": "+strings.Join(c.names, ", "))
		}
	}
	return strings.Join(f, "; ")
}

func short(h string) string {
	if h == "" {
		return "(none)"
	}
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// Decide says whether `mage test` tests dir's prebuilt library for t (the
// host's target) instead of building: when Env is 1, or, with Env unset,
// when this machine cannot build (perl or make missing) and dir holds one.
// why explains the choice for the log; use is false to build as usual.
func Decide(dir string, t target.Target) (use bool, why string, err error) {
	switch v := os.Getenv(Env); v {
	case "1":
		if !Present(dir, t) {
			return false, "", fmt.Errorf("%s=1, but %s holds no %s with its %s: fetch CI's with `go tool mage artifacts:download`, or unset %s to build", Env, dir, t.Library, ManifestFile, Env)
		}
		return true, Env + "=1", nil
	case "0":
		return false, "", nil
	case "":
	default:
		return false, "", fmt.Errorf("%s=%q: want 1 (test the library in %s) or 0 (build it)", Env, v, dir)
	}
	missing := MissingBuildTools()
	if len(missing) == 0 {
		return false, "", nil
	}
	if !Present(dir, t) {
		return false, "", fmt.Errorf("this machine cannot build the library (no %s on PATH) and %s holds none to test: fetch CI's with `go tool mage artifacts:download`, or install %s",
			strings.Join(missing, ", "), dir, strings.Join(missing, " and "))
	}
	return true, fmt.Sprintf("this machine cannot build (no %s on PATH)", strings.Join(missing, ", ")), nil
}

// buildTools are what OpenSSL's build needs beyond Go and zig (which the
// kit installs itself); lookPath is replaced in tests.
var (
	buildTools = []string{"perl", "make"}
	lookPath   = exec.LookPath
)

// MissingBuildTools lists the build tools this machine lacks.
func MissingBuildTools() []string {
	var missing []string
	for _, tool := range buildTools {
		if _, err := lookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	return missing
}
