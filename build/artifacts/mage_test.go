package artifacts_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/artifacts"
	"github.com/mongoose-ffi/mongoose-ffi/build/artifacts/githubtest"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/pipeline"
	"github.com/mongoose-ffi/mongoose-ffi/build/prebuilt"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// TestArtifactsDownloadThroughMage runs `go tool mage artifacts:download`
// against a stand-in for the GitHub API serving out/<host>/ as CI uploads
// it, in another working directory, and checks out/ there holds the
// library, verified, and that the output names run, commit and sha256.
func TestArtifactsDownloadThroughMage(t *testing.T) {
	if testing.Short() {
		peer.Skip(t, "SKIPPED: -short: compiles the magefile")
	}
	host, err := target.Host()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	src := filepath.Join(root, pipeline.OutDir, host.Dir())
	if !prebuilt.Present(src, host) {
		peer.Skip(t, fmt.Sprintf("SKIPPED: %s holds no library to serve: run `go tool mage build` first", src))
	}
	files := map[string][]byte{}
	ents, _ := os.ReadDir(src)
	for _, e := range ents {
		files[e.Name()], _ = os.ReadFile(filepath.Join(src, e.Name()))
	}
	f := githubtest.New(t)
	f.AddRun(900, "main", "success", "c0ffee")
	f.AddArtifact(41, artifacts.Prefix+host.Dir(), githubtest.Zip(t, files), false)
	work := t.TempDir()
	cmd := exec.Command("go", "tool", "mage", "-w", work, "artifacts:download")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GITHUB_API_URL="+f.API.URL, "GITHUB_TOKEN="+githubtest.Token, "GH_TOKEN=",
		artifacts.RepoEnv+"=o/r", artifacts.RunEnv+"=900", "MONGOOSE_FFI_TARGETS=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("artifacts:download: %v\n%s", err, out.String())
	}
	pins, _ := prebuilt.Expected()
	lib, err := prebuilt.Check(filepath.Join(work, pipeline.OutDir, host.Dir()), host, pins)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"run 900", "c0ffee", host.String(), lib.SHA256} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	t.Logf("%s", out.String())
}
