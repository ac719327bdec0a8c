package command

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
)

func TestRunReportsFailureWithLogTail(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		peer.Skip(t, "SKIPPED: no sh on PATH (plain Windows): the test's failing command is a shell script")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "build.log")
	var out bytes.Buffer
	err := Run(context.Background(), &out, Cmd{Label: "demo: make", Dir: dir, Log: log,
		Args: []string{"sh", "-c", "for i in $(seq 1 50); do echo line$i; done; echo broken >&2; exit 3"}})
	if err == nil {
		t.Fatal("a failing command succeeded")
	}
	for _, want := range []string{"demo: make failed", "line50", "broken", log} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "line5\n") {
		t.Error("error carries the whole log, not its tail")
	}
	if !strings.Contains(out.String(), "demo: make\n") {
		t.Errorf("progress output %q does not name the step", out.String())
	}
}
