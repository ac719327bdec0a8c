// Package cache keeps build inputs and outputs under one directory, keyed by
// a hash of everything that went into them, and publishes entries atomically.
package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// EnvVar overrides the cache location.
const EnvVar = "MONGOOSE_FFI_CACHE"

// Dir is the cache root: $MONGOOSE_FFI_CACHE, else <user cache dir>/mongoose-ffi.
func Dir() (string, error) {
	if d := os.Getenv(EnvVar); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory (%w): set %s to a writable directory", err, EnvVar)
	}
	return filepath.Join(base, "mongoose-ffi"), nil
}

// Key hashes a JSON-encodable description of all inputs to a short hex key.
// Struct fields are encoded in declaration order, so equal inputs give equal keys.
func Key(inputs any) string {
	b, err := json.Marshal(inputs)
	if err != nil {
		panic(fmt.Sprintf("cache key inputs are not JSON-encodable: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Exists reports whether a published entry is present.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Publish fills a fresh temporary directory with fill and renames it to
// final, so that final either does not exist or is complete. A failed fill
// leaves nothing behind.
func Publish(final string, fill func(tmp string) error) error {
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp-")
	if err != nil {
		return err
	}
	// MkdirTemp makes the directory private; entries are ordinary files.
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := fill(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		// Another process published the same entry first: same inputs, same result.
		if errors.Is(err, fs.ErrExist) || Exists(final) {
			return nil
		}
		return err
	}
	return nil
}

// WriteFile writes data to path through a temporary file and a rename.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), perm)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
