// Package container runs the kit's mage targets inside its toolchain image,
// with Docker or Podman, so that a machine with only Go and an engine gets
// exactly the libraries CI gets.
package container

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/command"
	"github.com/mongoose-ffi/mongoose-ffi/build/debian"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
)

// Environment variables this package reads.
const (
	EngineEnv = "CONTAINER_ENGINE"          // docker or podman (or a path to one)
	FlagsEnv  = "MONGOOSE_FFI_DOCKER_FLAGS" // extra flags for the engine's run and build
	ArgsEnv   = "MONGOOSE_FFI_DOCKER_ARGS"  // mage targets for docker:run
)

// Base is the image the Dockerfile starts from.
const Base = "debian:trixie-slim"

// Dockerfile is the image's definition, relative to the repository root.
const Dockerfile = "docker/Dockerfile"

// Engine is a container engine command.
type Engine struct {
	Path  string
	Name  string   // "docker" or "podman"
	Flags []string // from FlagsEnv
	Log   io.Writer
}

// Detect picks $CONTAINER_ENGINE, else a Docker whose daemon answers, else
// Podman.
func Detect(ctx context.Context, log io.Writer) (*Engine, error) {
	flags := strings.Fields(os.Getenv(FlagsEnv))
	if name := os.Getenv(EngineEnv); name != "" {
		p, err := exec.LookPath(name)
		if err != nil {
			return nil, fmt.Errorf("%s=%s: %w", EngineEnv, name, err)
		}
		return &Engine{p, filepath.Base(name), flags, log}, nil
	}
	var tried []string
	if p, err := exec.LookPath("docker"); err == nil {
		// A docker client without a daemon is common; ask the daemon.
		out, err := exec.CommandContext(ctx, p, "version", "--format", "{{.Server.Version}}").CombinedOutput()
		if err == nil {
			return &Engine{p, "docker", flags, log}, nil
		}
		tried = append(tried, "docker: no daemon answers ("+firstLine(out)+")")
	} else {
		tried = append(tried, "docker: not installed")
	}
	if p, err := exec.LookPath("podman"); err == nil {
		return &Engine{p, "podman", flags, log}, nil
	}
	tried = append(tried, "podman: not installed")
	return nil, fmt.Errorf("no container engine: %s; install Docker or Podman, or set %s", strings.Join(tried, "; "), EngineEnv)
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

func (e *Engine) cmd(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, e.Path, args...)
	c.Stdout, c.Stderr = e.Log, e.Log
	return c
}

func (e *Engine) imageExists(ctx context.Context, name string) bool {
	return exec.CommandContext(ctx, e.Path, "image", "inspect", name).Run() == nil
}

// EnsureBase makes sure the base image is present: already there, pulled,
// or, on machines with no registry, made with debootstrap from the Debian
// mirror the system's apt uses.
func (e *Engine) EnsureBase(ctx context.Context) error {
	if e.imageExists(ctx, Base) {
		fmt.Fprintf(e.Log, "docker: base image %s is present\n", Base)
		return nil
	}
	if err := e.cmd(ctx, "pull", "docker.io/library/"+Base).Run(); err == nil {
		if !e.imageExists(ctx, Base) { // podman names it docker.io/library/...
			if err := e.cmd(ctx, "tag", "docker.io/library/"+Base, Base).Run(); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.Log, "docker: pulled base image %s\n", Base)
		return nil
	}
	fmt.Fprintf(e.Log, "docker: cannot pull %s; making it with debootstrap\n", Base)
	return e.debootstrap(ctx)
}

