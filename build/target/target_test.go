package target

import (
	"strings"
	"testing"
)

func TestTableIsConsistent(t *testing.T) {
	ext := map[Format]string{ELF: ".so", PE: ".dll", MachO: ".dylib"}
	seen := map[string]bool{}
	for _, tg := range All() {
		if seen[tg.String()] {
			t.Errorf("%s listed twice", tg)
		}
		seen[tg.String()] = true
		if !strings.HasSuffix(tg.Library, ext[tg.Format]) {
			t.Errorf("%s: library %q does not end in %q", tg, tg.Library, ext[tg.Format])
		}
		if tg.OS == "linux" && !strings.HasSuffix(tg.Zig, "-gnu.2.28") {
			t.Errorf("%s: zig triple %q must pin the glibc floor 2.28", tg, tg.Zig)
		}
	}
	if len(seen) != 5 {
		t.Errorf("got %d targets, want 5", len(seen))
	}
}

func TestSelect(t *testing.T) {
	all, err := Select("")
	if err != nil || len(all) != 5 {
		t.Fatalf("Select(\"\") = %d targets, %v; want all 5", len(all), err)
	}
	got, err := Select(" windows/amd64, linux/amd64,windows/amd64,")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].String() != "linux/amd64" || got[1].String() != "windows/amd64" {
		t.Errorf("Select kept %v; want [linux/amd64 windows/amd64] in table order, once each", got)
	}
	_, err = Select("linux/amd64,plan9/386")
	if err == nil || !strings.Contains(err.Error(), `"plan9/386"`) || !strings.Contains(err.Error(), "darwin/arm64") {
		t.Errorf("unknown target error = %v; want it to name the bad target and list the valid ones", err)
	}
}
