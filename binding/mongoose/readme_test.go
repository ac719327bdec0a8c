package mongoose_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMESnippets compiles every Go program in the repository's README
// against this module, so that what a newcomer pastes builds.
func TestREADMESnippets(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	snippets := goBlocks(string(readme))
	if len(snippets) == 0 {
		t.Fatal("README.md has no ```go blocks: the Go binding's quick start is missing")
	}
	binding, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(binding, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for i, src := range snippets {
		dir := t.TempDir()
		gomod := "module readme\n\ngo 1.26\n\nrequire github.com/mongoose-ffi/mongoose-ffi/binding v0.0.0\n\n" +
			"replace github.com/mongoose-ffi/mongoose-ffi/binding => " + binding + "\n"
		for name, data := range map[string]string{"go.mod": gomod, "go.sum": string(sum), "main.go": src} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("go", "vet", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("README's Go snippet %d does not build: %v\n%s\n%s", i+1, err, out, src)
		}
	}
}

// goBlocks returns the bodies of the ```go fenced blocks.
func goBlocks(md string) []string {
	var blocks []string
	for _, part := range strings.Split(md, "```go\n")[1:] {
		body, _, ok := strings.Cut(part, "\n```")
		if ok {
			blocks = append(blocks, body+"\n")
		}
	}
	return blocks
}
