package mongoose

// The glue, tested against the real library built for this machine, driven
// through the Go binding with real clients: net/http, crypto/tls, a
// WebSocket client library, and net for TCP and UDP.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	prebuilt "github.com/mongoose-ffi/mongoose-ffi/build/prebuilt/mode"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/testpki"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// errNoPrebuilt: in prebuilt mode the library is given, never built.
var errNoPrebuilt = errors.New("prebuilt mode without " + TestLibraryEnv)

var (
	libOnce sync.Once
	lib     *mongoose.Library
	libPath string
	libErr  error
)

// library builds (or finds cached) the library for this machine and loads
// it; without mongoose's source it skips, saying so loudly.
func library(t *testing.T) *mongoose.Library {
	t.Helper()
	if testing.Short() {
		peer.Skip(t, "SKIPPED: -short: the glue tests build the library")
	}
	libOnce.Do(func() {
		// Emulated runs (QEMU, Wine) are handed a library built natively.
		if p := os.Getenv(TestLibraryEnv); p != "" {
			libPath = p
			lib, libErr = mongoose.Open(p)
			return
		}
		if prebuilt.On() {
			libErr = errNoPrebuilt
			return
		}
		libPath, libErr = buildForTest()
		if libErr != nil {
			return
		}
		lib, libErr = mongoose.Open(libPath)
	})
	if libErr == errNoPrebuilt {
		peer.Skip(t, prebuilt.SkipReason+"; set "+TestLibraryEnv+" to the library to test")
	}
	if libErr != nil {
		if errors.Is(libErr, source.ErrNoSource) {
			msg := "SKIPPED: mongoose's source is not available, so the library cannot be built: set MONGOOSE_SRC (see README)\n" + libErr.Error()
			fmt.Fprintln(os.Stderr, "\n*** "+msg)
			peer.Skip(t, msg)
		}
		t.Fatal(libErr)
	}
	return lib
}

// buildForTest builds (or finds cached) the library for this machine into a
// temporary directory, running the build's steps in the pipeline's order
// (build/pipeline cannot be imported here: it imports this package).
func buildForTest() (string, error) {
	tg, ok := target.Lookup(runtime.GOOS + "/" + runtime.GOARCH)
	if !ok {
		return "", fmt.Errorf("no target for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	tc, err := toolchainForTest(tg)
	if err != nil {
		return "", err
	}
	out, err := os.MkdirTemp("", "mongoose-ffi-test-")
	if err != nil {
		return "", err
	}
	l, err := (&Builder{Config: tc.cfg, Zig: tc.zig, Pin: tc.pin, Sources: tc.src}).Build(context.Background(), tc.target, tc.ossl, out)
	return l.Path, err
}

// testToolchain is what building a target's library takes.
type testToolchain struct {
	cfg    *config.Config
	target target.Target
	zig    *zig.Zig
	pin    *source.Pin
	src    string // mongoose's verified sources
	ossl   openssl.Result
}

func toolchainForTest(tg target.Target) (*testToolchain, error) {
	ctx := context.Background()
	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	cfg.Out = io.Discard
	tc := &testToolchain{cfg: cfg, target: tg}
	if tc.pin, err = Pin(); err != nil {
		return nil, err
	}
	if tc.src, err = Sources(ctx, tc.pin, cfg.Cache, cfg.Out); err != nil {
		return nil, err
	}
	opin, err := openssl.Pin()
	if err != nil {
		return nil, err
	}
	osrc, err := openssl.Sources(ctx, opin, cfg.Cache, cfg.Out)
	if err != nil {
		return nil, err
	}
	if tc.zig, err = zig.Ensure(ctx, cfg.Cache, cfg.Out); err != nil {
		return nil, err
	}
	tc.ossl, err = (&openssl.Builder{Config: cfg, Zig: tc.zig, Pin: opin, Release: osrc}).Build(ctx, tg)
	return tc, err
}

// server runs a manager on its own goroutine, handing each event to handle.
type server struct {
	t    *testing.T
	mgr  *mongoose.Manager
	id   uint64 // the listener
	addr string // its host:port
	stop chan struct{}
	done chan struct{}
}

func serve(t *testing.T, kind mongoose.Kind, scheme string, tlsOpts *mongoose.TLS, handle func(*mongoose.Manager, *mongoose.Event)) *server {
	t.Helper()
	l := library(t)
	mgr, err := l.NewManager()
	if err != nil {
		t.Fatal(err)
	}
	id, err := mgr.Listen(kind, scheme+"://127.0.0.1:0", tlsOpts)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := mgr.Addr(id, false)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, mgr: mgr, id: id, addr: addr, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			select {
			case <-s.stop:
				return
			default:
			}
			evs, err := mgr.Poll(20 * time.Millisecond)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range evs {
				handle(mgr, &evs[i])
			}
		}
	}()
	t.Cleanup(func() {
		close(s.stop)
		<-s.done
		mgr.Close()
	})
	return s
}

