package verify

import (
	"os"
	"strings"
)

// ExportsFile lists a library's exports, one per line, beside it.
const ExportsFile = "exports.txt"

// ParseExports reads an exports list: one name a line, blank lines and
// # comments skipped.
func ParseExports(text string) []string {
	var names []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			names = append(names, l)
		}
	}
	return names
}

// ReadExports reads an exports file (see ParseExports).
func ReadExports(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseExports(string(data)), nil
}
