// Package target is the table of platforms the kit builds for. Every
// target-aware step reads this table; nothing else knows about triples,
// per-OS options or emulators. Per-format code (link flags, export lists,
// Mach-O demotion, PE stamping) lives beside the step that uses it, keyed by
// the row's Format.
package target

import (
	"fmt"
	"runtime"
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

// Target is one platform the library is built for. Targets compare equal
// when they are the same row, so they serve as map keys.
type Target struct {
	OS, Arch string // Go's names
	Zig      string // zig cc -target triple
	OpenSSL  string // OpenSSL Configure target
	Library  string // shared library file name
	Format   Format
	// The fields above are the target's identity in every cache key; each key
	// lists the other build inputs it depends on itself, so Facts stays out
	// of it (keeping the keys, and so the caches, of earlier builds valid).
	*Facts `json:"-"`
}

// Facts are the rest of a row: everything a step needs to know about a
// target beyond its names.
type Facts struct {
	ObjArch   string   // the architecture as object files name it (objfile.Describe)
	Configure []Option // OpenSSL Configure options added for this target
	NoAVX512  []string // perlasm outputs generated without AVX-512 (see avx512Free)
	ProbeCC   string   // the CC OpenSSL's perlasm probes see (see probeELF)
	Defines   []string // C defines added when compiling mongoose and the glue
	Imports   []Import // the libraries the built library may import
	Emulator  Emulator // runs this target's tests on another host
	Exe       string   // programs' file name suffix (".exe")
	Archive   string   // release archive format, as .goreleaser.yaml's format_overrides say; "": tar.gz
	// Lacks names the test peers (build/peer) the target cannot have natively,
	// and why: tests that need one report it as not available, not as a skip.
	Lacks map[string]string
	// LuaJIT is LuaJIT's TARGET_SYS when the target's OS packages no LuaJIT:
	// the kit builds one for its native tests (build/pipeline's LuaJIT stage).
	LuaJIT string
}

// ArchiveExt is the extension of the target's release archive.
func (t Target) ArchiveExt() string {
	if t.Archive != "" {
		return "." + t.Archive
	}
	return ".tar.gz"
}

// Option is one OpenSSL Configure argument and why it is there.
type Option struct{ Arg, Why string }

// Import is one allowed import of the built library, matched with path.Match
// on the lower-cased name, and why the library needs it.
type Import struct{ Pattern, Why string }

// Emulator runs a target's test binary on a host of another target.
type Emulator struct {
	Runner     []string            // the emulator and its arguments; none: no cross test
	MinVersion int                 // oldest usable major version of "Runner[0] --version", if it matters
	Install    string              // how to get the emulator
	Env        []string            // added to the test's environment
	Path       func(string) string // maps a host path to the emulated one (nil: unchanged)
	// LuaJIT is LuaJIT's TARGET_SYS when the kit builds a luajit for the
	// emulated Lua tests: an emulated test can start it (Wine can;
	// qemu-user without binfmt_misc cannot). "": no Lua tests there.
	LuaJIT string
	// Lacks names the test peers the emulated tests cannot have, and why,
	// beyond what the target's row lacks.
	Lacks map[string]string
}

// noUnwind: no C code unwinds through the library (the glue never calls back
// into the host), so DWARF unwind tables are dead weight: 300 KB of ELF
// .eh_frame. Windows keeps them: x64 SEH needs .pdata on every frame.
var noUnwind = []Option{
	{"-fno-asynchronous-unwind-tables", "no unwinding through the library"},
	{"-fno-unwind-tables", "likewise"},
}

// avx512Free lists the perlasm outputs generated with the assembler probe
// disabled, so that OpenSSL emits its own fallback stubs. The AVX-512
// AES-GCM code is 675 KB, a quarter of the library; on AVX-512 machines
// AES-GCM falls back to the AES-NI + PCLMULQDQ code, still several GB/s per
// core.
var avx512Free = []string{"crypto/modes/aes-gcm-avx512.s"}

// probeCC values are the CC those scripts see. It must fail
// aes-gcm-avx512.pl's probe ("clang version N.N.N" from $CC -v) yet keep
// x86_64-xlate.pl's right: for ELF it must say "clang" to --version (else it
// writes a section syntax clang rejects); for mingw64 it is asked for the
// symbol prefix, which is empty on x86-64. macOS output does not ask.
const (
	probeELF   = "echo clang"
	probeOther = "false"
)

var (
	linuxImports = []Import{
		{"libc.so.6", "the C library"},
		{"libm.so.6", "maths functions"},
		{"libpthread.so.0", "threads and locks (part of libc since glibc 2.34, separate before)"},
		{"libdl.so.2", "dlopen (part of libc since glibc 2.34, separate before)"},
		{"librt.so.1", "clock functions on old glibc"},
		{"ld-linux-x86-64.so.2", "the dynamic loader"},
		{"ld-linux-aarch64.so.1", "the dynamic loader"},
	}
	windowsImports = []Import{
		{"kernel32.dll", "the Win32 base API: files, threads, time"},
		{"ntdll.dll", "native API under kernel32"},
		{"ws2_32.dll", "Winsock: every socket mongoose opens"},
		{"iphlpapi.dll", "network interface queries"},
		{"advapi32.dll", "OpenSSL: registry and event log, RtlGenRandom fallback"},
		{"bcrypt.dll", "OpenSSL: the system random source (BCryptGenRandom)"},
		{"crypt32.dll", "the ROOT certificate store TLS clients trust by default (CertOpenSystemStoreW)"},
		{"user32.dll", "OpenSSL: detecting an interactive window station for fatal errors"},
		{"msvcrt.dll", "the C runtime (older mingw)"},
		{"ucrtbase.dll", "the C runtime"},
		{"api-ms-win-crt-*.dll", "the universal C runtime's API sets"},
	}
	darwinImports = []Import{
		{"/usr/lib/libsystem.b.dylib", "the C library, threads and the kernel interface"},
		{"/system/library/frameworks/*.framework/*", "system frameworks"},
		{"/usr/lib/libresolv.9.dylib", "the DNS resolver"},
	}
)

// windowsDefines: mongoose calls rand_s on Windows, which mingw's stdlib.h
// declares only when asked.
var windowsDefines = []string{"_CRT_RAND_S"}

var (
	// qemu-user runs host programs the test starts (curl, python3) natively,
	// but not a second arm64 one.
	qemuARM64 = Emulator{Runner: []string{"qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"},
		Install: "Debian: apt-get install qemu-user libc6-arm64-cross",
		Lacks:   map[string]string{"luajit": noSecondProgram, "luv": noSecondProgram, "valgrind": noSecondProgram}}
	// Go 1.26 Windows binaries need Wine 9 or newer (bcryptprimitives.dll).
	wine = Emulator{Runner: []string{"wine"}, MinVersion: 9,
		Install: "Wine 9 or newer: Debian trixie's wine, or the container (go tool mage docker:test)",
		Env:     []string{"WINEDEBUG=-all"},
		Path:    WinePath,
		LuaJIT:  "Windows",
		Lacks:   map[string]string{"curl": wineOnly, "openssl": wineOnly, "h11": wineOnly, "git": wineOnly}}
)

// Why a target or emulator lacks a test peer.
const (
	noSecondProgram = "qemu-user cannot start a second arm64 program without binfmt_misc"
	wineOnly        = "Wine starts Windows programs, and the container has no Windows build of it"
	windowsNoLuv    = "no Windows build of luv: the kit cross-builds luajit.exe alone"
	linuxOnly       = "valgrind runs on Linux only"
)

var (
	windowsLacks = map[string]string{"luv": windowsNoLuv, "valgrind": linuxOnly}
	darwinLacks  = map[string]string{"valgrind": linuxOnly}
)

// WinePath is a host path as a Wine program sees it: Wine maps Z: to /.
func WinePath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

// The glibc floor is 2.28 (RHEL 8, Debian 10, Ubuntu 18.10): old enough for
// every supported enterprise distribution, new enough for zig's glibc stubs
// and OpenSSL 3.5. macOS 11.0 is the first release that runs on arm64, so one
// floor covers both Mac targets.
var all = []Target{
	{OS: "linux", Arch: "amd64", Zig: "x86_64-linux-gnu.2.28", OpenSSL: "linux-x86_64", Library: "mongoose.so", Format: ELF,
		Facts: &Facts{ObjArch: "x86-64", Configure: noUnwind, NoAVX512: avx512Free, ProbeCC: probeELF, Imports: linuxImports}},
	{OS: "linux", Arch: "arm64", Zig: "aarch64-linux-gnu.2.28", OpenSSL: "linux-aarch64", Library: "mongoose.so", Format: ELF,
		Facts: &Facts{ObjArch: "arm64", Configure: noUnwind, ProbeCC: probeELF, Imports: linuxImports, Emulator: qemuARM64}},
	{OS: "windows", Arch: "amd64", Zig: "x86_64-windows-gnu", OpenSSL: "mingw64", Library: "mongoose.dll", Format: PE,
		Facts: &Facts{ObjArch: "x86-64", NoAVX512: avx512Free, ProbeCC: probeOther, Defines: windowsDefines, Imports: windowsImports, Emulator: wine,
			Exe: ".exe", Archive: "zip", Lacks: windowsLacks, LuaJIT: "Windows"}},
	{OS: "darwin", Arch: "amd64", Zig: "x86_64-macos.11.0", OpenSSL: "darwin64-x86_64-cc", Library: "mongoose.dylib", Format: MachO,
		Facts: &Facts{ObjArch: "x86-64", Configure: noUnwind, NoAVX512: avx512Free, ProbeCC: probeOther, Imports: darwinImports, Lacks: darwinLacks}},
	{OS: "darwin", Arch: "arm64", Zig: "aarch64-macos.11.0", OpenSSL: "darwin64-arm64-cc", Library: "mongoose.dylib", Format: MachO,
		Facts: &Facts{ObjArch: "arm64", Configure: noUnwind, ProbeCC: probeOther, Imports: darwinImports, Lacks: darwinLacks}},
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

// Host is the target of the machine running the kit.
func Host() (Target, error) {
	t, ok := Lookup(runtime.GOOS + "/" + runtime.GOARCH)
	if !ok {
		return t, fmt.Errorf("no target for this machine (%s/%s); targets: %s", runtime.GOOS, runtime.GOARCH, strings.Join(Names(), ", "))
	}
	return t, nil
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