func TestHTTP(t *testing.T) {
	var mu sync.Mutex
	accepts := 0
	s := serve(t, mongoose.HTTP, "http", nil, func(m *mongoose.Manager, e *mongoose.Event) {
		switch e.Type {
		case mongoose.EvAccept:
			mu.Lock()
			accepts++
			mu.Unlock()
		case mongoose.EvHTTPMsg:
			switch e.URI {
			case "/chunked":
				m.ReplyChunked(e.ID, 200, "Content-Type: text/plain\r\n")
				for _, c := range []string{"one,", "two,", "three"} {
					m.Chunk(e.ID, []byte(c))
				}
				m.Chunk(e.ID, nil)
			default:
				ua, _ := e.Header("user-agent")
				hdr := fmt.Sprintf("X-Method: %s\r\nX-Query: %s\r\nX-UA: %s\r\n", e.Method, e.Query, ua)
				m.Reply(e.ID, 201, hdr, e.Body)
			}
		}
	})
	client := &http.Client{Timeout: 10 * time.Second}
	base := "http://" + s.addr

	req, _ := http.NewRequest("GET", base+"/hello?a=1", nil)
	req.Header.Set("User-Agent", "glue-test")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("X-Method") != "GET" || resp.Header.Get("X-Query") != "a=1" || resp.Header.Get("X-UA") != "glue-test" {
		t.Errorf("GET: status %d, headers %v", resp.StatusCode, resp.Header)
	}

	big := make([]byte, 1<<20)
	rand.Read(big)
	resp, err = client.Post(base+"/echo", "application/octet-stream", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, big) || resp.Header.Get("X-Method") != "POST" {
		t.Errorf("1 MiB echo: got %d bytes back, equal=%v", len(got), bytes.Equal(got, big))
	}

	resp, err = client.Get(base + "/chunked")
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != "one,two,three" || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("chunked: body %q, transfer-encoding %v", got, resp.TransferEncoding)
	}
	mu.Lock()
	defer mu.Unlock()
	if accepts != 1 {
		t.Errorf("%d connections accepted for 3 sequential requests; want 1 (keep-alive)", accepts)
	}
}

