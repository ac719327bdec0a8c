package cache

import (
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestMakeBuildsOnce: builders of one entry at once (the test packages of
// one `go test ./...` building the same OpenSSL) build it once; the others
// wait and find it published. Each lock is its own open file, as in
// separate processes.
func TestMakeBuildsOnce(t *testing.T) {
	final := filepath.Join(t.TempDir(), "entry")
	var runs atomic.Int32
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Make(final, io.Discard, func() error {
				runs.Add(1)
				time.Sleep(200 * time.Millisecond) // long enough for the others to queue
				return Publish(final, func(tmp string) error { return os.WriteFile(filepath.Join(tmp, "f"), []byte("x"), 0o644) })
			})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("the entry was built %d times, want once", n)
	}
	if made, err := Make(final, io.Discard, func() error { t.Error("made again"); return nil }); made || err != nil {
		t.Errorf("an existing entry: made %v, %v", made, err)
	}
}
