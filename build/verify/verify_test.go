package verify

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig/zigtest"
)

const (
	clean   = "int mg_mgr_init(void) { return 0; }\nint mg_mgr_poll(void) { return 1; }\n__attribute__((visibility(\"hidden\"))) int helper(void) { return 2; }\n"
	leaky   = clean + "int SSL_new(void) { return 3; }\nint EVP_sha256(void) { return 4; }\n"
	partial = "int mg_mgr_init(void) { return 0; }\n"
	foreign = clean + "int foo(void);\nint mg_call_foo(void) { return foo(); }\n"
)

var expected = []string{"mg_mgr_init", "mg_mgr_poll"}

// lib builds a shared library for tg from C source with zig; extra are
// further inputs (a library to link against).
func lib(t *testing.T, dir string, tg target.Target, name, code string, extra ...string) string {
	t.Helper()
	os.WriteFile(filepath.Join(dir, name+".c"), []byte(code), 0o644)
	args := []string{"cc", "-target", tg.Zig, "-shared", "-fPIC", "-o", libFile(tg, name), name + ".c"}
	if tg.Format == target.ELF {
		args = append(args, "-Wl,-soname,"+libFile(tg, name))
	}
	zigtest.Run(t, dir, append(args, extra...)...)
	return filepath.Join(dir, libFile(tg, name))
}

func libFile(tg target.Target, name string) string {
	switch tg.Format {
	case target.PE:
		return name + ".dll"
	case target.MachO:
		return "lib" + name + ".dylib"
	}
	return "lib" + name + ".so"
}

func TestCatchesEachViolation(t *testing.T) {
	for _, tg := range target.All() {
		t.Run(tg.Dir(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			check := func(path string) *Report {
				r, err := Check(path, tg, expected)
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			if r := check(lib(t, dir, tg, "clean", clean)); !r.OK() || !slices.Contains(r.Exports, "mg_mgr_poll") || slices.Contains(r.Exports, "helper") {
				t.Errorf("clean library: %+v", r)
			}
			if r := check(lib(t, dir, tg, "leaky", leaky)); !slices.Equal(r.Leaked, []string{"EVP_sha256", "SSL_new"}) {
				t.Errorf("leaky library: leaked %v, want [EVP_sha256 SSL_new]", r.Leaked)
			}
			if r := check(lib(t, dir, tg, "partial", partial)); !slices.Equal(r.Missing, []string{"mg_mgr_poll"}) {
				t.Errorf("partial library: missing %v, want [mg_mgr_poll]", r.Missing)
			}
			foo := lib(t, dir, tg, "foo", "int foo(void) { return 7; }\n")
			if tg.Format == target.PE {
				foo = strings.TrimSuffix(foo, ".dll") + ".lib" // link with the import library
			}
			r := check(lib(t, dir, tg, "foreign", foreign, foo))
			if len(r.Foreign) != 1 || !strings.Contains(strings.ToLower(r.Foreign[0]), "foo") {
				t.Errorf("foreign dependency: foreign %v (imports %v), want the foo library", r.Foreign, r.Imports)
			}
			// The wrong target is a format problem.
			other := target.All()[(slices.Index(target.All(), tg)+2)%5]
			if r, _ := Check(filepath.Join(dir, libFile(tg, "clean")), other, expected); r == nil || len(r.Problems) == 0 {
				t.Errorf("a %s library passed as %s", tg, other)
			}
		})
	}
}

func TestExportTrieAndUleb(t *testing.T) {
	// A trie for "_a" and "_ab": root -"_a"-> node(terminal) -"b"-> node(terminal).
	trie := []byte{
		0, 1, '_', 'a', 0, 6, // root: no info, one edge "_a" to offset 6
		2, 0, 0, 1, 'b', 0, 13, // offset 6: info size 2, edge "b" to 13
		2, 0, 0, 0, // offset 13: info size 2, no edges
	}
	names, err := exportTrie(trie)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"_a", "_ab"}) {
		t.Errorf("names = %v", names)
	}
	if _, err := exportTrie([]byte{0, 1, 'x', 0, 0}); err == nil {
		t.Error("a trie whose edge points at its root was accepted")
	}
	if _, _, err := uleb([]byte{0x80, 0x80}, 0); err == nil {
		t.Error("an unterminated ULEB128 was accepted")
	}
}

func TestIsOpenSSL(t *testing.T) {
	for _, n := range []string{"SSL_new", "EVP_sha256", "OPENSSL_init_ssl", "ossl_rsa_new", "X509_free", "d2i_X509", "aesni_encrypt"} {
		if !IsOpenSSL(n) {
			t.Errorf("%s not recognised as OpenSSL", n)
		}
	}
	for _, n := range []string{"mg_mgr_init", "mg_ffi_poll", "mg_tls_init", "mg_sha1_init", "mg_base64_encode"} {
		if IsOpenSSL(n) {
			t.Errorf("%s taken for OpenSSL", n)
		}
	}
}
