package lint

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
)

// WorkflowDir holds the GitHub Actions workflows actionlint checks.
const WorkflowDir = ".github/workflows"

// Workflows runs the pinned actionlint (a go.mod tool) on every workflow
// under root. actionlint shellchecks run: scripts itself when shellcheck is
// on PATH; without it that part is skipped, so say so.
func Workflows(ctx context.Context, out io.Writer, root string) error {
	files, err := filepath.Glob(filepath.Join(root, WorkflowDir, "*.y*ml"))
	if err != nil || len(files) == 0 {
		return err
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		fmt.Fprintln(out, "actionlint: shellcheck is not installed, so run: scripts are not shellchecked (.ci/prereqs installs it)")
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"tool", "actionlint", "-no-color"}, files...)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("actionlint found problems in %s (fix the lines above): %w", WorkflowDir, err)
	}
	return nil
}
