package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/mongoose-ffi/mongoose-ffi/build/release"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// Preflight decides what a release makes (a snapshot, or publishing a
// vX.Y.Z tag) and refuses a partial selection, a dirty tree or a tag not
// on HEAD before anything is built. Only `go tool mage release` runs it.
type Preflight struct{}

func (Preflight) String() string { return "preflight" }

func (Preflight) Run(ctx context.Context, s *State) error {
	d, c, err := release.Preflight(ctx, s.Config.Targets, s.Out)
	if err != nil {
		return err
	}
	s.Release = &ReleasePlan{Decision: d, Commit: c}
	return nil
}

// ReleasePlan is what Preflight decided, for Package.
type ReleasePlan struct {
	Decision release.Decision
	Commit   release.Commit
}

// Release runs GoReleaser over out/'s libraries, with the licence texts
// and SBOM taken from the sources and pins the Sources stage verified, then
// checks dist/ and, on a publish, tags the Go binding.
type Release struct{}

func (Release) String() string { return "release" }

func (Release) Run(ctx context.Context, s *State) error {
	if err := errors.Join(need(Preflight{}, s.Release != nil), need(Sources{}, s.MongooseSrc != "")); err != nil {
		return err
	}
	for _, t := range target.All() {
		if _, ok := s.Libraries[t]; !ok {
			return fmt.Errorf("%s: %w", t, need(Build{}, false))
		}
	}
	in := release.Inputs{MongoosePin: s.MongoosePin, OpenSSLPin: s.OpenSSLPin,
		MongooseSrc: s.MongooseSrc, OpenSSLSrc: s.OpenSSLSrc, Cache: s.Config.Cache}
	return release.PackageStage(ctx, s.Release.Decision, s.Release.Commit, in, s.Out)
}
