package mongoose_test

// Tests of the binding's own Go code (the net/http adapter, the helpers),
// against the library $MONGOOSE_LIBRARY names: `go tool mage test` builds
// it and sets it; the kit's glue tests (mongoose/glue_test.go) cover the C side.

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
)

var (
	libOnce sync.Once
	lib     *mongoose.Library
	libErr  error
)

// library loads the library $MONGOOSE_LIBRARY names; without it the test
// skips, saying so loudly.
func library(t *testing.T) *mongoose.Library {
	t.Helper()
	if os.Getenv(mongoose.EnvLibrary) == "" {
		msg := "SKIPPED: " + mongoose.EnvLibrary + " is not set: run `go tool mage test`, or point it at a built library"
		fmt.Fprintln(os.Stderr, "\n*** "+msg)
		t.Skip(msg)
	}
	libOnce.Do(func() { lib, libErr = mongoose.Open("") })
	if libErr != nil {
		t.Fatal(libErr)
	}
	return lib
}

func TestHelpersMatchGo(t *testing.T) {
	l := library(t)
	for _, n := range []int{0, 1, 2, 3, 57, 1000} {
		b := make([]byte, n)
		rand.Read(b)
		if got, want := l.Base64(b), base64.StdEncoding.EncodeToString(b); got != want {
			t.Errorf("Base64(%d bytes) = %q, want %q", n, got, want)
		}
		if dec, err := l.Base64Decode(base64.StdEncoding.EncodeToString(b)); err != nil || !bytes.Equal(dec, b) {
			t.Errorf("Base64Decode round trip of %d bytes: %v", n, err)
		}
		if got, want := l.CRC32(0, b), crc32.ChecksumIEEE(b); got != want {
			t.Errorf("CRC32(%d bytes) = %08x, want %08x", n, got, want)
		}
		if got, want := l.MD5(b), md5.Sum(b); got != want {
			t.Errorf("MD5(%d bytes) differs", n)
		}
		if got, want := l.SHA1(b), sha1.Sum(b); got != want {
			t.Errorf("SHA1(%d bytes) differs", n)
		}
	}
	if _, err := l.Base64Decode("!!!!"); err == nil {
		t.Error("invalid base64 decoded without error")
	}
	if !strings.HasPrefix(l.OpenSSLVersion, "OpenSSL 3.5.") || l.Version != "7.22" {
		t.Errorf("versions: mongoose %q, OpenSSL %q", l.Version, l.OpenSSLVersion)
	}
}

// TestHTTPHandlerAdapter serves a net/http.Handler through mongoose.
func TestHTTPHandlerAdapter(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Who", r.URL.Query().Get("who"))
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, "hello %s via %s", r.URL.Query().Get("who"), r.Method)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	})
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		for _, part := range []string{"a", "b", "c"} {
			io.WriteString(w, part)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	l := library(t)
	mgr, err := l.NewManager()
	if err != nil {
		t.Fatal(err)
	}
	id, err := mgr.Listen(mongoose.HTTP, "http://127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := mgr.Addr(id, false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- mgr.Run(ctx, mgr.HTTPHandler(mux)) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
		mgr.Close()
	}()

	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	if resp, body := get("/hello?who=gopher"); resp.StatusCode != 202 || body != "hello gopher via GET" ||
		resp.Header.Get("X-Who") != "gopher" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("/hello: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp, body := get("/flush"); body != "abc" || len(resp.TransferEncoding) == 0 {
		t.Errorf("/flush: %q, transfer-encoding %v", body, resp.TransferEncoding)
	}
	if resp, _ := get("/panic"); resp.StatusCode != 500 {
		t.Errorf("/panic: status %d, want 500", resp.StatusCode)
	}
	if resp, _ := get("/nowhere"); resp.StatusCode != 404 {
		t.Errorf("/nowhere: status %d, want 404", resp.StatusCode)
	}
	big := bytes.Repeat([]byte("0123456789"), 100000)
	resp, err := http.Post("http://"+addr+"/echo", "application/octet-stream", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, big) {
		t.Errorf("/echo: %d bytes back of %d", len(got), len(big))
	}
}
