package openssl

import (
	"context"
	"debug/elf"
	"debug/pe"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/debian"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"

	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/objfile"
	prebuilt "github.com/mongoose-ffi/mongoose-ffi/build/prebuilt/mode"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
)

func TestPinAndOptions(t *testing.T) {
	pin, err := Pin()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pin.Version, "3.5.") || pin.Signature == nil {
		t.Errorf("pin %s: want a signed OpenSSL 3.5 LTS release", pin)
	}
	seen := map[string]bool{}
	all := slices.Clone(options)
	for _, o := range linuxAMD64(t).Configure {
		all = append(all, option(o))
	}
	for _, o := range all {
		if seen[o.Arg] || o.Why == "" {
			t.Errorf("option %q is repeated or has no reason", o.Arg)
		}
		seen[o.Arg] = true
	}
	for _, o := range speed {
		if !strings.HasSuffix(o.Arg, ".c") || o.Why == "" {
			t.Errorf("speed %q: want a C source and a reason", o.Arg)
		}
	}
	for _, keep := range []string{"no-tls1_3", "no-tls1_2", "no-ec", "no-chacha", "no-poly1305", "no-asm", "no-ml-kem"} {
		if seen[keep] {
			t.Errorf("%s would break TLS 1.2/1.3 or speed", keep)
		}
	}
}

func TestDebianVersions(t *testing.T) {
	showsrc := `Package: openssl
Version: 3.5.9-1~deb13u1
Files:
 382c 53279637 openssl_3.5.9.orig.tar.gz

Package: openssl
Version: 3.5.7-1~deb13u2
Files:
 36608 53153930 openssl_3.5.7.orig.tar.gz
 1550a 833 openssl_3.5.7.orig.tar.gz.asc

Package: openssl
Version: 3.5.7-1~deb13u3
Checksums-Sha256:
 a8c0 53153930 openssl_3.5.7.orig.tar.gz
`
	got := debian.Versions([]byte(showsrc), "openssl_3.5.7.orig.tar.gz")
	if !slices.Equal(got, []string{"3.5.7-1~deb13u2", "3.5.7-1~deb13u3"}) {
		t.Errorf("debian.Versions = %v", got)
	}
}

// TestPinnedReleaseSignature checks the real tarball against the embedded
// keyring, when the release is in the cache.
func TestPinnedReleaseSignature(t *testing.T) {
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	pin, _ := Pin()
	dir := filepath.Join(cfg.Cache, "sources", pin.Name+"-"+pin.Version)
	if _, err := os.Stat(filepath.Join(dir, pin.Signature.File)); err != nil {
		peer.Skip(t, fmt.Sprintf("SKIPPED: %s is not in the cache (%v): run `go tool mage sources`", pin, err))
	}
	fp, err := source.VerifySignature(filepath.Join(dir, pin.Signature.File), filepath.Join(dir, pin.Signature.Sig), keyring, pin.Signature.Fingerprints)
	if err != nil || !slices.Contains(pin.Signature.Fingerprints, fp) {
		t.Fatalf("signer %q, err %v", fp, err)
	}
}

// TestBuild builds (or finds cached) OpenSSL for a Linux and a Windows
// target and checks every object in the archives.
func TestBuild(t *testing.T) {
	if testing.Short() {
		peer.Skip(t, "SKIPPED: -short: the OpenSSL build takes minutes when not cached")
	}
	if prebuilt.On() {
		peer.Skip(t, prebuilt.SkipReason)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Targets, _ = target.Select("linux/amd64,windows/amd64")
	cfg.Out = testWriter{t}
	ctx := context.Background()
	pin, err := Pin()
	if err != nil {
		t.Fatal(err)
	}
	z, err := zig.Ensure(ctx, cfg.Cache, cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	release, err := Sources(ctx, pin, cfg.Cache, cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{Config: cfg, Zig: z, Pin: pin, Release: release}
	for _, tg := range cfg.Targets {
		r, err := b.Build(ctx, tg)
		if err != nil {
			t.Fatal(err)
		}
		for _, lib := range Libs {
			path := filepath.Join(r.Dir, "lib", lib)
			members, err := objfile.ReadArchive(path)
			if err != nil || len(members) < 20 {
				t.Fatalf("%s: %d members, %v", path, len(members), err)
			}
			for _, m := range members {
				checkObject(t, r.Target, path+"("+m.Name+")", m.Data)
			}
		}
		if _, err := os.Stat(filepath.Join(r.Dir, "include", "openssl", "ssl.h")); err != nil {
			t.Errorf("%s: headers missing: %v", r.Target, err)
		}
		// The build fails when a source built for speed comes out unchanged.
		var rec struct{ Speed []string }
		b, err := os.ReadFile(filepath.Join(r.Dir, "build.json"))
		if err == nil {
			err = json.Unmarshal(b, &rec)
		}
		if err != nil || !slices.Equal(rec.Speed, Speed()) {
			t.Errorf("%s: build.json lists %q built for speed, want %q (%v)", r.Target, rec.Speed, Speed(), err)
		}
	}
}

// checkObject reads the object with the standard library directly, apart
// from objfile, so that a bug there cannot hide a wrong architecture.
func checkObject(t *testing.T, tg target.Target, name string, data []byte) {
	t.Helper()
	r := strings.NewReader(string(data))
	switch tg.Format {
	case target.ELF:
		f, err := elf.NewFile(r)
		if err != nil || f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 || f.Type != elf.ET_REL {
			t.Fatalf("%s: want a 64-bit x86-64 ELF object: %v", name, err)
		}
	case target.PE:
		f, err := pe.NewFile(r)
		if err != nil || f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
			t.Fatalf("%s: want an x86-64 COFF object: %v", name, err)
		}
	}
}

func linuxAMD64(t *testing.T) target.Target {
	tg, ok := target.Lookup("linux/amd64")
	if !ok {
		t.Fatal("no linux/amd64 row")
	}
	return tg
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// TestObjectOf: the object built from a speed source is found by its make
// rule, whatever the target names objects.
func TestObjectOf(t *testing.T) {
	mk := "CFLAGS=-Wall -O3 -Os\n" +
		"crypto/ec/libcrypto-lib-curve25519.obj: ../src/crypto/ec/curve25519.c\n" +
		"\t$(CC) -c -o $@ ../src/crypto/ec/curve25519.c\n" +
		"crypto/ec/libcrypto-lib-x_curve25519.o: ../src/crypto/ec/x_curve25519.c\n" +
		"crypto/ml_kem/libcrypto-lib-ml_kem.o: ../src/crypto/ml_kem/ml_kem.c\n"
	for src, want := range map[string]string{
		"crypto/ec/curve25519.c": "crypto/ec/libcrypto-lib-curve25519.obj",
		"crypto/ml_kem/ml_kem.c": "crypto/ml_kem/libcrypto-lib-ml_kem.o",
		"crypto/ec/missing.c":    "",
	} {
		got, err := objectOf(mk, src)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("objectOf(%s) = %q, %v; want %q", src, got, err, want)
		}
	}
	if v, ok := makeVar(mk, "CFLAGS"); !ok || v != "-Wall -O3 -Os" {
		t.Errorf("makeVar(CFLAGS) = %q, %v", v, ok)
	}
}