func TestWebSocketEcho(t *testing.T) {
	opened := make(chan uint64, 1) // the upgrade's WS_OPEN comes with the next poll
	s := serve(t, mongoose.HTTP, "http", nil, func(m *mongoose.Manager, e *mongoose.Event) {
		switch e.Type {
		case mongoose.EvHTTPMsg:
			if err := m.Upgrade(e.ID, "X-Test: yes\r\n"); err != nil {
				t.Error(err)
			}
		case mongoose.EvWSOpen:
			opened <- e.ID
		case mongoose.EvWSMsg:
			m.SendWS(e.ID, e.Body, e.Status)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws://"+s.addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if resp.Header.Get("X-Test") != "yes" {
		t.Errorf("upgrade response lacks the extra header: %v", resp.Header)
	}
	wsEchoes(ctx, t, c, "hello, mongoose")
	select {
	case <-opened:
	default:
		t.Error("no WS_OPEN event after the upgrade")
	}
	c.Close(websocket.StatusNormalClosure, "")
}

func TestTCPAndUDPEcho(t *testing.T) {
	echo := func(m *mongoose.Manager, e *mongoose.Event) {
		if e.Type == mongoose.EvRead {
			m.Send(e.ID, append([]byte("echo:"), e.Body...))
		}
	}
	tcp := serve(t, mongoose.TCP, "tcp", nil, echo)
	conn, err := net.DialTimeout("tcp", tcp.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	conn.Write([]byte("ping"))
	buf := make([]byte, 64)
	n, err := io.ReadAtLeast(conn, buf, len("echo:ping"))
	if err != nil || string(buf[:n]) != "echo:ping" {
		t.Errorf("TCP echo: %q, %v", buf[:n], err)
	}

	udp := serve(t, mongoose.UDP, "udp", nil, echo)
	uc, err := net.Dial("udp", udp.addr)
	if err != nil && runtime.GOOS == "windows" && strings.Contains(err.Error(), "wsaioctl") {
		// Go sets SIO_UDP_NETRESET on every UDP socket and Wine does not
		// implement it; the library's own UDP client stands in.
		t.Logf("*** Go's UDP sockets do not work here (%v, as under Wine): echoing with the library's UDP client instead", err)
	} else if err != nil {
		t.Fatal(err)
	} else {
		defer uc.Close()
		uc.SetDeadline(time.Now().Add(10 * time.Second))
		uc.Write([]byte("datagram"))
		n, err = uc.Read(buf)
		if err != nil || string(buf[:n]) != "echo:datagram" {
			t.Errorf("UDP echo: %q, %v", buf[:n], err)
		}
	}
	if got := libraryUDPEcho(t, udp.addr, "from the library"); got != "echo:from the library" {
		t.Errorf("UDP echo to the library's client: %q", got)
	}
}

// libraryUDPEcho sends one datagram with the library's UDP client and
// returns the first reply.
func libraryUDPEcho(t *testing.T, addr, msg string) string {
	t.Helper()
	mgr, err := library(t).NewManager()
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	id, err := mgr.Connect(mongoose.UDP, "udp://"+addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	sent := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		evs, err := mgr.Poll(20 * time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			switch {
			case e.Type == mongoose.EvConnect && e.ID == id && !sent:
				if err := mgr.Send(id, []byte(msg)); err != nil {
					t.Fatal(err)
				}
				sent = true
			case e.Type == mongoose.EvRead && e.ID == id:
				return string(e.Body)
			case e.Type == mongoose.EvError:
				t.Fatalf("UDP client error: %s", e.Body)
			}
		}
	}
	t.Fatalf("no UDP reply within 10 s (sent: %v)", sent)
	return ""
}

// wsEchoes sends a text message and a 100 kB binary one over c and checks
// each comes back as sent.
func wsEchoes(ctx context.Context, t *testing.T, c *websocket.Conn, text string) {
	t.Helper()
	c.SetReadLimit(1 << 20)
	bin := make([]byte, 100000)
	rand.Read(bin)
	for _, m := range []struct {
		typ  websocket.MessageType
		data []byte
	}{{websocket.MessageText, []byte(text)}, {websocket.MessageBinary, bin}} {
		if err := c.Write(ctx, m.typ, m.data); err != nil {
			t.Fatal(err)
		}
		typ, data, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if typ != m.typ || !bytes.Equal(data, m.data) {
			t.Errorf("echo of a %v message of %d bytes: got %v, %d bytes", m.typ, len(m.data), typ, len(data))
		}
	}
}

// pki is a CA and certificates it signed, made for one test.
type pki struct {
	issuer          *testpki.CA
	caPEM           []byte
	pool            *x509.CertPool
	ca              *x509.Certificate
	caKey           *ecdsa.PrivateKey
	srvCert, srvKey []byte
	cliCert, cliKey []byte
	cliTLSCert      tls.Certificate
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	ca, err := testpki.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{issuer: ca, caPEM: ca.PEM, pool: ca.Pool, ca: ca.Cert, caKey: ca.Key}
	p.srvCert, p.srvKey = p.issue(t, x509.ExtKeyUsageServerAuth)
	p.cliCert, p.cliKey = p.issue(t, x509.ExtKeyUsageClientAuth)
	p.cliTLSCert, err = tls.X509KeyPair(p.cliCert, p.cliKey)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// issue is a certificate for 127.0.0.1 and localhost, for usage.
func (p *pki) issue(t *testing.T, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
	t.Helper()
	certPEM, keyPEM, err := p.issuer.Issue(testpki.Localhost(usage))
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM
}

func hello(m *mongoose.Manager, e *mongoose.Event) {
	if e.Type == mongoose.EvHTTPMsg {
		m.Reply(e.ID, 200, "", []byte(fmt.Sprintf("tls=%v", e.Flags&mongoose.FlagTLS != 0)))
	}
}

func TestTLS13(t *testing.T) {
	p := newPKI(t)
	s := serve(t, mongoose.HTTP, "https", &mongoose.TLS{Cert: p.srvCert, Key: p.srvKey}, hello)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: p.pool, MinVersion: tls.VersionTLS13}}}
	resp, err := client.Get("https://" + s.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 || string(body) != "tls=true" {
		t.Fatalf("TLS 1.3 handshake: state %+v, body %q", resp.TLS, body)
	}
	// OpenSSL 3.5 prefers the post-quantum hybrid, as Go's client does.
	if resp.TLS.CurveID != tls.X25519MLKEM768 {
		t.Errorf("TLS 1.3 key exchange: %v, want X25519MLKEM768", resp.TLS.CurveID)
	}

	// TLS 1.2 stays: ECDHE with AES-GCM, as older clients speak it.
	tls12 := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: p.pool, MaxVersion: tls.VersionTLS12}}}
	resp, err = tls12.Get("https://" + s.addr + "/")
	if err != nil {
		t.Fatalf("TLS 1.2 handshake: %v", err)
	}
	resp.Body.Close()
	if resp.TLS.Version != tls.VersionTLS12 {
		t.Errorf("TLS 1.2 handshake negotiated %x", resp.TLS.Version)
	}

	// Mutual TLS: the listener has a CA, so a client without a certificate fails.
	m := serve(t, mongoose.HTTP, "https", &mongoose.TLS{Cert: p.srvCert, Key: p.srvKey, CA: p.caPEM}, hello)
	noCert := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.pool}}}
	if resp, err := noCert.Get("https://" + m.addr + "/"); err == nil {
		resp.Body.Close()
		t.Error("a client without a certificate was served by a mutual-TLS listener")
	}
	withCert := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: p.pool, Certificates: []tls.Certificate{p.cliTLSCert}}}}
	resp, err = withCert.Get("https://" + m.addr + "/")
	if err != nil {
		t.Fatalf("mutual TLS with a client certificate: %v", err)
	}
	resp.Body.Close()
}

