package container

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func repo(t *testing.T, dockerfile, gomod string) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "docker"), 0o755)
	os.WriteFile(filepath.Join(dir, Dockerfile), []byte(dockerfile), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644)
	return dir
}

func TestImageTagFollowsDefinition(t *testing.T) {
	gomod := "module x\n\ngo 1.26.0\n\ntoolchain go1.26.8\n"
	a, err := ImageFor(repo(t, "FROM debian:trixie-slim\n", gomod))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ImageFor(repo(t, "FROM debian:trixie-slim\n", gomod))
	c, _ := ImageFor(repo(t, "FROM debian:trixie-slim\nRUN true\n", gomod))
	d, _ := ImageFor(repo(t, "FROM debian:trixie-slim\n", strings.Replace(gomod, "1.26.8", "1.26.9", 1)))
	if a.Tag != b.Tag || a.Tag == c.Tag || a.Tag == d.Tag || !strings.HasPrefix(a.Tag, "mongoose-ffi-toolchain:") {
		t.Errorf("tags: same %s %s, changed Dockerfile %s, changed Go %s", a.Tag, b.Tag, c.Tag, d.Tag)
	}
	if !strings.Contains(strings.Join(a.BuildArgs, " "), "GO_VERSION=1.26.8") {
		t.Errorf("build args %v lack the Go version", a.BuildArgs)
	}
	if _, err := ImageFor(repo(t, "FROM x\n", "module x\n\ngo 1.26.0\n")); err == nil || !strings.Contains(err.Error(), "toolchain") {
		t.Errorf("go.mod without a toolchain line: err = %v", err)
	}
}

func TestDetectHonoursEngineEnv(t *testing.T) {
	t.Setenv(EngineEnv, "no-such-engine")
	if _, err := Detect(context.Background(), io.Discard); err == nil || !strings.Contains(err.Error(), "no-such-engine") {
		t.Errorf("err = %v; want one naming the engine", err)
	}
	t.Setenv(EngineEnv, "")
	t.Setenv("PATH", t.TempDir())
	if _, err := Detect(context.Background(), io.Discard); err == nil || !strings.Contains(err.Error(), "install Docker or Podman") {
		t.Errorf("no engine at all: err = %v", err)
	}
}
