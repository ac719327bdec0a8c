package tasks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Lint fails on a workflow actionlint rejects (a retired runner label, a
// script shellcheck flags) and passes on the repository's own.
func TestLintWorkflows(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: -short: builds actionlint")
	}
	bad := t.TempDir()
	os.MkdirAll(filepath.Join(bad, workflowDir), 0o755)
	os.WriteFile(filepath.Join(bad, workflowDir, "ci.yml"), []byte(`on: push
jobs:
  test:
    runs-on: macos-13
    steps:
      - run: echo $1
`), 0o644)
	err := lintWorkflows(context.Background(), bad)
	if err == nil || !strings.Contains(err.Error(), "actionlint") {
		t.Errorf("err = %v; want actionlint to reject the workflow", err)
	}
	if err := lintWorkflows(context.Background(), filepath.Join("..", "..")); err != nil {
		t.Errorf("the repository's workflows: %v", err)
	}
}
