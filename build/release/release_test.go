package release

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	prebuilt "github.com/mongoose-ffi/mongoose-ffi/build/prebuilt/mode"

	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
)

// root is the repository, two levels up from this package.
func root(t *testing.T) string {
	r, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// buildAll builds every target's library into outDir: the pipeline's build
// stages, set by pipeline_test.go (package pipeline imports this one).
var buildAll func(ctx context.Context, outDir string) error

// TestGoReleaserCheck validates .goreleaser.yaml with the pinned GoReleaser.
// Testing a prebuilt library does not build GoReleaser (minutes): the
// release and build legs check its configuration.
func TestGoReleaserCheck(t *testing.T) {
	if prebuilt.On() {
		peer.Skip(t, prebuilt.SkipReason+": GoReleaser's configuration is checked where releases are made")
	}
	var log bytes.Buffer
	if err := GoReleaser(context.Background(), root(t), nil, &log, "check"); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
}

// TestSnapshot makes a snapshot of every archive twice, opens and checks
// each one (Check), and compares the two runs byte for byte.
func TestSnapshot(t *testing.T) {
	if testing.Short() {
		peer.Skip(t, "GoReleaser snapshot: not in -short")
	}
	if prebuilt.On() {
		peer.Skip(t, prebuilt.SkipReason+": a release is made from sources")
	}
	if os.Getenv(RunningEnv) != "" {
		peer.Skip(t, "`go tool mage release` checks its own dist/ after GoReleaser")
	}
	ctx := context.Background()
	dir := root(t)
	if CheckInputs(dir) != nil {
		if err := buildAll(ctx, filepath.Join(dir, "out")); err != nil {
			t.Fatal(err)
		}
	}
	// Always a snapshot, whatever the checkout's tags and GITHUB_TOKEN say.
	d := Decision{Mode: Snapshot, Version: "0.0.0-test-SNAPSHOT"}
	c := Commit{Hash: strings.Repeat("0", 40), Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if s, gc, err := ReadState(ctx, dir); err == nil {
		d.Version, c = SnapshotVersion(s), gc
	} else {
		t.Logf("git cannot read the checkout (%v): a fixed version and commit", err)
	}
	var runs [2]map[string][]byte
	for i := range runs {
		var log bytes.Buffer
		start := time.Now()
		if err := Package(ctx, dir, d, c, nil, &log); err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, log.String())
		}
		t.Logf("snapshot %d: %s", i+1, time.Since(start).Round(time.Second))
		runs[i] = map[string][]byte{}
		ents, err := os.ReadDir(filepath.Join(dir, Dist))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			n := e.Name()
			if strings.HasSuffix(n, ".tar.gz") || strings.HasSuffix(n, ".zip") || strings.HasSuffix(n, ".cdx.json") || n == "checksums.txt" {
				b, err := os.ReadFile(filepath.Join(dir, Dist, n))
				if err != nil {
					t.Fatal(err)
				}
				runs[i][n] = b
			}
		}
	}
	if len(runs[0]) != len(target.All())+2 {
		t.Errorf("dist/ holds %d archives, SBOMs and checksums, want %d", len(runs[0]), len(target.All())+2)
	}
	for n, b := range runs[0] {
		if !bytes.Equal(b, runs[1][n]) {
			t.Errorf("%s differs between two snapshots of the same commit", n)
		}
	}
	checkCatches(t, dir, d.Version)
}

