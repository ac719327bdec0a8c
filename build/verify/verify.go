// Package verify checks a built mongoose library with the standard
// library's object file readers alone: format and architecture, exports
// complete, no OpenSSL symbol exported, only system libraries imported.
package verify

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/objfile"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// Library is what a shared library file says about itself.
type Library struct {
	Path    string
	Size    int64
	Format  target.Format
	Arch    string // "x86-64" or "arm64"
	Exports []string
	Imports []string // libraries it needs at load time
}

// Open reads a shared library of any of the three formats.
func Open(file string) (*Library, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return parse(file, data)
}

// parse reads a shared library's bytes; file names it in errors.
func parse(file string, data []byte) (*Library, error) {
	format, arch, err := objfile.Describe(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	l := &Library{Path: file, Size: int64(len(data)), Format: format, Arch: arch}
	switch format {
	case target.ELF:
		err = readELF(data, l)
	case target.PE:
		err = readPE(data, l)
	case target.MachO:
		err = readMachO(data, l)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	slices.Sort(l.Exports)
	l.Exports = slices.Compact(l.Exports)
	return l, nil
}

// Target is the target a library was built for, from its format and
// architecture.
func (l *Library) Target() (target.Target, bool) {
	for _, t := range target.All() {
		if t.Format == l.Format && t.ObjArch == l.Arch {
			return t, true
		}
	}
	return target.Target{}, false
}

// openSSLPrefixes name every symbol family OpenSSL defines. A library that
// exports one of them would clash with the host's own OpenSSL.
var openSSLPrefixes = []string{
	// The public API, by family.
	"SSL", "TLS", "DTLS", "EVP", "OPENSSL", "OSSL", "CRYPTO", "BIO_", "X509", "ERR", "PEM_", "RAND_", "BN_",
	"ASN1_", "EC_", "ECDSA_", "ECDH_", "ECX_", "ED25519", "ED448", "X25519", "X448", "RSA", "DH_", "DSA",
	"HMAC", "CMAC_", "SHA1", "SHA2", "SHA3", "SHA5", "MD4", "MD5", "AES_", "ChaCha", "Poly1305", "OBJ_",
	"i2d_", "d2i_", "i2a_", "i2s_", "s2i_", "i2v_", "v2i_", "i2o_", "o2i_", "PKCS", "CMS_", "CONF_", "NCONF_",
	"ENGINE_", "UI_", "DES_", "OCSP_", "COMP_", "CT_", "SCT_", "ESS_", "TS_", "SRP_", "SMIME_", "ASYNC_",
	"BUF_", "OPENSSL_sk", "sk_", "lh_", "FIPS_", "GENERAL_", "DIST_POINT", "AUTHORITY_", "BASIC_CONSTRAINTS",
	"NAME_CONSTRAINTS", "POLICY", "IPAddress", "ASIdentifier", "NETSCAPE_", "PROXY_", "USERNOTICE",
	// Internal and assembly symbols.
	"ossl_", "bn_", "ec_", "ecp_", "aes", "vpaes_", "bsaes_", "sha1_", "sha256_", "sha512_", "md5_", "gcm_",
	"x25519_", "rsaz_", "poly1305_", "KeccakF", "SHA3_", "ChaCha20", "CRYPTO_", "asm_",
}

// IsOpenSSL reports whether a symbol name belongs to OpenSSL.
func IsOpenSSL(name string) bool {
	for _, p := range openSSLPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Allowed reports whether a library built for t may import lib: the
// target row's Imports, matched with path.Match on the lower-cased name.
func Allowed(t target.Target, lib string) bool {
	for _, a := range t.Imports {
		if ok, _ := path.Match(a.Pattern, strings.ToLower(lib)); ok {
			return true
		}
	}
	return false
}

// Report is the outcome of checking one library.
type Report struct {
	*Library
	Target   target.Target
	Expected int
	Problems []string // format or architecture mismatch
	Missing  []string // expected exports that are absent
	Leaked   []string // OpenSSL symbols exported
	Foreign  []string // imports outside the allowlist
}

// OK reports whether every check passed.
func (r *Report) OK() bool {
	return len(r.Problems)+len(r.Missing)+len(r.Leaked)+len(r.Foreign) == 0
}

// Check opens a library and checks it against its target and the exports
// it must have.
func Check(file string, t target.Target, expected []string) (*Report, error) {
	l, err := Open(file)
	if err != nil {
		return nil, err
	}
	r := &Report{Library: l, Target: t, Expected: len(expected)}
	if l.Format != t.Format || l.Arch != t.ObjArch {
		r.Problems = append(r.Problems, fmt.Sprintf("%s %s, want %s %s for %s", l.Format, l.Arch, t.Format, t.ObjArch, t))
	}
	for _, e := range expected {
		if _, found := slices.BinarySearch(l.Exports, e); !found {
			r.Missing = append(r.Missing, e)
		}
	}
	for _, e := range l.Exports {
		if IsOpenSSL(e) {
			r.Leaked = append(r.Leaked, e)
		}
	}
	for _, i := range l.Imports {
		if !Allowed(t, i) {
			r.Foreign = append(r.Foreign, i)
		}
	}
	return r, nil
}
