package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
	"github.com/mongoose-ffi/mongoose-ffi/build/download"
)

// ErrNoSource is matched (errors.Is) by an error saying a pinned release
// could be obtained from nowhere: not the cache, a local copy, upstream nor
// a fallback.
var ErrNoSource = errors.New("pinned source not available")

type noSourceError struct{ msg string }

func (e *noSourceError) Error() string { return e.msg }
func (e *noSourceError) Unwrap() error { return ErrNoSource }

// Fallback is one more way to get pinned files, tried after upstream.
type Fallback struct {
	Name string // shown in progress and in the list of places tried
	// Fetch puts the files it can get into dir, under pinned names or aliases.
	Fetch func(ctx context.Context, dir string) error
}

// Request says where a pinned release may come from.
type Request struct {
	Pin       *Pin
	Cache     string     // cache root
	LocalEnv  string     // env var naming a local copy (directory or file)
	Keyring   []byte     // armored keys, needed when the pin has a signature
	Fallbacks []Fallback // tried in order after upstream
	Log       io.Writer
}

// Dir is where the verified files live in the cache.
func (r *Request) Dir() string {
	return filepath.Join(r.Cache, "sources", r.Pin.Name+"-"+r.Pin.Version)
}

// Obtain returns a cache directory holding every pinned file, verified.
func (r *Request) Obtain(ctx context.Context) (string, error) {
	dir := r.Dir()
	if r.complete(dir) {
		fix := fmt.Sprintf("The cached copy was changed after it was verified: delete %s and run again.", dir)
		if err := r.verify(dir, fix); err != nil {
			return "", err
		}
		return dir, nil
	}
	// An incomplete entry cannot come from Publish; clear whatever is there.
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	err := cache.Publish(dir, func(tmp string) error { return r.gather(ctx, tmp) })
	if err != nil {
		return "", err
	}
	return dir, nil
}

func (r *Request) complete(dir string) bool {
	for _, f := range r.Pin.Files {
		if !cache.Exists(filepath.Join(dir, f.Name)) {
			return false
		}
	}
	return true
}

// verify checks every file's hash and the signature, if any.
func (r *Request) verify(dir, fix string) error {
	for i := range r.Pin.Files {
		f := &r.Pin.Files[i]
		if err := checkFile(filepath.Join(dir, f.Name), f, fix); err != nil {
			return err
		}
	}
	if s := r.Pin.Signature; s != nil {
		if _, err := VerifySignature(filepath.Join(dir, s.File), filepath.Join(dir, s.Sig), r.Keyring, s.Fingerprints); err != nil {
			return err
		}
	}
	return nil
}

// gather fills tmp from the local copy, upstream and the fallbacks, in that
// order, stopping as soon as every file is present.
func (r *Request) gather(ctx context.Context, tmp string) error {
	var tried []string
	missing := func() []*File {
		var m []*File
		for i := range r.Pin.Files {
			if !cache.Exists(filepath.Join(tmp, r.Pin.Files[i].Name)) {
				m = append(m, &r.Pin.Files[i])
			}
		}
		return m
	}
	if local := os.Getenv(r.LocalEnv); local != "" {
		if err := r.fromLocal(local, tmp); err != nil {
			return err
		}
		if len(missing()) > 0 {
			tried = append(tried, fmt.Sprintf("%s=%s: no %s there", r.LocalEnv, local, names(missing())))
		}
	} else {
		tried = append(tried, r.LocalEnv+": not set")
	}
	for _, f := range missing() {
		for _, u := range f.URLs {
			fmt.Fprintf(r.Log, "%s: downloading %s\n", r.Pin, u)
			err := download.File(ctx, u, filepath.Join(tmp, f.Name), r.Log)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(r.Log, "  %v\n", err)
			tried = append(tried, fmt.Sprintf("%s: %v", u, err))
		}
	}
	for _, fb := range r.Fallbacks {
		m := missing()
		if len(m) == 0 {
			break
		}
		fmt.Fprintf(r.Log, "%s: trying %s\n", r.Pin, fb.Name)
		fbDir, err := os.MkdirTemp(tmp, ".fallback-")
		if err != nil {
			return err
		}
		err = fb.Fetch(ctx, fbDir)
		if err == nil {
			err = r.adopt(fbDir, tmp, fb.Name)
		}
		os.RemoveAll(fbDir)
		if err != nil {
			var ce *ChecksumError
			if errors.As(err, &ce) {
				return err
			}
			tried = append(tried, fmt.Sprintf("%s: %v", fb.Name, err))
		} else if len(missing()) > 0 {
			tried = append(tried, fmt.Sprintf("%s: did not provide %s", fb.Name, names(missing())))
		}
	}
	if m := missing(); len(m) > 0 {
		return &noSourceError{fmt.Sprintf("cannot obtain %s (%s); tried:\n  - %s\nGive a local copy with %s=<directory or file>",
			r.Pin, names(m), strings.Join(tried, "\n  - "), r.LocalEnv)}
	}
	return r.verify(tmp, "The file does not match the pin: it is corrupt or was tampered with. Nothing was kept; fetch a genuine copy and run again.")
}

// fromLocal copies pinned files from a local directory, or from the
// directory of a named file, which must itself be one of the pinned files.
func (r *Request) fromLocal(local, tmp string) error {
	st, err := os.Stat(local)
	if err != nil {
		return fmt.Errorf("%s=%s: %w; point it at a directory holding %s, or one of those files", r.LocalEnv, local, err, names(r.pinned()))
	}
	dir := local
	if !st.IsDir() {
		dir = filepath.Dir(local)
		if r.match(filepath.Base(local)) == nil {
			return fmt.Errorf("%s=%s: not one of the pinned files (%s)", r.LocalEnv, local, names(r.pinned()))
		}
	}
	return r.adopt(dir, tmp, r.LocalEnv+"="+local)
}

// adopt copies the pinned files found in dir (under any of their names) into
// tmp, checking each hash first; origin names the source in errors.
func (r *Request) adopt(dir, tmp, origin string) error {
	for i := range r.Pin.Files {
		f := &r.Pin.Files[i]
		dst := filepath.Join(tmp, f.Name)
		if cache.Exists(dst) {
			continue
		}
		for _, n := range append([]string{f.Name}, f.Aliases...) {
			src := filepath.Join(dir, n)
			if !cache.Exists(src) {
				continue
			}
			fix := fmt.Sprintf("This copy (from %s) is not the pinned %s: replace it with a genuine %s.", origin, r.Pin, f.Name)
			if err := checkFile(src, f, fix); err != nil {
				return err
			}
			if err := copyFile(src, dst); err != nil {
				return err
			}
			break
		}
	}
	return nil
}

func (r *Request) match(name string) *File {
	for i := range r.Pin.Files {
		if f := &r.Pin.Files[i]; f.Name == name || slices.Contains(f.Aliases, name) {
			return f
		}
	}
	return nil
}

func (r *Request) pinned() []*File {
	var fs []*File
	for i := range r.Pin.Files {
		fs = append(fs, &r.Pin.Files[i])
	}
	return fs
}

func names(fs []*File) string {
	var n []string
	for _, f := range fs {
		n = append(n, f.Name)
	}
	return strings.Join(n, ", ")
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".part-")
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(out.Name(), dst)
	}
	if err != nil {
		os.Remove(out.Name())
	}
	return err
}
