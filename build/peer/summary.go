package peer

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// Summary is what a test run's skip log says, grouped for the closing lines.
type Summary struct {
	Missing []string // one line per missing peer: "h11 (why; install: how)", with its tests
	Absent  []string // one line per peer a target cannot have
	NotHere []string // one line per reason tests did not apply here
	Peers   []string // the missing peers' names
}

// Read groups the log at path by kind and peer (or reason); a missing file
// is an empty summary.
func Read(path string) (*Summary, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Summary{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type group struct {
		kind, head string
		tests      []string
	}
	var order []string
	groups := map[string]*group{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 4)
		if len(parts) != 4 {
			continue
		}
		kind, name, reason, test := parts[0], parts[1], parts[2], parts[3]
		head := reason
		if name != "" {
			head = name + " (" + reason + ")"
		}
		key := kind + "\x00" + head
		g := groups[key]
		if g == nil {
			g = &group{kind: kind, head: head}
			groups[key] = g
			order = append(order, key)
		}
		if !slices.Contains(g.tests, test) {
			g.tests = append(g.tests, test)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	s := &Summary{}
	for _, k := range order {
		g := groups[k]
		line := fmt.Sprintf("%s: %s", g.head, tests(g.tests))
		switch g.kind {
		case Missing:
			s.Missing = append(s.Missing, line)
			name, _, _ := strings.Cut(g.head, " (")
			if !slices.Contains(s.Peers, name) {
				s.Peers = append(s.Peers, name)
			}
		case Absent:
			s.Absent = append(s.Absent, line)
		default:
			s.NotHere = append(s.NotHere, line)
		}
	}
	return s, nil
}

// tests names up to three tests and counts the rest.
func tests(names []string) string {
	slices.Sort(names)
	n := len(names)
	word := "tests"
	if n == 1 {
		word = "test"
	}
	if n > 3 {
		return fmt.Sprintf("%d %s (%s, ...)", n, word, strings.Join(names[:3], ", "))
	}
	return fmt.Sprintf("%d %s (%s)", n, word, strings.Join(names, ", "))
}

// Lines are the summary's lines, missing peers last (nearest the closing
// count): "not run here: ...", "not available on ...: ...", "skipped: ...".
func (s *Summary) Lines() []string {
	var out []string
	for _, l := range s.NotHere {
		out = append(out, "not run here: "+l)
	}
	for _, l := range s.Absent {
		out = append(out, "not available: "+l)
	}
	for _, l := range s.Missing {
		out = append(out, "skipped: "+l)
	}
	return out
}
