package repro

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
)

func TestPrefixWriter(t *testing.T) {
	var b strings.Builder
	w := &prefixWriter{w: &b, prefix: "[A] ", bol: true}
	for _, s := range []string{"one\ntw", "o\n", "", "three\nfour"} {
		if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got, want := b.String(), "[A] one\n[A] two\n[A] three\n[A] four"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func writeLib(t *testing.T, dir, key, lib string) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, mongoose.ManifestFile), []byte(`{"key":"`+key+`"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "mongoose.so"), []byte(lib), 0o644)
}

func TestCompareOut(t *testing.T) {
	tg, _ := target.Lookup("linux/amd64")
	root := t.TempDir()
	fresh, out := filepath.Join(root, "fresh"), filepath.Join(root, "out")
	writeLib(t, fresh, "k1", "library")

	if h, note := compareOut(out, fresh, tg); h != "" || note != "none" {
		t.Errorf("no out/: %q, %q", h, note)
	}
	writeLib(t, out, "k0", "older library")
	if h, note := compareOut(out, fresh, tg); h != "" || note != "other inputs" {
		t.Errorf("out/ from other inputs: %q, %q", h, note)
	}
	writeLib(t, out, "k1", "tampered library")
	h, _ := compareOut(out, fresh, tg)
	a, _ := source.FileSHA256(filepath.Join(fresh, "mongoose.so"))
	r := Row{Target: tg, A: a, B: a, Out: h}
	if h == "" || r.OK() {
		t.Errorf("a different library built from the same inputs passed: %+v", r)
	}
	r.Out = a
	if !r.OK() {
		t.Errorf("identical libraries failed: %+v", r)
	}
}
