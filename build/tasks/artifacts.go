package tasks

import (
	"context"
	"fmt"
	"os"

	"github.com/mongoose-ffi/mongoose-ffi/build/artifacts"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// ArtifactsDownload fetches the libraries of the current branch's latest
// successful CI run (or MONGOOSE_FFI_RUN's) into out/, verified: the
// host's target, or those in MONGOOSE_FFI_TARGETS.
func ArtifactsDownload(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	o, err := artifacts.FromEnv(ctx)
	if err != nil {
		return err
	}
	if os.Getenv(config.TargetsEnv) == "" {
		host, err := hostTarget()
		if err != nil {
			return err
		}
		cfg.Targets = []target.Target{host}
	}
	if o.Pins, err = prebuiltPins(); err != nil {
		return err
	}
	o.Targets, o.OutRoot, o.Log = cfg.Targets, OutDir, cfg.Out
	rs, err := artifacts.Download(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Out, "artifacts: %d verified libraries in %s/; test with `go tool mage test` (MONGOOSE_FFI_PREBUILT=1 where this machine can build)\n", len(rs), OutDir)
	return nil
}
