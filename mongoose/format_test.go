package mongoose

import (
	"slices"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// TestNewRowsFindTheirRecipe adds rows the kit does not build yet: their
// compile flags, defines and link recipe come from the row and its format.
func TestNewRowsFindTheirRecipe(t *testing.T) {
	linux, _ := target.Lookup("linux/amd64")
	win, _ := target.Lookup("windows/amd64")
	riscv := target.Target{OS: "linux", Arch: "riscv64", Zig: "riscv64-linux-gnu.2.28", Library: "mongoose.so", Format: target.ELF,
		Facts: &target.Facts{Configure: linux.Configure}}
	winARM := target.Target{OS: "windows", Arch: "arm64", Zig: "aarch64-windows-gnu", Library: "mongoose.dll", Format: target.PE,
		Facts: &target.Facts{Defines: win.Defines}}

	f, err := formatOf(riscv)
	if err != nil || f.exportList != versionScript || !slices.Contains(f.link, "-Wl,--version-script="+versionScript) {
		t.Errorf("riscv64 link recipe: %+v, %v", f, err)
	}
	if !slices.Contains(cflags(riscv), "-fno-unwind-tables") || !slices.Contains(cflags(riscv), "-fPIC") {
		t.Errorf("riscv64 cflags = %v", cflags(riscv))
	}
	f, err = formatOf(winARM)
	if err != nil || f.exportList != moduleDef || f.link[0] != moduleDef || f.finish == nil {
		t.Errorf("windows/arm64 link recipe: %+v, %v", f, err)
	}
	if !strings.HasPrefix(string(f.writeList([]string{"mg_a"})), "LIBRARY mongoose\nEXPORTS\n  mg_a\n") {
		t.Errorf("module definition: %q", f.writeList([]string{"mg_a"}))
	}
	if d := targetDefines(winARM); !slices.Contains(d, "_CRT_RAND_S") || !slices.Contains(d, "MG_ENABLE_IPV6=1") {
		t.Errorf("windows/arm64 defines = %v", d)
	}
	if _, err := formatOf(target.Target{OS: "plan9", Arch: "386", Format: "aout", Facts: &target.Facts{}}); err == nil ||
		!strings.Contains(err.Error(), "mongoose/format.go") {
		t.Errorf("an unknown format: %v; want an error naming where to add its recipe", err)
	}
}