func (e *Engine) debootstrap(ctx context.Context) error {
	db, err := exec.LookPath("debootstrap")
	if err != nil {
		return fmt.Errorf("the base image %s cannot be pulled and debootstrap is not installed (Debian: apt-get install debootstrap)", Base)
	}
	mirror, _ := debian.Mirrors()
	if mirror == "" {
		return fmt.Errorf("the base image %s cannot be pulled and no Debian mirror is configured for debootstrap", Base)
	}
	dir, err := os.MkdirTemp("", "mongoose-ffi-rootfs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	suite, _, _ := strings.Cut(strings.TrimPrefix(Base, "debian:"), "-")
	fmt.Fprintf(e.Log, "docker: debootstrap --variant=minbase %s from %s (a few minutes)\n", suite, mirror)
	var log bytes.Buffer
	boot := exec.CommandContext(ctx, db, "--variant=minbase", suite, dir, mirror)
	boot.Stdout, boot.Stderr = &log, &log
	if err := boot.Run(); err != nil {
		return fmt.Errorf("debootstrap: %w\n%s", err, command.LastLines(log.String(), 20))
	}
	tar := exec.CommandContext(ctx, "tar", "-C", dir, "-c", ".")
	imp := e.cmd(ctx, "import", "-", Base)
	pipe, err := tar.StdoutPipe()
	if err != nil {
		return err
	}
	imp.Stdin = pipe
	if err := tar.Start(); err != nil {
		return err
	}
	if err := imp.Run(); err != nil {
		return fmt.Errorf("importing the base image: %w", err)
	}
	if err := tar.Wait(); err != nil {
		return fmt.Errorf("packing the base image: %w", err)
	}
	fmt.Fprintf(e.Log, "docker: base image %s made with debootstrap\n", Base)
	return nil
}

// Image describes an image built from one of the repository's Dockerfiles.
type Image struct {
	Tag        string
	BuildArgs  []string
	Dockerfile string // relative to the repository root
}

// ImageFor reads the Dockerfile and the pins it uses; the tag is their hash,
// so the image is rebuilt exactly when one of them changes.
func ImageFor(root string) (*Image, error) {
	return imageFor(root, Dockerfile, "mongoose-ffi-toolchain", "ZIG_VERSION="+zig.Version)
}

// imageFor describes the image dockerfile defines, named name: its build
// arguments are go.mod's Go version and extra, and its tag hashes the file,
// the arguments and the host's added CA certificates.
func imageFor(root, dockerfile, name string, extra ...string) (*Image, error) {
	df, err := os.ReadFile(filepath.Join(root, dockerfile))
	if err != nil {
		return nil, err
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	goVersion := ""
	for _, l := range strings.Split(string(gomod), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "toolchain go"); ok {
			goVersion = v
		}
	}
	if goVersion == "" {
		return nil, errors.New("go.mod has no toolchain line: the image's Go version comes from it")
	}
	args := append([]string{"GO_VERSION=" + goVersion}, extra...)
	h := sha256.New()
	h.Write(df)
	for _, a := range args {
		h.Write([]byte("\x00" + a))
	}
	certs := siteCerts()
	names := make([]string, 0, len(certs))
	for n := range certs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h.Write([]byte("\x00" + n + "\x00"))
		h.Write(certs[n])
	}
	return &Image{Tag: name + ":" + hex.EncodeToString(h.Sum(nil))[:12], BuildArgs: args, Dockerfile: dockerfile}, nil
}

// hostCerts is where Debian-like hosts keep locally added CA certificates.
const hostCerts = "/usr/local/share/ca-certificates"

// siteCerts returns the host's locally added CA certificates by name.
func siteCerts() map[string][]byte {
	certs := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join(hostCerts, "*.crt"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			certs[filepath.Base(f)] = b
		}
	}
	return certs
}

// Build builds the image unless a current one exists.
func (e *Engine) Build(ctx context.Context, root string, img *Image, version, revision string) error {
	if e.imageExists(ctx, img.Tag) {
		fmt.Fprintf(e.Log, "docker: image %s is up to date\n", img.Tag)
		return nil
	}
	if err := e.EnsureBase(ctx); err != nil {
		return err
	}
	certs := filepath.Join(root, "docker", "certs")
	if err := os.RemoveAll(certs); err != nil {
		return err
	}
	if err := os.MkdirAll(certs, 0o755); err != nil {
		return err
	}
	for name, b := range siteCerts() {
		if err := os.WriteFile(filepath.Join(certs, name), b, 0o644); err != nil {
			return err
		}
	}
	args := []string{"build", "--network", "host", "-t", img.Tag, "-f", filepath.Join(root, img.Dockerfile)}
	for _, a := range append(img.BuildArgs, "VERSION="+version, "REVISION="+revision) {
		args = append(args, "--build-arg", a)
	}
	args = append(append(args, e.Flags...), filepath.Join(root, "docker"))
	fmt.Fprintf(e.Log, "docker: building %s with %s\n", img.Tag, e.Name)
	if err := e.cmd(ctx, args...).Run(); err != nil {
		return fmt.Errorf("%s build: %w", e.Name, err)
	}
	return nil
}

// Mounts are the host directories the container shares.
type Mounts struct {
	Repo, Cache, GoModCache, GoCache string
	ReadOnly                         map[string]string // host path -> container path
}

// Run runs go tool mage with targets inside the image, as the calling user,
// with the repository and the caches mounted, and env passed through.
func (e *Engine) Run(ctx context.Context, img *Image, m Mounts, env []string, targets ...string) error {
	args := []string{"run", "--rm", "--network", "host", "-w", "/src",
		"-v", m.Repo + ":/src", "-v", m.Cache + ":/cache", "-v", m.GoModCache + ":/gomod", "-v", m.GoCache + ":/gocache"}
	ro := make([]string, 0, len(m.ReadOnly))
	for host, in := range m.ReadOnly {
		ro = append(ro, host+":"+in+":ro")
	}
	sort.Strings(ro)
	for _, v := range ro {
		args = append(args, "-v", v)
	}
	if runtime.GOOS != "windows" {
		// Files written into the repository belong to the caller.
		args = append(args, "--user", fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()))
	}
	for _, v := range env {
		args = append(args, "-e", v)
	}
	args = append(append(args, e.Flags...), img.Tag, "go", "tool", "mage")
	args = append(args, targets...)
	fmt.Fprintf(e.Log, "docker: go tool mage %s (in %s)\n", strings.Join(targets, " "), img.Tag)
	if err := e.cmd(ctx, args...).Run(); err != nil {
		return fmt.Errorf("in the container, go tool mage %s: %w", strings.Join(targets, " "), err)
	}
	return nil
}
