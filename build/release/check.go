package release

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/mongoose-ffi/mongoose-ffi/build/objfile"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// ArchiveName is a target's archive in dist/.
func ArchiveName(version string, t target.Target) string {
	return fmt.Sprintf("mongoose-ffi_%s_%s_%s%s", version, t.OS, t.Arch, t.ArchiveExt())
}

// SBOMName is the SBOM's name in dist/.
func SBOMName(version string) string { return "mongoose-ffi_" + version + ".cdx.json" }

// Check opens every archive GoReleaser made in dist and checks what a user
// relies on: each library is of its target's format and architecture and
// passes the verifier, the CLI is an executable for the target, every
// companion and licence file is there, the SBOM is valid CycloneDX 1.6 whose
// source hashes equal the pins and whose library hashes equal the archives'
// libraries, and checksums.txt is right.
func Check(dist, version string) error {
	var errs []error
	sums, err := readChecksums(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		return err
	}
	want := []string{SBOMName(version)}
	for _, t := range target.All() {
		want = append(want, ArchiveName(version, t))
	}
	for _, n := range want {
		if _, ok := sums[n]; !ok {
			errs = append(errs, fmt.Errorf("checksums.txt does not list %s", n))
		}
	}
	for n, sum := range sums {
		got, err := source.FileSHA256(filepath.Join(dist, n))
		if err != nil {
			errs = append(errs, fmt.Errorf("checksums.txt lists %s: %w", n, err))
		} else if got != sum {
			errs = append(errs, fmt.Errorf("checksums.txt: %s is %s, the file's sha256 is %s", n, sum, got))
		}
	}
	sbomBytes, err := os.ReadFile(filepath.Join(dist, SBOMName(version)))
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	bom, err := checkSBOM(sbomBytes)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", SBOMName(version), err))
	}
	license, err := os.ReadFile(filepath.Join(filepath.Dir(dist), "LICENSE"))
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, t := range target.All() {
		name := ArchiveName(version, t)
		files, err := readArchive(filepath.Join(dist, name))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := checkArchive(t, files, sbomBytes, bom, license); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func readChecksums(p string) (map[string]string, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			return nil, fmt.Errorf("%s: line %q is not `<sha256>  <name>`", p, sc.Text())
		}
		sums[name] = sum
	}
	return sums, nil
}

