package release

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
)

// TestReadState reads a real repository: an annotated release tag on an
// older commit, a binding tag on HEAD, and an uncommitted file.
func TestReadState(t *testing.T) {
	peer.Need(t, peer.Git)
	dir := t.TempDir()
	for k, v := range map[string]string{"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
		"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": os.DevNull,
		"GITHUB_REF_TYPE": "", "GITHUB_TOKEN": "", TagEnv: ""} {
		t.Setenv(k, v)
	}
	run := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "-q", "-b", "main")
	run("commit", "-q", "--allow-empty", "-m", "one")
	first := run("rev-parse", "HEAD")
	run("tag", "-a", "v1.0.0", "-m", "v1.0.0")
	run("commit", "-q", "--allow-empty", "-m", "two")
	run("tag", "binding/v2.0.0")
	if err := os.WriteFile(filepath.Join(dir, "new.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, c, err := ReadState(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.LastTag != "v1.0.0" || s.Since != 1 || len(s.Dirty) != 1 || s.TagCommits["v1.0.0"] != first || c.Hash != s.Head || c.Time.IsZero() {
		t.Fatalf("state %+v, commit %+v", s, c)
	}
	if d, err := Decide(s); err != nil || d.Mode != Snapshot || d.Version != "1.0.0-1-g"+s.Head[:7]+"-dirty-SNAPSHOT" {
		t.Fatalf("decision %+v, %v", d, err)
	}
	// CI asks for v1.0.0, which is not on HEAD.
	t.Setenv("GITHUB_REF_TYPE", "tag")
	t.Setenv("GITHUB_REF_NAME", "v1.0.0")
	t.Setenv("GITHUB_TOKEN", "x")
	s, _, err = ReadState(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decide(s); err == nil || !strings.Contains(err.Error(), "not on HEAD") {
		t.Fatalf("a tag not on HEAD was not refused: %v", err)
	}
	// On the tag itself, but dirty: refused too.
	run("checkout", "-q", "v1.0.0")
	s, _, _ = ReadState(ctx, dir)
	if _, err := Decide(s); err == nil || !strings.Contains(err.Error(), "uncommitted") {
		t.Fatalf("a dirty tree was not refused: %v", err)
	}
	os.Remove(filepath.Join(dir, "new.txt"))
	s, _, _ = ReadState(ctx, dir)
	if d, err := Decide(s); err != nil || d.Mode != Publish || d.Tag != "v1.0.0" {
		t.Fatalf("a clean tag with a token: %+v, %v", d, err)
	}
}
