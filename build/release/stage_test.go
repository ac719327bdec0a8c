package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// TestCheckStaged: GoReleaser's before hook, under `go tool mage release`,
// accepts out/release/ only as the package stage staged it for this version.
func TestCheckStaged(t *testing.T) {
	root := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tg := range target.All() {
		for _, f := range expected(tg) {
			write("out/"+tg.Dir()+"/"+f, "x")
		}
	}
	for _, f := range LuaFiles {
		write(f, "x")
	}
	for _, f := range []string{MongooseLicense, OpenSSLLicense, GPLText, SBOMFile} {
		write(Staged+"/"+f, "x")
	}
	write(Staged+"/"+ArchiveREADME, readme("1.0.0"))
	if err := CheckStaged(root, "1.0.0"); err != nil {
		t.Fatalf("staged for 1.0.0: %v", err)
	}
	if err := CheckStaged(root, "1.0.1"); err == nil || !strings.Contains(err.Error(), ArchiveREADME) {
		t.Errorf("staged for 1.0.0, checked for 1.0.1: %v", err)
	}
	if err := os.Remove(filepath.Join(root, Staged, SBOMFile)); err != nil {
		t.Fatal(err)
	}
	if err := CheckStaged(root, "1.0.0"); err == nil || !strings.Contains(err.Error(), SBOMFile) {
		t.Errorf("no staged SBOM: %v", err)
	}
}
