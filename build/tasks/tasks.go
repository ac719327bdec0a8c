// Package tasks holds the container targets, which run the pipeline's mage
// targets inside the toolchain image; the pipeline itself is build/pipeline.
package tasks

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/container"
	"github.com/mongoose-ffi/mongoose-ffi/build/pipeline"
	"github.com/mongoose-ffi/mongoose-ffi/build/prebuilt"
	"github.com/mongoose-ffi/mongoose-ffi/build/release"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// docker prepares the engine and the image for the checkout in the current
// directory.
func docker(ctx context.Context, cfg *config.Config) (*container.Engine, *container.Image, error) {
	e, err := container.Detect(ctx, cfg.Out)
	if err != nil {
		return nil, nil, err
	}
	img, err := container.ImageFor(".")
	if err != nil {
		return nil, nil, err
	}
	rev := strings.TrimSpace(gitOut(ctx, "rev-parse", "HEAD"))
	ver := strings.TrimSpace(gitOut(ctx, "describe", "--tags", "--always", "--dirty"))
	return e, img, e.Build(ctx, ".", img, ver, rev)
}

func gitOut(ctx context.Context, args ...string) string {
	out, err := exec.CommandContext(ctx, "git", args...).Output()
	if err != nil {
		return "unknown"
	}
	return string(out)
}

// DockerBase makes sure the Dockerfile's base image exists locally.
func DockerBase(ctx context.Context) error {
	cfg, err := pipeline.Config()
	if err != nil {
		return err
	}
	e, err := container.Detect(ctx, cfg.Out)
	if err != nil {
		return err
	}
	return e.EnsureBase(ctx)
}

// DockerImage builds the toolchain image if its definition changed.
func DockerImage(ctx context.Context) error {
	cfg, err := pipeline.Config()
	if err != nil {
		return err
	}
	_, _, err = docker(ctx, cfg)
	return err
}

// DockerRun runs the mage targets in $MONGOOSE_FFI_DOCKER_ARGS in the image.
func DockerRun(ctx context.Context) error {
	targets := strings.Fields(os.Getenv(container.ArgsEnv))
	if len(targets) == 0 {
		return fmt.Errorf("%s is empty: name the mage targets to run, e.g. %s=\"build verify\"", container.ArgsEnv, container.ArgsEnv)
	}
	return DockerTargets(ctx, targets...)
}

// settings are what of the host the container sees: the selection and job
// count, prebuilt mode, the release's commit, version and token (for
// docker:release only, so read at run time), and the local copies of the sources (for offline
// use), read-only.
func settings() container.Settings {
	return container.Settings{
		Pass:  append([]string{config.TargetsEnv, config.JobsEnv, prebuilt.Env}, release.ContainerEnv()...),
		Local: []string{mongoose.LocalEnv, openssl.LocalEnv},
	}
}

// DockerTargets runs mage targets in the image, with the repository, the
// kit's cache and Go's caches mounted.
func DockerTargets(ctx context.Context, targets ...string) error {
	cfg, err := pipeline.Config()
	if err != nil {
		return err
	}
	e, img, err := docker(ctx, cfg)
	if err != nil {
		return err
	}
	m, env, err := container.MountsFor(ctx, ".", cfg.Cache, settings())
	if err != nil {
		return err
	}
	return e.Run(ctx, img, m, env, targets...)
}
