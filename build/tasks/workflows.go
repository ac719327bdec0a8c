package tasks

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// workflowDir holds the GitHub Actions workflows actionlint checks.
const workflowDir = ".github/workflows"

// lintWorkflows runs the pinned actionlint (a go.mod tool) on every
// workflow under root. actionlint shellchecks run: scripts itself when shellcheck is on
// PATH; without it that part is skipped, so say so.
func lintWorkflows(ctx context.Context, root string) error {
	files, err := filepath.Glob(filepath.Join(root, workflowDir, "*.y*ml"))
	if err != nil || len(files) == 0 {
		return err
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		fmt.Println("actionlint: shellcheck is not installed, so run: scripts are not shellchecked (.ci/prereqs installs it)")
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"tool", "actionlint", "-no-color"}, files...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("actionlint found problems in %s (fix the lines above): %w", workflowDir, err)
	}
	return nil
}
