package cache

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Lock takes an exclusive lock on the entry final (a file beside it), for
// building it: of processes building the same entry at once (the test
// packages of one `go test ./...` do), one builds while the others wait,
// then find it published. Their work directories are shared, so without
// it one would delete another's mid-build. log hears about a wait.
func Lock(final string, log io.Writer) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(final+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if ok, err := lockFile(f, false); err != nil || !ok {
		if err == nil {
			start := time.Now()
			fmt.Fprintf(log, "cache: another process is building %s; waiting for it\n", filepath.Base(final))
			_, err = lockFile(f, true)
			if err == nil {
				fmt.Fprintf(log, "cache: %s: waited %s\n", filepath.Base(final), time.Since(start).Round(time.Second))
			}
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", final, err)
		}
	}
	return func() { unlockFile(f); f.Close() }, nil
}

// Make makes the entry final unless it exists: make runs under Lock, and
// not at all when another process published final meanwhile. made says
// whether this call ran make.
func Make(final string, log io.Writer, make func() error) (made bool, err error) {
	if Exists(final) {
		return false, nil
	}
	unlock, err := Lock(final, log)
	if err != nil {
		return false, err
	}
	defer unlock()
	if Exists(final) {
		return false, nil
	}
	return true, make()
}
