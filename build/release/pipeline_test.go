package release_test

import (
	"context"
	"io"

	"github.com/mongoose-ffi/mongoose-ffi/build/pipeline"
	"github.com/mongoose-ffi/mongoose-ffi/build/release"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// The snapshot test builds what out/ lacks with the pipeline's own stages,
// from this external package: pipeline imports release.
func init() {
	release.SetBuildAll(func(ctx context.Context, outDir string) error {
		s, err := pipeline.NewState(io.Discard)
		if err != nil {
			return err
		}
		s.OutDir = outDir
		return s.Build(ctx, target.All()...)
	})
}
