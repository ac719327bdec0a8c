package release

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// TestTarGzReaders: one file found wherever the top directory is, a
// missing one named, and a whole archive read under its own top directory.
func TestTarGzReaders(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x_1.0.tar.gz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for name, body := range map[string]string{"x_1.0/": "", "x_1.0/LICENSE.txt": "licence", "x_1.0/a/b": "bee"} {
		h := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}
		if body == "" {
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	f.Close()

	if b, err := fromTarGz(p, "LICENSE.txt"); err != nil || string(b) != "licence" {
		t.Errorf("fromTarGz: %q, %v", b, err)
	}
	if _, err := fromTarGz(p, "NOPE"); err == nil {
		t.Error("fromTarGz found a file the archive lacks")
	}
	files, err := readArchive(p)
	if err != nil || len(files) != 2 || string(files["a/b"]) != "bee" {
		t.Errorf("readArchive: %v, %v", files, err)
	}
}
