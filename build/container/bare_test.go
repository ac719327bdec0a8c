package container

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scenario finds one of BareScenarios by name.
func scenario(t *testing.T, name string) BareScenario {
	t.Helper()
	for _, s := range BareScenarios() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no bare scenario %q", name)
	return BareScenario{}
}

// TestBareScenarioChecks: each scenario accepts what the issue asks of its
// run and names what is missing or unexpected otherwise; no container runs.
func TestBareScenarioChecks(t *testing.T) {
	exit1 := errors.New("exit status 1")
	summary := "suites: 9 passed, 0 failed, 3 skipped\n" +
		"skipped: h11 (python3 cannot import h11: no module)\n" +
		"skipped: luajit (no luajit on PATH)\n" +
		"skipped: luv (luv needs luajit)\n"
	ciFail := "--- FAIL: TestH11 (0.00s)\n    h11_test.go:9: missing test peer h11 under CI=true: ...\n" +
		"--- FAIL: TestLua (0.00s)\n    lua_test.go:9: missing test peer luajit under CI=true: ...\n"
	clean := "suites: 12 passed, 0 failed, 0 skipped\n"
	for _, c := range []struct {
		scenario, output string
		runErr           error
		want             []string // substrings of the error; none: it holds
	}{
		{"without CI", summary, nil, nil},
		{"without CI", summary, exit1, []string{"failed, want exit 0", "exit status 1"}},
		{"without CI", "skipped: h11x (other)\nnot skipped: luajit\n", nil,
			[]string{`^skipped: h11\b`, `^skipped: luajit\b`}},
		{"without CI", "skipped: luajit (x)\n", nil, []string{`^skipped: h11\b`}},
		{"with CI=true", ciFail, exit1, nil},
		{"with CI=true", ciFail, nil, []string{"exited 0, want a failure"}},
		{"with CI=true", "--- FAIL: TestH11\n    missing test peer h11 under CI=true\n", exit1,
			[]string{"missing test peer luajit"}},
		{"after peers:install", clean, nil, nil},
		{"after peers:install", clean + "skipped: luv (cannot load luv)\n", nil,
			[]string{"1 line(s) matching", `"skipped: luv (cannot load luv)"`}},
		{"after peers:install", clean + "   skipped: indented is not the summary\n", nil, nil},
		{"after peers:install", "E: Unable to locate package luajit\n", exit1, []string{"failed, want exit 0"}},
	} {
		s := scenario(t, c.scenario)
		err := s.Check(c.output, c.runErr)
		if len(c.want) == 0 {
			if err != nil {
				t.Errorf("%s on %q: %v; want it to hold", c.scenario, c.output, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s on %q: holds; want an error naming %q", c.scenario, c.output, c.want)
			continue
		}
		for _, w := range append(c.want, c.scenario) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s on %q: %v; want it to name %q", c.scenario, c.output, err, w)
			}
		}
		if c.runErr != nil && s.Pass && !errors.Is(err, c.runErr) {
			t.Errorf("%s: %v does not wrap the run's error", c.scenario, err)
		}
	}
}

// TestBareScenariosRunThePrebuiltTest: every scenario ends in the prebuilt
// test, and only the last installs peers first.
func TestBareScenariosRunThePrebuiltTest(t *testing.T) {
	ss := BareScenarios()
	for i, s := range ss {
		if !strings.HasSuffix(s.Script, prebuiltTest) {
			t.Errorf("%s: script %q does not end in %q", s.Name, s.Script, prebuiltTest)
		}
		if strings.Contains(s.Script, installPeers) != (i == len(ss)-1) {
			t.Errorf("%s: script %q; only the last scenario installs peers", s.Name, s.Script)
		}
	}
}

// TestBareImageIsItsOwn: the bare image has its own name and Dockerfile, and
// its tag follows that file, not the toolchain's.
func TestBareImageIsItsOwn(t *testing.T) {
	gomod := "module x\n\ngo 1.26.0\n\ntoolchain go1.26.8\n"
	dir := repo(t, "FROM debian:trixie-slim\n", gomod)
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, BareDockerfile), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("FROM debian:trixie-slim\nRUN true\n")
	a, err := BareImageFor(dir)
	if err != nil {
		t.Fatal(err)
	}
	tc, _ := ImageFor(dir)
	write("FROM debian:trixie-slim\nRUN false\n")
	b, _ := BareImageFor(dir)
	tc2, _ := ImageFor(dir)
	if !strings.HasPrefix(a.Tag, "mongoose-ffi-bare:") || a.Dockerfile != BareDockerfile || tc.Dockerfile != Dockerfile {
		t.Errorf("bare image %+v, toolchain %+v", a, tc)
	}
	if a.Tag == b.Tag || tc.Tag != tc2.Tag {
		t.Errorf("changing %s: bare tag %s -> %s, toolchain %s -> %s", BareDockerfile, a.Tag, b.Tag, tc.Tag, tc2.Tag)
	}
	if strings.Join(a.BuildArgs, " ") != "GO_VERSION=1.26.8" {
		t.Errorf("bare build args %v; want only the Go version", a.BuildArgs)
	}
}
