package peer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/prebuilt/mode"
)

// state is one peer's standing on this machine.
type state struct {
	peer *Peer
	path string // where it is found
	why  string // why it is not needed or cannot be had; "" when it is wanted
	err  error  // why it is missing
}

// survey says of every peer whether it is here, not needed, or missing.
// Where nothing is built (prebuilt), peers only builds use are not needed.
func survey(prebuilt bool) []state {
	var out []state
	for _, p := range All {
		s := state{peer: p}
		if where, why := Lacks(p); why != "" {
			s.why = "not for " + where + ": " + why
		} else if prebuilt && p.Builds {
			s.why = "only tests that build the library use it"
		} else {
			s.path, s.err = p.find()
		}
		out = append(out, s)
	}
	return out
}

// List prints every peer with its path, or why it is not needed, or what
// is missing and how to install it.
func List(out io.Writer, prebuilt bool) {
	for _, s := range survey(prebuilt) {
		switch {
		case s.why != "":
			fmt.Fprintf(out, "%-9s not needed: %s\n", s.peer.Name, s.why)
		case s.err != nil:
			fmt.Fprintf(out, "%-9s MISSING: %v; install: %s\n", s.peer.Name, s.err, s.peer.HowToInstall())
		default:
			fmt.Fprintf(out, "%-9s %s\n", s.peer.Name, s.path)
		}
	}
}

// Install installs every missing peer this machine can have: with apt-get
// (Debian, Ubuntu) or brew (macOS) where one is on PATH, and Python's with
// pip; then checks each again. It fails naming any still missing.
func Install(ctx context.Context, out io.Writer, prebuilt bool) error {
	var missing []*Peer
	for _, s := range survey(prebuilt) {
		if s.why == "" && s.err != nil {
			missing = append(missing, s.peer)
		}
	}
	if len(missing) == 0 {
		fmt.Fprintln(out, "peers: every test peer is installed")
		return nil
	}
	for _, m := range managers {
		if _, err := exec.LookPath(m.name); err != nil {
			continue
		}
		var pkgs []string
		for _, p := range missing {
			pkgs = append(pkgs, p.Packages[m.kind]...)
		}
		if len(pkgs) == 0 {
			continue
		}
		if err := m.install(ctx, out, pkgs); err != nil {
			return fmt.Errorf("installing test peers with %s: %w", m.name, err)
		}
		break // one system package manager
	}
	// Python packages go to the python3 the tests use, if the system's
	// package did not reach it (a pyenv or Homebrew python3).
	if _, err := H11.find(); err != nil && slices.Contains(missing, H11) {
		if err := pipInstall(ctx, out, H11.Packages["pip"]); err != nil {
			return err
		}
	}
	var still []string
	for _, p := range missing {
		if _, err := p.find(); err != nil {
			still = append(still, fmt.Sprintf("%s (%v; install: %s)", p.Name, err, p.HowToInstall()))
		} else {
			fmt.Fprintf(out, "peers: %s installed\n", p.Name)
		}
	}
	if len(still) > 0 {
		return fmt.Errorf("test peers still missing: %s", strings.Join(still, "; "))
	}
	return nil
}

// manager is a system package manager and how it installs.
type manager struct {
	name, kind string
	install    func(ctx context.Context, out io.Writer, pkgs []string) error
}

var managers = []manager{
	{"apt-get", "apt", aptInstall},
	{"brew", "brew", func(ctx context.Context, out io.Writer, pkgs []string) error {
		return run(ctx, out, nil, append([]string{"brew", "install"}, pkgs...)...)
	}},
}

func aptInstall(ctx context.Context, out io.Writer, pkgs []string) error {
	var sudo []string
	if os.Geteuid() != 0 {
		sudo = []string{"sudo"}
	}
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	// A third-party list failing to update (common on CI images) need not
	// stop the install: the distribution's own lists may be fine.
	if err := run(ctx, out, env, append(sudo, "apt-get", "update", "-q")...); err != nil {
		fmt.Fprintf(out, "peers: %v; installing from the lists there are\n", err)
	}
	return run(ctx, out, env, append(sudo, append([]string{"apt-get", "install", "-y", "-q", "--no-install-recommends"}, pkgs...)...)...)
}

// pipInstall installs into the user's site of the first python on PATH
// that takes them and then imports h11; an externally managed one (PEP 668:
// Debian's, Homebrew's) is asked to allow it, as the user site leaves the
// system's packages alone.
func pipInstall(ctx context.Context, out io.Writer, pkgs []string) error {
	ps := pythons()
	if len(ps) == 0 {
		return errors.New("no python3 on PATH for pip to install " + strings.Join(pkgs, " ") + " into")
	}
	var errs []error
	for _, py := range ps {
		args := append([]string{py, "-m", "pip", "install", "--quiet"}, pkgs...)
		// The user's site; an externally managed python asked to allow it;
		// in a virtualenv, which has no user site, the environment's own.
		var err error
		for _, extra := range [][]string{{"--user"}, {"--user", "--break-system-packages"}, nil} {
			if err = run(ctx, out, nil, append(args, extra...)...); err == nil {
				break
			}
		}
		if err == nil {
			if _, err = H11.find(); err == nil {
				return nil
			}
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("pip install %s: %w", strings.Join(pkgs, " "), errors.Join(errs...))
}

func run(ctx context.Context, out io.Writer, env []string, args ...string) error {
	fmt.Fprintf(out, "peers: %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// ListMain and InstallMain are the mage targets peers:list and
// peers:install: on a prebuilt library (MONGOOSE_FFI_PREBUILT=1) the peers
// only builds use are left out.
func ListMain(ctx context.Context) error {
	List(os.Stdout, mode.On())
	return nil
}

func InstallMain(ctx context.Context) error { return Install(ctx, os.Stdout, mode.On()) }
