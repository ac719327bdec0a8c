package openssl

import (
	"context"

	"github.com/mongoose-ffi/mongoose-ffi/build/debian"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
)

// debianFallback fetches the pinned release through Debian's source package
// with apt-get (build/debian), through a private apt state: Debian ships
// upstream's tarball and signature unchanged as the package's orig files,
// and trixie carries OpenSSL 3.5.
func debianFallback(pin *source.Pin) source.Fallback {
	return source.Fallback{
		Name: "Debian source package openssl/" + debian.Suite + " (apt-get source)",
		Fetch: func(ctx context.Context, dir string) error {
			return debian.SourceFiles(ctx, dir, "openssl", "openssl_"+pin.Version+".orig.tar.gz")
		},
	}
}
