package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/zig/zigtest"
)

// build makes a Linux x86-64 shared library from C code with zig.
func build(t *testing.T, dir, name, code string) string {
	t.Helper()
	os.WriteFile(filepath.Join(dir, name+".c"), []byte(code), 0o644)
	zigtest.Run(t, dir, "cc", "-target", "x86_64-linux-gnu.2.28", "-shared", "-fPIC", "-o", name+".so", name+".c")
	return filepath.Join(dir, name+".so")
}

func TestVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	good := build(t, dir, "good", "int mg_mgr_init(void){return 0;}\nint mg_mgr_poll(void){return 0;}\nint mg_ffi_poll(void){return 0;}\n")
	bad := build(t, dir, "bad", "int mg_mgr_init(void){return 0;}\nint mg_mgr_poll(void){return 0;}\nint SSL_CTX_new(void){return 0;}\n")
	exports := filepath.Join(dir, "want.txt")
	os.WriteFile(exports, []byte("# required\nmg_mgr_init\nmg_ffi_poll\n"), 0o644)

	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "usage"},
		{"unknown command", []string{"frob"}, 2, `unknown command "frob"`},
		{"no library", []string{"verify"}, 2, "usage: mongoose-ffi verify"},
		{"clean, inferred target", []string{"verify", good}, 0, "linux/amd64"},
		{"clean, exports file", []string{"verify", "-exports", exports, good}, 0, "2/2"},
		{"leak", []string{"verify", bad}, 1, "OpenSSL symbols exported (1): SSL_CTX_new"},
		{"missing export", []string{"verify", "-exports", exports, bad}, 1, "missing exports (1): mg_ffi_poll"},
		{"wrong target", []string{"verify", "-target", "darwin/arm64", good}, 1, "want macho arm64"},
		{"unknown target", []string{"verify", "-target", "plan9/386", good}, 2, "valid targets"},
		{"missing file", []string{"verify", filepath.Join(dir, "nope.so")}, 2, "nope.so"},
	} {
		var out, errb bytes.Buffer
		code := run(c.args, &out, &errb)
		all := out.String() + errb.String()
		if code != c.code || !strings.Contains(all, c.want) {
			t.Errorf("%s: exit %d, want %d; output lacks %q:\n%s", c.name, code, c.code, c.want, all)
		}
	}
}
