// Package target is the table of platforms the kit builds for. Every
// target-aware step reads this table; nothing else knows about triples.
package target

import (
	"fmt"
	"slices"
	"strings"
)

// Format is the object file format of a target.
type Format string

const (
	ELF   Format = "elf"
	PE    Format = "pe"
	MachO Format = "macho"
)

// Target is one platform the library is built for.
type Target struct {
	OS, Arch string // Go's names
	Zig      string // zig cc -target triple
	OpenSSL  string // OpenSSL Configure target
	Library  string // shared library file name
	Format   Format
}

// The glibc floor is 2.28 (RHEL 8, Debian 10, Ubuntu 18.10): old enough for
// every supported enterprise distribution, new enough for zig's glibc stubs
// and OpenSSL 3.5. macOS 11.0 is the first release that runs on arm64, so one
// floor covers both Mac targets.
var all = []Target{
	{"linux", "amd64", "x86_64-linux-gnu.2.28", "linux-x86_64", "mongoose.so", ELF},
	{"linux", "arm64", "aarch64-linux-gnu.2.28", "linux-aarch64", "mongoose.so", ELF},
	{"windows", "amd64", "x86_64-windows-gnu", "mingw64", "mongoose.dll", PE},
	{"darwin", "amd64", "x86_64-macos.11.0", "darwin64-x86_64-cc", "mongoose.dylib", MachO},
	{"darwin", "arm64", "aarch64-macos.11.0", "darwin64-arm64-cc", "mongoose.dylib", MachO},
}

// All returns every target, in table order.
func All() []Target { return slices.Clone(all) }

// String is the Go os/arch name, as users write it.
func (t Target) String() string { return t.OS + "/" + t.Arch }

// Dir is the name of the target's output directory, e.g. linux_amd64.
func (t Target) Dir() string { return t.OS + "_" + t.Arch }

// Lookup finds a target by its os/arch name.
func Lookup(name string) (Target, bool) {
	for _, t := range all {
		if t.String() == name {
			return t, true
		}
	}
	return Target{}, false
}

// Select parses a comma-separated list such as "linux/amd64,windows/amd64".
// An empty list selects every target. The result keeps table order.
func Select(list string) ([]Target, error) {
	if strings.TrimSpace(list) == "" {
		return All(), nil
	}
	want := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if _, ok := Lookup(name); !ok {
			return nil, fmt.Errorf("unknown target %q; valid targets: %s", name, strings.Join(Names(), ", "))
		}
		want[name] = true
	}
	var out []Target
	for _, t := range all {
		if want[t.String()] {
			out = append(out, t)
		}
	}
	return out, nil
}

// Names lists every target's os/arch name.
func Names() []string {
	var n []string
	for _, t := range all {
		n = append(n, t.String())
	}
	return n
}
