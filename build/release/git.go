package release

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/git"
)

// Commit is the commit a release is made from, as GoReleaser and the SBOM see it.
type Commit struct {
	Hash string
	Time time.Time // committer date: every file time in the archives
}

// ReadState reads the checkout in dir and the environment.
func ReadState(ctx context.Context, dir string) (State, Commit, error) {
	var s State
	var c Commit
	head, err := git.Run(ctx, dir, "rev-parse", "HEAD")
	if err != nil {
		return s, c, fmt.Errorf("reading the checkout: %w (a release is made from a git checkout)", err)
	}
	s.Head, c.Hash = head, head
	ct, err := git.Run(ctx, dir, "log", "-1", "--format=%ct", "HEAD")
	if err != nil {
		return s, c, err
	}
	sec, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		return s, c, fmt.Errorf("commit time %q: %w", ct, err)
	}
	c.Time = time.Unix(sec, 0).UTC()
	// dist/ and out/ are ignored; anything else uncommitted makes the tree dirty.
	st, err := git.Run(ctx, dir, "status", "--porcelain")
	if err != nil {
		return s, c, err
	}
	for _, l := range strings.Split(st, "\n") {
		if l != "" {
			s.Dirty = append(s.Dirty, l)
		}
	}
	tags, err := git.Run(ctx, dir, "tag", "--points-at", "HEAD")
	if err != nil {
		return s, c, err
	}
	s.HeadTags = strings.Fields(tags)
	s.TagCommits = map[string]string{}
	refs, err := git.Run(ctx, dir, "for-each-ref", "--format=%(refname:short) %(objectname) %(*objectname)", "refs/tags")
	if err != nil {
		return s, c, err
	}
	for _, l := range strings.Split(refs, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 {
			s.TagCommits[f[0]] = f[len(f)-1] // the peeled commit of an annotated tag
		}
	}
	if d, err := git.Run(ctx, dir, "describe", "--tags", "--match", "v[0-9]*", "--abbrev=0", "HEAD"); err == nil {
		s.LastTag = d
		n, err := git.Run(ctx, dir, "rev-list", "--count", d+"..HEAD")
		if err != nil {
			return s, c, err
		}
		s.Since, _ = strconv.Atoi(n)
	} else {
		n, err := git.Run(ctx, dir, "rev-list", "--count", "HEAD")
		if err != nil {
			return s, c, err
		}
		s.Since, _ = strconv.Atoi(n)
	}
	s.Requested = os.Getenv(TagEnv)
	if s.Requested == "" && os.Getenv("GITHUB_REF_TYPE") == "tag" {
		s.Requested = os.Getenv("GITHUB_REF_NAME")
	}
	s.Token = os.Getenv("GITHUB_TOKEN") != ""
	return s, c, nil
}
