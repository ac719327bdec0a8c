package mongoose

// Requests too big or too slow get an answer, and the program hears of it.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
)

// limitServer answers every request 200 "ok" and records error events.
type limitServer struct {
	*server
	mu     sync.Mutex
	errors map[uint64]mongoose.Event
	msgs   int
}

func newLimitServer(t *testing.T, l *mongoose.Limits) *limitServer {
	ls := &limitServer{errors: map[uint64]mongoose.Event{}}
	ls.server = serve(t, mongoose.HTTP, "http", nil, func(m *mongoose.Manager, e *mongoose.Event) {
		switch e.Type {
		case mongoose.EvHTTPMsg:
			ls.mu.Lock()
			ls.msgs++
			ls.mu.Unlock()
			m.Reply(e.ID, 200, "Content-Type: text/plain\r\n", []byte("ok"))
		case mongoose.EvError:
			ls.mu.Lock()
			ls.errors[e.ID] = *e
			ls.mu.Unlock()
		}
	})
	if l != nil {
		// Set while the server already polls, before any client connects:
		// the poll thread reads them when a connection needs them.
		if err := ls.mgr.SetLimits(*l); err != nil {
			t.Fatal(err)
		}
	}
	return ls
}

// errorFor waits for the ERROR event of the connection whose remote
// address is the client's local one.
func (ls *limitServer) errorFor(t *testing.T, client net.Addr) mongoose.Event {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ls.mu.Lock()
		for _, e := range ls.errors {
			if e.Remote == client.String() {
				ls.mu.Unlock()
				return e
			}
		}
		ls.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no error event for the connection from %s", client)
	return mongoose.Event{}
}

// post sends a request head and then body bytes (on another goroutine, as a
// client that does not wait), and returns the response read meanwhile.
func post(t *testing.T, addr, head string, body int64) (*http.Response, net.Addr) {
	return postFrom(t, addr, head, io.LimitReader(zeros{}, body))
}

func postFrom(t *testing.T, addr, head string, body io.Reader) (*http.Response, net.Addr) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	go func() {
		if _, err := io.WriteString(c, head); err != nil {
			return
		}
		io.Copy(c, body) // fails once the server closes: fine
	}()
	r, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: no HTTP answer: %v", strings.SplitN(head, "\r\n", 2)[0], err)
	}
	io.Copy(io.Discard, r.Body)
	return r, c.LocalAddr()
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

func TestOversizedRequestGets413(t *testing.T) {
	ls := newLimitServer(t, nil)
	for _, n := range []int64{4 << 20, 16 << 20} {
		r, from := post(t, ls.addr, fmt.Sprintf("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", n), n)
		if r.StatusCode != http.StatusRequestEntityTooLarge || !r.Close {
			t.Errorf("%d bytes: %s, close %v; want 413 and close", n, r.Status, r.Close)
		}
		e := ls.errorFor(t, from)
		if e.Status != 413 || !strings.Contains(string(e.Body), strconv.FormatInt(n, 10)) {
			t.Errorf("%d bytes: error event %d %q, want 413 naming the size", n, e.Status, e.Body)
		}
	}
	// A chunked body has no size up front: it is refused as it outgrows.
	chunk := "1000\r\n" + strings.Repeat("z", 0x1000) + "\r\n"
	r, from := postFrom(t, ls.addr, "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
		strings.NewReader(strings.Repeat(chunk, 8<<20/0x1000)))
	if r.StatusCode != 413 {
		t.Errorf("chunked 8 MB: %s, want 413", r.Status)
	}
	ls.errorFor(t, from)
	// And the server still serves.
	resp, err := http.Get("http://" + ls.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestOversizedUploadWithCurlGets413(t *testing.T) {
	curl := peer.Need(t, peer.Curl)
	ls := newLimitServer(t, &mongoose.Limits{MaxRequestSize: 1 << 20})
	f := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(f, make([]byte, 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	// curl sends Expect: 100-continue for a body this size: the 413 comes
	// before the body is sent.
	out, err := exec.Command(curl, "-sS", "-o", os.DevNull, "-w", "%{http_code}", "--data-binary", "@"+f, "http://"+ls.addr+"/up").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "413" {
		t.Fatalf("curl: %v: %s", err, out)
	}
}

func TestSetLimitsBounds(t *testing.T) {
	m, err := library(t).NewManager()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	got, err := m.Limits()
	if err != nil {
		t.Fatal(err)
	}
	// One TLS thread per processor, at most 16, none (-1) on one processor.
	threads := min(runtime.NumCPU(), 16)
	if threads < 2 {
		threads = -1
	}
	if want := (mongoose.Limits{MaxRequestSize: mongoose.DefaultMaxRequestSize, RequestTimeout: mongoose.DefaultRequestTimeout, IdleTimeout: mongoose.DefaultIdleTimeout, TLSThreads: threads}); got != want {
		t.Errorf("defaults %+v, want %+v", got, want)
	}
	if err := m.SetLimits(mongoose.Limits{TLSThreads: mongoose.MaxTLSThreads + 1}); err == nil {
		t.Error("TLSThreads over MaxTLSThreads accepted")
	}
	if err := m.SetLimits(mongoose.Limits{MaxRequestSize: mongoose.DefaultMaxRequestSize + 1}); err == nil {
		t.Error("MaxRequestSize over mongoose's buffer cap accepted")
	}
	if err := m.SetLimits(mongoose.Limits{MaxRequestSize: 1000, RequestTimeout: -1, IdleTimeout: time.Second, TLSThreads: 3}); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Limits(); got != (mongoose.Limits{MaxRequestSize: 1000, RequestTimeout: -1, IdleTimeout: time.Second, TLSThreads: 3}) {
		t.Errorf("after SetLimits: %+v", got)
	}
	for set, want := range map[int]int{-1: -1, 0: threads} {
		if err := m.SetLimits(mongoose.Limits{TLSThreads: set}); err != nil {
			t.Fatal(err)
		}
		if got, _ := m.Limits(); got.TLSThreads != want {
			t.Errorf("TLSThreads %d set: %d, want %d", set, got.TLSThreads, want)
		}
	}
}

// readAll reads until the server closes the connection, or fails.
func readAll(t *testing.T, c net.Conn, what string) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("%s: the server did not close the connection: %v (read %q)", what, err, b)
	}
	return string(b)
}

func TestStalledRequestsAreClosed(t *testing.T) {
	ls := newLimitServer(t, &mongoose.Limits{RequestTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond})
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ls.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// Half a request, from many clients: each gets 408 and is closed.
	var half []net.Conn
	for range 50 {
		c := dial()
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
		half = append(half, c)
	}
	for i, c := range half {
		if got := readAll(t, c, "half-sent request"); !strings.HasPrefix(got, "HTTP/1.1 408 ") {
			t.Fatalf("half-sent request %d: got %q, want 408", i, got)
		}
	}
	ls.errorFor(t, half[0].LocalAddr())
	// Nothing sent at all: closed without a word.
	if got := readAll(t, dial(), "silent connection"); got != "" {
		t.Errorf("silent connection got %q", got)
	}
	// Idle after a complete request: the response, then the close.
	c := dial()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if got := readAll(t, c, "idle keep-alive"); !strings.HasPrefix(got, "HTTP/1.1 200 ") {
		t.Errorf("idle keep-alive got %q", got)
	}
}
