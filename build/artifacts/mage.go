package artifacts

import (
	"context"
	"fmt"
	"os"

	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/pipeline"
	"github.com/mongoose-ffi/mongoose-ffi/build/prebuilt"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// Main fetches the libraries of the current branch's latest
// successful CI run (or MONGOOSE_FFI_RUN's) into out/, verified: the
// host's target, or those in MONGOOSE_FFI_TARGETS.
func Main(ctx context.Context) error {
	cfg, err := pipeline.Config()
	if err != nil {
		return err
	}
	o, err := FromEnv(ctx)
	if err != nil {
		return err
	}
	targets := cfg.Targets // the shared configuration is left as it is
	if os.Getenv(config.TargetsEnv) == "" {
		host, err := target.Host()
		if err != nil {
			return err
		}
		targets = []target.Target{host}
	}
	if o.Pins, err = prebuilt.Expected(); err != nil {
		return err
	}
	o.Targets, o.OutRoot, o.Log = targets, pipeline.OutDir, cfg.Out
	rs, err := Download(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Out, "artifacts: %d verified libraries in %s/; test with `go tool mage test` (MONGOOSE_FFI_PREBUILT=1 where this machine can build)\n", len(rs), pipeline.OutDir)
	return nil
}
