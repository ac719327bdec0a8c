package zig

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
)

// A $ZIG of the wrong version is refused, naming both versions and the fix.
func TestEnsureRefusesWrongVersion(t *testing.T) {
	if runtime.GOOS == "windows" {
		peer.Skip(t, "SKIPPED: on Windows: the fake zig is a shell script")
	}
	fake := filepath.Join(t.TempDir(), "zig")
	os.WriteFile(fake, []byte("#!/bin/sh\necho 0.9.0\n"), 0o755)
	t.Setenv(EnvVar, fake)
	_, err := Ensure(context.Background(), t.TempDir(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "0.9.0") || !strings.Contains(err.Error(), Version) || !strings.Contains(err.Error(), "unset ZIG") {
		t.Errorf("err = %v; want both versions and the fix", err)
	}
}

func TestEnsureWithoutPython(t *testing.T) {
	t.Setenv(EnvVar, "")
	t.Setenv("PATH", t.TempDir()) // no zig, no python
	_, err := Ensure(context.Background(), t.TempDir(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "Python 3") {
		t.Errorf("err = %v; want one saying Python 3 with pip is needed", err)
	}
}
