package pipeline

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/testrun"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// newRows are targets the kit does not build yet, written as the rows that
// would add them: every step must find what it needs in the row alone.
func newRows(t *testing.T) (riscv, winARM target.Target) {
	linux, _ := target.Lookup("linux/amd64")
	win, ok := target.Lookup("windows/amd64")
	if !ok || linux.Facts == nil {
		t.Fatal("the table lost linux/amd64 or windows/amd64")
	}
	riscv = target.Target{OS: "linux", Arch: "riscv64", Zig: "riscv64-linux-gnu.2.28", OpenSSL: "linux64-riscv64",
		Library: "mongoose.so", Format: target.ELF, Facts: &target.Facts{
			ObjArch: "riscv64", Configure: linux.Configure, ProbeCC: linux.ProbeCC,
			Imports: append(slices.Clone(linux.Imports), target.Import{Pattern: "ld-linux-riscv64-lp64d.so.1", Why: "the dynamic loader"}),
			Emulator: target.Emulator{Runner: []string{"qemu-riscv64", "-L", "/usr/riscv64-linux-gnu"},
				Install: "Debian: apt-get install qemu-user libc6-riscv64-cross"}}}
	winARM = target.Target{OS: "windows", Arch: "arm64", Zig: "aarch64-windows-gnu", OpenSSL: "mingwarm64",
		Library: "mongoose.dll", Format: target.PE, Facts: &target.Facts{
			ObjArch: "arm64", ProbeCC: win.ProbeCC, Defines: win.Defines, Imports: win.Imports,
			Emulator: target.Emulator{Runner: []string{"no-such-wine-arm64"}, Install: "an arm64 Windows host",
				Path: win.Emulator.Path}, Exe: win.Exe}}
	return riscv, winARM
}

func TestANewRowIsAllAStepNeeds(t *testing.T) {
	riscv, winARM := newRows(t)

	// OpenSSL's Configure line and the flags mongoose shares with it.
	args := openssl.Args(riscv)
	if !slices.Contains(args, "-fno-unwind-tables") || !slices.Contains(openssl.CFlags(riscv), "-fno-unwind-tables") {
		t.Errorf("riscv64's Configure options are not in its arguments: %v", args)
	}
	if slices.Contains(openssl.Args(winARM), "-fno-unwind-tables") {
		t.Errorf("windows/arm64 got another row's options: %v", openssl.Args(winARM))
	}

	// What the verifier allows the library to import.
	if !verify.Allowed(riscv, "ld-linux-riscv64-lp64d.so.1") || verify.Allowed(riscv, "ws2_32.dll") {
		t.Error("riscv64's allowed imports are not its row's")
	}
	if !verify.Allowed(winARM, "WS2_32.dll") || verify.Allowed(winARM, "libssl-3-arm64.dll") {
		t.Error("windows/arm64's allowed imports are not its row's")
	}

	// The test runner's emulator legs: every selected row with an emulator.
	table := append(target.All(), riscv, winARM)
	var log strings.Builder
	legs := crossTargets(&log, table, []target.Target{riscv, winARM})
	if len(legs) != 2 || legs[0] != riscv || legs[1] != winARM {
		t.Errorf("cross legs = %v, want [linux/riscv64 windows/arm64]", legs)
	}
	if !strings.Contains(log.String(), "linux/arm64 tests: not selected") {
		t.Errorf("an unselected leg is not reported:\n%s", log.String())
	}

	// A leg whose emulator is missing skips loudly, naming how to get it.
	var out strings.Builder
	err := testrun.Usable(context.Background(), &out, winARM)
	if !errors.Is(err, testrun.ErrSkipped) || !strings.Contains(out.String(), "*** SKIPPED windows/arm64 tests") ||
		!strings.Contains(out.String(), "an arm64 Windows host") {
		t.Errorf("missing emulator: err %v, banner %q", err, out.String())
	}
}

// stageFunc is a stage made of a function, for tests.
type stageFunc struct {
	name string
	run  func(context.Context, *State) error
}

func (f *stageFunc) String() string                          { return f.name }
func (f *stageFunc) Run(ctx context.Context, s *State) error { return f.run(ctx, s) }

