package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/mongoose-ffi/mongoose-ffi/build/repro"
)

// Reproducible builds the selected targets twice from scratch, in fresh
// copies of the checkout with empty caches, and fails unless the libraries
// are identical to each other and to out/'s (when built from the same
// inputs). The fresh builds share the verified sources and zig: inputs, not
// outputs.
type Reproducible struct{}

func (Reproducible) String() string { return "reproducible" }

func (Reproducible) Run(ctx context.Context, s *State) error {
	if err := errors.Join(need(Sources{}, s.MongooseSrc != ""), need(Zig{}, s.Zig != nil)); err != nil {
		return err
	}
	in := repro.Inputs{MongooseSrc: s.MongooseSrc, OpenSSLSrc: s.OpenSSLSrc, Zig: s.Zig.Path}
	rows, err := repro.Run(ctx, s.Config, in, ".", s.OutDir)
	if err != nil {
		return err
	}
	repro.Print(s.Out, rows)
	for _, r := range rows {
		if !r.OK() {
			return fmt.Errorf("%s differs between builds", r.Target)
		}
	}
	return nil
}
