//go:build mage

// Mage targets of mongoose-ffi. Each is a one-liner over a package under
// build/, openssl/ or mongoose/; run them with `go tool mage <target>`.
package main

import (
	"context"

	"github.com/magefile/mage/mg"

	"github.com/mongoose-ffi/mongoose-ffi/build/artifacts"
	"github.com/mongoose-ffi/mongoose-ffi/build/container"
	"github.com/mongoose-ffi/mongoose-ffi/build/fuzz"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/pipeline"
	"github.com/mongoose-ffi/mongoose-ffi/build/release"
	"github.com/mongoose-ffi/mongoose-ffi/build/settings"
	"github.com/mongoose-ffi/mongoose-ffi/build/soak"
)

// The pipeline's stages, in build/pipeline.Stages' order. Each target runs
// its stage once, after the stages pipeline.Needs says it reads.

// Sources obtains and verifies the pinned mongoose and OpenSSL sources into the cache.
func Sources(ctx context.Context) error { return pipeline.Run(ctx, pipeline.Sources{}) }

// Zig installs the pinned zig compiler into the cache if it is not there.
func Zig(ctx context.Context) error { return pipeline.Run(ctx, pipeline.Zig{}) }

// Openssl builds static OpenSSL for every selected target (MONGOOSE_FFI_TARGETS).
func Openssl(ctx context.Context) error { return pipeline.Run(ctx, pipeline.OpenSSL{}) }

// Build builds the mongoose library for every selected target into out/<os>_<arch>/.
func Build(ctx context.Context) error { return pipeline.Run(ctx, pipeline.Build{}) }

// Verify checks the built libraries: format, exports, no OpenSSL symbols, only system imports.
func Verify(ctx context.Context) error { return pipeline.Run(ctx, pipeline.Verify{}) }

// Luajit builds a luajit for each selected target with no LuaJIT package (Windows) into out/luajit/, for native tests.
func Luajit(ctx context.Context) error { return pipeline.Run(ctx, pipeline.LuaJIT{}) }

// Lint runs gofmt, go vet, staticcheck and actionlint (with shellcheck where installed).
func Lint(ctx context.Context) error { return pipeline.Run(ctx, pipeline.Lint{}) }

// Prebuilt takes out/<host>/'s library, checked against the pins and verified, instead of building (MONGOOSE_FFI_PREBUILT=1).
func Prebuilt(ctx context.Context) error { return pipeline.Run(ctx, pipeline.Prebuilt{}) }

// Test runs lint and every test, including the cached integration builds.
func Test(ctx context.Context) error { return pipeline.Run(ctx, pipeline.Test{}) }

// Release runs sources, openssl, build, verify and test, then GoReleaser: a
// snapshot into dist/, or on a clean vX.Y.Z tag with GITHUB_TOKEN a published
// release and the binding/vX.Y.Z tag.
func Release(ctx context.Context) error { return pipeline.Run(ctx, pipeline.Release{}) }

// Bench measures HTTP, WebSocket and TLS handshake rates: C on the library, the Go and Lua bindings, net/http.
func Bench(ctx context.Context) error { return pipeline.Run(ctx, pipeline.Bench{}) }

// Reproducible builds the selected targets twice from scratch and compares the libraries.
func Reproducible(ctx context.Context) error { return pipeline.Run(ctx, pipeline.Reproducible{}) }

// Fuzz runs every fuzz target for MONGOOSE_FFI_FUZZTIME each (default 60s).
func Fuzz(ctx context.Context) error { return fuzz.Main(ctx) }

// Soak runs the Go binding's server under mixed load for MONGOOSE_FFI_SOAK (default 60s).
func Soak(ctx context.Context) error { return soak.Main(ctx) }

// Docker runs the kit in its toolchain image (docker or podman; CONTAINER_ENGINE overrides).
type Docker mg.Namespace

// Base makes the Dockerfile's base image exist: present, pulled, or made with debootstrap.
func (Docker) Base(ctx context.Context) error { return container.MageBase(ctx) }

// Image builds the toolchain image, tagged by a hash of what defines it.
func (Docker) Image(ctx context.Context) error { return container.MageImage(ctx) }

// Run runs the mage targets in MONGOOSE_FFI_DOCKER_ARGS inside the image.
func (Docker) Run(ctx context.Context) error { return container.MageRun(ctx) }

// Build builds and verifies the libraries inside the image.
func (Docker) Build(ctx context.Context) error { return container.MageTargets(ctx, "build", "verify") }

// Test runs every test inside the image, Windows under Wine and arm64 under QEMU included.
func (Docker) Test(ctx context.Context) error { return container.MageTargets(ctx, "test") }

// Release runs `release` inside the image, with the commit and version read on the host.
func (Docker) Release(ctx context.Context) error { return release.Docker(ctx, container.MageTargets) }

// Bare runs MONGOOSE_FFI_PREBUILT=1 test on out/'s library in a bare runner's stand-in: without CI, with CI=true, after peers:install.
func (Docker) Bare(ctx context.Context) error { return container.MageBare(ctx) }

// Artifacts fetches what CI built (GitHub Actions artifacts of ci.yml).
type Artifacts mg.Namespace

// Download fetches the current branch's latest successful CI libraries (MONGOOSE_FFI_RUN picks a run) into out/, verified.
func (Artifacts) Download(ctx context.Context) error { return artifacts.Main(ctx) }

// Env prints every environment variable the kit reads, with its value (or default) and meaning.
func Env() error { return settings.Main() }

// Peers are the programs the tests talk to (build/peer): curl, openssl, h11, LuaJIT, luv, valgrind, git.
type Peers mg.Namespace

// List prints each test peer: where it is, why it is not needed here, or how to install it.
func (Peers) List(ctx context.Context) error { return peer.ListMain(ctx) }

// Install installs the missing test peers (apt-get, brew, pip); CI's native legs run it.
func (Peers) Install(ctx context.Context) error { return peer.InstallMain(ctx) }
