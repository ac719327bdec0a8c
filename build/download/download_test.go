package download

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func server(t *testing.T) *httptest.Server {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { w.Write(big) })
	mux.HandleFunc("/truncated", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "2000000")
		w.Write(big[:1000])
		// Returning early makes the server close the connection mid-body.
	})
	s := httptest.NewTLSServer(mux)
	t.Cleanup(s.Close)
	old := Client
	Client = s.Client()
	t.Cleanup(func() { Client = old })
	return s
}

func TestFile(t *testing.T) {
	s := server(t)
	dir := t.TempDir()
	var log bytes.Buffer
	dest := filepath.Join(dir, "f")
	if err := File(context.Background(), s.URL+"/ok", dest, &log); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dest); err != nil || st.Size() != 1<<20 {
		t.Fatalf("downloaded file: %v, %v; want 1 MiB", st, err)
	}
	for _, c := range []struct{ path, want string }{{"/missing", "404"}, {"/truncated", "1000"}} {
		dest := filepath.Join(dir, strings.Trim(c.path, "/"))
		err := File(context.Background(), s.URL+c.path, dest, &log)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v; want one mentioning %q", c.path, err, c.want)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("failed downloads left files behind: %v", ents)
	}
}

// TestGetBoundsTheBody: a body past the bound fails, matching ErrTooLarge,
// and leaves no file.
func TestGetBoundsTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 2<<20))
	}))
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "big")
	err := Get(context.Background(), srv.Client(), srv.URL, dest, 1<<20, nil)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("2 MB against a 1 MB bound: %v", err)
	}
	if _, serr := os.Stat(dest); serr == nil {
		t.Error("a refused download left its file")
	}
	if err := Get(context.Background(), srv.Client(), srv.URL, dest, 4<<20, nil); err != nil {
		t.Errorf("within the bound: %v", err)
	}
}
