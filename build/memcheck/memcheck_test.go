package memcheck

import (
	"context"
	"crypto/x509"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/hostlib"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	prebuilt "github.com/mongoose-ffi/mongoose-ffi/build/prebuilt/mode"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/testpki"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig/zigtest"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
)

func TestParse(t *testing.T) {
	s, err := Parse("==1== definitely lost: 1,024 bytes in 2 blocks\n==1== ERROR SUMMARY: 3 errors from 2 contexts")
	if err != nil || s.Errors != 3 || s.DefinitelyLost != 1024 {
		t.Errorf("Parse = %+v, %v", s, err)
	}
	if _, err := Parse("valgrind: cannot start"); err == nil {
		t.Error("a log without a summary parsed")
	}
}

// writePKI writes a CA, a certificate for localhost and 127.0.0.1 (server
// and client use, for mutual TLS) with its key, and an unrelated CA.
func writePKI(t *testing.T, dir string) {
	t.Helper()
	ca, err := testpki.NewCA("memcheck CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := testpki.NewCA("other CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue(testpki.Localhost(x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"ca.pem": ca.PEM, "other-ca.pem": other.PEM, "cert.pem": cert, "key.pem": key} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGlueUnderValgrind compiles the driver against the library built for
// this machine and runs it under valgrind. Where valgrind is not installed
// it skips loudly (.ci/prereqs and the image install it).
func TestGlueUnderValgrind(t *testing.T) {
	if testing.Short() {
		peer.Skip(t, "SKIPPED: -short: builds the library and runs valgrind")
	}
	if prebuilt.On() {
		peer.Skip(t, prebuilt.SkipReason+": compiles its driver with zig")
	}
	vg := peer.Need(t, peer.Valgrind) // a target without valgrind says so in its row
	work := t.TempDir()
	lib, err := hostlib.Build(context.Background(), filepath.Join(work, "out"), io.Discard)
	if err != nil {
		if strings.Contains(err.Error(), "cannot obtain mongoose") {
			peer.Skip(t, "SKIPPED: mongoose's source is not available: set MONGOOSE_SRC (see README)\n"+err.Error())
		}
		t.Fatal(err)
	}
	tg, err := target.Host()
	if err != nil {
		t.Fatal(err)
	}
	libDir := filepath.Dir(lib)
	if err := os.WriteFile(filepath.Join(work, "memcheck.c"), Driver(), 0o644); err != nil {
		t.Fatal(err)
	}
	// -O1 -g and no sanitizers: zig's defaults may add UBSan traps, which
	// valgrind would see as illegal instructions, not as the bugs they are.
	zigtest.Run(t, work, "cc", "-target", tg.Zig, "-std=c11", "-O1", "-g", "-fno-sanitize=all", "-fno-lto",
		"-Wall", "-Werror", "-I", libDir, "memcheck.c", lib, "-Wl,-rpath,"+libDir, "-lpthread", "-o", "memcheck")
	pems, root := filepath.Join(work, "pem"), filepath.Join(work, "www")
	os.Mkdir(pems, 0o755)
	os.Mkdir(root, 0o755)
	writePKI(t, pems)
	os.WriteFile(filepath.Join(root, "hello.txt"), []byte("hello file\n"), 0o644)

	cmd := exec.Command(vg, ValgrindArgs(filepath.Join(work, "memcheck"), pems, root)...)
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	log := string(out)
	s, perr := Parse(log)
	t.Logf("valgrind: %d errors, %d bytes definitely lost", s.Errors, s.DefinitelyLost)
	if err != nil || perr != nil || s.Errors != 0 || s.DefinitelyLost != 0 || !strings.Contains(log, "memcheck: 0 failed checks") {
		t.Fatalf("valgrind memcheck failed (exit: %v; summary: %+v %v):\n%s", err, s, perr, log)
	}
}

// TestDriverCallsEveryFunction keeps the driver complete: every function
// mongoose_ffi.h declares is called in csrc/memcheck.c.
func TestDriverCallsEveryFunction(t *testing.T) {
	decl := regexp.MustCompile(`MG_FFI_API [^(]*?\b(mg_ffi_\w+)\(`)
	names := decl.FindAllStringSubmatch(string(mongoose.Header()), -1)
	if len(names) < 25 {
		t.Fatalf("found only %d functions in mongoose_ffi.h", len(names))
	}
	for _, m := range names {
		if !regexp.MustCompile(`\b` + m[1] + `\(`).Match(Driver()) {
			t.Errorf("the driver never calls %s", m[1])
		}
	}
}
