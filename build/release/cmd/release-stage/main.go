// Command release-stage is run by GoReleaser (.goreleaser.yaml): its before
// hook stages what the archives hold beside the libraries, and its sboms
// entry writes the release's CycloneDX SBOM.
//
//	release-stage prepare -version V
//	release-stage sbom -version V -o FILE
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
	"github.com/mongoose-ffi/mongoose-ffi/build/release"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "release-stage: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "prepare" && args[0] != "sbom") {
		return fmt.Errorf("usage: release-stage prepare|sbom -version V [-o FILE]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	version := fs.String("version", "", "the release's version")
	out := fs.String("o", "", "where to write the SBOM (sbom)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *version == "" {
		return fmt.Errorf("-version is required")
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	c, err := commit(ctx, root)
	if err != nil {
		return err
	}
	switch args[0] {
	case "prepare":
		// Under `go tool mage release` the package stage staged already,
		// from the sources the pipeline verified.
		if os.Getenv(release.StagedEnv) == *version {
			return release.CheckStaged(root, *version)
		}
		dir, err := cache.Dir()
		if err != nil {
			return err
		}
		in, err := release.LoadInputs(ctx, dir)
		if err != nil {
			return err
		}
		return release.StageFiles(ctx, root, *version, c, in)
	default:
		if *out == "" {
			return fmt.Errorf("-o is required")
		}
		mgPin, err := mongoose.Pin()
		if err != nil {
			return err
		}
		osslPin, err := openssl.Pin()
		if err != nil {
			return err
		}
		b, err := release.SBOM(root, *version, c, mgPin, osslPin)
		if err != nil {
			return err
		}
		// The archives carry the staged copy: both must be the same document.
		staged, err := os.ReadFile(filepath.Join(root, release.Staged, release.SBOMFile))
		if err != nil || string(staged) != string(b) {
			return fmt.Errorf("the SBOM in %s differs from the one the archives hold (%v): run the whole release again", release.Staged, err)
		}
		return cache.WriteFile(*out, b, 0o644)
	}
}

// repoRoot is the directory holding .goreleaser.yaml: the working directory
// for the before hook, its parent for the SBOM command (run in dist/).
func repoRoot() (string, error) {
	for _, d := range []string{".", ".."} {
		if cache.Exists(filepath.Join(d, ".goreleaser.yaml")) {
			return filepath.Abs(d)
		}
	}
	return "", fmt.Errorf("no .goreleaser.yaml here or in the parent directory: run from the repository")
}

// commit comes from the environment `go tool mage release` sets, else git.
func commit(ctx context.Context, root string) (release.Commit, error) {
	h, t := os.Getenv(release.CommitEnv), os.Getenv(release.EpochEnv)
	if h != "" && t != "" {
		sec, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return release.Commit{}, fmt.Errorf("%s=%q: %w", release.EpochEnv, t, err)
		}
		return release.Commit{Hash: h, Time: time.Unix(sec, 0).UTC()}, nil
	}
	_, c, err := release.ReadState(ctx, root)
	return c, err
}
