// Package openssl obtains the pinned OpenSSL release and builds it as static
// libraries (libssl.a, libcrypto.a) for each target with zig.
package openssl

import (
	"context"
	_ "embed"
	"io"

	"github.com/mongoose-ffi/mongoose-ffi/build/source"
)

// LocalEnv names a local copy of the release tarball and its signature.
const LocalEnv = "OPENSSL_SRC"

var (
	//go:embed pin.json
	pinJSON []byte
	// release-keys.asc holds OpenSSL's release signing keys; only those whose
	// fingerprints pin.json lists are trusted.
	//go:embed release-keys.asc
	keyring []byte
)

// Pin is the pinned OpenSSL release.
func Pin() (*source.Pin, error) { return source.Parse(pinJSON, "openssl/pin.json") }

// Sources returns the cache directory holding the verified release tarball
// and its signature.
func Sources(ctx context.Context, pin *source.Pin, cacheDir string, log io.Writer) (string, error) {
	r := &source.Request{
		Pin: pin, Cache: cacheDir, LocalEnv: LocalEnv, Keyring: keyring, Log: log,
		Fallbacks: []source.Fallback{debianFallback(pin)},
	}
	return r.Obtain(ctx)
}
