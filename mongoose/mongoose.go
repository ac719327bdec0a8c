// Package mongoose obtains the pinned mongoose release (mongoose.c and
// mongoose.h) and builds it, with our FFI glue, into a shared library.
package mongoose

import (
	"context"
	_ "embed"
	"io"

	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
)

// LocalEnv names a local copy: a directory holding mongoose.c and
// mongoose.h, or one of those files.
const LocalEnv = "MONGOOSE_SRC"

//go:embed pin.json
var pinJSON []byte

// Pin is the pinned mongoose release.
func Pin() (*source.Pin, error) { return source.Parse(pinJSON, "mongoose/pin.json") }

// Sources returns the cache directory holding verified mongoose.c and mongoose.h.
func Sources(ctx context.Context, pin *source.Pin, cacheDir string, log io.Writer) (string, error) {
	r := &source.Request{Pin: pin, Cache: cacheDir, LocalEnv: LocalEnv, Log: log}
	return r.Obtain(ctx)
}

//go:embed legacy-exports.txt
var legacyExports string

// LegacyExports are the functions the original mongoose-ffi's mongoose.def
// exported; those the pinned mongoose still declares must stay exported.
func LegacyExports() []string { return verify.ParseExports(legacyExports) }

// TestLibraryEnv, when set, names the library the glue tests load instead of
// building one: emulated test runs use it.
const TestLibraryEnv = "MONGOOSE_FFI_TEST_LIBRARY"
