// Package release cuts releases with GoReleaser: it decides between a
// snapshot and publishing, stages what the archives hold beside the
// libraries (licence texts, SBOM, README), runs GoReleaser from its own
// module, and checks what it made.
package release

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/git"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// Environment read and set here.
const (
	// TagEnv asks for a release tag explicitly, as CI does through GITHUB_REF_NAME.
	TagEnv = "MONGOOSE_FFI_RELEASE_TAG"
	// VersionEnv is the snapshot version GoReleaser uses (.goreleaser.yaml).
	VersionEnv = "MONGOOSE_FFI_VERSION"
	// CommitEnv and CommitDateEnv carry the commit into GoReleaser's templates
	// and the SBOM, also where git cannot read the checkout (a worktree mounted
	// in the container).
	CommitEnv     = "MONGOOSE_FFI_COMMIT"
	CommitDateEnv = "MONGOOSE_FFI_COMMIT_DATE"
	EpochEnv      = "SOURCE_DATE_EPOCH"
	// RunningEnv is set while `go tool mage release` runs its test stage: the
	// snapshot tests then skip, since the package stage checks the real dist/.
	RunningEnv = "MONGOOSE_FFI_RELEASE_RUNNING"
)

// DockerEnv marks a docker:release run, the one container run that gets
// the release's variables and the token.
const DockerEnv = "MONGOOSE_FFI_DOCKER_RELEASE"

// ContainerEnv names the variables a container run passes in: the release's
// commit, version and token, for docker:release only.
func ContainerEnv() []string {
	if os.Getenv(DockerEnv) == "" {
		return nil
	}
	return []string{TagEnv, VersionEnv, CommitEnv, CommitDateEnv, EpochEnv, "GITHUB_TOKEN", "GITHUB_REF_TYPE", "GITHUB_REF_NAME"}
}

// Dist is GoReleaser's output directory, relative to the repository root.
const Dist = "dist"

// ToolsModfile is the go.mod that pins GoReleaser apart from the kit's.
const ToolsModfile = "build/tools/go.mod"

// StagedEnv tells GoReleaser's before hook that PackageStage staged
// out/release/ for this version already, from the pipeline's sources.
const StagedEnv = "MONGOOSE_FFI_RELEASE_STAGED"

// Preflight is the release pipeline's first stage: it decides between a
// snapshot and publishing, and refuses a selection of fewer than all
// targets, a dirty tree or a tag not on HEAD before anything is built.
func Preflight(ctx context.Context, selected []target.Target, log io.Writer) (Decision, Commit, error) {
	if len(selected) != len(target.All()) {
		return Decision{}, Commit{}, fmt.Errorf("a release holds all %d targets, but %s selects %d: unset it",
			len(target.All()), config.TargetsEnv, len(selected))
	}
	d, c, err := Prepare(ctx, ".")
	if err != nil {
		return d, c, err
	}
	fmt.Fprintf(log, "release: %s %s: %s\n", d.Mode, d.Version, d.Note)
	// The test stage that follows leaves the snapshot test to PackageStage's check.
	return d, c, os.Setenv(RunningEnv, "1")
}

// PackageStage is the release pipeline's stage after test: it stages
// out/release/ from the sources the pipeline verified, then runs Package in
// the current directory.
func PackageStage(ctx context.Context, d Decision, c Commit, in Inputs, log io.Writer) error {
	return Package(ctx, ".", d, c, &in, log)
}

// Prepare reads the checkout (or, where git cannot, the commit passed in
// the environment by docker:release) and decides.
func Prepare(ctx context.Context, dir string) (Decision, Commit, error) {
	s, c, err := ReadState(ctx, dir)
	if err != nil {
		// Inside the container a worktree's .git points outside the mount:
		// the host read the checkout and passed the snapshot's facts in.
		if v, h, t := os.Getenv(VersionEnv), os.Getenv(CommitEnv), os.Getenv(EpochEnv); v != "" && h != "" && t != "" {
			sec, perr := strconv.ParseInt(t, 10, 64)
			if perr != nil {
				return Decision{}, Commit{}, fmt.Errorf("%s=%q: %w", EpochEnv, t, perr)
			}
			if os.Getenv("GITHUB_TOKEN") != "" {
				return Decision{}, Commit{}, fmt.Errorf("%w; publishing needs the checkout's git history: run from a clone, not a worktree", err)
			}
			return Decision{Mode: Snapshot, Version: v, Note: "git is not readable here: the snapshot facts come from " + VersionEnv + " and " + CommitEnv},
				Commit{Hash: h, Time: time.Unix(sec, 0).UTC()}, nil
		}
		return Decision{}, Commit{}, err
	}
	d, err := Decide(s)
	return d, c, err
}