// checkCatches makes sure Check is not vacuous: copies of the snapshot with
// a swapped archive or an SBOM whose source hash is not the pin fail.
func checkCatches(t *testing.T, dir, version string) {
	mgPin, _ := mongoose.Pin()
	lt, _ := target.Lookup("linux/amd64")
	arm, _ := target.Lookup("linux/arm64")
	for _, c := range []struct {
		name   string
		tamper func(dist string) error
		want   []string
	}{
		{"untouched", func(string) error { return nil }, nil},
		{"archive swapped for another target's", func(dist string) error {
			b, err := os.ReadFile(filepath.Join(dist, ArchiveName(version, arm)))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dist, ArchiveName(version, lt)), b, 0o644)
		}, []string{"checksums.txt: " + ArchiveName(version, lt), "outside the directory"}},
		{"SBOM with a source hash that is not the pin", func(dist string) error {
			p := filepath.Join(dist, SBOMName(version))
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := mgPin.File("mongoose.c").SHA256
			return os.WriteFile(p, bytes.ReplaceAll(b, []byte(h), []byte(strings.Repeat("0", len(h)))), 0o644)
		}, []string{"mongoose.c sha256 0000", "sbom.cdx.json differs"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			dist := filepath.Join(tmp, Dist)
			if err := os.CopyFS(dist, os.DirFS(filepath.Join(dir, Dist))); err != nil {
				t.Fatal(err)
			}
			lic, _ := os.ReadFile(filepath.Join(dir, "LICENSE"))
			if err := os.WriteFile(filepath.Join(tmp, "LICENSE"), lic, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := c.tamper(dist); err != nil {
				t.Fatal(err)
			}
			err := Check(dist, version)
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("the untouched copy fails: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("passed")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestTaggedRelease runs the publishing path with publishing skipped, in a
// clone tagged v0.1.0 (and binding/v0.0.9, which must not count as the
// previous release): versioned archives, a changelog from the commits.
func TestTaggedRelease(t *testing.T) {
	if testing.Short() || os.Getenv(RunningEnv) != "" {
		peer.Skip(t, "GoReleaser: not in -short, nor inside `go tool mage release`")
	}
	if prebuilt.On() {
		peer.Skip(t, prebuilt.SkipReason+": a release is made from sources")
	}
	ctx := context.Background()
	dir := root(t)
	if _, _, err := ReadState(ctx, dir); err != nil {
		peer.Skip(t, fmt.Sprintf("git cannot read the checkout: %v", err))
	}
	if err := CheckInputs(dir); err != nil {
		peer.Skip(t, fmt.Sprintf("no libraries in out/ (TestSnapshot builds them): %v", err))
	}
	// Neither the tag CI is building nor its token may steer this run.
	for k, v := range map[string]string{"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
		"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
		TagEnv: "", "GITHUB_REF_TYPE": "", "GITHUB_REF_NAME": "", "GITHUB_TOKEN": ""} {
		t.Setenv(k, v)
	}
	clone := filepath.Join(t.TempDir(), "mongoose-ffi")
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", clone}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "clone", "-q", dir, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	// Two commits of the test's own: the checkout's HEAD may be a merge, which
	// the changelog leaves out, or the tip of a shallow clone.
	git("commit", "-q", "--allow-empty", "-m", "test: the commit the binding tag is on")
	git("commit", "-q", "--allow-empty", "-m", "test: the commit released")
	git("tag", "-a", "v0.1.0", "-m", "v0.1.0")
	git("tag", "binding/v0.0.9", "HEAD~1")
	for _, tg := range target.All() {
		if err := os.CopyFS(filepath.Join(clone, "out", tg.Dir()), os.DirFS(filepath.Join(dir, "out", tg.Dir()))); err != nil {
			t.Fatal(err)
		}
	}
	s, c, err := ReadState(ctx, clone)
	if err != nil {
		t.Fatal(err)
	}
	s.Token = true // what CI has; nothing is published here
	d, err := Decide(s)
	if err != nil || d.Mode != Publish || d.Version != "0.1.0" {
		t.Fatalf("decision %+v, %v", d, err)
	}
	var log bytes.Buffer
	if err := GoReleaser(ctx, clone, Env(d, c), &log, "release", "--clean", "--skip=publish,announce"); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if err := Check(filepath.Join(clone, Dist), d.Version); err != nil {
		t.Fatal(err)
	}
	changelog, err := os.ReadFile(filepath.Join(clone, Dist, "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	// HEAD~1 carries binding/v0.0.9: were it taken for the previous release,
	// its commit would be missing.
	for _, rev := range []string{"HEAD", "HEAD~1"} {
		if subject := git("log", "-1", "--format=%s", rev); !strings.Contains(string(changelog), subject) {
			t.Errorf("the changelog does not list %s (%q):\n%s", rev, subject, changelog)
		}
	}
}
