package container

// The docker: mage targets: the pipeline's targets inside the toolchain
// image, and the prebuilt test in the bare runner's stand-in.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/git"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/pipeline"
	"github.com/mongoose-ffi/mongoose-ffi/build/prebuilt"
	"github.com/mongoose-ffi/mongoose-ffi/build/release"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// docker prepares the engine and the image imageFor describes (the
// toolchain's, ImageFor) for the checkout in the current directory.
func docker(ctx context.Context, cfg *config.Config, imageFor func(string) (*Image, error)) (*Engine, *Image, error) {
	e, err := Detect(ctx, cfg.Out)
	if err != nil {
		return nil, nil, err
	}
	img, err := imageFor(".")
	if err != nil {
		return nil, nil, err
	}
	rev, err := git.Run(ctx, "", "rev-parse", "HEAD")
	if err != nil {
		rev = "unknown"
	}
	ver, err := git.Run(ctx, "", "describe", "--tags", "--always", "--dirty")
	if err != nil {
		ver = "unknown"
	}
	return e, img, e.Build(ctx, ".", img, ver, rev)
}

// MageBase makes sure the Dockerfile's base image exists locally.
func MageBase(ctx context.Context) error {
	cfg, err := pipeline.Config()
	if err != nil {
		return err
	}
	e, err := Detect(ctx, cfg.Out)
	if err != nil {
		return err
	}
	return e.EnsureBase(ctx)
}

// MageImage builds the toolchain image if its definition changed.
func MageImage(ctx context.Context) error {
	cfg, err := pipeline.Config()
	if err != nil {
		return err
	}
	_, _, err = docker(ctx, cfg, ImageFor)
	return err
}

// MageRun runs the mage targets in $MONGOOSE_FFI_DOCKER_ARGS in the image.
func MageRun(ctx context.Context) error {
	targets := strings.Fields(os.Getenv(ArgsEnv))
	if len(targets) == 0 {
		return fmt.Errorf("%s is empty: name the mage targets to run, e.g. %s=\"build verify\"", ArgsEnv, ArgsEnv)
	}
	return MageTargets(ctx, targets...)
}

// settings are what of the host the container sees: the selection and job
// count, prebuilt mode, CI (a missing test peer fails there too), the release's commit, version and token (for
// docker:release only, so read at run time), and the local copies of the sources (for offline
// use), read-only.
func settings() Settings {
	return Settings{
		Pass:  append([]string{config.TargetsEnv, config.JobsEnv, prebuilt.Env, peer.CIEnv}, release.ContainerEnv()...),
		Local: []string{mongoose.LocalEnv, openssl.LocalEnv},
	}
}

// MageTargets runs mage targets in the image, with the repository, the
// kit's cache and Go's caches mounted.
func MageTargets(ctx context.Context, targets ...string) error {
	cfg, err := pipeline.Config()
	if err != nil {
		return err
	}
	e, img, err := docker(ctx, cfg, ImageFor)
	if err != nil {
		return err
	}
	m, env, err := MountsFor(ctx, ".", cfg.Cache, settings())
	if err != nil {
		return err
	}
	return e.Run(ctx, img, m, env, targets...)
}

// MageBare runs the prebuilt test on out/<host>/'s library in the bare
// image, a stand-in for a fresh CI runner, in each of
// BareScenarios, printing each run's output and wall time; it
// fails naming every scenario whose exit status or output was not as
// expected.
func MageBare(ctx context.Context) error {
	cfg, err := pipeline.Config()
	if err != nil {
		return err
	}
	host, err := target.Host()
	if err != nil {
		return err
	}
	if host.OS != "linux" {
		return fmt.Errorf("docker:bare stands in for a Linux runner and tests this machine's library; %s is not Linux", host)
	}
	lib := filepath.Join("out", host.Dir(), host.Library)
	if _, err := os.Stat(lib); err != nil {
		return fmt.Errorf("docker:bare tests the library in out/%s: %w; run go tool mage build (or test) first", host.Dir(), err)
	}
	start := time.Now()
	e, img, err := docker(ctx, cfg, BareImageFor)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Out, "docker:bare: image %s ready in %s\n", img.Tag, since(start))
	repo, err := filepath.Abs(".")
	if err != nil {
		return err
	}
	// Only the native leg: the bare runner has no emulators.
	env := []string{prebuilt.Env + "=1", config.TargetsEnv + "=" + host.String()}
	var failed []error
	var times []string
	for _, s := range BareScenarios() {
		fmt.Fprintf(cfg.Out, "docker:bare: %s: %s %s\n", s.Name, strings.Join(append(slices.Clone(env), s.Env...), " "), s.Script)
		var out bytes.Buffer
		start := time.Now()
		runErr := e.RunBare(ctx, img, repo, append(slices.Clone(env), s.Env...), s.Script, io.MultiWriter(cfg.Out, &out))
		if ctx.Err() != nil {
			return ctx.Err()
		}
		verdict := "as expected"
		if err := s.Check(out.String(), runErr); err != nil {
			failed = append(failed, err)
			verdict = "NOT as expected"
		}
		took := fmt.Sprintf("docker:bare: %s: %s, %s", s.Name, since(start), verdict)
		fmt.Fprintln(cfg.Out, took)
		times = append(times, took)
	}
	fmt.Fprintln(cfg.Out, strings.Join(times, "\n"))
	return errors.Join(failed...)
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Second) }