// TestTLSClient connects out with the glue's client to a Go TLS server,
// verifying it against the test CA.
func TestTLSClient(t *testing.T) {
	p := newPKI(t)
	cert, _ := tls.X509KeyPair(p.srvCert, p.srvKey)
	ts := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "from go") }),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.ServeTLS(ln, "", "")
	defer ts.Close()

	l := library(t)
	mgr, err := l.NewManager()
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	id, err := mgr.Connect(mongoose.HTTP, "https://"+ln.Addr().String()+"/", &mongoose.TLS{CA: p.caPEM})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		evs, _ := mgr.Poll(50 * time.Millisecond)
		for _, e := range evs {
			switch e.Type {
			case mongoose.EvConnect:
				mgr.Send(id, []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
			case mongoose.EvHTTPMsg:
				if e.Status != 200 || string(e.Body) != "from go" {
					t.Errorf("response: status %d, body %q", e.Status, e.Body)
				}
				return
			case mongoose.EvError:
				t.Fatalf("client error: %s", e.Body)
			}
		}
	}
	t.Fatal("no response within 10 s")
}

// A reply on plain TCP leaves in the Reply (or Send) call itself: the client
// reads it while nobody polls.
func TestReplyLeavesAtOnce(t *testing.T) {
	l := library(t)
	mgr, err := l.NewManager()
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	const msg = "at once"
	for _, c := range []struct {
		kind   mongoose.Kind
		scheme string
		send   func(id uint64) error
		read   func(conn net.Conn) (io.Reader, error) // the reply's body
	}{
		{mongoose.HTTP, "http", func(id uint64) error { return mgr.Reply(id, 200, "", []byte(msg)) },
			func(conn net.Conn) (io.Reader, error) {
				r, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					return nil, err
				}
				return r.Body, nil
			}},
		{mongoose.TCP, "tcp", func(id uint64) error { return mgr.Send(id, []byte(msg)) },
			func(conn net.Conn) (io.Reader, error) { return io.LimitReader(conn, int64(len(msg))), nil }},
	} {
		lid, err := mgr.Listen(c.kind, c.scheme+"://127.0.0.1:0", nil)
		if err != nil {
			t.Fatal(err)
		}
		addr, _ := mgr.Addr(lid, false)
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		var id uint64
		for deadline := time.Now().Add(10 * time.Second); id == 0 && time.Now().Before(deadline); {
			evs, err := mgr.Poll(20 * time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				if e.Type == mongoose.EvHTTPMsg || e.Type == mongoose.EvRead {
					id = e.ID
				}
			}
		}
		if id == 0 {
			t.Fatalf("%s: the request never arrived", c.scheme)
		}
		if err := c.send(id); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		body, err := c.read(conn)
		var got []byte
		if err == nil {
			got, err = io.ReadAll(body)
		}
		if err != nil || string(got) != msg {
			t.Errorf("%s: without a poll the client read %q, %v; want the reply sent by the call", c.scheme, got, err)
		}
	}
}

