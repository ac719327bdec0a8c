package release

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// Staged is where the before hook puts what the archives take from outside
// out/<os>_<arch>/ and the repository (see .goreleaser.yaml).
const Staged = "out/release"

// Names of staged files, as they appear in every archive.
const (
	SBOMFile          = "sbom.cdx.json"
	ArchiveREADME     = "README.md"
	MongooseLicense   = "licenses/mongoose-LICENSE"
	OpenSSLLicense    = "licenses/openssl-LICENSE.txt"
	GPLText           = "licenses/GPL-2.0.txt"
	openSSLLicenseSrc = "LICENSE.txt" // in the tarball's top directory
)

// Companions are what every out/<os>_<arch>/ holds beside the library.
var Companions = []string{"mongoose_ffi.h", mongoose.ExportsFile, "manifest.json"}

// RequireLua makes the Lua binding part of every release: the cdefs
// generated beside each library and the binding's two files. Switch it on
// when the Lua binding (issue 11) is merged; the archives already take them
// through globs, this makes their absence an error.
const RequireLua = false

// Lua files: generated per target in out/<os>_<arch>/, and the binding's.
var (
	LuaCompanion = "mongoose_cdefs.lua"
	LuaFiles     = []string{"binding/lua/mongoose.lua", "binding/lua/LibMongoose.lua"}
)

//go:embed archive-README.md
var archiveREADME string

// expected lists, per target, the files out/ must have for a release.
func expected(t target.Target) []string {
	files := append([]string{t.Library}, Companions...)
	if RequireLua {
		files = append(files, LuaCompanion)
	}
	return files
}

// CheckInputs fails, naming every missing file, unless out/ holds all five
// libraries with their companions (and the Lua files when required).
func CheckInputs(root string) error {
	var missing []string
	for _, t := range target.All() {
		for _, f := range expected(t) {
			p := filepath.Join("out", t.Dir(), f)
			if !cache.Exists(filepath.Join(root, p)) {
				missing = append(missing, p)
			}
		}
	}
	if RequireLua {
		for _, f := range LuaFiles {
			if !cache.Exists(filepath.Join(root, f)) {
				missing = append(missing, f)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("a release holds all five targets, and these are missing:\n  %s\nrun `go tool mage build` (with MONGOOSE_FFI_TARGETS unset)", strings.Join(missing, "\n  "))
	}
	return nil
}

// StageFiles checks the inputs and writes out/release/: the licence texts
// taken from the verified sources, the SBOM and the archive README. It is
// replaced whole, so it never holds a mix of two runs.
func StageFiles(ctx context.Context, root, cacheDir, version string, c Commit) error {
	if err := CheckInputs(root); err != nil {
		return err
	}
	mgDir, err := mongoose.Sources(ctx, cacheDir, io.Discard)
	if err != nil {
		return err
	}
	osslDir, err := openssl.Sources(ctx, cacheDir, io.Discard)
	if err != nil {
		return err
	}
	mgLicense, err := os.ReadFile(filepath.Join(mgDir, "LICENSE"))
	if err != nil {
		return fmt.Errorf("mongoose's licence: %w", err)
	}
	pin, err := openssl.Pin()
	if err != nil {
		return err
	}
	osslLicense, err := fromTarGz(filepath.Join(osslDir, pin.Files[0].Name), openSSLLicenseSrc)
	if err != nil {
		return fmt.Errorf("OpenSSL's licence: %w", err)
	}
	gpl, err := gplText(ctx, cacheDir)
	if err != nil {
		return err
	}
	sbom, err := SBOM(root, version, c)
	if err != nil {
		return err
	}
	final := filepath.Join(root, Staged)
	if err := os.RemoveAll(final); err != nil {
		return err
	}
	return cache.Publish(final, func(tmp string) error {
		for name, data := range map[string][]byte{
			MongooseLicense: mgLicense,
			OpenSSLLicense:  osslLicense,
			GPLText:         gpl,
			SBOMFile:        sbom,
			ArchiveREADME:   []byte(readme(version)),
		} {
			p := filepath.Join(tmp, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				return err
			}
		}
		return nil
	})
}

// fromTarGz reads one file from a .tar.gz, wherever its top directory is.
func fromTarGz(archive, name string) ([]byte, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", archive, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s holds no %s", archive, name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", archive, err)
		}
		if _, rel, _ := strings.Cut(h.Name, "/"); rel == name && h.Typeflag == tar.TypeReg {
			var b bytes.Buffer
			if _, err := io.Copy(&b, tr); err != nil {
				return nil, fmt.Errorf("%s: %w", archive, err)
			}
			return b.Bytes(), nil
		}
	}
}

// readme is the archive's README for a version. A snapshot has no binding
// tag of its own: it points at the newest binding.
func readme(version string) string {
	ref := "binding/v" + version
	if strings.Contains(version, "SNAPSHOT") {
		ref = "latest"
	}
	return strings.NewReplacer("{{VERSION}}", version, "{{BINDING_REF}}", ref).Replace(archiveREADME)
}
