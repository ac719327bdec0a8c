// Package download fetches one URL to a file, reporting progress for big
// files and never leaving a partial file behind.
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Client is used for every download. Its dial timeout is short so that an
// unreachable host fails fast and the next source is tried.
var Client = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	TLSHandshakeTimeout:   20 * time.Second,
	ResponseHeaderTimeout: 30 * time.Second,
}}

// progressEvery is how often a progress line is printed for big files.
const progressEvery = 2 * time.Second

// File downloads url into dest (created through a temp file and a rename)
// with Client. Progress lines go to log when the body is large or slow.
func File(ctx context.Context, url, dest string, log io.Writer) error {
	return Get(ctx, Client, url, dest, 0, log)
}

// ErrTooLarge is matched by Get's error when the body passed its bound.
var ErrTooLarge = errors.New("larger than the bound")

// StatusError is a response other than 200 OK.
type StatusError struct{ URL, Status string }

func (e *StatusError) Error() string { return "GET " + e.URL + ": " + e.Status }

// Get downloads url into dest with c, through a temp file and a rename: a
// failed download leaves no dest. A body over max bytes (if max > 0) fails.
// Progress lines go to log (nil: none) when the body is large or slow.
func Get(ctx context.Context, c *http.Client, url, dest string, max int64, log io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &StatusError{URL: url, Status: resp.Status}
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".part-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	var body io.Reader = resp.Body
	if max > 0 {
		body = io.LimitReader(body, max+1)
	}
	p := &progress{w: log, name: filepath.Base(dest), total: resp.ContentLength, start: time.Now(), last: time.Now()}
	n, err := io.Copy(tmp, io.TeeReader(body, p))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("GET %s: %w after %d bytes", url, err, n)
	}
	if max > 0 && n > max {
		return fmt.Errorf("GET %s: %w (%d MB)", url, ErrTooLarge, max>>20)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("GET %s: truncated body: got %d of %d bytes", url, n, resp.ContentLength)
	}
	p.done()
	return os.Rename(tmp.Name(), dest)
}

type progress struct {
	w           io.Writer
	name        string
	total, n    int64
	start, last time.Time
	printed     bool
}

func (p *progress) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if p.w != nil && time.Since(p.last) >= progressEvery {
		p.last = time.Now()
		p.printed = true
		if p.total > 0 {
			fmt.Fprintf(p.w, "  %s: %.1f of %.1f MB (%d%%)\n", p.name, mb(p.n), mb(p.total), p.n*100/p.total)
		} else {
			fmt.Fprintf(p.w, "  %s: %.1f MB\n", p.name, mb(p.n))
		}
	}
	return len(b), nil
}

func (p *progress) done() {
	if p.w != nil && p.printed {
		fmt.Fprintf(p.w, "  %s: %.1f MB in %s\n", p.name, mb(p.n), time.Since(p.start).Round(100*time.Millisecond))
	}
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }
