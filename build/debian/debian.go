// Package debian knows the Debian archive this machine's apt already uses,
// so the kit can reach Debian's packages without naming a mirror itself.
package debian

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// Mirrors finds the Debian archive and security mirrors the system's
// apt already uses (one-line and deb822 formats).
func Mirrors() (mirror, security string) {
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*")
	files = append([]string{"/etc/apt/sources.list"}, files...)
	for _, f := range files {
		if !strings.HasSuffix(f, ".list") && !strings.HasSuffix(f, ".sources") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			for _, u := range uris(sc.Text()) {
				u = strings.TrimRight(u, "/")
				switch {
				case strings.HasSuffix(u, "/debian-security") && security == "":
					security = u
				case strings.HasSuffix(u, "/debian") && mirror == "":
					mirror = u
				}
			}
		}
	}
	return mirror, security
}

func uris(line string) []string {
	line = strings.TrimSpace(line)
	if s, ok := strings.CutPrefix(line, "URIs:"); ok {
		return strings.Fields(s)
	}
	f := strings.Fields(line)
	if len(f) < 2 || (f[0] != "deb" && f[0] != "deb-src") {
		return nil
	}
	for _, w := range f[1:] {
		if !strings.HasPrefix(w, "[") && !strings.HasSuffix(w, "]") && strings.Contains(w, "://") {
			return []string{w}
		}
	}
	return nil
}
