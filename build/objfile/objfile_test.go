package objfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

func header(name string, size int) string {
	return fmt.Sprintf("%-16s%-12s%-6s%-6s%-8s%-10d`\n", name, "0", "0", "0", "644", size)
}

func pad(s string) string {
	if len(s)%2 == 1 {
		return s + "\n"
	}
	return s
}

func TestReadArchiveNameForms(t *testing.T) {
	long := "a-very-long-object-name-indeed.o/\n"
	ar := "!<arch>\n" +
		header("/", 4) + "\x00\x00\x00\x00" + // symbol table: skipped
		header("//", len(long)) + pad(long) +
		header("short.o/", 3) + pad("abc") +
		header("/0", 2) + "de" +
		header("#1/12", 12+1) + pad("bsd-name.o\x00\x00f")
	path := filepath.Join(t.TempDir(), "x.a")
	os.WriteFile(path, []byte(ar), 0o644)
	ms, err := ReadArchive(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Name+"="+string(m.Data))
	}
	want := "short.o=abc a-very-long-object-name-indeed.o=de bsd-name.o=f"
	if strings.Join(got, " ") != want {
		t.Errorf("members = %q, want %q", strings.Join(got, " "), want)
	}
}

func TestCheckArchiveRefusesForeignObjects(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.a")
	os.WriteFile(path, []byte("!<arch>\n"+header("junk.o/", 4)+"junk"), 0o644)
	tg, _ := target.Lookup("linux/amd64")
	if _, err := CheckArchive(path, tg); err == nil || !strings.Contains(err.Error(), "junk.o") {
		t.Errorf("err = %v; want the bad member named", err)
	}
	os.WriteFile(path, []byte("not an archive"), 0o644)
	if _, err := CheckArchive(path, tg); err == nil {
		t.Error("a non-archive passed")
	}
}
