// Package config reads every environment setting of the build once, up
// front, and validates it, so that a bad value fails before any work starts.
package config

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// Environment variables read here (others: ZIG, MONGOOSE_SRC, OPENSSL_SRC).
const (
	TargetsEnv = "MONGOOSE_FFI_TARGETS"
	JobsEnv    = "MONGOOSE_FFI_JOBS"
)

// Config is the validated build configuration.
type Config struct {
	Cache   string          // cache root
	Targets []target.Target // selected targets
	Jobs    int             // parallel compile jobs
	Out     io.Writer       // progress output
}

// Load reads the environment.
func Load() (*Config, error) {
	dir, err := cache.Dir()
	if err != nil {
		return nil, err
	}
	ts, err := target.Select(os.Getenv(TargetsEnv))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", TargetsEnv, err)
	}
	jobs := runtime.NumCPU()
	if s := os.Getenv(JobsEnv); s != "" {
		if jobs, err = strconv.Atoi(s); err != nil || jobs < 1 {
			return nil, fmt.Errorf("%s=%q: want a whole number of jobs, at least 1", JobsEnv, s)
		}
	}
	return &Config{Cache: dir, Targets: ts, Jobs: jobs, Out: os.Stdout}, nil
}
