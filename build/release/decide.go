package release

import (
	"fmt"
	"regexp"
	"strings"
)

// Mode is what a release run makes.
type Mode int

const (
	// Snapshot builds every archive into dist/ and publishes nothing.
	Snapshot Mode = iota
	// Publish uploads a GitHub release and tags the Go binding.
	Publish
)

func (m Mode) String() string {
	if m == Publish {
		return "publish"
	}
	return "snapshot"
}

// State is what the decision depends on, read from git and the environment.
type State struct {
	Head       string   // full commit hash of HEAD
	Dirty      []string // `git status --porcelain` lines
	HeadTags   []string // tags pointing at HEAD
	Requested  string   // tag asked for by CI (GITHUB_REF_NAME on a tag push) or MONGOOSE_FFI_RELEASE_TAG
	TagCommits map[string]string
	LastTag    string // newest vX.Y.Z reachable from HEAD, or ""
	Since      int    // commits since LastTag (or since the first commit)
	Token      bool   // GITHUB_TOKEN is set
}

// Decision is the outcome: what to make and under which version.
type Decision struct {
	Mode    Mode
	Tag     string // vX.Y.Z when publishing
	Version string // the archives' version, without "v"
	Note    string // why, for the log
}

// BindingTag is the Go binding's tag for a kit release tag.
func BindingTag(tag string) string { return "binding/" + tag }

var releaseTag = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// Decide says whether to publish or make a snapshot, or refuses with what to
// do. Only a clean checkout of a vX.Y.Z tag with GITHUB_TOKEN set publishes.
func Decide(s State) (Decision, error) {
	var onHead []string
	for _, t := range s.HeadTags {
		if releaseTag.MatchString(t) {
			onHead = append(onHead, t)
		}
	}
	tag := s.Requested
	if tag != "" {
		if !releaseTag.MatchString(tag) {
			return Decision{}, fmt.Errorf("release tag %q is not of the form vX.Y.Z: tag the commit as e.g. v1.2.3", tag)
		}
		at, ok := s.TagCommits[tag]
		if !ok {
			return Decision{}, fmt.Errorf("tag %s does not exist here: fetch tags (git fetch --tags) or create it (git tag -a %s -m %s)", tag, tag, tag)
		}
		if at != s.Head {
			return Decision{}, fmt.Errorf("tag %s is on commit %s, not on HEAD (%s): check it out first (git checkout %s), or move the tag if HEAD is what you mean to release", tag, short(at), short(s.Head), tag)
		}
	} else if len(onHead) > 1 {
		return Decision{}, fmt.Errorf("HEAD carries several release tags (%s): delete all but one (git tag -d ...)", strings.Join(onHead, ", "))
	} else if len(onHead) == 1 {
		tag = onHead[0]
	}
	dirty := len(s.Dirty) > 0
	if tag != "" && (s.Token || s.Requested != "") {
		if dirty {
			return Decision{}, fmt.Errorf("the tree has uncommitted changes, so it is not %s:\n  %s\ncommit, stash or remove them (git stash -u), or unset GITHUB_TOKEN for a snapshot", tag, strings.Join(first(s.Dirty, 10), "\n  "))
		}
		if !s.Token {
			return Decision{}, fmt.Errorf("%s is asked for but GITHUB_TOKEN is not set: give the job a token with contents: write", tag)
		}
		if at, ok := s.TagCommits[BindingTag(tag)]; ok && at != s.Head {
			return Decision{}, fmt.Errorf("%s already exists on commit %s, not on HEAD (%s): the binding must be tagged on the release commit; delete the stray tag (git push --delete origin %s) if it was a mistake", BindingTag(tag), short(at), short(s.Head), BindingTag(tag))
		}
		return Decision{Mode: Publish, Tag: tag, Version: strings.TrimPrefix(tag, "v"),
			Note: fmt.Sprintf("publishing %s from %s, then tagging %s", tag, short(s.Head), BindingTag(tag))}, nil
	}
	d := Decision{Mode: Snapshot, Version: SnapshotVersion(s)}
	switch {
	case tag != "":
		d.Note = fmt.Sprintf("HEAD is %s but GITHUB_TOKEN is not set: a snapshot, nothing is published", tag)
	default:
		d.Note = "HEAD is not a vX.Y.Z tag: a snapshot, nothing is published"
	}
	if dirty {
		d.Note += " (the tree has uncommitted changes)"
	}
	return d, nil
}

// SnapshotVersion names a snapshot after git describe: the last release,
// the commits since, the commit and whether the tree was dirty, e.g.
// 1.2.3-4-gabc1234-SNAPSHOT; 0.0.0-... before the first release.
func SnapshotVersion(s State) string {
	base := strings.TrimPrefix(s.LastTag, "v")
	if base == "" {
		base = "0.0.0"
	}
	v := fmt.Sprintf("%s-%d-g%s", base, s.Since, short(s.Head))
	if len(s.Dirty) > 0 {
		v += "-dirty"
	}
	return v + "-SNAPSHOT"
}

func short(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("... and %d more", len(s)-n))
	}
	return s
}
