package verify

// Corrupted libraries — truncated, bit-flipped, garbage — must give a clear
// error naming the file, or a report, and never a panic.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig/zigtest"
)

// checkAll runs Check on data as a file for one target of each format, and
// fails on an error that does not name the file. A panic fails by itself.
func checkAll(t *testing.T, dir string, data []byte) {
	t.Helper()
	file := filepath.Join(dir, "lib.bin")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"linux/amd64", "windows/amd64", "darwin/arm64"} {
		tg, _ := target.Lookup(name)
		r, err := Check(file, tg, expected)
		if err != nil && !strings.Contains(err.Error(), file) {
			t.Fatalf("Check as %s: error does not name the file: %v", tg, err)
		}
		if err == nil && r == nil {
			t.Fatalf("Check as %s: no report and no error", tg)
		}
	}
}

// parseOK is checkAll's parsing half without the file, for the many
// variants of TestCorruptedLibraries.
func parseOK(t *testing.T, data []byte) {
	t.Helper()
	l, err := parse("lib.bin", data)
	if err != nil && !strings.HasPrefix(err.Error(), "lib.bin: ") {
		t.Fatalf("error does not name the file: %v", err)
	}
	if err == nil && l == nil {
		t.Fatal("no library and no error")
	}
}

// seedLibraries builds the tiny clean library for one target of each format
// with zig: small enough to flip every header bit of.
func seedLibraries(t testing.TB) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.c"), []byte(clean), 0o644)
	libs := map[string][]byte{}
	for _, name := range []string{"linux/amd64", "windows/amd64", "darwin/amd64"} {
		tg, _ := target.Lookup(name)
		out := libFile(tg, "a-"+tg.OS)
		args := []string{"cc", "-target", tg.Zig, "-shared", "-fPIC", "-Os", "-o", out, "a.c"}
		if tg.Format == target.PE { // no C runtime: a 3 KB DLL
			args = append(args, "-nostdlib", "-Wl,--entry=mg_mgr_init")
		}
		zigtest.Run(t, dir, args...)
		b, err := os.ReadFile(filepath.Join(dir, out))
		if err != nil {
			t.Fatal(err)
		}
		libs[string(tg.Format)] = b
	}
	return libs
}

// TestCorruptedLibraries truncates each seed library at every length and
// flips every bit of its first 4 KB (headers and load commands), one at a time.
func TestCorruptedLibraries(t *testing.T) {
	if testing.Short() {
		peer.Skip(t, "SKIPPED: -short: builds seed libraries with zig")
	}
	for format, data := range seedLibraries(t) {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			checkAll(t, dir, data)
			step := max(1, len(data)/2048)
			for n := 0; n < len(data); n += step {
				parseOK(t, data[:n])
			}
			b := bytes.Clone(data)
			for i := 0; i < min(len(b), 4096); i++ {
				for bit := 0; bit < 8; bit++ {
					b[i] ^= 1 << bit
					parseOK(t, b)
					b[i] ^= 1 << bit
				}
			}
		})
	}
}

// FuzzCheck feeds Check a file made of head, gap zero bytes, then tail: the
// gap keeps page-aligned seeds (Mach-O) small in the checked-in corpus,
// testdata/fuzz/FuzzCheck: the tiny libraries of seedLibraries, whole,
// truncated and bit-flipped, and each input that once made Check panic.
func FuzzCheck(f *testing.F) {
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, head []byte, gap uint16, tail []byte) {
		data := make([]byte, 0, len(head)+int(gap)+len(tail))
		data = append(data, head...)
		data = append(data, make([]byte, gap)...)
		data = append(data, tail...)
		checkAll(t, dir, data)
	})
}
