package mongoose

// HTTP/1.1 as clients expect it: HEAD, Connection: close, HTTP/1.0,
// Expect: 100-continue, 400s and Date, for the glue's replies, chunked
// replies, served files and the net/http adapter; checked with a strict
// client (Python's h11), curl and raw sockets.

import (
	"bufio"
	_ "embed"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
)

// The client travels inside the test binary: emulated runs start elsewhere.
//
//go:embed testdata/h11client.py
var h11Client []byte

func semanticsServer(t *testing.T) *server {
	file := filepath.Join(t.TempDir(), "hello.txt")
	if err := os.WriteFile(file, []byte("hello from a file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return serve(t, mongoose.HTTP, "http", nil, func(m *mongoose.Manager, e *mongoose.Event) {
		if e.Type != mongoose.EvHTTPMsg {
			return
		}
		switch e.URI {
		case "/chunked":
			m.ReplyChunked(e.ID, 200, "Content-Type: text/plain\r\n")
			m.Chunk(e.ID, []byte("hello "))
			m.Chunk(e.ID, []byte("chunks\n"))
			m.Chunk(e.ID, nil)
		case "/file":
			m.ServeFile(e.ID, file, "")
		case "/empty":
			m.Reply(e.ID, 204, "", nil)
		default:
			m.Reply(e.ID, 200, "Content-Type: text/plain\r\n", []byte("hello world\n"))
		}
	})
}

func adapterServer(t *testing.T) *server {
	var s *server
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/bye": // the handler asks to close, as net/http allows
			w.Header().Set("Connection", "close")
		case "/length": // a HEAD handler that states the length itself
			w.Header().Set("Content-Length", "1234")
			if r.Method == http.MethodHead {
				return
			}
			w.Write(make([]byte, 1234))
			return
		}
		if r.URL.Path == "/chunked" {
			io.WriteString(w, "hello ")
			w.(http.Flusher).Flush()
		}
		io.WriteString(w, "hello from net/http\n")
	})
	var handle func(*mongoose.Event)
	s = serve(t, mongoose.HTTP, "http", nil, func(m *mongoose.Manager, e *mongoose.Event) {
		if handle == nil {
			handle = m.HTTPHandler(h)
		}
		handle(e)
	})
	return s
}

func TestHTTP11WithStrictClient(t *testing.T) {
	python := peer.Need(t, peer.H11) // the python3 that imports h11
	script := filepath.Join(t.TempDir(), "h11client.py")
	if err := os.WriteFile(script, h11Client, 0o644); err != nil {
		t.Fatal(err)
	}
	glue, adapter := semanticsServer(t), adapterServer(t)
	for _, c := range []struct {
		name string
		s    *server
		path string
	}{{"reply", glue, "/"}, {"chunked", glue, "/chunked"}, {"file", glue, "/file"},
		{"adapter", adapter, "/"}, {"adapter-flush", adapter, "/chunked"}} {
		t.Run(c.name, func(t *testing.T) {
			host, port, _ := net.SplitHostPort(c.s.addr)
			out, err := exec.Command(python, script, host, port, c.path).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "ok" {
				t.Fatalf("h11 client: %v\n%s", err, out)
			}
		})
	}
}

// raw sends bytes and returns what comes back until the server closes or
// goes quiet; closed says which.
func raw(t *testing.T, addr, req string) (got string, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, req)
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		// Quiet for a second after a whole response: it stays open.
		d := 20 * time.Second
		if strings.Contains(b.String(), "\r\n\r\n") {
			d = time.Second
		}
		c.SetReadDeadline(time.Now().Add(d))
		n, err := c.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String(), !strings.Contains(err.Error(), "timeout")
		}
	}
}

