// Package hostlib gives tests and QA targets (fuzz, memory check, soak) the
// real library built for this machine, building it if needed (cached).
package hostlib

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
)

// Build makes (or finds cached) this machine's library under outRoot and
// returns its path; mongoose.TestLibraryEnv names a prebuilt one instead.
// log receives the build's progress.
func Build(ctx context.Context, outRoot string, log io.Writer) (string, error) {
	if p := os.Getenv(mongoose.TestLibraryEnv); p != "" {
		return p, nil
	}
	cfg, err := config.Load()
	if err != nil {
		return "", err
	}
	t, ok := target.Lookup(runtime.GOOS + "/" + runtime.GOARCH)
	if !ok {
		return "", fmt.Errorf("no target for this machine (%s/%s)", runtime.GOOS, runtime.GOARCH)
	}
	cfg.Targets = []target.Target{t}
	cfg.Out = log
	libs, err := mongoose.Build(ctx, cfg, outRoot)
	if err != nil {
		return "", err
	}
	return libs[0].Path, nil
}

// Target is this machine's row of the target table.
func Target() (target.Target, error) {
	t, ok := target.Lookup(runtime.GOOS + "/" + runtime.GOARCH)
	if !ok {
		return t, fmt.Errorf("no target for this machine (%s/%s)", runtime.GOOS, runtime.GOARCH)
	}
	return t, nil
}
