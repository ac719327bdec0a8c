// Package memcheck runs the glue's C code under valgrind through a C test
// driver (csrc/memcheck.c) that calls every mg_ffi_* function of
// mongoose_ffi.h against the real library: zero errors and zero definite
// leaks, or the test fails. Its one test does it; `go tool mage test` runs it.
package memcheck

import (
	_ "embed"
	"fmt"
	"regexp"
	"strconv"
)

//go:embed csrc/memcheck.c
var driver []byte

// Driver is the C test driver's source.
func Driver() []byte { return driver }

// Valgrind's command line: a driver exit code of 1 is a failed check, 99 a
// memory error or a definite leak.
func ValgrindArgs(bin string, args ...string) []string {
	return append([]string{"--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
		"--show-leak-kinds=definite", "--track-origins=yes", "--num-callers=30", bin}, args...)
}

// Summary is what valgrind's log says.
type Summary struct {
	Errors          int
	DefinitelyLost  int64 // bytes
	SummaryComplete bool
}

var (
	errorsRe = regexp.MustCompile(`ERROR SUMMARY: (\d+) errors`)
	lostRe   = regexp.MustCompile(`definitely lost: ([\d,]+) bytes`)
)

// Parse reads valgrind's summary lines; without a leak summary (nothing
// allocated was left), definite losses are zero.
func Parse(log string) (Summary, error) {
	var s Summary
	m := errorsRe.FindStringSubmatch(log)
	if m == nil {
		return s, fmt.Errorf("no ERROR SUMMARY in valgrind's output")
	}
	s.Errors, _ = strconv.Atoi(m[1])
	s.SummaryComplete = true
	if m := lostRe.FindStringSubmatch(log); m != nil {
		s.DefinitelyLost, _ = strconv.ParseInt(regexp.MustCompile(`,`).ReplaceAllString(m[1], ""), 10, 64)
	}
	return s, nil
}