func TestStaleAndBadIDs(t *testing.T) {
	closed := make(chan uint64, 1)
	s := serve(t, mongoose.TCP, "tcp", nil, func(m *mongoose.Manager, e *mongoose.Event) {
		if e.Type == mongoose.EvClose && e.Listener != 0 {
			closed <- e.ID
		}
	})
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	var id uint64
	select {
	case id = <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("no close event")
	}
	<-time.After(50 * time.Millisecond)
	close(s.stop) // take the manager over from the server goroutine
	<-s.done
	s.stop = make(chan struct{})
	s.done = make(chan struct{})
	close(s.done)
	for name, err := range map[string]error{
		"send on a closed id":      s.mgr.Send(id, []byte("x")),
		"reply on an unknown id":   s.mgr.Reply(987654, 200, "", nil),
		"close on an unknown id":   s.mgr.CloseConn(987654, true),
		"websocket on unknown id":  s.mgr.SendWS(987654, nil, mongoose.WSText),
		"serve dir on unknown id":  s.mgr.ServeDir(987654, ".", ""),
		"address of an unknown id": func() error { _, err := s.mgr.Addr(987654, true); return err }(),
	} {
		if !errors.Is(err, mongoose.ErrNoConnection) {
			t.Errorf("%s: err = %v, want ErrNoConnection", name, err)
		}
	}
	if err := s.mgr.Reply(s.id, 42, "", nil); !errors.Is(err, mongoose.ErrBadArgument) {
		t.Errorf("status 42: err = %v, want ErrBadArgument", err)
	}
	if err := s.mgr.ServeDir(s.id, ".", ""); !errors.Is(err, mongoose.ErrNoRequest) {
		t.Errorf("serve dir with no request: err = %v, want ErrNoRequest", err)
	}
	if _, err := s.mgr.Listen(mongoose.HTTP, "http://"+s.addr, nil); !errors.Is(err, mongoose.ErrListen) {
		t.Errorf("listening on a port in use: err = %v, want ErrListen", err)
	}
	if _, err := s.mgr.Listen(mongoose.Kind(9), "http://127.0.0.1:0", nil); !errors.Is(err, mongoose.ErrBadArgument) {
		t.Errorf("bad kind: err = %v, want ErrBadArgument", err)
	}
}

func TestServeDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.txt"), []byte("static content"), 0o644)
	s := serve(t, mongoose.HTTP, "http", nil, func(m *mongoose.Manager, e *mongoose.Event) {
		if e.Type == mongoose.EvHTTPMsg {
			if err := m.ServeDir(e.ID, dir, "X-Served: dir\r\n"); err != nil {
				t.Error(err)
			}
		}
	})
	resp, err := http.Get("http://" + s.addr + "/index.txt")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "static content" || resp.Header.Get("X-Served") != "dir" {
		t.Errorf("serve dir: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, _ = http.Get("http://" + s.addr + "/missing")
	if resp != nil {
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("missing file: status %d, want 404", resp.StatusCode)
		}
	}
}

func TestWakeupFromAnotherGoroutine(t *testing.T) {
	got := make(chan string, 1)
	var s *server
	s = serve(t, mongoose.TCP, "tcp", nil, func(m *mongoose.Manager, e *mongoose.Event) {
		if e.Type == mongoose.EvWakeup && e.ID == s.id {
			got <- string(e.Body)
		}
	})
	go func() {
		if err := s.mgr.Wakeup(s.id, []byte("from afar")); err != nil {
			t.Error(err)
		}
	}()
	select {
	case v := <-got:
		if v != "from afar" {
			t.Errorf("wakeup data %q", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no wakeup event")
	}
}

// TestManySequentialRequests sends 10 000 requests one after another, half
// on fresh connections, and checks the process's memory stays flat.
func TestManySequentialRequests(t *testing.T) {
	s := serve(t, mongoose.HTTP, "http", nil, func(m *mongoose.Manager, e *mongoose.Event) {
		if e.Type == mongoose.EvHTTPMsg {
			m.Reply(e.ID, 200, "", []byte("ok"))
		}
	})
	keep := &http.Client{Timeout: 10 * time.Second}
	fresh := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	do := func(i int) {
		c := keep
		if i%2 == 1 {
			c = fresh
		}
		resp, err := c.Get("http://" + s.addr + "/n/" + strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for i := 0; i < 1000; i++ { // warm up: buffers reach their working size
		do(i)
	}
	before := rss(t)
	for i := 0; i < 10000; i++ {
		do(i)
	}
	after := rss(t)
	t.Logf("RSS %d KiB after warm-up, %d KiB after 10 000 requests", before>>10, after>>10)
	if after > before+8<<20 {
		t.Errorf("RSS grew by %d KiB over 10 000 requests", (after-before)>>10)
	}
}

func rss(t *testing.T) int64 {
	runtime.GC()
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		peer.Skip(t, fmt.Sprintf("SKIPPED: no /proc/self/statm on %s: %v", runtime.GOOS, err))
	}
	f := strings.Fields(string(data))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// TestLegacyExports checks the built library, read back by the verifier,
// exports every function of the original mongoose-ffi that mongoose.h still
// declares (found here by a plain text search, apart from the build's parser).
func TestLegacyExports(t *testing.T) {
	library(t)
	cfg, _ := config.Load()
	pin, _ := Pin()
	header, err := os.ReadFile(filepath.Join(cfg.Cache, "sources", pin.Name+"-"+pin.Version, "mongoose.h"))
	if err != nil && prebuilt.On() {
		peer.Skip(t, fmt.Sprintf("%s; mongoose.h is not in the cache: %v", prebuilt.SkipReason, err))
	}
	if err != nil {
		t.Fatal(err)
	}
	l, err := verify.Open(libPath)
	if err != nil {
		t.Fatal(err)
	}
	declared := 0
	for _, n := range LegacyExports() {
		if !regexp.MustCompile(`\b`+n+`\s*\(`).Match(header) || regexp.MustCompile(`#define\s+`+n+`\b`).Match(header) {
			continue // gone from mongoose, or a macro now
		}
		declared++
		if !slices.Contains(l.Exports, n) {
			t.Errorf("%s is declared by mongoose.h but not exported", n)
		}
	}
	if declared < 80 {
		t.Errorf("only %d of the %d legacy names found in mongoose.h; the search is broken", declared, len(LegacyExports()))
	}
	t.Logf("%d of %d legacy exports are still declared, all exported", declared, len(LegacyExports()))
}
