package mongoose

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
)

// ManifestFile is the JSON written beside each library.
const ManifestFile = "manifest.json"

// Manifest is what ManifestFile holds.
type Manifest struct {
	Target   string            `json:"target"`
	Mongoose string            `json:"mongoose"`
	OpenSSL  string            `json:"openssl"`
	Zig      string            `json:"zig"`
	ABI      string            `json:"abi_header_sha256"`
	Inputs   map[string]string `json:"inputs_sha256"`
	Key      string            `json:"key"`
	Size     int64             `json:"size"`
	Exports  int               `json:"exports"`
	Seconds  float64           `json:"build_seconds"`
}

// write stores the manifest in dir.
func (m *Manifest) write(dir string) error {
	b, _ := json.MarshalIndent(m, "", "  ")
	return os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o644)
}

// ReadManifest reads the manifest beside a library in dir.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return &m, nil
}

// Library is one target's built library and what goes beside it.
type Library struct {
	Target  target.Target
	Dir     string // out/<os>_<arch>
	Path    string // the library in Dir
	Exports []string
}

// install copies a cache entry's files to the output directory.
func install(entry, dir string, t target.Target) (Library, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Library{}, err
	}
	ents, err := os.ReadDir(entry)
	if err != nil {
		return Library{}, err
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(entry, e.Name()))
		if err != nil {
			return Library{}, err
		}
		perm := os.FileMode(0o644)
		if e.Name() == t.Library {
			perm = 0o755
		}
		if err := cache.WriteFile(filepath.Join(dir, e.Name()), data, perm); err != nil {
			return Library{}, err
		}
	}
	exports, err := verify.ReadExports(filepath.Join(dir, verify.ExportsFile))
	return Library{Target: t, Dir: dir, Path: filepath.Join(dir, t.Library), Exports: exports}, err
}