// readArchive returns every regular file of a .tar.gz or .zip by its path
// inside the archive's one top directory, which must be named after it.
func readArchive(p string) (map[string][]byte, error) {
	top := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(p), ".zip"), ".tar.gz") + "/"
	files := map[string][]byte{}
	add := func(name string, r io.Reader) error {
		rel, ok := strings.CutPrefix(name, top)
		if !ok {
			return fmt.Errorf("%s: %s is outside the directory %s", p, name, top)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", p, name, err)
		}
		files[rel] = b
		return nil
	}
	if strings.HasSuffix(p, ".zip") {
		z, err := zip.OpenReader(p)
		if err != nil {
			return nil, err
		}
		defer z.Close()
		for _, f := range z.File {
			if f.FileInfo().IsDir() {
				continue
			}
			r, err := f.Open()
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", p, f.Name, err)
			}
			err = add(f.Name, r)
			r.Close()
			if err != nil {
				return nil, err
			}
		}
		return files, nil
	}
	err := source.EachTarGz(p, func(h *tar.Header, r io.Reader) error {
		if h.Typeflag != tar.TypeReg {
			return nil
		}
		return add(h.Name, r)
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

func checkArchive(t target.Target, files map[string][]byte, sbom []byte, bom *cdx.BOM, license []byte) error {
	var errs []error
	need := append(expected(t), "mongoose-ffi"+t.Exe, "LICENSE", "NOTICE", MongooseLicense, OpenSSLLicense, GPLText, SBOMFile, ArchiveREADME)
	for _, f := range LuaFiles {
		need = append(need, path.Base(f))
	}
	for _, f := range need {
		if len(files[f]) == 0 {
			errs = append(errs, fmt.Errorf("%s is missing or empty", f))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// The library: the verifier's every check, on the archive's bytes.
	tmp, err := os.MkdirTemp("", "mongoose-ffi-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	lib := filepath.Join(tmp, t.Library)
	if err := os.WriteFile(lib, files[t.Library], 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, verify.ExportsFile), files[verify.ExportsFile], 0o644); err != nil {
		return err
	}
	exports, err := verify.ReadExports(filepath.Join(tmp, verify.ExportsFile))
	if err != nil {
		return err
	}
	r, err := verify.Check(lib, t, exports)
	if err != nil {
		return err
	}
	if !r.OK() {
		errs = append(errs, fmt.Errorf("%s fails verification: %v %v %v %v", t.Library, r.Problems, r.Missing, r.Leaked, r.Foreign))
	}
	if err := checkExecutable(files["mongoose-ffi"+t.Exe], t); err != nil {
		errs = append(errs, fmt.Errorf("mongoose-ffi%s: %w", t.Exe, err))
	}
	if !bytes.Equal(files[SBOMFile], sbom) {
		errs = append(errs, fmt.Errorf("%s differs from the release's SBOM", SBOMFile))
	}
	if !bytes.Equal(files["LICENSE"], license) {
		errs = append(errs, fmt.Errorf("LICENSE differs from the repository's"))
	}
	mgPin, _ := mongoose.Pin()
	if got := sum(files[MongooseLicense]); got != mgPin.File("LICENSE").SHA256 {
		errs = append(errs, fmt.Errorf("%s has sha256 %s, not the pinned %s", MongooseLicense, got, mgPin.File("LICENSE").SHA256))
	}
	if got := sum(files[GPLText]); !pinnedGPL(got) {
		errs = append(errs, fmt.Errorf("%s has sha256 %s, not a pinned GPLv2 text", GPLText, got))
	}
	if !bytes.Contains(files[OpenSSLLicense], []byte("Apache License")) || !bytes.Contains(files[OpenSSLLicense], []byte("Version 2.0")) {
		errs = append(errs, fmt.Errorf("%s is not the Apache License 2.0", OpenSSLLicense))
	}
	for _, s := range []string{"GPL", "Apache-2.0", "MIT", "7.22", "3.5.7"} {
		if !bytes.Contains(files["NOTICE"], []byte(s)) {
			errs = append(errs, fmt.Errorf("NOTICE does not mention %s", s))
		}
	}
	// The SBOM's hashes of this target's library and companions are the archive's.
	if bom != nil {
		c := findComponent(*bom.Components, propRefPrefixTarget+t.String())
		if c == nil {
			errs = append(errs, fmt.Errorf("the SBOM has no component for %s", t))
		} else {
			if got := hashOf(c); got != sum(files[t.Library]) {
				errs = append(errs, fmt.Errorf("the SBOM gives %s sha256 %s, the archive's is %s", t.Library, got, sum(files[t.Library])))
			}
			for _, f := range expected(t)[1:] {
				p := findComponent(deref(c.Components), propRefPrefixTarget+t.String()+":"+f)
				if p == nil || hashOf(p) != sum(files[f]) {
					errs = append(errs, fmt.Errorf("the SBOM's sha256 of %s is not the archive's", f))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// checkSBOM decodes a CycloneDX 1.6 JSON document and checks the sources it
// names against the pins.
func checkSBOM(data []byte) (*cdx.BOM, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, fmt.Errorf("not CycloneDX JSON: %w", err)
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != cdx.SpecVersion1_6 {
		return nil, fmt.Errorf("bomFormat %q, specVersion %s: want CycloneDX 1.6", bom.BOMFormat, bom.SpecVersion)
	}
	if bom.Components == nil || bom.Metadata == nil || bom.Metadata.Component == nil {
		return nil, fmt.Errorf("no components or metadata")
	}
	var errs []error
	mgPin, _ := mongoose.Pin()
	osslPin, _ := openssl.Pin()
	for _, p := range []*source.Pin{mgPin, osslPin} {
		var c *cdx.Component
		for i := range *bom.Components {
			if (*bom.Components)[i].Name == p.Name {
				c = &(*bom.Components)[i]
			}
		}
		if c == nil {
			errs = append(errs, fmt.Errorf("no component %s", p.Name))
			continue
		}
		if c.Version != p.Version {
			errs = append(errs, fmt.Errorf("%s version %s, pinned %s", p.Name, c.Version, p.Version))
		}
		if c.Licenses == nil || len(*c.Licenses) == 0 {
			errs = append(errs, fmt.Errorf("%s has no licence", p.Name))
		}
		for _, f := range p.Files {
			fc := findByName(deref(c.Components), f.Name)
			if fc == nil {
				errs = append(errs, fmt.Errorf("%s: no file %s", p.Name, f.Name))
				continue
			}
			if hashOf(fc) != f.SHA256 {
				errs = append(errs, fmt.Errorf("%s: %s sha256 %s, pinned %s", p.Name, f.Name, hashOf(fc), f.SHA256))
			}
			var urls []string
			for _, r := range deref(fc.ExternalReferences) {
				urls = append(urls, r.URL)
			}
			if !slices.Equal(urls, f.URLs) {
				errs = append(errs, fmt.Errorf("%s: %s URLs %v, pinned %v", p.Name, f.Name, urls, f.URLs))
			}
		}
	}
	return &bom, errors.Join(errs...)
}

// checkExecutable checks a CLI binary is an executable for the target.
func checkExecutable(data []byte, t target.Target) error {
	format, arch, err := objfile.Describe(data)
	if err != nil {
		return err
	}
	if format != t.Format || arch != t.ObjArch {
		return fmt.Errorf("%s %s, want %s %s", format, arch, t.Format, t.ObjArch)
	}
	r := bytes.NewReader(data)
	switch t.Format {
	case target.ELF:
		f, err := elf.NewFile(r)
		if err != nil {
			return err
		}
		if f.Type != elf.ET_EXEC {
			return fmt.Errorf("ELF type %s, want a static executable (CGO_ENABLED=0)", f.Type)
		}
	case target.PE:
		f, err := pe.NewFile(r)
		if err != nil {
			return err
		}
		if f.Characteristics&pe.IMAGE_FILE_EXECUTABLE_IMAGE == 0 || f.Characteristics&pe.IMAGE_FILE_DLL != 0 {
			return fmt.Errorf("not a PE executable")
		}
	case target.MachO:
		f, err := macho.NewFile(r)
		if err != nil {
			return err
		}
		if f.Type != macho.TypeExec {
			return fmt.Errorf("Mach-O type %s, want an executable", f.Type)
		}
	}
	return nil
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func deref[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}

func findComponent(cs []cdx.Component, ref string) *cdx.Component {
	for i := range cs {
		if cs[i].BOMRef == ref {
			return &cs[i]
		}
	}
	return nil
}

func findByName(cs []cdx.Component, name string) *cdx.Component {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}

func hashOf(c *cdx.Component) string {
	for _, h := range deref(c.Hashes) {
		if h.Algorithm == cdx.HashAlgoSHA256 {
			return h.Value
		}
	}
	return ""
}

// pinnedGPL says whether sha256 is one of the pinned GPLv2 texts'.
func pinnedGPL(sha256 string) bool {
	pins, _ := GPLPins()
	for _, p := range pins {
		if p.Files[0].SHA256 == sha256 {
			return true
		}
	}
	return false
}
