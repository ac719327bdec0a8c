package source

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/mongoose-ffi/mongoose-ffi/build/download"
)

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestParseRejectsBadPins(t *testing.T) {
	good := `{"name":"x","version":"1","files":[{"name":"a.c","sha256":"` + strings.Repeat("a", 64) + `","urls":["https://e/a.c"]}]}`
	if _, err := Parse([]byte(good), "good.json"); err != nil {
		t.Fatalf("good pin refused: %v", err)
	}
	for name, bad := range map[string]string{
		"short hash":    strings.Replace(good, strings.Repeat("a", 64), "abc", 1),
		"path in name":  strings.Replace(good, `"a.c"`, `"../a.c"`, 1),
		"plain http":    strings.Replace(good, "https://", "http://", 1),
		"unknown field": strings.Replace(good, `"name":"x"`, `"name":"x","shaa":1`, 1),
		"no version":    strings.Replace(good, `"version":"1"`, `"version":""`, 1),
		"unpinned sig":  strings.Replace(good, `]}]}`, `]}],"signature":{"file":"a.c","signature":"a.c.asc","fingerprints":["`+strings.Repeat("A", 40)+`"]}}`, 1),
	} {
		if _, err := Parse([]byte(bad), "bad.json"); err == nil || !strings.Contains(err.Error(), "bad.json") {
			t.Errorf("%s: err = %v; want an error naming bad.json", name, err)
		}
	}
}

// fixture is a two-file release served upstream by a local TLS server.
type fixture struct {
	pin   *Pin
	files map[string][]byte
	srv   *httptest.Server
	hits  map[string]int
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{files: map[string][]byte{"lib.c": []byte("int x;\n"), "lib.h": []byte("extern int x;\n")}, hits: map[string]int{}}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		f.hits[filepath.Base(name)]++
		b, ok := f.files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(f.srv.Close)
	old := download.Client
	download.Client = f.srv.Client()
	t.Cleanup(func() { download.Client = old })
	f.pin = &Pin{Name: "lib", Version: "1.0"}
	for _, n := range []string{"lib.c", "lib.h"} {
		f.pin.Files = append(f.pin.Files, File{Name: n, SHA256: sum(f.files[n]), URLs: []string{f.srv.URL + "/gone/" + n, f.srv.URL + "/" + n}})
	}
	return f
}

func (f *fixture) request(t *testing.T) *Request {
	t.Setenv("LIB_SRC", "")
	return &Request{Pin: f.pin, Cache: t.TempDir(), LocalEnv: "LIB_SRC", Log: io.Discard}
}

func TestObtainDownloadsThenUsesCache(t *testing.T) {
	f := newFixture(t)
	r := f.request(t)
	dir, err := r.Obtain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "lib.c")); !bytes.Equal(got, f.files["lib.c"]) {
		t.Errorf("lib.c = %q", got)
	}
	if _, err := r.Obtain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.hits["lib.c"] != 2 { // one 404 at /gone/, one success; nothing on the cached run
		t.Errorf("lib.c was requested %d times; want 2 (a 404, then one download)", f.hits["lib.c"])
	}
}

func TestObtainRefusesTamperedCopies(t *testing.T) {
	f := newFixture(t)
	r := f.request(t)
	local := t.TempDir()
	os.WriteFile(filepath.Join(local, "lib.c"), []byte("int x = 1; /* evil */\n"), 0o644)
	t.Setenv("LIB_SRC", filepath.Join(local, "lib.c"))
	_, err := r.Obtain(context.Background())
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Want != f.pin.Files[0].SHA256 || !strings.Contains(err.Error(), filepath.Join(local, "lib.c")) {
		t.Fatalf("err = %v; want a checksum error naming the local file and both hashes", err)
	}
	if ents, _ := os.ReadDir(r.Cache); len(ents) > 0 {
		if ents, _ := os.ReadDir(filepath.Join(r.Cache, "sources")); len(ents) > 0 {
			t.Errorf("a refused source left %v in the cache", ents)
		}
	}

	// A cached file changed after verification is refused too.
	t.Setenv("LIB_SRC", "")
	dir, err := r.Obtain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "lib.h"), []byte("tampered"), 0o644)
	if _, err := r.Obtain(context.Background()); !errors.As(err, &ce) || !strings.Contains(err.Error(), "delete") {
		t.Errorf("err = %v; want a checksum error telling the user to delete the cache entry", err)
	}
}

