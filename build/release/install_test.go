package release

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/mod/module"
)

// goGet matches a printed `go get path@query`.
var goGet = regexp.MustCompile("go get ([^@`\\s]+)@([^`\\s]+)")

// TestInstallLinesAreGoQueries: every `go get` a release prints (the archive
// README and GoReleaser's release notes) names a version the go command
// accepts: a module in a subdirectory is tagged binding/vX.Y.Z, but asked
// for as @vX.Y.Z; @binding/vX.Y.Z is refused.
func TestInstallLinesAreGoQueries(t *testing.T) {
	cfg, err := os.ReadFile(filepath.Join(root(t), ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{
		"archive README":   readme("1.2.3"),
		".goreleaser.yaml": strings.ReplaceAll(string(cfg), "{{ .Version }}", "1.2.3"),
	}
	for name, text := range texts {
		lines := goGet.FindAllStringSubmatch(text, -1)
		if len(lines) == 0 {
			t.Errorf("%s prints no go get line", name)
		}
		for _, m := range lines {
			if err := module.Check(m[1], m[2]); err != nil {
				t.Errorf("%s: go get %s@%s: %v", name, m[1], m[2], err)
			}
		}
	}
	if err := module.Check("github.com/mongoose-ffi/mongoose-ffi/binding", "binding/v1.2.3"); err == nil {
		t.Error("module.Check accepts a tag name as a version: this test would pass on the old lines")
	}
}