func TestHTTP10AndBadRequests(t *testing.T) {
	for _, s := range []*server{semanticsServer(t), adapterServer(t)} {
		got, closed := raw(t, s.addr, "GET / HTTP/1.0\r\n\r\n")
		if !closed || !strings.Contains(got, "\r\nConnection: close\r\n") || !strings.Contains(got, "\r\nDate: ") {
			t.Errorf("HTTP/1.0: closed %v, got %q", closed, got)
		}
		got, closed = raw(t, s.addr, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		if closed || !strings.Contains(got, "\r\nConnection: keep-alive\r\n") {
			t.Errorf("HTTP/1.0 keep-alive: closed %v, got %q", closed, got)
		}
		got, closed = raw(t, s.addr, "GET /chunked HTTP/1.0\r\n\r\n")
		if !closed || strings.Contains(got, "Transfer-Encoding") || !strings.Contains(got, "hello") {
			t.Errorf("HTTP/1.0 streamed: closed %v, got %q", closed, got)
		}
		for _, bad := range []string{
			"GET / HTTP/1.1\r\n\r\n", // no Host
			"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
			"GET\r\n\r\n",                       // no target, no version
			"GET / FOO/1.1\r\nHost: x\r\n\r\n",  // not HTTP
			"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", // method not a token
			"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
			"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
			"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		} {
			got, closed := raw(t, s.addr, bad)
			if !closed || !strings.HasPrefix(got, "HTTP/1.1 400 ") {
				t.Errorf("%q: closed %v, got %q; want 400 and close", bad, closed, got)
			}
		}
	}
}

func TestHeadWithCurl(t *testing.T) {
	curl := peer.Need(t, peer.Curl)
	s := semanticsServer(t)
	for _, path := range []string{"/", "/chunked", "/file"} {
		u := "http://" + s.addr + path
		// Two HEADs and a GET over one connection: any excess body bytes
		// would show as "Excess found" or break the next response.
		out, err := exec.Command(curl, "-sS", "-v", "-I", u, "-I", u, "--next", u).CombinedOutput()
		if err != nil || strings.Contains(string(out), "Excess") || !strings.Contains(string(out), "hello") {
			t.Errorf("%s: %v\n%s", path, err, out)
		}
	}
}

// net/http's own client against the glue: Connection: close is honoured.
func TestConnectionCloseCloses(t *testing.T) {
	s := semanticsServer(t)
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	r, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Close {
		t.Error("response to Connection: close lacks Connection: close")
	}
	io.Copy(io.Discard, r.Body)
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("after the response: read %d, %v; want EOF", n, err)
	}
}

func TestExpectContinue(t *testing.T) {
	s := semanticsServer(t)
	// Too large: the final answer comes instead of 100, before any body.
	got, closed := raw(t, s.addr, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\nExpect: 100-continue\r\n\r\n")
	if !closed || !strings.HasPrefix(got, "HTTP/1.1 413 ") {
		t.Errorf("oversized with Expect: closed %v, got %q", closed, got)
	}
	got, closed = raw(t, s.addr, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: something-else\r\n\r\n")
	if !closed || !strings.HasPrefix(got, "HTTP/1.1 417 ") {
		t.Errorf("unknown Expect: closed %v, got %q", closed, got)
	}
	// Acceptable: 100 Continue while the body is unsent, nothing else yet.
	got, closed = raw(t, s.addr, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	if closed || got != "HTTP/1.1 100 Continue\r\n\r\n" {
		t.Errorf("Expect: 100-continue: closed %v, got %q", closed, got)
	}
}

func TestAdapterKeepsNetHTTPBehaviour(t *testing.T) {
	s := adapterServer(t)
	got, closed := raw(t, s.addr, "GET /bye HTTP/1.1\r\nHost: x\r\n\r\n")
	if !closed || !strings.Contains(got, "\r\nConnection: close\r\n") {
		t.Errorf("handler's Connection: close: closed %v, got %q", closed, got)
	}
	got, closed = raw(t, s.addr, "HEAD /length HTTP/1.1\r\nHost: x\r\n\r\n")
	if closed || !strings.Contains(got, "\r\nContent-Length: 1234\r\n") || !strings.HasSuffix(got, "\r\n\r\n") {
		t.Errorf("HEAD with the handler's Content-Length: closed %v, got %q", closed, got)
	}
	got, _ = raw(t, s.addr, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
	if !strings.Contains(got, "\r\nContent-Length: 20\r\n") || !strings.HasSuffix(got, "\r\n\r\n") {
		t.Errorf("HEAD: got %q, want GET's Content-Length and no body", got)
	}
}

func TestNoContentHasNoLength(t *testing.T) {
	s := semanticsServer(t)
	got, closed := raw(t, s.addr, "GET /empty HTTP/1.1\r\nHost: x\r\n\r\nGET /empty HTTP/1.1\r\nHost: x\r\n\r\n")
	if closed || strings.Contains(got, "Content-Length") || strings.Count(got, "HTTP/1.1 204 ") != 2 || !strings.HasSuffix(got, "\r\n\r\n") {
		t.Errorf("two 204s: closed %v, got %q", closed, got)
	}
}
