// Package git runs the git command for the kit: the release reads tags and
// the tree's state, artifacts:download the branch and remote, the container
// targets the commit.
package git

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// Run runs git with args in dir ("" for the current directory) and returns
// its output without the trailing newline; an error carries git's stderr.
func Run(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg = " " + strings.TrimSpace(string(ee.Stderr))
		}
		return "", fmt.Errorf("git %s: %w%s", strings.Join(args, " "), err, msg)
	}
	return strings.TrimRight(string(out), "\n"), nil
}
