//go:build mage

// Mage targets of mongoose-ffi. Each is a one-liner over a package under
// build/, openssl/ or mongoose/; run them with `go tool mage <target>`.
package main

import (
	"context"

	"github.com/magefile/mage/mg"

	"github.com/mongoose-ffi/mongoose-ffi/build/fuzz"
	"github.com/mongoose-ffi/mongoose-ffi/build/soak"
	"github.com/mongoose-ffi/mongoose-ffi/build/tasks"
)

// Sources obtains and verifies the pinned mongoose and OpenSSL sources into the cache.
func Sources(ctx context.Context) error { return tasks.Sources(ctx) }

// Zig installs the pinned zig compiler into the cache if it is not there.
func Zig(ctx context.Context) error { return tasks.Zig(ctx) }

// Openssl builds static OpenSSL for every selected target (MONGOOSE_FFI_TARGETS).
func Openssl(ctx context.Context) error { return tasks.OpenSSL(ctx) }

// Build builds the mongoose library for every selected target into out/<os>_<arch>/.
func Build(ctx context.Context) error { return tasks.Build(ctx) }

// Verify checks the built libraries: format, exports, no OpenSSL symbols, only system imports.
func Verify(ctx context.Context) error { return tasks.Verify(ctx) }

// Reproducible builds the selected targets twice from scratch and compares the libraries.
func Reproducible(ctx context.Context) error { return tasks.Reproducible(ctx) }

// Bench measures HTTP and WebSocket throughput: C on the library, the Go binding, net/http.
func Bench(ctx context.Context) error { return tasks.Bench(ctx) }

// Lint runs gofmt, go vet and staticcheck.
func Lint(ctx context.Context) error { return tasks.Lint(ctx) }

// Test runs lint and every test, including the cached integration builds.
func Test(ctx context.Context) error { return tasks.Test(ctx) }

// Fuzz runs every fuzz target for MONGOOSE_FFI_FUZZTIME each (default 60s).
func Fuzz(ctx context.Context) error { return fuzz.Main(ctx) }

// Soak runs the Go binding's server under mixed load for MONGOOSE_FFI_SOAK (default 60s).
func Soak(ctx context.Context) error { return soak.Main(ctx) }

// Docker runs the kit in its toolchain image (docker or podman; CONTAINER_ENGINE overrides).
type Docker mg.Namespace

// Base makes the Dockerfile's base image exist: present, pulled, or made with debootstrap.
func (Docker) Base(ctx context.Context) error { return tasks.DockerBase(ctx) }

// Image builds the toolchain image, tagged by a hash of what defines it.
func (Docker) Image(ctx context.Context) error { return tasks.DockerImage(ctx) }

// Run runs the mage targets in MONGOOSE_FFI_DOCKER_ARGS inside the image.
func (Docker) Run(ctx context.Context) error { return tasks.DockerRun(ctx) }

// Build builds and verifies the libraries inside the image.
func (Docker) Build(ctx context.Context) error { return tasks.DockerTargets(ctx, "build", "verify") }

// Test runs every test inside the image, Windows under Wine and arm64 under QEMU included.
func (Docker) Test(ctx context.Context) error { return tasks.DockerTargets(ctx, "test") }
