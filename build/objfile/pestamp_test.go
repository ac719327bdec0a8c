package objfile

import (
	"bytes"
	"debug/pe"
	"os"
	"path/filepath"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/zig/zigtest"
)

func TestStampPE(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "a.c")
	os.WriteFile(src, []byte("__declspec(dllexport) int f(void) { return 1; }\n"), 0o644)
	var raw, images [][]byte
	// Two links into different directories: with /Brepro zig derives the
	// stamp from paths, so the raw images differ. Stripped, as the build links.
	for _, sub := range []string{"one", "two"} {
		out := filepath.Join(dir, sub, "a.dll")
		os.MkdirAll(filepath.Dir(out), 0o755)
		zigtest.Run(t, filepath.Dir(out), "cc", "-target", "x86_64-windows-gnu", "-shared", "-s", "-Wl,/Brepro", "-o", out, src)
		b, _ := os.ReadFile(out)
		raw = append(raw, b)
		if err := StampPE(out); err != nil {
			t.Fatal(err)
		}
		f, err := pe.Open(out)
		if err != nil {
			t.Fatalf("stamped image does not parse: %v", err)
		}
		if f.FileHeader.TimeDateStamp == 0 {
			t.Error("stamp is zero")
		}
		f.Close()
		data, _ := os.ReadFile(out)
		images = append(images, data)
	}
	if bytes.Equal(raw[0], raw[1]) {
		t.Log("zig linked identical images before stamping; the check below proves less")
	}
	if !bytes.Equal(images[0], images[1]) {
		t.Error("the same code linked twice differs after stamping")
	}
	bad := filepath.Join(dir, "not.dll")
	os.WriteFile(bad, []byte("hello"), 0o644)
	if err := StampPE(bad); err == nil {
		t.Error("a file that is not PE was accepted")
	}
}
