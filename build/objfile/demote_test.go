package objfile

import (
	"bytes"
	"debug/macho"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/zig/zigtest"
)

// compile builds a C file into an object for a zig target triple.
func compile(t *testing.T, triple, code string, flags ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.c"), []byte(code), 0o644)
	zigtest.Run(t, dir, append([]string{"cc", "-target", triple, "-c", "x.c", "-o", "x.o"}, flags...)...)
	data, err := os.ReadFile(filepath.Join(dir, "x.o"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

const twoFuncs = "int mg_keep(void) { return 1; }\nint SSL_hide(void) { return 2; }\nstatic int local(void) { return 3; }\nint use(void) { return local(); }\n"

// common is a tentative definition, a common symbol under -fcommon.
const common = "int OPENSSL_cap[4];\nint mg_keep(void) { return OPENSSL_cap[0]; }\n"

func TestDefinedAllFormats(t *testing.T) {
	for _, triple := range []string{"x86_64-linux-gnu", "x86_64-windows-gnu", "aarch64-macos"} {
		names, err := Defined(compile(t, triple, twoFuncs))
		if err != nil {
			t.Fatalf("%s: %v", triple, err)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"SSL_hide", "mg_keep", "use"}) {
			t.Errorf("%s: Defined = %v, want [SSL_hide mg_keep use]", triple, names)
		}
	}
}

func TestDemoteMachO(t *testing.T) {
	obj := compile(t, "aarch64-macos", twoFuncs)
	n, err := DemoteMachO(obj, func(name string) bool { return name == "mg_keep" })
	if err != nil || n != 2 {
		t.Fatalf("demoted %d, %v; want 2 (SSL_hide, use)", n, err)
	}
	f, err := macho.NewFile(bytes.NewReader(obj))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Symtab.Syms {
		private := s.Type&nPExt != 0
		switch s.Name {
		case "_mg_keep":
			if private {
				t.Error("kept symbol was demoted")
			}
		case "_SSL_hide", "_use":
			if !private {
				t.Errorf("%s is still exported", s.Name)
			}
		}
	}
	obj = compile(t, "x86_64-macos", common, "-fcommon")
	if n, err := DemoteMachO(obj, func(name string) bool { return name == "mg_keep" }); err != nil || n != 1 {
		t.Errorf("common symbol: demoted %d, %v; want 1", n, err)
	}
	if _, err := DemoteMachO(compile(t, "x86_64-linux-gnu", twoFuncs), nil); err == nil {
		t.Error("an ELF object was accepted as Mach-O")
	}
}
