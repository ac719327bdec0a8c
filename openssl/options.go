package openssl

import (
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// option is one Configure argument and why it is there; a target row adds
// its own (target.Facts.Configure).
type option struct{ Arg, Why string }

// options shape every target's build. What stays: TLS 1.2 and 1.3, RSA,
// ECDSA, Ed25519/X25519, ML-KEM (hybrid key exchange, on by default in 3.5),
// ML-DSA, AES (GCM, CCM, CBC), ChaCha20-Poly1305, SHA-1/2/3, HMAC/HKDF,
// X.509 and PEM, and the assembly code of every target.
var options = []option{
	{"no-shared", "static libraries only: they are linked into the mongoose library"},
	{"no-module", "providers built in; nothing is loaded from disk at run time"},
	{"no-tests", "the build ships no OpenSSL tests"},
	{"no-docs", "no man pages"},
	{"no-apps", "no openssl command line tool"},
	{"no-autoload-config", "never read an openssl.cnf from the user's machine: behaviour must not depend on it"},
	{"no-legacy", "no legacy provider (MD4, RC4, DES, ...): not used by TLS 1.2/1.3"},
	{"no-engine", "engines are deprecated in 3.x; providers replace them"},
	{"no-deprecated", "mongoose uses only current APIs; drops the deprecated low-level ones"},
	{"no-comp", "TLS compression is insecure (CRIME) and off in every client"},
	{"no-dtls", "mongoose speaks TLS over TCP only"},
	{"no-quic", "mongoose does not use OpenSSL's QUIC stack"},
	{"no-srp", "SRP cipher suites: unused"},
	{"no-srtp", "DTLS-SRTP: unused"},
	{"no-nextprotoneg", "NPN was replaced by ALPN"},
	{"no-ct", "certificate transparency checks: a client policy mongoose does not use"},
	{"no-ocsp", "OCSP requests and stapling: not used by mongoose"},
	{"no-http", "OpenSSL's HTTP client, used only by OCSP and CMP"},
	{"no-cmp", "certificate management protocol: unused"},
	{"no-cms", "CMS/S-MIME messages: unused"},
	{"no-ts", "time-stamp protocol: unused"},
	{"no-rfc3779", "IP address and AS certificate extensions: unused"},
	{"no-async", "async jobs serve hardware engines, which are off"},
	{"no-ui-console", "no password prompts in a library"},
	{"no-uplink", "Windows applink shim for the openssl tool, which is not built"},
	{"no-winstore", "the Windows certificate store loader: CAs come from PEM in memory"},
	{"no-dsa", "DSA certificates are obsolete and not allowed in TLS 1.3"},
	{"no-dh", "finite-field DH (TLS 1.2 DHE suites, TLS 1.3 ffdhe groups): every current client offers ECDHE, which stays"},
	{"no-ec2m", "binary-field curves: not used by TLS"},
	{"no-gost", "GOST cipher suites"},
	{"no-slh-dsa", "hash-based signatures: large, and not used in TLS"},
	{"no-scrypt", "password KDF: unused"},
	{"no-argon2", "password KDF: unused"},
	{"no-des", "3DES suites are disabled in TLS; no DES-encrypted keys are supported"},
	{"no-idea", "obsolete cipher"},
	{"no-rc2", "obsolete cipher"},
	{"no-rc4", "obsolete cipher, forbidden in TLS (RFC 7465)"},
	{"no-rc5", "obsolete cipher"},
	{"no-bf", "obsolete cipher"},
	{"no-cast", "obsolete cipher"},
	{"no-seed", "national cipher not used by TLS clients"},
	{"no-camellia", "cipher not offered by mainstream TLS clients"},
	{"no-aria", "national cipher not used by TLS clients"},
	{"no-sm2", "Chinese national algorithms"},
	{"no-sm3", "Chinese national algorithms"},
	{"no-sm4", "Chinese national algorithms"},
	{"no-md2", "obsolete digest"},
	{"no-md4", "obsolete digest"},
	{"no-mdc2", "obsolete digest"},
	{"no-whirlpool", "digest unused by TLS"},
	{"no-rmd160", "digest unused by TLS"},
	{"no-ml-dsa", "post-quantum signatures: certificates using them are not in use yet; ML-KEM key exchange stays"},
	{"no-multiblock", "stitched AES-CBC-HMAC code for TLS 1.2 CBC suites, which modern clients do not pick"},
	{"no-siv", "AES-SIV: not used by TLS"},
	{"no-ocb", "AES-OCB: not used by TLS"},
	{"-Os", "C code for size; the hot paths (AES, SHA, ChaCha, bignum, P-256) are assembly either way"},
	{"-ffunction-sections", "one section per function, so the final link can drop what mongoose never calls"},
	{"-fdata-sections", "likewise for data"},
}

// speed are the C sources built with speedFlags instead of -Os: portable C
// on every TLS 1.3 handshake's path (the X25519MLKEM768 key exchange every
// current client offers first), where -Os costs most and size least.
// Measured on linux/amd64: ML-KEM-768 encapsulation 25 -> 17.5 us, X25519
// key generation 24 -> 22 us; +28 KB per library.
var speed = []option{
	{"crypto/ml_kem/ml_kem.c", "ML-KEM-768 encapsulation: portable C on every target; -O2 runs it 30% faster"},
	{"crypto/ec/curve25519.c", "X25519 key generation (ref10 base-point multiply) and, where there is no assembly, the ladder"},
}

// speedFlags: -s (zig's strip) because zig's -O2, unlike its -Os, emits
// debug info (on Windows the object's own path, even with -g0), which would
// carry the build directory into the archive.
var speedFlags = []string{"-O2", "-s"}

// Speed lists the sources built for speed, each with its flag, for cache
// keys and records.
func Speed() []string {
	var s []string
	for _, o := range speed {
		s = append(s, o.Arg+" "+strings.Join(speedFlags, " "))
	}
	return s
}

// Args returns the Configure arguments for a target, in order: the common
// options, then the target row's own.
func Args(t target.Target) []string {
	var a []string
	for _, o := range options {
		a = append(a, o.Arg)
	}
	for _, o := range t.Configure {
		a = append(a, o.Arg)
	}
	return a
}

// CFlags are the code-generation flags among a target's options, for code
// linked with OpenSSL to be built the same way.
func CFlags(t target.Target) []string {
	var f []string
	for _, a := range Args(t) {
		if strings.HasPrefix(a, "-") {
			f = append(f, a)
		}
	}
	return f
}
