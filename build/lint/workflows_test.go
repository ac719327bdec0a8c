package lint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
)

// LintWorkflows: Workflows fails on a workflow actionlint rejects (a retired runner
// label, a script shellcheck flags) and passes on the repository's own.
func TestLintWorkflows(t *testing.T) {
	if testing.Short() {
		peer.Skip(t, "SKIPPED: -short: builds actionlint")
	}
	bad := t.TempDir()
	os.MkdirAll(filepath.Join(bad, WorkflowDir), 0o755)
	os.WriteFile(filepath.Join(bad, WorkflowDir, "ci.yml"), []byte(`on: push
jobs:
  test:
    runs-on: macos-13
    steps:
      - run: echo $1
`), 0o644)
	var out strings.Builder
	err := Workflows(context.Background(), &out, bad)
	if err == nil || !strings.Contains(err.Error(), "actionlint") || !strings.Contains(out.String(), "macos-13") {
		t.Errorf("err = %v, output %q; want actionlint to reject the workflow's runner", err, out.String())
	}
	out.Reset()
	if err := Workflows(context.Background(), &out, filepath.Join("..", "..")); err != nil {
		t.Errorf("the repository's workflows: %v\n%s", err, out.String())
	}
}
