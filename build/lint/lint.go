// Package lint checks the kit's sources: gofmt, go vet and staticcheck over
// every module, and actionlint over the workflows.
package lint

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/testrun"
)

// Go runs gofmt, go vet and staticcheck over every module.
func Go(ctx context.Context, out io.Writer) error {
	fmtOut, err := exec.CommandContext(ctx, "gofmt", "-l", ".").CombinedOutput()
	if err != nil {
		return fmt.Errorf("gofmt: %w\n%s", err, fmtOut)
	}
	if len(fmtOut) > 0 {
		return fmt.Errorf("gofmt would change these files (run gofmt -w):\n%s", fmtOut)
	}
	// The binding keeps its go.mod free of tools: run the kit's pinned
	// staticcheck binary in each module.
	sc, err := exec.CommandContext(ctx, "go", "tool", "-n", "staticcheck").Output()
	if err != nil {
		return fmt.Errorf("building staticcheck: %w", err)
	}
	for _, m := range testrun.Modules {
		if err := testrun.Go(ctx, out, m, nil, "vet", "./..."); err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, strings.TrimSpace(string(sc)), "./...")
		cmd.Dir, cmd.Stdout, cmd.Stderr = m, out, out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("staticcheck in %s: %w", m, err)
		}
	}
	return nil
}
