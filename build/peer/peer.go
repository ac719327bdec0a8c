// Package peer declares the programs the tests talk to (test peers): how a
// test finds one and how `go tool mage peers:install` installs it. A test
// that needs a peer calls Need: present, it gets its path; missing, the test
// skips and the skip is logged for `go tool mage test`'s closing summary, or
// under CI=true fails, naming the peer and how to install it. What a target
// cannot have at all is declared in its row (target.Facts.Lacks, or its
// Emulator's), and reported as such rather than skipped.
package peer

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// Environment variables this package reads.
const (
	// CIEnv set to "true" (as every CI service sets it) makes a missing peer
	// fail its test instead of skipping it.
	CIEnv = "CI"
	// LogEnv names the file Need appends skips to; `go tool mage test` sets
	// it and reads the file for its summary.
	LogEnv = "MONGOOSE_FFI_SKIP_LOG"
	// EmulatedEnv names the target an emulated test binary runs as (set by
	// build/testrun): its Emulator's Lacks apply as well as the row's.
	EmulatedEnv = "MONGOOSE_FFI_TEST_EMULATED"
	// LuaJITEnv names the luajit to use instead of the one on PATH (the
	// kit's cross-built one in the Wine leg).
	LuaJITEnv = "MONGOOSE_FFI_TEST_LUAJIT"
)

// Peer is one program the tests need.
type Peer struct {
	Name string // as targets' Lacks and the summary name it
	// find returns the path to use, or why there is none.
	find func() (string, error)
	// Install says how to get it on each GOOS ("" for any other); Packages
	// are what peers:install asks the OS's package manager for.
	Install  map[string]string
	Packages map[string][]string // "apt", "brew", "pip" -> packages
	// Builds is set for a peer only tests that build the library use: a
	// prebuilt run does not need it.
	Builds bool
}

func (p *Peer) String() string { return p.Name }

// TB is the part of testing.TB this package uses (the kit's own binaries
// import it too, and keep the testing package out of them).
type TB interface {
	Helper()
	Name() string
	Logf(format string, args ...any)
	Skip(args ...any)
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// The peers. Names are what the summary, CI's failures and targets' Lacks say.
var (
	Curl = &Peer{Name: "curl", find: lookPath("curl"),
		Install:  map[string]string{"linux": "apt-get install curl", "": "curl ships with macOS and Windows 10+"},
		Packages: map[string][]string{"apt": {"curl"}}}
	OpenSSL = &Peer{Name: "openssl", find: findOpenSSL,
		Install:  map[string]string{"linux": "apt-get install openssl", "darwin": "brew install openssl@3", "windows": "choco install openssl"},
		Packages: map[string][]string{"apt": {"openssl"}, "brew": {"openssl@3"}}}
	H11 = &Peer{Name: "h11", find: findH11,
		Install: map[string]string{"linux": "apt-get install python3-h11, or python3 -m pip install --user h11",
			"windows": "python -m pip install --user h11", "": "python3 -m pip install --user h11"},
		Packages: map[string][]string{"apt": {"python3-h11"}, "pip": {"h11"}}}
	LuaJIT = &Peer{Name: "luajit", find: findLuaJIT,
		Install: map[string]string{"linux": "apt-get install luajit", "darwin": "brew install luajit",
			"windows": "put the kit's luajit.exe on PATH: CI's build job uploads it (artifact luajit-windows_amd64); " +
				"MONGOOSE_FFI_TARGETS=windows/amd64 go tool mage luajit builds it where zig, make and perl are"},
		Packages: map[string][]string{"apt": {"luajit"}, "brew": {"luajit"}}}
	Luv = &Peer{Name: "luv", find: findLuv,
		Install:  map[string]string{"linux": "apt-get install lua-luv", "darwin": "brew install luv"},
		Packages: map[string][]string{"apt": {"lua-luv"}, "brew": {"luv"}}}
	Valgrind = &Peer{Name: "valgrind", find: lookPath("valgrind"), Builds: true,
		Install:  map[string]string{"linux": "apt-get install valgrind"},
		Packages: map[string][]string{"apt": {"valgrind"}}}
	Git = &Peer{Name: "git", find: lookPath("git"),
		Install:  map[string]string{"linux": "apt-get install git", "": "install git from git-scm.com"},
		Packages: map[string][]string{"apt": {"git"}}}
)

// All lists every peer (luv after luajit: its check runs luajit).
var All = []*Peer{Curl, OpenSSL, H11, LuaJIT, Luv, Valgrind, Git}

// Lookup finds a peer by name.
func Lookup(name string) (*Peer, bool) {
	for _, p := range All {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// HowToInstall is the install hint for this OS.
func (p *Peer) HowToInstall() string {
	if h, ok := p.Install[runtime.GOOS]; ok {
		return h
	}
	if h := p.Install[""]; h != "" {
		return h
	}
	return "no package is known for " + runtime.GOOS
}

// Find returns the peer's path, or an error saying why it is missing.
func (p *Peer) Find() (string, error) { return p.find() }

// Lacks reports why the running test binary's target cannot have p at all
// (declared in the target table), or "". An emulated binary lacks what its
// target's row lacks and what its emulator does.
func Lacks(p *Peer) (where, why string) {
	if name := os.Getenv(EmulatedEnv); name != "" {
		if t, ok := target.Lookup(name); ok && len(t.Emulator.Runner) > 0 {
			where = t.String() + " under " + t.Emulator.Runner[0]
			if why = t.Emulator.Lacks[p.Name]; why == "" {
				why = t.Lacks[p.Name]
			}
			return where, why
		}
	}
	t, err := target.Host()
	if err != nil {
		return runtime.GOOS + "/" + runtime.GOARCH, ""
	}
	return t.String(), t.Lacks[p.Name]
}

// CI reports whether missing peers fail (CI=true).
func CI() bool { return os.Getenv(CIEnv) == "true" }

// Need returns p's path for the test. Where the target lacks p by
// declaration the test skips, logged as such; where p is missing it skips,
// logged for the summary, or under CI=true fails.
func Need(t TB, p *Peer) string {
	t.Helper()
	if where, why := Lacks(p); why != "" {
		Record(t, Absent, p.Name, where+": "+why)
		t.Skipf("not on %s: %s (%s)", where, p.Name, why)
	}
	path, err := p.find()
	if err == nil {
		return path
	}
	reason := fmt.Sprintf("%v; install: %s, or run `go tool mage peers:install`", err, p.HowToInstall())
	if CI() {
		t.Fatalf("missing test peer %s under %s=true: %s", p.Name, CIEnv, reason)
	}
	Record(t, Missing, p.Name, reason)
	t.Skipf("SKIPPED: missing test peer %s: %s", p.Name, reason)
	return ""
}

// Skip skips a test that does not apply to this run (-short, a prebuilt
// library, another OS), logged so the summary counts it.
func Skip(t TB, reason string) {
	t.Helper()
	Record(t, NotHere, "", strings.TrimPrefix(reason, "SKIPPED: "))
	t.Skip(reason)
}

// Kinds of skip in the log.
const (
	Missing = "missing" // a peer that could be installed is not
	Absent  = "absent"  // the target cannot have the peer (its row says why)
	NotHere = "nothere" // the test does not apply to this run
)

// Record appends one skip to the file $MONGOOSE_FFI_SKIP_LOG names, if any.
func Record(t TB, kind, name, reason string) {
	log := os.Getenv(LogEnv)
	if log == "" {
		return
	}
	f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("%s=%s: %v", LogEnv, log, err)
	}
	defer f.Close()
	line := strings.Join([]string{kind, name, oneLine(reason), t.Name()}, "\t") + "\n"
	if _, err := f.WriteString(line); err != nil { // one write: appends from parallel tests stay whole
		t.Fatalf("%s=%s: %v", LogEnv, log, err)
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\t", " ")), " ")
}

func lookPath(name string) func() (string, error) {
	return func() (string, error) {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("no %s on PATH", name)
		}
		return p, nil
	}
}

// pythons are the interpreters tried for h11, in order: the first that
// imports it wins (a pyenv or Homebrew python3 may lack what Debian's has).
func pythons() []string {
	names := []string{"python3", "python", "/usr/bin/python3"}
	if runtime.GOOS == "windows" {
		names = []string{"python", "py", "python3"} // python3 may be the Store's stub
	}
	var out, seen []string
	for _, name := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			real = p
		}
		if !slices.Contains(seen, real) {
			seen = append(seen, real)
			out = append(out, p)
		}
	}
	return out
}

