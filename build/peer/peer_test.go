package peer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// fakeT records what Need does; Skip and Fatal end the call as they end a test.
type fakeT struct {
	name, skipped, fatal string
}

type stop struct{}

func (f *fakeT) Helper()                        {}
func (f *fakeT) Name() string                   { return f.name }
func (f *fakeT) Logf(string, ...any)            {}
func (f *fakeT) Skip(args ...any)               { f.skipped = fmt.Sprint(args...); panic(stop{}) }
func (f *fakeT) Skipf(format string, a ...any)  { f.skipped = fmt.Sprintf(format, a...); panic(stop{}) }
func (f *fakeT) Fatalf(format string, a ...any) { f.fatal = fmt.Sprintf(format, a...); panic(stop{}) }

func call(f *fakeT, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stop); !ok {
				panic(r)
			}
		}
	}()
	fn()
}

var gone = &Peer{Name: "gone", find: func() (string, error) { return "", errors.New("no gone on PATH") },
	Install: map[string]string{"": "apt-get install gone"}}

func TestNeedMissing(t *testing.T) {
	log := filepath.Join(t.TempDir(), "skips.tsv")
	t.Setenv(LogEnv, log)
	t.Setenv(EmulatedEnv, "")

	t.Setenv(CIEnv, "")
	f := &fakeT{name: "TestA"}
	call(f, func() { Need(f, gone) })
	if f.fatal != "" || !strings.Contains(f.skipped, "missing test peer gone") || !strings.Contains(f.skipped, "apt-get install gone") {
		t.Errorf("without CI: skipped %q, fatal %q; want a skip naming the peer and its install", f.skipped, f.fatal)
	}

	t.Setenv(CIEnv, "true")
	f = &fakeT{name: "TestB"}
	call(f, func() { Need(f, gone) })
	if f.skipped != "" || !strings.Contains(f.fatal, "missing test peer gone under CI=true") {
		t.Errorf("CI=true: skipped %q, fatal %q; want a failure naming the peer", f.skipped, f.fatal)
	}

	s, err := Read(log)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Peers) != 1 || s.Peers[0] != "gone" || len(s.Missing) != 1 || !strings.Contains(s.Missing[0], "1 test (TestA)") {
		t.Errorf("summary %+v: want gone missing in TestA alone (CI's failure is no skip)", s)
	}
	if l := s.Lines(); len(l) != 1 || !strings.HasPrefix(l[0], "skipped: gone (no gone on PATH; install: apt-get install gone") {
		t.Errorf("lines %q", l)
	}
}

func TestNeedDeclaredAbsent(t *testing.T) {
	log := filepath.Join(t.TempDir(), "skips.tsv")
	t.Setenv(LogEnv, log)
	t.Setenv(CIEnv, "true") // a declared absence is no failure, even in CI
	t.Setenv(EmulatedEnv, "windows/amd64")
	f := &fakeT{name: "TestCurl"}
	call(f, func() { Need(f, Curl) })
	if f.fatal != "" || !strings.Contains(f.skipped, "not on windows/amd64 under wine: curl") {
		t.Errorf("skipped %q, fatal %q", f.skipped, f.fatal)
	}
	f = &fakeT{name: "TestLuv"}
	var has bool
	call(f, func() { has = Optional(f, Luv) })
	if has || f.skipped != "" || f.fatal != "" {
		t.Errorf("Optional(luv) under Wine: %v, skipped %q, fatal %q; want false and the test going on", has, f.skipped, f.fatal)
	}
	s, err := Read(log)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Peers) != 0 || len(s.Absent) != 2 {
		t.Errorf("summary %+v: want two declared absences, no missing peer", s)
	}
}

func TestNeedPresent(t *testing.T) {
	t.Setenv(EmulatedEnv, "")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	here := &Peer{Name: "here", find: func() (string, error) { return exe, nil }}
	f := &fakeT{name: "TestHere"}
	var got string
	call(f, func() { got = Need(f, here) })
	if got != exe || f.skipped != "" || f.fatal != "" {
		t.Errorf("Need = %q, skipped %q, fatal %q", got, f.skipped, f.fatal)
	}
}

// TestLacksNamePeers: every peer a target row or emulator lacks is one
// this package knows, so that no declaration silently matches nothing.
func TestLacksNamePeers(t *testing.T) {
	for _, tg := range target.All() {
		for _, m := range []map[string]string{tg.Lacks, tg.Emulator.Lacks} {
			for name, why := range m {
				if _, ok := Lookup(name); !ok || why == "" {
					t.Errorf("%s lacks %q (%q): not a peer of build/peer, or no reason", tg, name, why)
				}
			}
		}
	}
}

func TestReadGroups(t *testing.T) {
	log := filepath.Join(t.TempDir(), "skips.tsv")
	lines := "missing\th11\tno h11\tTestA\nmissing\th11\tno h11\tTestB\nmissing\th11\tno h11\tTestB\n" +
		"nothere\t\tprebuilt\tTestC\nabsent\tluv\twindows/amd64: none\tTestD\ntruncated line\n"
	if err := os.WriteFile(log, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Read(log)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"not run here: prebuilt: 1 test (TestC)", "not available: luv (windows/amd64: none): 1 test (TestD)",
		"skipped: h11 (no h11): 2 tests (TestA, TestB)"}
	if got := s.Lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s, err := Read(filepath.Join(t.TempDir(), "none")); err != nil || len(s.Lines()) != 0 {
		t.Errorf("no log: %v, %v", s, err)
	}
}
