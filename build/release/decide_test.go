package release

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

func TestDecide(t *testing.T) {
	const head, other = "aaaaaaa1111111111111111111111111111111111", "bbbbbbb2222222222222222222222222222222222"
	tags := map[string]string{"v1.2.3": head, "v1.2.2": other}
	for _, c := range []struct {
		name    string
		s       State
		mode    Mode
		version string
		refuse  string // part of the error, when refused
	}{
		{name: "untagged: snapshot named after the last release",
			s: State{Head: head, LastTag: "v1.2.2", Since: 4, TagCommits: tags}, mode: Snapshot, version: "1.2.2-4-gaaaaaaa-SNAPSHOT"},
		{name: "no release yet",
			s: State{Head: head, Since: 26}, mode: Snapshot, version: "0.0.0-26-gaaaaaaa-SNAPSHOT"},
		{name: "untagged with a token: still a snapshot",
			s: State{Head: head, Token: true, Since: 1, LastTag: "v1.2.2", TagCommits: tags}, mode: Snapshot, version: "1.2.2-1-gaaaaaaa-SNAPSHOT"},
		{name: "dirty untagged: a snapshot marked dirty",
			s: State{Head: head, Dirty: []string{" M README.md"}}, mode: Snapshot, version: "0.0.0-0-gaaaaaaa-dirty-SNAPSHOT"},
		{name: "tagged without a token: a snapshot of the tag",
			s: State{Head: head, HeadTags: []string{"v1.2.3"}, LastTag: "v1.2.3", TagCommits: tags}, mode: Snapshot, version: "1.2.3-0-gaaaaaaa-SNAPSHOT"},
		{name: "clean tag with a token publishes",
			s: State{Head: head, HeadTags: []string{"v1.2.3"}, TagCommits: tags, Token: true}, mode: Publish, version: "1.2.3"},
		{name: "binding tags on HEAD are not releases",
			s: State{Head: head, HeadTags: []string{"binding/v1.2.3"}, Token: true}, mode: Snapshot, version: "0.0.0-0-gaaaaaaa-SNAPSHOT"},
		{name: "CI tag push publishes",
			s: State{Head: head, Requested: "v1.2.3", HeadTags: []string{"v1.2.3"}, TagCommits: tags, Token: true}, mode: Publish, version: "1.2.3"},
		{name: "dirty tree with a token is refused",
			s: State{Head: head, HeadTags: []string{"v1.2.3"}, TagCommits: tags, Token: true, Dirty: []string{"?? x"}}, refuse: "uncommitted changes"},
		{name: "requested tag not on HEAD is refused",
			s: State{Head: head, Requested: "v1.2.2", TagCommits: tags, Token: true}, refuse: "git checkout v1.2.2"},
		{name: "requested tag that does not exist",
			s: State{Head: head, Requested: "v9.9.9", TagCommits: tags, Token: true}, refuse: "does not exist"},
		{name: "requested tag not vX.Y.Z",
			s: State{Head: head, Requested: "release-1", Token: true}, refuse: "vX.Y.Z"},
		{name: "CI tag push without a token",
			s: State{Head: head, Requested: "v1.2.3", HeadTags: []string{"v1.2.3"}, TagCommits: tags}, refuse: "GITHUB_TOKEN"},
		{name: "two release tags on HEAD",
			s: State{Head: head, HeadTags: []string{"v1.2.3", "v1.3.0"}, Token: true}, refuse: "several"},
		{name: "binding tag on another commit",
			s: State{Head: head, HeadTags: []string{"v1.2.3"}, Token: true, TagCommits: map[string]string{"v1.2.3": head, "binding/v1.2.3": other}}, refuse: "binding/v1.2.3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := Decide(c.s)
			if c.refuse != "" {
				if err == nil || !strings.Contains(err.Error(), c.refuse) {
					t.Fatalf("got %+v, %v; want a refusal mentioning %q", d, err, c.refuse)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Mode != c.mode || d.Version != c.version {
				t.Fatalf("got %s %s, want %s %s", d.Mode, d.Version, c.mode, c.version)
			}
			if d.Mode == Publish && d.Tag != "v"+c.version {
				t.Fatalf("tag %q", d.Tag)
			}
		})
	}
}

// TestContainerEnv: the token and the release's facts go into the container
// for docker:release only, never into docker:test or docker:run.
func TestContainerEnv(t *testing.T) {
	t.Setenv(DockerEnv, "")
	if env := ContainerEnv(); len(env) != 0 {
		t.Fatalf("outside docker:release: %v", env)
	}
	t.Setenv(DockerEnv, "1")
	env := strings.Join(ContainerEnv(), " ")
	for _, k := range []string{"GITHUB_TOKEN", VersionEnv, CommitEnv, EpochEnv, CommitDateEnv} {
		if !strings.Contains(env, k) {
			t.Errorf("docker:release does not pass %s: %s", k, env)
		}
	}
}

// TestPreflightRefusesAPartialSelection: a release holds every target, so a
// narrower MONGOOSE_FFI_TARGETS stops it before git is even read.
func TestPreflightRefusesAPartialSelection(t *testing.T) {
	t.Setenv(RunningEnv, "") // set when `go tool mage release` runs this test
	var log strings.Builder
	_, _, err := Preflight(context.Background(), target.All()[:1], &log)
	if err == nil || !strings.Contains(err.Error(), config.TargetsEnv) || !strings.Contains(err.Error(), "unset it") {
		t.Fatalf("one target selected: %v", err)
	}
	if os.Getenv(RunningEnv) != "" {
		t.Error("a refused preflight marked the release as running")
	}
}