func TestObtainFromLocalCopyAndFallback(t *testing.T) {
	f := newFixture(t)
	f.files = map[string][]byte{"lib.c": f.files["lib.c"], "lib.h": f.files["lib.h"]}
	r := f.request(t)
	local := t.TempDir()
	os.WriteFile(filepath.Join(local, "lib.c"), f.files["lib.c"], 0o644)
	t.Setenv("LIB_SRC", local)
	delete(f.files, "lib.h") // upstream lost it; the fallback has it under another name
	f.pin.Files[1].Aliases = []string{"lib_1.0.orig.h"}
	r.Fallbacks = []Fallback{{Name: "mirror", Fetch: func(ctx context.Context, dir string) error {
		return os.WriteFile(filepath.Join(dir, "lib_1.0.orig.h"), []byte("extern int x;\n"), 0o644)
	}}}
	if _, err := r.Obtain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.hits["lib.c"] != 0 {
		t.Errorf("lib.c was downloaded though the local copy had it")
	}
}

func TestObtainListsEveryPlaceTried(t *testing.T) {
	f := newFixture(t)
	f.files = map[string][]byte{}
	r := f.request(t)
	r.Fallbacks = []Fallback{{Name: "mirror", Fetch: func(context.Context, string) error { return errors.New("offline") }}}
	_, err := r.Obtain(context.Background())
	if err == nil {
		t.Fatal("no error for a source that is nowhere")
	}
	if !errors.Is(err, ErrNoSource) {
		t.Errorf("error %v does not match ErrNoSource: callers cannot tell a missing source from a failure", err)
	}
	for _, want := range []string{"LIB_SRC: not set", "/gone/lib.c", "404", "mirror: offline", "LIB_SRC=<directory or file>"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

// signer makes a key whose self-signature expires a day after creation.
func signer(t *testing.T, created time.Time) (*openpgp.Entity, []byte) {
	cfg := &packet.Config{Time: func() time.Time { return created }, KeyLifetimeSecs: 86400, RSABits: 2048, Algorithm: packet.PubKeyAlgoEdDSA}
	e, err := openpgp.NewEntity("Release", "", "release@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, _ := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	e.Serialize(w)
	w.Close()
	return e, buf.Bytes()
}

func TestVerifySignature(t *testing.T) {
	dir := t.TempDir()
	signedAt := time.Now().Add(-30 * 24 * time.Hour) // the key has expired since
	e, keyring := signer(t, signedAt)
	data := filepath.Join(dir, "rel.tar.gz")
	os.WriteFile(data, []byte("release bytes"), 0o644)
	var sig bytes.Buffer
	cfg := &packet.Config{Time: func() time.Time { return signedAt.Add(time.Hour) }}
	if err := openpgp.ArmoredDetachSign(&sig, e, bytes.NewReader([]byte("release bytes")), cfg); err != nil {
		t.Fatal(err)
	}
	sigPath := data + ".asc"
	os.WriteFile(sigPath, sig.Bytes(), 0o644)
	fp := fpr(e.PrimaryKey.Fingerprint)

	if got, err := VerifySignature(data, sigPath, keyring, []string{fp}); err != nil || got != fp {
		t.Fatalf("genuine release: signer %q, err %v; want %s accepted though the key expired later", got, err, fp)
	}
	if _, err := VerifySignature(data, sigPath, keyring, []string{strings.Repeat("0", 40)}); err == nil {
		t.Error("a key whose fingerprint is not pinned was trusted")
	}
	os.WriteFile(data, []byte("release bytez"), 0o644)
	if _, err := VerifySignature(data, sigPath, keyring, []string{fp}); err == nil || !strings.Contains(err.Error(), data) {
		t.Errorf("tampered release: err = %v; want a failure naming the file", err)
	}

	// Signed after the key expired: refused. The library will not make such
	// a signature, so build the packet by hand.
	os.WriteFile(data, []byte("release bytes"), 0o644)
	late := &packet.Signature{Version: 4, SigType: packet.SigTypeBinary, PubKeyAlgo: e.PrivateKey.PubKeyAlgo,
		Hash: crypto.SHA256, CreationTime: signedAt.Add(48 * time.Hour), IssuerKeyId: &e.PrivateKey.KeyId,
		IssuerFingerprint: e.PrivateKey.Fingerprint}
	h, err := late.PrepareSign(nil)
	if err != nil {
		t.Fatal(err)
	}
	h.Write([]byte("release bytes"))
	if err := late.Sign(h, e.PrivateKey, nil); err != nil {
		t.Fatal(err)
	}
	sig.Reset()
	w, _ := armor.Encode(&sig, "PGP SIGNATURE", nil)
	late.Serialize(w)
	w.Close()
	os.WriteFile(sigPath, sig.Bytes(), 0o644)
	if _, err := VerifySignature(data, sigPath, keyring, []string{fp}); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("signature made by an expired key: err = %v; want it refused as expired", err)
	}
}

func TestExtractTarGzRefusesEscapes(t *testing.T) {
	// Covered with a real archive by the OpenSSL build; here only the guard.
	dir := t.TempDir()
	if err := ExtractTarGz(filepath.Join(dir, "missing.tar.gz"), filepath.Join(dir, "out")); err == nil {
		t.Error("extracting a missing archive succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Error("a failed extraction left its destination behind")
	}
}
