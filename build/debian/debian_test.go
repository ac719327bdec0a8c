package debian

import (
	"strings"
	"testing"
)

func TestURIs(t *testing.T) {
	for line, want := range map[string]string{
		"URIs: http://mirror.example/debian":                                    "http://mirror.example/debian",
		"deb [arch=amd64 signed-by=/k.gpg] http://m.example/debian trixie main": "http://m.example/debian",
		"deb http://m.example/debian-security bookworm-security main":           "http://m.example/debian-security",
		"# deb http://commented.example/debian":                                 "",
	} {
		got := strings.Join(uris(line), " ")
		if got != want {
			t.Errorf("uris(%q) = %q, want %q", line, got, want)
		}
	}
}
