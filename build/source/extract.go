package source

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
)

// ExtractTarGz unpacks a .tar.gz into dest (published atomically), dropping
// the archive's single top-level directory.
func ExtractTarGz(archive, dest string) error {
	return cache.Publish(dest, func(tmp string) error {
		return EachTarGz(archive, func(h *tar.Header, r io.Reader) error {
			_, rel, _ := strings.Cut(filepath.ToSlash(h.Name), "/")
			if rel == "" || h.Typeflag == tar.TypeXGlobalHeader {
				return nil
			}
			if !filepath.IsLocal(rel) {
				return fmt.Errorf("%s: unsafe path %q", archive, h.Name)
			}
			p := filepath.Join(tmp, filepath.FromSlash(rel))
			switch h.Typeflag {
			case tar.TypeDir:
				return os.MkdirAll(p, 0o755)
			case tar.TypeReg:
				return writeEntry(p, r, h.FileInfo().Mode().Perm())
			case tar.TypeSymlink:
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					return err
				}
				return os.Symlink(h.Linkname, p)
			}
			return nil
		})
	})
}

// EachTarGz calls fn with each entry of a .tar.gz, in order, until fn
// returns an error, which it returns.
func EachTarGz(archive string, fn func(h *tar.Header, r io.Reader) error) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", archive, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", archive, err)
		}
		if err := fn(h, tr); err != nil {
			return err
		}
	}
}

func writeEntry(p string, r io.Reader, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm|0o200)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
