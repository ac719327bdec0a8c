package openssl

import (
	"context"

	"github.com/mongoose-ffi/mongoose-ffi/build/debian"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
)

// Debian ships upstream's release tarball and signature unchanged as the
// orig files of its source package; trixie carries OpenSSL 3.5.

// debianFallback fetches the pinned release through Debian's source package
// with apt-get, using a private apt state so the system's is left alone.
func debianFallback(pin *source.Pin) source.Fallback {
	return source.Fallback{
		Name: "Debian source package openssl/" + debian.Suite + " (apt-get source)",
		Fetch: func(ctx context.Context, dir string) error {
			return debian.SourceFiles(ctx, dir, "openssl", "openssl_"+pin.Version+".orig.tar.gz")
		},
	}
}
