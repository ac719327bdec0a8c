// Package hostlib gives tests and QA targets (fuzz, memory check, soak) the
// real library built for this machine, building it if needed (cached).
package hostlib

import (
	"context"
	"io"
	"os"

	binding "github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/build/pipeline"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
)

// Build returns the path of this machine's library: the one `go tool mage
// test` names ($MONGOOSE_LIBRARY, or mongoose.TestLibraryEnv in an emulated
// leg), else one the pipeline's build stages make under outRoot. log
// receives the build's progress.
func Build(ctx context.Context, outRoot string, log io.Writer) (string, error) {
	for _, env := range []string{binding.EnvLibrary, mongoose.TestLibraryEnv} {
		if p := os.Getenv(env); p != "" {
			return p, nil
		}
	}
	t, err := target.Host()
	if err != nil {
		return "", err
	}
	s, err := pipeline.NewState(log)
	if err != nil {
		return "", err
	}
	s.OutDir = outRoot
	if err := s.Build(ctx, t); err != nil {
		return "", err
	}
	return s.Libraries[t].Path, nil
}
