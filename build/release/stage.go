package release

import (
	"archive/tar"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
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
var Companions = []string{"mongoose_ffi.h", verify.ExportsFile, "manifest.json"}

// Lua files: generated per target in out/<os>_<arch>/, and the binding's.
var (
	LuaCompanion = "mongoose_cdefs.lua"
	LuaFiles     = []string{"binding/lua/mongoose.lua", "binding/lua/LibMongoose.lua"}
)

//go:embed archive-README.md
var archiveREADME string

// expected lists, per target, the files out/ must have for a release.
func expected(t target.Target) []string {
	return append([]string{t.Library, LuaCompanion}, Companions...)
}

// CheckInputs fails, naming every missing file, unless out/ holds all five
// libraries with their companions, and the Lua binding's files.
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
	for _, f := range LuaFiles {
		if !cache.Exists(filepath.Join(root, f)) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("a release holds all five targets, and these are missing:\n  %s\nrun `go tool mage build` (with MONGOOSE_FFI_TARGETS unset)", strings.Join(missing, "\n  "))
	}
	return nil
}

// Inputs are the verified sources a release takes its licence texts and
// SBOM from: the pipeline's sources stage has them all.
type Inputs struct {
	MongoosePin, OpenSSLPin *source.Pin
	MongooseSrc, OpenSSLSrc string // verified cache directories
	Cache                   string // the kit's cache, which also keeps the GPLv2 text
}

// LoadInputs reads the pins and obtains the verified sources, for a process
// outside the pipeline (GoReleaser's before hook run on its own).
func LoadInputs(ctx context.Context, cacheDir string) (Inputs, error) {
	in := Inputs{Cache: cacheDir}
	var err error
	if in.MongoosePin, err = mongoose.Pin(); err != nil {
		return in, err
	}
	if in.OpenSSLPin, err = openssl.Pin(); err != nil {
		return in, err
	}
	if in.MongooseSrc, err = mongoose.Sources(ctx, in.MongoosePin, cacheDir, io.Discard); err != nil {
		return in, err
	}
	in.OpenSSLSrc, err = openssl.Sources(ctx, in.OpenSSLPin, cacheDir, io.Discard)
	return in, err
}

// StageFiles checks the inputs and writes out/release/: the licence texts
// taken from the verified sources, the SBOM and the archive README. It is
// replaced whole, so it never holds a mix of two runs.
func StageFiles(ctx context.Context, root, version string, c Commit, in Inputs) error {
	if err := CheckInputs(root); err != nil {
		return err
	}
	mgLicense, err := os.ReadFile(filepath.Join(in.MongooseSrc, "LICENSE"))
	if err != nil {
		return fmt.Errorf("mongoose's licence: %w", err)
	}
	osslLicense, err := fromTarGz(filepath.Join(in.OpenSSLSrc, in.OpenSSLPin.Files[0].Name), openSSLLicenseSrc)
	if err != nil {
		return fmt.Errorf("OpenSSL's licence: %w", err)
	}
	gpl, err := gplText(ctx, in.Cache)
	if err != nil {
		return err
	}
	sbom, err := SBOM(root, version, c, in.MongoosePin, in.OpenSSLPin)
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

// CheckStaged fails unless out/release/ holds everything StageFiles writes,
// for this version, and out/ every library and companion.
func CheckStaged(root, version string) error {
	if err := CheckInputs(root); err != nil {
		return err
	}
	for _, name := range []string{MongooseLicense, OpenSSLLicense, GPLText, SBOMFile} {
		if !cache.Exists(filepath.Join(root, Staged, filepath.FromSlash(name))) {
			return fmt.Errorf("%s/%s is missing: run `go tool mage release` again", Staged, name)
		}
	}
	b, err := os.ReadFile(filepath.Join(root, Staged, ArchiveREADME))
	if err != nil || string(b) != readme(version) {
		return fmt.Errorf("%s/%s is not the one for %s (%v): run `go tool mage release` again", Staged, ArchiveREADME, version, err)
	}
	return nil
}

// fromTarGz reads one file from a .tar.gz, wherever its top directory is.
func fromTarGz(archive, name string) ([]byte, error) {
	var found []byte
	err := source.EachTarGz(archive, func(h *tar.Header, r io.Reader) error {
		if _, rel, _ := strings.Cut(h.Name, "/"); rel != name || h.Typeflag != tar.TypeReg {
			return nil
		}
		var err error
		if found, err = io.ReadAll(r); err != nil {
			return fmt.Errorf("%s: %w", archive, err)
		}
		return errFound
	})
	if errors.Is(err, errFound) {
		return found, nil
	}
	if err == nil {
		err = fmt.Errorf("%s holds no %s", archive, name)
	}
	return nil, err
}

// errFound ends a source.EachTarGz walk early.
var errFound = errors.New("found")

// readme is the archive's README for a version. The binding's tag is
// binding/vX.Y.Z, which the go command names by its version alone (@vX.Y.Z).
// A snapshot has no binding tag of its own: it points at the newest binding.
func readme(version string) string {
	ref := "v" + version
	if strings.Contains(version, "SNAPSHOT") {
		ref = "latest"
	}
	return strings.NewReplacer("{{VERSION}}", version, "{{BINDING_REF}}", ref).Replace(archiveREADME)
}
