package release

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mongoose-ffi/mongoose-ffi/build/source"
)

// mongoose's LICENSE names the GPLv2 without carrying its text, which must
// accompany a GPLv2 distribution: the FSF's text is pinned like a source.
//
//go:embed gpl-pin.json
var gplPinJSON []byte

// GPLEnv names a local copy of the GPLv2 text (gpl-2.0.txt, or Debian's GPL-2).
const GPLEnv = "MONGOOSE_FFI_GPL2_TEXT"

// debianLicenses holds the same bytes on every Debian and Ubuntu (base-files).
const debianLicenses = "/usr/share/common-licenses"

// GPLPin is the pinned GPLv2 text.
func GPLPin() (*source.Pin, error) { return source.Parse(gplPinJSON, "build/release/gpl-pin.json") }

// gplText returns the verified GPLv2 text: from the cache, GPLEnv, gnu.org,
// or Debian's base-files.
func gplText(ctx context.Context, cacheDir string) ([]byte, error) {
	pin, err := GPLPin()
	if err != nil {
		return nil, err
	}
	r := &source.Request{Pin: pin, Cache: cacheDir, LocalEnv: GPLEnv, Log: io.Discard,
		Fallbacks: []source.Fallback{{Name: debianLicenses + " (Debian base-files)", Fetch: func(_ context.Context, dir string) error {
			b, err := os.ReadFile(filepath.Join(debianLicenses, "GPL-2"))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "GPL-2"), b, 0o644)
		}}}}
	dir, err := r.Obtain(ctx)
	if err != nil {
		return nil, fmt.Errorf("the GPLv2 text: %w", err)
	}
	return os.ReadFile(filepath.Join(dir, pin.Files[0].Name))
}
