package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// Licence expressions, SPDX. Cesanta's commercial licence has no SPDX id.
const (
	KitLicense          = "MIT"
	MongooseLicenseExpr = "GPL-2.0-only OR LicenseRef-Cesanta-Commercial"
)

// Repository is the kit's home, for the SBOM and the release.
const Repository = "https://github.com/mongoose-ffi/mongoose-ffi"

// Property names of our own, namespaced as CycloneDX asks.
const (
	PropTarget          = "mongoose-ffi:target"
	PropZigTriple       = "mongoose-ffi:zig-target"
	PropOpenSSLTarget   = "mongoose-ffi:openssl-configure-target"
	PropOpenSSLOptions  = "mongoose-ffi:openssl-configure-options"
	PropOpenSSLSpeed    = "mongoose-ffi:openssl-sources-built-for-speed"
	PropCommit          = "mongoose-ffi:commit"
	PropSigningKey      = "mongoose-ffi:openpgp-signing-key"
	propRefPrefixTarget = "target:"
)

// SBOM describes a release in CycloneDX 1.6 JSON: what the libraries
// embed (mongoose and OpenSSL, every pinned source file with its URLs and
// sha256), how they were built (zig, OpenSSL's Configure options per target)
// and each target's library and companions with their sha256. The same
// commit and libraries give the same bytes.
func SBOM(root, version string, c Commit, mgPin, osslPin *source.Pin) ([]byte, error) {
	mg := pinComponent(mgPin, "pkg:github/cesanta/mongoose@"+mgPin.Version, MongooseLicenseExpr, "Cesanta Software Limited")
	ossl := pinComponent(osslPin, "pkg:generic/openssl@"+osslPin.Version, osslPin.License, "OpenSSL Software Foundation")
	if s := osslPin.Signature; s != nil {
		ossl.Properties = &[]cdx.Property{{Name: PropSigningKey, Value: strings.Join(s.Fingerprints, " ")}}
	}
	var libs []cdx.Component
	var deps []cdx.Dependency
	var libRefs []string
	seed := sha256.New()
	fmt.Fprintf(seed, "%s %s\n", version, c.Hash)
	for _, t := range target.All() {
		files := expected(t)
		var parts []cdx.Component
		var libHash string
		for i, f := range files {
			h, err := source.FileSHA256(filepath.Join(root, "out", t.Dir(), f))
			if err != nil {
				return nil, fmt.Errorf("%w; run `go tool mage build` first", err)
			}
			fmt.Fprintf(seed, "%s/%s %s\n", t.Dir(), f, h)
			if i == 0 {
				libHash = h
				continue
			}
			parts = append(parts, cdx.Component{Type: cdx.ComponentTypeFile, BOMRef: propRefPrefixTarget + t.String() + ":" + f,
				Name: f, Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: h}}})
		}
		ref := propRefPrefixTarget + t.String()
		libs = append(libs, cdx.Component{
			Type: cdx.ComponentTypeLibrary, BOMRef: ref, Name: t.Dir() + "/" + t.Library, Version: version,
			Description: fmt.Sprintf("mongoose %s with static OpenSSL %s and the mongoose-ffi glue, for %s", mgPin.Version, osslPin.Version, t),
			Licenses:    &cdx.Licenses{{Expression: MongooseLicenseExpr + " AND Apache-2.0 AND MIT"}},
			Hashes:      &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: libHash}},
			Properties: &[]cdx.Property{
				{Name: PropTarget, Value: t.String()},
				{Name: PropZigTriple, Value: t.Zig},
				{Name: PropOpenSSLTarget, Value: t.OpenSSL},
				{Name: PropOpenSSLOptions, Value: strings.Join(openssl.Args(t), " ")},
				{Name: PropOpenSSLSpeed, Value: strings.Join(openssl.Speed(), ", ")},
			},
			Components: &parts,
		})
		libRefs = append(libRefs, ref)
		deps = append(deps, cdx.Dependency{Ref: ref, Dependencies: &[]string{mg.BOMRef, ossl.BOMRef}})
	}
	deps = append([]cdx.Dependency{{Ref: "mongoose-ffi", Dependencies: &libRefs}}, deps...)
	deps = append(deps, cdx.Dependency{Ref: mg.BOMRef}, cdx.Dependency{Ref: ossl.BOMRef})

	sum := seed.Sum(nil)
	sum[6] = sum[6]&0x0f | 0x50 // a name-based UUID: the same release, the same serial number
	sum[8] = sum[8]&0x3f | 0x80
	u := hex.EncodeToString(sum[:16])
	bom := cdx.NewBOM()
	bom.SerialNumber = fmt.Sprintf("urn:uuid:%s-%s-%s-%s-%s", u[:8], u[8:12], u[12:16], u[16:20], u[20:])
	bom.Metadata = &cdx.Metadata{
		Timestamp: c.Time.UTC().Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{
			{Type: cdx.ComponentTypeApplication, BOMRef: "tool:zig", Name: "zig", Version: zig.Version,
				Description:        "the C compiler and linker of every target (PyPI ziglang==" + zig.Version + ")",
				ExternalReferences: &[]cdx.ExternalReference{{Type: cdx.ERTypeWebsite, URL: "https://ziglang.org/"}}},
			{Type: cdx.ComponentTypeApplication, BOMRef: "tool:mongoose-ffi-release", Name: "mongoose-ffi release-stage", Version: version},
		}},
		Component: &cdx.Component{
			Type: cdx.ComponentTypeApplication, BOMRef: "mongoose-ffi", Name: "mongoose-ffi", Version: version,
			Description: "mongoose as a standalone shared library per platform, with static OpenSSL",
			Licenses:    &cdx.Licenses{{License: &cdx.License{ID: KitLicense}}},
			ExternalReferences: &[]cdx.ExternalReference{
				{Type: cdx.ERTypeVCS, URL: Repository},
			},
			Properties: &[]cdx.Property{{Name: PropCommit, Value: c.Hash}},
		},
	}
	comps := append([]cdx.Component{mg, ossl}, libs...)
	bom.Components = &comps
	bom.Dependencies = &deps
	var b bytes.Buffer
	enc := cdx.NewBOMEncoder(&b, cdx.BOMFileFormatJSON)
	enc.SetPretty(true).SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, fmt.Errorf("encoding the SBOM: %w", err)
	}
	return b.Bytes(), nil
}

// pinComponent describes a pinned third-party release and its files.
func pinComponent(p *source.Pin, purl, license, supplier string) cdx.Component {
	var files []cdx.Component
	for _, f := range p.Files {
		var refs []cdx.ExternalReference
		for _, u := range f.URLs {
			refs = append(refs, cdx.ExternalReference{Type: cdx.ERTypeSourceDistribution, URL: u,
				Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: f.SHA256}}})
		}
		files = append(files, cdx.Component{Type: cdx.ComponentTypeFile, BOMRef: purl + "#" + f.Name, Name: f.Name,
			Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: f.SHA256}}, ExternalReferences: &refs})
	}
	lic := cdx.Licenses{{Expression: license}}
	if !strings.Contains(license, " ") {
		lic = cdx.Licenses{{License: &cdx.License{ID: license}}}
	}
	return cdx.Component{
		Type: cdx.ComponentTypeLibrary, BOMRef: purl, Name: p.Name, Version: p.Version, PackageURL: purl,
		Supplier: &cdx.OrganizationalEntity{Name: supplier}, Licenses: &lic,
		ExternalReferences: &[]cdx.ExternalReference{{Type: cdx.ERTypeWebsite, URL: p.Homepage}},
		Components:         &files,
	}
}