func TestStagesRunOnceInDeclaredOrder(t *testing.T) {
	names := map[string]bool{}
	for _, st := range Stages {
		if names[st.String()] {
			t.Errorf("stage %s listed twice", st)
		}
		names[st.String()] = true
	}
	if last := buildStages[len(buildStages)-1]; last != Stage(Build{}) || buildStages[0] != Stage(Sources{}) {
		t.Errorf("build stages = %v, want sources ... library", buildStages)
	}

	s := &State{Out: io.Discard, done: map[string]bool{}}
	runs := 0
	extra := &stageFunc{"extra", func(context.Context, *State) error { runs++; return nil }}
	if err := s.Run(context.Background(), extra); err == nil || !strings.Contains(err.Error(), "pipeline.Stages") {
		t.Errorf("a stage missing from Stages ran: %v", err)
	}
	saved := Stages
	Stages = append(slices.Clone(Stages), extra)
	defer func() { Stages = saved }()
	for range 2 {
		if err := s.Run(context.Background(), extra); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 1 {
		t.Errorf("stage ran %d times in one invocation, want once", runs)
	}

	var banner strings.Builder
	skip := &stageFunc{"skip", func(context.Context, *State) error { return testrun.Skip(&banner, "skip", "no tool") }}
	Stages = append(Stages, skip)
	if err := s.Run(context.Background(), skip); err != nil || !strings.Contains(banner.String(), "*** SKIPPED skip: no tool") {
		t.Errorf("a skipping stage: err %v, banner %q; want no error and the banner", err, banner.String())
	}
}

func TestStageSaysWhichEarlierStageIsMissing(t *testing.T) {
	linux, _ := target.Lookup("linux/amd64")
	s := &State{Out: io.Discard, Targets: []target.Target{linux}, done: map[string]bool{}}
	err := s.Run(context.Background(), Build{})
	if err == nil || !strings.Contains(err.Error(), "needs the sources stage") || !strings.Contains(err.Error(), "needs the zig stage") {
		t.Errorf("library without sources and zig: %v", err)
	}
}

// TestClosingNamesMissingPeers: the summary names each missing peer with
// its install hint, and the last line stays the plain count CI reads.
func TestClosingNamesMissingPeers(t *testing.T) {
	sum := &peer.Summary{Missing: []string{"h11 (no h11; install: pip install h11): 1 test (TestA)"}, Peers: []string{"h11"},
		Absent: []string{"luv (windows/amd64: none): 1 test (TestB)"}, NotHere: []string{"prebuilt: 2 tests (TestC, TestD)"}}
	var b strings.Builder
	closing(&b, sum, 2, 1)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := []string{"not run here: prebuilt: 2 tests (TestC, TestD)", "not available: luv (windows/amd64: none): 1 test (TestB)",
		"skipped: h11 (no h11; install: pip install h11): 1 test (TestA)",
		"missing test peers: h11 (go tool mage peers:install installs them; under CI=true they fail the run)",
		"suites: 2 passed, 0 failed, 2 skipped"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("closing summary:\n%s\nwant:\n%s", b.String(), strings.Join(want, "\n"))
	}
}

// TestNeedsAreEarlierStages: every stage a stage needs comes before it in
// Stages, so Plan's order is the order of work.
func TestNeedsAreEarlierStages(t *testing.T) {
	for st, needs := range Needs {
		for _, n := range needs {
			if slices.Index(Stages, n) < 0 || slices.Index(Stages, n) >= slices.Index(Stages, st) {
				t.Errorf("%s needs %s, which is not earlier in Stages", st, n)
			}
		}
	}
	names := func(p []Stage) string {
		var out []string
		for _, st := range p {
			out = append(out, st.String())
		}
		return strings.Join(out, " ")
	}
	for st, want := range map[Stage]string{
		Release{}: "preflight sources zig openssl build prebuilt verify lint test release",
		Test{}:    "prebuilt lint test",
		Build{}:   "sources zig openssl build",
		Verify{}:  "verify",
	} {
		if got := names(Plan(st)); got != want {
			t.Errorf("Plan(%s) = %s, want %s", st, got, want)
		}
	}
}

// TestMageTargetsRunStages: the magefile states no prerequisites of its
// own (pipeline.Needs does), and every stage runs under some target.
func TestMageTargetsRunStages(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "magefile.go"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(src), "mg.SerialCtxDeps") || strings.Contains(string(src), "mg.Deps") {
		t.Error("magefile.go names prerequisites itself; pipeline.Needs is where they are declared")
	}
	reached := map[Stage]bool{}
	for _, st := range Stages {
		if strings.Contains(string(src), "pipeline.Run(ctx, pipeline."+reflect.TypeOf(st).Name()+"{})") {
			for _, p := range Plan(st) {
				reached[p] = true
			}
		}
	}
	for _, st := range Stages {
		if !reached[st] {
			t.Errorf("no mage target runs the %s stage (pipeline.%s), nor a stage that needs it", st, reflect.TypeOf(st).Name())
		}
	}
}

// TestCrossTargetsLeaveOutTheHost: a row with an emulator is tested under
// it only from another host; on its own (an arm64 runner) the native run
// tests it.
func TestCrossTargetsLeaveOutTheHost(t *testing.T) {
	host, err := target.Host()
	if err != nil {
		t.Skip(err)
	}
	facts := *host.Facts
	facts.Emulator = target.Emulator{Runner: []string{"emu"}}
	emulatedHost := host
	emulatedHost.Facts = &facts
	// The host's row, given an emulator, and selected.
	if got := crossTargets(io.Discard, []target.Target{emulatedHost}, []target.Target{emulatedHost}); len(got) != 0 {
		t.Errorf("crossTargets = %v; the host's own row must not be emulated", got)
	}
}