// findOpenSSL returns an OpenSSL openssl command: macOS's is LibreSSL's,
// whose s_client does not resume TLS 1.3; Homebrew's keg is not on PATH.
func findOpenSSL() (string, error) {
	var tried []string
	for _, c := range []string{"openssl", "/opt/homebrew/opt/openssl@3/bin/openssl", "/usr/local/opt/openssl@3/bin/openssl"} {
		p, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		out, err := exec.Command(p, "version").Output()
		if err == nil && strings.HasPrefix(string(out), "OpenSSL ") {
			return p, nil
		}
		tried = append(tried, fmt.Sprintf("%s is %q", p, firstLine(out)))
	}
	if len(tried) == 0 {
		return "", fmt.Errorf("no openssl on PATH")
	}
	return "", fmt.Errorf("no OpenSSL's openssl: %s", strings.Join(tried, ", "))
}

func findH11() (string, error) {
	ps := pythons()
	if len(ps) == 0 {
		return "", fmt.Errorf("no python3 on PATH")
	}
	for _, p := range ps {
		if exec.Command(p, "-c", "import h11").Run() == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s cannot import h11", strings.Join(ps, ", "))
}

func findLuaJIT() (string, error) {
	if p := os.Getenv(LuaJITEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", LuaJITEnv, p, err)
		}
		return p, nil
	}
	return lookPath("luajit")()
}

// findLuv returns the luajit that loads luv.
func findLuv() (string, error) {
	lj, err := findLuaJIT()
	if err != nil {
		return "", fmt.Errorf("luv needs luajit: %w", err)
	}
	if out, err := exec.Command(lj, "-e", `require("luv")`).CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s cannot load luv: %s", lj, firstLine(out))
	}
	return lj, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// Optional is Need for a peer a test can do without where its target lacks
// it: there it reports false (logged as not available); elsewhere a
// missing peer skips or fails the test as with Need.
func Optional(t TB, p *Peer) bool {
	t.Helper()
	if where, why := Lacks(p); why != "" {
		Record(t, Absent, p.Name, where+": "+why)
		t.Logf("not on %s: %s (%s); the parts that need it are left out", where, p.Name, why)
		return false
	}
	Need(t, p)
	return true
}

// Emulated reports whether this test binary runs under an emulator.
func Emulated() bool { return os.Getenv(EmulatedEnv) != "" }
