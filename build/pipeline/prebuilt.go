package pipeline

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/mongoose-ffi/mongoose-ffi/build/prebuilt"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
)

// Prebuilt fills State.Libraries, in place of the build stages, with the
// libraries already in out/ (CI's, from `go tool mage artifacts:download`):
// when MONGOOSE_FFI_PREBUILT=1, or when this machine cannot build (no perl or
// make) and out/<host>/ holds a library. Each is checked against this
// checkout's pins and verified; nothing is built or fetched, and zig,
// OpenSSL and mongoose's source are not needed. Otherwise it does nothing
// and the stages after it build as usual.
type Prebuilt struct{}

func (Prebuilt) String() string { return "prebuilt" }

func (Prebuilt) Run(ctx context.Context, s *State) error {
	host, err := target.Host()
	if err != nil {
		return err
	}
	use, why, err := prebuilt.Decide(filepath.Join(s.OutDir, host.Dir()), host)
	if err != nil || !use {
		return err
	}
	if s.Prebuilt.Pins, err = prebuilt.Expected(); err != nil {
		return err
	}
	lib, err := s.prebuiltLibrary(host)
	if err != nil {
		return err
	}
	s.Prebuilt.Why = why // only once the host's library passed
	verify.PrintTable(s.Out, []*verify.Report{lib.Report})
	fmt.Fprintf(s.Out, "testing the %s\n  because %s: nothing is built or fetched\n", describe(lib), why)
	return nil
}

// PrebuiltState is what the Prebuilt stage found; Why is empty when the
// libraries are built instead.
type PrebuiltState struct {
	Why       string        // why out/'s libraries are tested as they are
	Pins      prebuilt.Pins // what their manifests must say
	Libraries map[target.Target]*prebuilt.Library
}

// On reports whether the run tests out/'s libraries instead of building.
func (p *PrebuiltState) On() bool { return p.Why != "" }

// prebuiltLibrary checks out/<t>/'s library (once) and puts it in
// s.Libraries, as the Build stage would have.
func (s *State) prebuiltLibrary(t target.Target) (*prebuilt.Library, error) {
	if lib, ok := s.Prebuilt.Libraries[t]; ok {
		return lib, nil
	}
	lib, err := prebuilt.Check(filepath.Join(s.OutDir, t.Dir()), t, s.Prebuilt.Pins)
	if err != nil {
		return nil, err
	}
	if s.Prebuilt.Libraries == nil {
		s.Prebuilt.Libraries = map[target.Target]*prebuilt.Library{}
	}
	s.Prebuilt.Libraries[t] = lib
	s.Libraries[t] = mongoose.Library{Target: t, Dir: lib.Dir, Path: lib.Path, Exports: lib.Exports}
	return lib, nil
}

// Library returns t's library: out/'s, checked, when the Prebuilt stage
// chose prebuilt libraries; else built by the build stages (State.Build).
func (s *State) Library(ctx context.Context, t target.Target) (mongoose.Library, error) {
	if s.Prebuilt.On() {
		_, err := s.prebuiltLibrary(t)
		return s.Libraries[t], err
	}
	err := s.Build(ctx, t)
	return s.Libraries[t], err
}

// describe names a prebuilt library for the log: path, sha256, versions.
func describe(lib *prebuilt.Library) string {
	abs, err := filepath.Abs(lib.Path)
	if err != nil {
		abs = lib.Path
	}
	return fmt.Sprintf("prebuilt library %s\n  sha256 %s (mongoose %s, OpenSSL %s, zig %s)", abs, lib.SHA256, lib.Manifest.Mongoose, lib.Manifest.OpenSSL, lib.Manifest.Zig)
}
