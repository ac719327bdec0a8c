package container

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// BareDockerfile defines the stand-in for a fresh CI runner (Go, python3
// without h11, curl, git), relative to the repository root.
const BareDockerfile = "docker/bare.Dockerfile"

// The bare image's Go module and build caches are named volumes, not host
// directories: repeated runs are warm, and the root-owned files the
// container writes stay in the engine's storage, out of the host's caches.
const (
	BareModVolume   = "mongoose-ffi-bare-gomod"
	BareBuildVolume = "mongoose-ffi-bare-gocache"
)

// BareImageFor describes the bare image for the checkout at root, tagged by
// a hash of its Dockerfile and the Go version.
func BareImageFor(root string) (*Image, error) {
	return imageFor(root, BareDockerfile, "mongoose-ffi-bare")
}

// RunBare runs script with sh in the bare image, as root (peers:install uses
// apt-get), on a copy of the checkout at repo, with env set, writing its
// output to out.
//
// The checkout is mounted read-only and copied into the container rather
// than mounted writable: mage writes into it (mage_output_file.go) and root
// in the container would leave root-owned files in a non-root host's
// checkout, which a chown afterwards misses when the run is killed. A copy
// owned by root also keeps git's ownership check quiet for Go's VCS
// stamping. The checkout is small, so the copy takes well under a second.
func (e *Engine) RunBare(ctx context.Context, img *Image, repo string, env []string, script string, out io.Writer) error {
	args := []string{"run", "--rm", "--network", "host",
		"-v", repo + ":/checkout:ro", "-v", BareModVolume + ":/gomod", "-v", BareBuildVolume + ":/gocache"}
	for _, v := range env {
		args = append(args, "-e", v)
	}
	args = append(append(args, e.Flags...), img.Tag, "sh", "-c", "cp -R /checkout/. /src && cd /src && "+script)
	c := e.cmd(ctx, args...)
	c.Stdout, c.Stderr = out, out
	if err := c.Run(); err != nil {
		return fmt.Errorf("in %s, %s: %w", img.Tag, script, err)
	}
	return nil
}

// What the bare scenarios look for, in one place. `go tool mage test`'s
// closing summary names each missing test peer on a line of its own,
// "skipped: h11 (python3 cannot import h11: ...)"; under CI=true the test
// fails naming "missing test peer h11".
var (
	// bareMissing are the peers a fresh runner lacks that the scenarios name.
	bareMissing = []string{"h11", "luajit"}
	// prebuiltTest is the test the scenarios run; MONGOOSE_FFI_PREBUILT and
	// MONGOOSE_FFI_TARGETS come in the environment.
	prebuiltTest = "go tool mage test"
	// installPeers installs every missing peer for this OS.
	installPeers = "go tool mage peers:install"
	// ciOn is what CI services set, and what makes a missing peer fail.
	ciOn = "CI=true"
	// skippedLine matches the summary's line for one peer; anySkipped, any.
	skippedLine = func(peer string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^skipped: ` + regexp.QuoteMeta(peer) + `\b`)
	}
	anySkipped = regexp.MustCompile(`(?m)^skipped: `)
	// ciFailure matches the CI=true failure for one peer.
	ciFailure = func(peer string) *regexp.Regexp {
		return regexp.MustCompile(regexp.QuoteMeta("missing test peer " + peer))
	}
)

// BareScenario is one run of the prebuilt test in the bare image and what
// its exit status and output must show.
type BareScenario struct {
	Name   string
	Env    []string         // added to the prebuilt test's environment
	Script string           // run by sh in the copy of the checkout
	Pass   bool             // it must exit 0; else it must fail
	Want   []*regexp.Regexp // each must match the output
	Forbid []*regexp.Regexp // none may match it
}

// BareScenarios are docker:bare's runs, in order: the prebuilt test on a
// fresh runner passes, skipping the missing peers by name; under CI=true it
// fails naming them; after peers:install it passes with nothing skipped.
func BareScenarios() []BareScenario {
	var skipped, failed []*regexp.Regexp
	for _, p := range bareMissing {
		skipped = append(skipped, skippedLine(p))
		failed = append(failed, ciFailure(p))
	}
	return []BareScenario{
		{Name: "without CI", Script: prebuiltTest, Pass: true, Want: skipped},
		{Name: "with " + ciOn, Env: []string{ciOn}, Script: prebuiltTest, Pass: false, Want: failed},
		{Name: "after peers:install", Env: []string{ciOn}, Script: installPeers + " && " + prebuiltTest,
			Pass: true, Forbid: []*regexp.Regexp{anySkipped}},
	}
}

// Check compares a run's output and error (nil: it exited 0) with what the
// scenario expects, and names everything missing or unexpected.
func (s BareScenario) Check(output string, runErr error) error {
	var problems []string
	switch {
	case s.Pass && runErr != nil:
		problems = append(problems, "failed, want exit 0")
	case !s.Pass && runErr == nil:
		problems = append(problems, "exited 0, want a failure")
	}
	for _, re := range s.Want {
		if !re.MatchString(output) {
			problems = append(problems, fmt.Sprintf("no output matching %s", re))
		}
	}
	for _, re := range s.Forbid {
		if lines := matchingLines(re, output); len(lines) > 0 {
			problems = append(problems, fmt.Sprintf("%d line(s) matching %s, first %q", len(lines), re, lines[0]))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	err := fmt.Errorf("bare scenario %q (%s): %s", s.Name, s.Script, strings.Join(problems, "; "))
	if s.Pass && runErr != nil {
		err = fmt.Errorf("%w (%w)", err, runErr)
	}
	return err
}

// matchingLines returns the whole lines re matches in s.
func matchingLines(re *regexp.Regexp, s string) []string {
	var lines []string
	for _, loc := range re.FindAllStringIndex(s, -1) {
		start := strings.LastIndexByte(s[:loc[0]], '\n') + 1
		end := strings.IndexByte(s[loc[0]:], '\n')
		if end < 0 {
			end = len(s) - loc[0]
		}
		lines = append(lines, s[start:loc[0]+end])
	}
	return lines
}
