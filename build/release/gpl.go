package release

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mongoose-ffi/mongoose-ffi/build/source"
)

// mongoose's LICENSE names the GPLv2 without carrying its text, which must
// accompany a GPLv2 distribution: the FSF's text is pinned like a source.
// Two revisions of it are pinned: the one with the FSF's postal address
// (Debian 12's base-files) and the one with its web address (the FSF's
// current file, Debian 13's), so that either offline copy serves.
var (
	//go:embed gpl-pin.json
	gplPinJSON []byte
	//go:embed gpl-pin-fsf-url.json
	gplURLPinJSON []byte
)

// GPLEnv names a local copy of the GPLv2 text (gpl-2.0.txt, or Debian's GPL-2).
const GPLEnv = "MONGOOSE_FFI_GPL2_TEXT"

// debianLicenses holds the same bytes on every Debian and Ubuntu (base-files).
const debianLicenses = "/usr/share/common-licenses"

// GPLPins are the pinned revisions of the GPLv2 text, in the order tried.
func GPLPins() ([]*source.Pin, error) {
	var pins []*source.Pin
	for _, p := range []struct {
		json []byte
		name string
	}{{gplPinJSON, "build/release/gpl-pin.json"}, {gplURLPinJSON, "build/release/gpl-pin-fsf-url.json"}} {
		pin, err := source.Parse(p.json, p.name)
		if err != nil {
			return nil, err
		}
		pins = append(pins, pin)
	}
	return pins, nil
}

// gplText returns a verified GPLv2 text: from the cache, GPLEnv, gnu.org,
// or Debian's base-files, whichever pinned revision comes first.
func gplText(ctx context.Context, cacheDir string) ([]byte, error) {
	pins, err := GPLPins()
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, pin := range pins {
		r := &source.Request{Pin: pin, Cache: cacheDir, LocalEnv: GPLEnv, Log: io.Discard,
			Fallbacks: []source.Fallback{{Name: debianLicenses + " (Debian base-files)", Fetch: func(_ context.Context, dir string) error {
				b, err := os.ReadFile(filepath.Join(debianLicenses, "GPL-2"))
				if err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dir, "GPL-2"), b, 0o644)
			}}}}
		dir, err := r.Obtain(ctx)
		if err == nil {
			return os.ReadFile(filepath.Join(dir, pin.Files[0].Name))
		}
		errs = append(errs, fmt.Errorf("revision %s: %w", pin.Version, err))
	}
	return nil, fmt.Errorf("the GPLv2 text: %w", errors.Join(errs...))
}
