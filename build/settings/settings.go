// Package settings is the one table of the environment variables the kit
// reads: each with its default and meaning, its name taken from the
// constant of the package that reads it. `go tool mage env` prints it with
// the values in effect; README's Environment table is checked against it
// (settings_test.go), and so is every variable the code reads.
package settings

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	binding "github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/build/artifacts"
	"github.com/mongoose-ffi/mongoose-ffi/build/bench"
	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/container"
	"github.com/mongoose-ffi/mongoose-ffi/build/fuzz"
	"github.com/mongoose-ffi/mongoose-ffi/build/luajit"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/prebuilt/mode"
	"github.com/mongoose-ffi/mongoose-ffi/build/release"
	"github.com/mongoose-ffi/mongoose-ffi/build/soak"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// Setting is one environment variable.
type Setting struct {
	Name, Meaning, Default string
	// Internal: the kit sets it for its own child processes (tests, the
	// container, GoReleaser); users leave it alone.
	Internal bool
}

// All is every variable the kit reads, users' first, in README's order.
var All = []Setting{
	{Name: config.TargetsEnv, Meaning: "comma-separated targets, e.g. `linux/amd64,windows/amd64`", Default: "all five"},
	{Name: cache.EnvVar, Meaning: "cache root", Default: "user cache dir + `/mongoose-ffi`"},
	{Name: config.JobsEnv, Meaning: "parallel compile jobs", Default: "number of CPUs"},
	{Name: mongoose.LocalEnv, Meaning: "local copy of mongoose: a directory with `mongoose.c`, `mongoose.h` and `LICENSE`", Default: "—"},
	{Name: openssl.LocalEnv, Meaning: "local copy of OpenSSL: directory, or the tarball", Default: "—"},
	{Name: zig.EnvVar, Meaning: "a zig binary to use; must be the pinned version", Default: "found on `PATH`, else installed"},
	{Name: binding.EnvLibrary, Meaning: "the library the Go and Lua bindings load", Default: "beside the executable (Lua: beside `mongoose.lua`), then the OS search path"},
	{Name: luajit.LocalEnv, Meaning: "local copy of LuaJIT's Debian orig tarball, for the Windows Lua tests", Default: "—"},
	{Name: peer.CIEnv, Meaning: "`true`: a missing test peer fails its tests instead of skipping them (see \"Test on your machine\")", Default: "set by CI services"},
	{Name: peer.LuaJITEnv, Meaning: "the luajit the Lua tests run", Default: "`luajit` on `PATH`"},
	{Name: container.EngineEnv, Meaning: "`docker` or `podman` (or a path) for the `docker:` targets", Default: "Docker with a daemon, else Podman"},
	{Name: container.FlagsEnv, Meaning: "extra flags for the engine's `build` and `run`", Default: "—"},
	{Name: container.ArgsEnv, Meaning: "mage targets for `docker:run`, e.g. `\"build verify\"`", Default: "—"},
	{Name: "GITHUB_TOKEN", Meaning: "with a clean `vX.Y.Z` tag on HEAD, `release` publishes; the token `artifacts:download` uses", Default: "unset: a snapshot; `artifacts:download`: `GH_TOKEN`, then `gh auth token`"},
	{Name: "GH_TOKEN", Meaning: "the token `artifacts:download` uses when `GITHUB_TOKEN` is unset", Default: "`gh auth token`"},
	{Name: release.TagEnv, Meaning: "the tag `release` must publish (CI sets it from the pushed tag); refused unless it is on HEAD", Default: "—"},
	{Name: release.GPLEnv, Meaning: "a local copy of the GPLv2 text the release ships (gpl-2.0.txt, or Debian's GPL-2)", Default: "the cache, Debian's `/usr/share/common-licenses/GPL-2`, then gnu.org"},
	{Name: mode.Env, Meaning: "`1`: `test` tests `out/`'s library, building nothing; `0`: always build", Default: "`1` only where perl or make is missing"},
	{Name: artifacts.RunEnv, Meaning: "the CI run `artifacts:download` fetches", Default: "the branch's latest successful run"},
	{Name: artifacts.RepoEnv, Meaning: "`owner/name` for `artifacts:download`", Default: "from `git remote get-url origin`"},
	{Name: artifacts.APIEnv, Meaning: "the GitHub API `artifacts:download` talks to", Default: "`https://api.github.com`"},
	{Name: config.BenchEnv, Meaning: "which `bench` figures run: `http`, `ws`, `tls-handshake`, `tls-resumed`, comma-separated", Default: "all"},
	{Name: fuzz.TimeEnv, Meaning: "how long `go tool mage fuzz` runs each target", Default: "`60s`"},
	{Name: fuzz.TestTimeEnv, Meaning: "how long `go tool mage test` fuzzes each target (`0` skips)", Default: "`3s`"},
	{Name: soak.Env, Meaning: "how long `go tool mage soak` runs", Default: "`60s`"},

	{Name: "GITHUB_REF_TYPE", Meaning: "set by GitHub Actions: `tag` on a tag push, whose name `release` then publishes", Internal: true},
	{Name: "GITHUB_REF_NAME", Meaning: "set by GitHub Actions: the pushed tag", Internal: true},
	{Name: mongoose.TestLibraryEnv, Meaning: "the library the glue tests load (emulated legs, prebuilt runs)", Internal: true},
	{Name: peer.LogEnv, Meaning: "the file tests log their skips to, for `test`'s closing summary", Internal: true},
	{Name: peer.EmulatedEnv, Meaning: "the target an emulated test binary runs as", Internal: true},
	{Name: bench.EnvTLSCert, Meaning: "the bench's Go server's certificate", Internal: true},
	{Name: bench.EnvTLSKey, Meaning: "the bench's Go server's key", Internal: true},
	{Name: soak.MallocEnv, Meaning: "glibc's mmap threshold for the soak's server, so freed memory returns to the OS", Internal: true},
	{Name: release.VersionEnv, Meaning: "the version GoReleaser stamps", Internal: true},
	{Name: release.CommitEnv, Meaning: "the release's commit, for GoReleaser and the SBOM", Internal: true},
	{Name: release.CommitDateEnv, Meaning: "the release's commit date", Internal: true},
	{Name: release.EpochEnv, Meaning: "file times in the archives (the commit's)", Internal: true},
	{Name: release.RunningEnv, Meaning: "set while `release` runs its test stage", Internal: true},
	{Name: release.DockerEnv, Meaning: "marks a `docker:release` run", Internal: true},
	{Name: release.StagedEnv, Meaning: "the version GoReleaser's before hook checked", Internal: true},
}

// Print writes every setting with its value and where it came from.
func Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "variable\tvalue\tmeaning")
	internal := false
	for _, s := range All {
		if s.Internal && !internal {
			internal = true
			fmt.Fprintln(tw, "\t\t")
			fmt.Fprintln(tw, "set by the kit or CI for its own processes:\t\t")
		}
		v, set := os.LookupEnv(s.Name)
		switch {
		case s.Name == "GITHUB_TOKEN" || s.Name == "GH_TOKEN":
			if set {
				v = "(set, not shown)"
			} else {
				v = "(unset) default: " + s.Default
			}
		case !set && s.Internal:
			v = "(unset)"
		case !set:
			v = "(unset) default: " + s.Default
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, v, s.Meaning)
	}
	tw.Flush()
}

// Main is the mage target env.
func Main() error {
	Print(os.Stdout)
	return nil
}

// Markdown is README's Environment table: the users' settings.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| variable | meaning | default |\n|---|---|---|\n")
	for _, s := range All {
		if !s.Internal {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.Name, s.Meaning, s.Default)
		}
	}
	return b.String()
}