// Env is what GoReleaser and the staging command need to know about the
// commit and the version.
func Env(d Decision, c Commit) []string {
	env := []string{
		CommitEnv + "=" + c.Hash,
		CommitDateEnv + "=" + c.Time.UTC().Format(time.RFC3339),
		EpochEnv + "=" + strconv.FormatInt(c.Time.Unix(), 10),
	}
	if d.Mode == Snapshot {
		env = append(env, VersionEnv+"="+d.Version)
	}
	return env
}

// Package is the release stage proper, after test: GoReleaser makes dist/,
// Check opens what it made, and a publish tags the Go binding. With in, it
// stages out/release/ first from those sources; without, GoReleaser's
// before hook obtains them itself.
func Package(ctx context.Context, dir string, d Decision, c Commit, in *Inputs, log io.Writer) error {
	args := []string{"release", "--clean"}
	if d.Mode == Snapshot {
		args = append(args, "--snapshot")
	}
	env := Env(d, c)
	if in != nil {
		if err := StageFiles(ctx, dir, d.Version, c, *in); err != nil {
			return err
		}
		env = append(env, StagedEnv+"="+d.Version)
	}
	start := time.Now()
	if err := GoReleaser(ctx, dir, env, log, args...); err != nil {
		return err
	}
	fmt.Fprintf(log, "release: goreleaser done in %s\n", time.Since(start).Round(time.Second))
	if err := Check(filepath.Join(dir, Dist), d.Version); err != nil {
		return fmt.Errorf("checking %s: %w", Dist, err)
	}
	fmt.Fprintf(log, "release: %s checked: archives, checksums.txt and SBOM\n", Dist)
	if d.Mode == Publish {
		return tagBinding(ctx, dir, d, c)
	}
	fmt.Fprintf(log, "release: snapshot %s in %s/ (nothing published)\n", d.Version, Dist)
	return nil
}

// tagBinding creates binding/vX.Y.Z on the release commit and pushes it.
func tagBinding(ctx context.Context, dir string, d Decision, c Commit) error {
	bt := BindingTag(d.Tag)
	if at, err := git.Run(ctx, dir, "rev-parse", "-q", "--verify", bt+"^{commit}"); err == nil {
		if at != c.Hash {
			return fmt.Errorf("%s exists on %s, not on %s", bt, short(at), short(c.Hash))
		}
	} else if _, err := git.Run(ctx, dir, "tag", "-a", bt, "-m", "Go binding "+d.Tag, c.Hash); err != nil {
		return fmt.Errorf("tagging the Go binding: %w", err)
	}
	if _, err := git.Run(ctx, dir, "push", "origin", "refs/tags/"+bt); err != nil {
		return fmt.Errorf("pushing %s: %w; push it by hand: git push origin %s", bt, err, bt)
	}
	return nil
}

// GoReleaser runs the pinned GoReleaser in dir with extra environment.
func GoReleaser(ctx context.Context, dir string, env []string, log io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", append([]string{"tool", "-modfile=" + ToolsModfile, "goreleaser"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), goEnv(ctx)...), env...)
	cmd.Env = append(cmd.Env, noRemote(ctx, dir)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("goreleaser %s: %w (its log is above)", strings.Join(args, " "), err)
	}
	return nil
}

// goEnv makes Go's caches explicit: GoReleaser runs the SBOM command with a
// cleared environment.
func goEnv(ctx context.Context) []string {
	var env []string
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOTOOLCHAIN"} {
		if os.Getenv(k) != "" {
			continue
		}
		if out, err := exec.CommandContext(ctx, "go", "env", k).Output(); err == nil {
			env = append(env, k+"="+strings.TrimSpace(string(out)))
		}
	}
	return env
}

// noRemote gives a checkout without a remote one, through git's environment
// config, because GoReleaser otherwise ignores all of git (commit "none",
// version 0.0.1-SNAPSHOT-none). Only `ls-remote --get-url` reads it.
func noRemote(ctx context.Context, dir string) []string {
	if out, err := git.Run(ctx, dir, "remote"); err != nil || strings.TrimSpace(out) != "" {
		return nil
	}
	return []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=remote.origin.url",
		"GIT_CONFIG_VALUE_0=https://github.com/mongoose-ffi/mongoose-ffi.git"}
}

// Docker runs `go tool mage release` in the toolchain image through run
// (container.MageTargets). The host reads the checkout and decides first, so a
// refusal comes before the image is built, and passes the commit and the
// version in: git cannot read a worktree's history from inside the mount.
func Docker(ctx context.Context, run func(context.Context, ...string) error) error {
	d, c, err := Prepare(ctx, ".")
	if err != nil {
		return fmt.Errorf("docker:release: %w", err)
	}
	fmt.Printf("docker:release: %s %s: %s\n", d.Mode, d.Version, d.Note)
	for _, kv := range append(Env(d, c), DockerEnv+"=1") {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	return run(ctx, "release")
}
