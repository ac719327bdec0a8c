package mongoose

// The glue's TLS layer (csrc/tls_*.c): verification on by default,
// shared contexts, session resumption, ALPN; real handshakes only.

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/testpki"
)

// leaf is a certificate for the test server: signed by p's CA, or by
// itself when p is nil.
func leaf(t *testing.T, p *pki, notAfter time.Time, names ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	l := testpki.Leaf{Names: names, Usage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter}
	var err error
	if p != nil {
		certPEM, keyPEM, err = p.issuer.Issue(l)
	} else {
		certPEM, keyPEM, err = testpki.SelfSigned(l)
	}
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM
}

// goTLSServer serves HTTPS with crypto/tls: the body says whether the
// session was resumed.
func goTLSServer(t *testing.T, certPEM, keyPEM []byte) string {
	t.Helper()
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ts := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "resumed=%v", r.TLS.DidResume)
	}), TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, ErrorLog: nullLog()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.ServeTLS(ln, "", "")
	t.Cleanup(func() { ts.Close() })
	return ln.Addr().String()
}

// glueGet fetches url with the glue's HTTP client on mgr: the body, or the
// text of the ERROR event.
func glueGet(t *testing.T, mgr *mongoose.Manager, url string, opts *mongoose.TLS) (body string, errText string) {
	t.Helper()
	id, err := mgr.Connect(mongoose.HTTP, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		evs, err := mgr.Poll(20 * time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.ID != id {
				continue
			}
			switch e.Type {
			case mongoose.EvConnect:
				mgr.Send(id, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
			case mongoose.EvHTTPMsg:
				mgr.CloseConn(id, true)
				return string(e.Body), ""
			case mongoose.EvError:
				return "", string(e.Body)
			case mongoose.EvClose:
				return "", "closed without a response or an error"
			}
		}
	}
	t.Fatal("no response within 10 s")
	return "", ""
}

func newManager(t *testing.T) *mongoose.Manager {
	t.Helper()
	mgr, err := library(t).NewManager()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mgr.Close() })
	return mgr
}

// listenHTTPS has mgr serve HTTPS with p's server certificate; the caller
// polls. It returns the listener's host:port.
func listenHTTPS(t *testing.T, mgr *mongoose.Manager, p *pki) string {
	t.Helper()
	id, err := mgr.Listen(mongoose.HTTP, "https://127.0.0.1:0", &mongoose.TLS{Cert: p.srvCert, Key: p.srvKey})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := mgr.Addr(id, false)
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// TestTLSClientVerifiesByDefault: a client given no CA verifies against the
// system's roots, and a failure says why.
func TestTLSClientVerifiesByDefault(t *testing.T) {
	p := newPKI(t)
	selfCert, selfKey := leaf(t, nil, time.Now().Add(time.Hour), "127.0.0.1", "localhost")
	self := goTLSServer(t, selfCert, selfKey)
	signed := goTLSServer(t, p.srvCert, p.srvKey)
	expiredCert, expiredKey := leaf(t, p, time.Now().Add(-time.Hour), "127.0.0.1")
	expired := goTLSServer(t, expiredCert, expiredKey)
	ipOnlyCert, ipOnlyKey := leaf(t, p, time.Now().Add(time.Hour), "127.0.0.1")
	ipOnly := goTLSServer(t, ipOnlyCert, ipOnlyKey)
	otherCA := newPKI(t)
	mgr := newManager(t)

	cases := []struct {
		name, addr string
		opts       *mongoose.TLS
		want       string
	}{
		{"no CA, self-signed", self, nil, "self-signed certificate"},
		{"no CA, unknown authority", signed, nil, "unable to get local issuer certificate"},
		{"insecure", self, &mongoose.TLS{InsecureSkipVerify: true}, ""},
		{"right CA", signed, &mongoose.TLS{CA: p.caPEM}, ""},
		{"right CA, DNS name", signed, &mongoose.TLS{CA: p.caPEM, ServerName: "localhost"}, ""},
		{"wrong CA", signed, &mongoose.TLS{CA: otherCA.caPEM}, "unable to get local issuer certificate"},
		{"wrong name", signed, &mongoose.TLS{CA: p.caPEM, ServerName: "example.com"}, "hostname mismatch"},
		{"localhost not in the certificate", ipOnly, &mongoose.TLS{CA: p.caPEM, ServerName: "localhost"}, "hostname mismatch"},
		{"wrong IP", signed, &mongoose.TLS{CA: p.caPEM, ServerName: "127.0.0.2"}, "IP address mismatch"},
		{"expired", expired, &mongoose.TLS{CA: p.caPEM}, "certificate has expired"},
	}
	for _, c := range cases {
		body, errText := glueGet(t, mgr, "https://"+c.addr+"/", c.opts)
		switch {
		case c.want == "" && body != "resumed=false":
			t.Errorf("%s: refused, want accepted: %q", c.name, errText)
		case c.want != "" && !strings.Contains(errText, c.want):
			t.Errorf("%s: got body %q, error %q; want an error saying %q", c.name, body, errText, c.want)
		case c.want != "" && !strings.Contains(errText, "certificate verify failed"):
			t.Errorf("%s: error %q does not say the certificate failed", c.name, errText)
		}
		if c.opts == nil && c.want != "" {
			t.Logf("%s: %s", c.name, errText)
		}
	}
}

// childEnv marks the test binary run by TestTLSSSLCertFile: the library's
// getenv sees only the environment the process started with (os.Setenv
// does not reach C without cgo).
const childEnv = "MONGOOSE_FFI_TLS_CHILD_ADDR"

// TestTLSSSLCertFile: SSL_CERT_FILE naming the test CA makes a client with
// no CA trust the server; naming another CA does not.
func TestTLSSSLCertFile(t *testing.T) {
	if addr := os.Getenv(childEnv); addr != "" {
		body, errText := glueGet(t, newManager(t), "https://"+addr+"/", nil)
		fmt.Printf("child: body %q error %q\n", body, errText)
		return
	}
	if runtime.GOOS == "windows" {
		peer.Skip(t, "Windows trusts its ROOT store alone, as Go does: see TestTLSClientUsesWindowsStore")
	}
	library(t) // built once, handed to the child
	p, other := newPKI(t), newPKI(t)
	addr := goTLSServer(t, p.srvCert, p.srvKey)
	dir := t.TempDir()
	for name, ca := range map[string][]byte{"right": p.caPEM, "other": other.caPEM} {
		file := filepath.Join(dir, name+".pem")
		if err := os.WriteFile(file, ca, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestTLSSSLCertFile$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+addr, "SSL_CERT_FILE="+file, "SSL_CERT_DIR=", TestLibraryEnv+"="+libPath)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			// Under qemu-user without binfmt_misc the binary cannot run itself.
			peer.Skip(t, fmt.Sprintf("SKIPPED: cannot run the test binary again: %v", err))
		} else if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		accepted := strings.Contains(string(out), `child: body "resumed=false" error ""`)
		refused := strings.Contains(string(out), "unable to get local issuer certificate") &&
			strings.Contains(string(out), "SSL_CERT_FILE="+file)
		if (name == "right" && !accepted) || (name == "other" && !refused) {
			t.Errorf("SSL_CERT_FILE with the %s CA:\n%s", name, out)
		}
	}
}

// TestTLSClientUsesWindowsStore: on Windows, with no CA the roots come from
// the ROOT system store (crypt32), and it does not trust our server.
func TestTLSClientUsesWindowsStore(t *testing.T) {
	if runtime.GOOS != "windows" {
		peer.Skip(t, "the ROOT store is Windows'")
	}
	t.Setenv("SSL_CERT_FILE", "")
	t.Setenv("SSL_CERT_DIR", "")
	selfCert, selfKey := leaf(t, nil, time.Now().Add(time.Hour), "127.0.0.1", "www.example.com")
	addr := goTLSServer(t, selfCert, selfKey)
	body, errText := glueGet(t, newManager(t), "https://"+addr+"/", nil)
	if body != "" || !strings.Contains(errText, "certificate verify failed") || !strings.Contains(errText, "the Windows ROOT store,") ||
		strings.Contains(errText, "not opened") {
		t.Fatalf("body %q, error %q: want refused, trusting the Windows ROOT store", body, errText)
	}
	t.Log(errText)
}

// A bad certificate or key fails at Listen, not at each handshake.
func TestTLSBadCredentials(t *testing.T) {
	mgr := newManager(t)
	p := newPKI(t)
	for name, o := range map[string]*mongoose.TLS{
		"garbage cert":   {Cert: []byte("not a certificate"), Key: p.srvKey},
		"mismatched key": {Cert: p.srvCert, Key: p.cliKey},
		"no key":         {Cert: p.srvCert},
	} {
		if _, err := mgr.Listen(mongoose.HTTP, "https://127.0.0.1:0", o); !errors.Is(err, mongoose.ErrTLS) {
			t.Errorf("%s: Listen returned %v, want ErrTLS", name, err)
		}
	}
}

// helloClose answers and closes, so that openssl s_client ends.
func helloClose(m *mongoose.Manager, e *mongoose.Event) {
	if e.Type == mongoose.EvHTTPMsg {
		m.Reply(e.ID, 200, "Connection: close\r\n", []byte("hello"))
		m.CloseConn(e.ID, false)
	}
}

// TestTLSResumeOpenSSL: openssl s_client saves a session and resumes it,
// with TLS 1.2 (session id or ticket) and TLS 1.3 (ticket).
func TestTLSResumeOpenSSL(t *testing.T) {
	openssl := peer.Need(t, peer.OpenSSL)
	p := newPKI(t)
	s := serve(t, mongoose.HTTP, "https", &mongoose.TLS{Cert: p.srvCert, Key: p.srvKey}, helloClose)
	for _, v := range []string{"-tls1_2", "-tls1_3"} {
		sess := filepath.Join(t.TempDir(), "sess.pem")
		run := func(arg string) string {
			cmd := exec.Command(openssl, "s_client", "-connect", s.addr, v, "-ign_eof", "-alpn", "http/1.1", arg, sess)
			cmd.Stdin = strings.NewReader("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("openssl s_client %s %s: %v\n%s", v, arg, err, out)
			}
			return string(out)
		}
		first := run("-sess_out")
		if !strings.Contains(first, "New, TLSv1.") || !strings.Contains(first, "hello") ||
			!strings.Contains(first, "ALPN protocol: http/1.1") {
			t.Fatalf("%s first connection:\n%s", v, first)
		}
		second := run("-sess_in")
		if !strings.Contains(second, "Reused, TLSv1.") || !strings.Contains(second, "hello") {
			t.Errorf("%s: the saved session was not resumed:\n%s", v, second)
		}
	}
}

// TestTLSResumeGoClient: crypto/tls with a session cache resumes against
// the glue's server, with TLS 1.2 and 1.3; ALPN picks http/1.1 out of h2.
func TestTLSResumeGoClient(t *testing.T) {
	p := newPKI(t)
	s := serve(t, mongoose.HTTP, "https", &mongoose.TLS{Cert: p.srvCert, Key: p.srvKey}, hello)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := &tls.Config{RootCAs: p.pool, MinVersion: v, MaxVersion: v, NextProtos: []string{"h2", "http/1.1"},
			ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		var resumed []bool
		for i := 0; i < 3; i++ {
			c, err := tls.Dial("tcp", s.addr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			buf := make([]byte, 256)
			n, _ := c.Read(buf) // reading also takes in TLS 1.3's tickets
			st := c.ConnectionState()
			c.Close()
			if !bytes.Contains(buf[:n], []byte("tls=true")) || st.NegotiatedProtocol != "http/1.1" {
				t.Fatalf("TLS %x: response %q, ALPN %q", v, buf[:n], st.NegotiatedProtocol)
			}
			resumed = append(resumed, st.DidResume)
		}
		if resumed[0] || !resumed[1] || !resumed[2] {
			t.Errorf("TLS %x: resumed %v, want [false true true]", v, resumed)
		}
	}
}

// countingCache counts the session tickets a client takes in.
type countingCache struct {
	tls.ClientSessionCache
	puts int
}

func (c *countingCache) Put(key string, cs *tls.ClientSessionState) {
	c.puts++
	c.ClientSessionCache.Put(key, cs)
}

// ticketsTaken dials with TLS 1.3 and a counting session cache, sends a GET,
// reads until the response or the deadline, and returns the tickets taken
// in and the first line read.
func ticketsTaken(t *testing.T, addr string, pool *x509.CertPool, wait time.Duration) (int, string) {
	t.Helper()
	cache := &countingCache{ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13, ClientSessionCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(wait))
	// A ticket is a TLS message, not data: reading takes it in and reads on.
	line, _ := bufio.NewReader(c).ReadString('\n')
	return cache.puts, line
}

// TestTLSOneTicket: a TLS 1.3 server sends one ticket per handshake, as Go's
// do (OpenSSL's default of two cost a tenth of each full handshake), in the
// same send as its first reply.
func TestTLSOneTicket(t *testing.T) {
	p := newPKI(t)
	s := serve(t, mongoose.HTTP, "https", &mongoose.TLS{Cert: p.srvCert, Key: p.srvKey}, hello)
	if n, line := ticketsTaken(t, s.addr, p.pool, 10*time.Second); n != 1 || !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Errorf("the client took in %d tickets before the response %q, want 1", n, line)
	}
}

// TestTLSTicketWithoutReply: a connection that gets no reply still gets its
// ticket, a moment after the handshake.
func TestTLSTicketWithoutReply(t *testing.T) {
	p := newPKI(t)
	s := serve(t, mongoose.HTTP, "https", &mongoose.TLS{Cert: p.srvCert, Key: p.srvKey}, func(*mongoose.Manager, *mongoose.Event) {})
	if n, line := ticketsTaken(t, s.addr, p.pool, 2*time.Second); n != 1 || line != "" {
		t.Errorf("the client took in %d tickets and read %q, want 1 ticket and no response", n, line)
	}
}

// recorder keeps what a connection reads once on is set.
type recorder struct {
	net.Conn
	on  bool
	got []byte
}

func (r *recorder) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	if r.on {
		r.got = append(r.got, b[:n]...)
	}
	return n, err
}

// TestTLSNoTicketWhenUnusable: a TLS 1.3 client that offers no
// psk_key_exchange_modes cannot resume (Go's without a session cache, as
// http.Client's default is), so it gets no ticket (RFC 8446 4.2.9), as from
// Go's servers: the server spends nothing on it, the client reads nothing.
func TestTLSNoTicketWhenUnusable(t *testing.T) {
	p := newPKI(t)
	s := serve(t, mongoose.HTTP, "https", &mongoose.TLS{Cert: p.srvCert, Key: p.srvKey}, hello)
	raw, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Conn: raw}
	c := tls.Client(rec, &tls.Config{RootCAs: p.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13})
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	rec.on = true
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if line, err := bufio.NewReader(c).ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("response %q, %v", line, err)
	}
	// Every record after the handshake: the response alone, or a ticket too.
	var records int
	for b := rec.got; len(b) >= 5; records++ {
		b = b[min(len(b), 5+(int(b[3])<<8|int(b[4]))):]
	}
	if records != 1 {
		t.Errorf("the client read %d records after the handshake, want 1 (the response, no ticket)", records)
	}
}

// heldConn keeps what the client writes while holding and writes it in one
// go on flush: records that arrive together, as coalesced writes do.
type heldConn struct {
	net.Conn
	mu     sync.Mutex
	onRead bool // start holding at the first read (the server's flight)
	hold   bool
	held   []byte
}

func (h *heldConn) Read(b []byte) (int, error) {
	n, err := h.Conn.Read(b)
	h.mu.Lock()
	h.hold = h.hold || h.onRead
	h.mu.Unlock()
	return n, err
}

func (h *heldConn) Write(b []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hold {
		h.held = append(h.held, b...)
		return len(b), nil
	}
	return h.Conn.Write(b)
}

// flush writes what was held and stops holding; holdAgain starts again.
func (h *heldConn) flush() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.Conn.Write(h.held)
	h.held, h.hold, h.onRead = nil, false, false
	return err
}

func (h *heldConn) holdAgain() {
	h.mu.Lock()
	h.hold = true
	h.mu.Unlock()
}

// TestTLSRecordsTogether: records that arrive together are read in the
// same poll: a request sent with the client's Finished, and a request's body
// in the record after its headers. mongoose reads once a poll, and while TLS
// data waits it polls with a 1 ms timeout, not 0: each such request waited
// for it (a lone HTTPS client made 556 connections a second, 1,125 after).
func TestTLSRecordsTogether(t *testing.T) {
	p := newPKI(t)
	mgr := newManager(t)
	// The first handshake step in Poll, not on a worker: every step is
	// then done by the poll that follows its input.
	if err := mgr.SetLimits(mongoose.Limits{TLSThreads: -1}); err != nil {
		t.Fatal(err)
	}
	raw, err := net.Dial("tcp", listenHTTPS(t, mgr, p))
	if err != nil {
		t.Fatal(err)
	}
	h := &heldConn{Conn: raw, onRead: true}
	c := tls.Client(h, &tls.Config{RootCAs: p.pool, ServerName: "127.0.0.1"})
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)

	// pollUntil polls while f runs on the client's side; no request may
	// come in meanwhile: the client holds it.
	pollUntil := func(f func() error) {
		t.Helper()
		errc := make(chan error, 1)
		go func() { errc <- f() }()
		for {
			select {
			case err := <-errc:
				if err != nil {
					t.Fatal(err)
				}
				return
			default:
			}
			evs, err := mgr.Poll(5 * time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				if e.Type == mongoose.EvHTTPMsg {
					t.Fatalf("request %s before the client sent it", e.URI)
				}
			}
		}
	}
	// answer sends what the client held; the next poll must hold the request.
	answer := func(uri, body string) {
		t.Helper()
		if err := h.flush(); err != nil {
			t.Fatal(err)
		}
		evs, err := mgr.Poll(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var req *mongoose.Event
		var got []string
		for i := range evs {
			got = append(got, fmt.Sprint(evs[i].Type))
			if evs[i].Type == mongoose.EvHTTPMsg {
				req = &evs[i]
			}
		}
		if req == nil || req.URI != uri || string(req.Body) != body {
			t.Fatalf("the poll after the records came in gave events %v, want the request for %s with body %q", got, uri, body)
		}
		mgr.Reply(req.ID, 200, "", []byte("ok"))
		pollUntil(func() error {
			resp, err := http.ReadResponse(br, nil)
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
			}
			return err
		})
	}

	// Finished (held from the server's flight on) and a request behind it.
	pollUntil(func() error {
		if err := c.Handshake(); err != nil {
			return err
		}
		_, err := io.WriteString(c, "GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
		return err
	})
	answer("/first", "")
	// Headers and body in two records (two writes), arriving together.
	h.holdAgain()
	for _, rec := range []string{"POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", "hello"} {
		if _, err := io.WriteString(c, rec); err != nil {
			t.Fatal(err)
		}
	}
	answer("/second", "hello")
}

// TestTLSEndBehindData: a close_notify, or a bad record, that comes in with
// data is taken in after the data: the data is read, then the error (if
// any) reported, then the connection closes. It guards the read that takes
// every record in at once (TestTLSRecordsTogether): a first version lost
// the close_notify (the connection never closed) and reported the error
// before the data.
func TestTLSEndBehindData(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name string
		end  func(c *tls.Conn, h *heldConn)
		want []mongoose.EventType
	}{
		{"close_notify", func(c *tls.Conn, h *heldConn) {
			c.CloseWrite()
			h.SetWriteDeadline(time.Time{}) // CloseWrite leaves an expired one
		}, []mongoose.EventType{mongoose.EvRead, mongoose.EvClose}},
		{"bad record", func(c *tls.Conn, h *heldConn) {
			h.mu.Lock()
			h.held = append(h.held, 0x17, 3, 3, 0, 24) // application data, 24 bytes that fail the AEAD
			h.held = append(h.held, make([]byte, 24)...)
			h.mu.Unlock()
		}, []mongoose.EventType{mongoose.EvRead, mongoose.EvError, mongoose.EvClose}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evc := make(chan mongoose.Event, 16)
			s := serve(t, mongoose.TCP, "tls", &mongoose.TLS{Cert: p.srvCert, Key: p.srvKey}, func(m *mongoose.Manager, e *mongoose.Event) {
				if e.Type == mongoose.EvRead || e.Type == mongoose.EvError || e.Type == mongoose.EvClose {
					evc <- mongoose.Event{Type: e.Type, Body: bytes.Clone(e.Body)}
				}
			})
			raw, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close() // the client keeps its end open: the close is the server's
			h := &heldConn{Conn: raw}
			c := tls.Client(h, &tls.Config{RootCAs: p.pool, ServerName: "127.0.0.1"})
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if err := c.Handshake(); err != nil {
				t.Fatal(err)
			}
			h.holdAgain()
			if _, err := io.WriteString(c, "hello"); err != nil {
				t.Fatal(err)
			}
			tc.end(c, h)
			if err := h.flush(); err != nil {
				t.Fatal(err)
			}
			var got []mongoose.EventType
			for len(got) < len(tc.want) {
				select {
				case e := <-evc:
					got = append(got, e.Type)
					if e.Type == mongoose.EvRead && string(e.Body) != "hello" {
						t.Errorf("read %q, want hello", e.Body)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("events %v, then nothing for 5 s; want %v", got, tc.want)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("events %v, want %v", got, tc.want)
			}
		})
	}
}

// TestTLSThreads: servers' handshakes complete with their first step on the
// polling thread (-1) and on one or several workers, many at once, each
// request answered.
func TestTLSThreads(t *testing.T) {
	p := newPKI(t)
	for _, n := range []int{-1, 1, 4} {
		s := serve(t, mongoose.HTTP, "https", &mongoose.TLS{Cert: p.srvCert, Key: p.srvKey}, hello)
		if err := s.mgr.SetLimits(mongoose.Limits{TLSThreads: n}); err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 16)
		for i := 0; i < cap(errs); i++ {
			go func() {
				c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.pool}, DisableKeepAlives: true}}
				for j := 0; j < 5; j++ {
					resp, err := c.Get("https://" + s.addr + "/")
					if err != nil {
						errs <- err
						return
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if string(b) != "tls=true" {
						errs <- fmt.Errorf("body %q", b)
						return
					}
				}
				errs <- nil
			}()
		}
		for i := 0; i < cap(errs); i++ {
			if err := <-errs; err != nil {
				t.Fatalf("TLSThreads %d: %v", n, err)
			}
		}
	}
}

// piecesConn writes its first write (the ClientHello) in two pieces, apart.
type piecesConn struct {
	net.Conn
	split bool
}

func (c *piecesConn) Write(b []byte) (int, error) {
	if c.split || len(b) < 100 {
		return c.Conn.Write(b)
	}
	c.split = true
	n, err := c.Conn.Write(b[:50])
	if err != nil {
		return n, err
	}
	time.Sleep(50 * time.Millisecond)
	m, err := c.Conn.Write(b[50:])
	return n + m, err
}

// TestTLSClientHelloInPieces: a ClientHello that comes in two pieces (as a
// post-quantum one, over 1,500 bytes, does on real networks) is served.
func TestTLSClientHelloInPieces(t *testing.T) {
	p := newPKI(t)
	s := serve(t, mongoose.HTTP, "https", &mongoose.TLS{Cert: p.srvCert, Key: p.srvKey}, hello)
	raw, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(&piecesConn{Conn: raw}, &tls.Config{RootCAs: p.pool, ServerName: "127.0.0.1"})
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

// TestTLSClosedMidHandshake: clients that send a ClientHello and leave at
// once, and a manager closed while handshake steps may be in flight, leave
// the server serving and the process whole.
func TestTLSClosedMidHandshake(t *testing.T) {
	p := newPKI(t)
	s := serve(t, mongoose.HTTP, "https", &mongoose.TLS{Cert: p.srvCert, Key: p.srvKey}, hello)
	hit := func() {
		raw, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		c := tls.Client(raw, &tls.Config{RootCAs: p.pool, ServerName: "127.0.0.1"})
		go c.Handshake()
		time.Sleep(time.Millisecond)
		raw.Close()
	}
	for i := 0; i < 50; i++ {
		hit()
	}
	if n, line := ticketsTaken(t, s.addr, p.pool, 10*time.Second); n != 1 || !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("after 50 abandoned handshakes: %d tickets, %q", n, line)
	}
	// The cleanup closes the manager right after these, with steps perhaps
	// still on the workers.
	for i := 0; i < 20; i++ {
		hit()
	}
}

// TestTLSStepFailureWakesPoll: a first handshake step that fails on a worker
// (plain HTTP to a TLS port) is reported at once, though the client neither
// closes nor sends more and Poll waits long.
func TestTLSStepFailureWakesPoll(t *testing.T) {
	mgr := newManager(t)
	c, err := net.Dial("tcp", listenHTTPS(t, mgr, newPKI(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	start := time.Now()
	for time.Since(start) < 10*time.Second {
		evs, err := mgr.Poll(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Type == mongoose.EvError {
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("the error came after %v: %s", d, e.Body)
				}
				t.Logf("after %v: %s", time.Since(start).Round(time.Millisecond), e.Body)
				return
			}
		}
	}
	t.Fatal("no error event for plain HTTP on a TLS port")
}

// TestTLSGlueClientResumes: the glue's client keeps sessions per server, so
// a reconnecting client resumes.
func TestTLSGlueClientResumes(t *testing.T) {
	p := newPKI(t)
	addr := goTLSServer(t, p.srvCert, p.srvKey)
	mgr := newManager(t)
	var got []string
	for i := 0; i < 3; i++ {
		body, errText := glueGet(t, mgr, "https://"+addr+"/", &mongoose.TLS{CA: p.caPEM})
		if errText != "" {
			t.Fatal(errText)
		}
		got = append(got, body)
	}
	if got[0] != "resumed=false" || got[1] != "resumed=true" || got[2] != "resumed=true" {
		t.Errorf("glue client sessions: %v, want the second and third resumed", got)
	}
}

// nullLog quiets the Go server's log of handshakes the glue refused.
func nullLog() *log.Logger { return log.New(io.Discard, "", 0) }

// TestTLSInfo: a net/http handler sees the TLS details, and with mutual
// TLS authorises by the client certificate's subject; a glue client sees
// its server's.
func TestTLSInfo(t *testing.T) {
	p := newPKI(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(77), Subject: pkix.Name{CommonName: "alice", Organization: []string{"test"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	alice := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}

	l := library(t)
	mgr, err := l.NewManager()
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	if _, err := mgr.Listen(mongoose.HTTP, "https://127.0.0.1:0", &mongoose.TLS{Cert: p.srvCert, Key: p.srvKey, CA: p.caPEM}); err != nil {
		t.Fatal(err)
	}
	var addr string
	for _, c := range []uint64{1, 2, 3} {
		if a, err := mgr.Addr(c, false); err == nil {
			addr = a
			break
		}
	}
	handler := mgr.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := r.TLS
		if st == nil || len(st.PeerCertificates) == 0 || st.PeerCertificates[0].Subject.CommonName != "alice" {
			http.Error(w, "who are you?", http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "hello %s: v=%x cipher=%x alpn=%s sni=%s resumed=%v chain=%d",
			st.PeerCertificates[0].Subject.CommonName, st.Version, st.CipherSuite, st.NegotiatedProtocol, st.ServerName,
			st.DidResume, len(st.PeerCertificates))
	}))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			evs, _ := mgr.Poll(20 * time.Millisecond)
			for i := range evs {
				handler(&evs[i])
			}
		}
	}()
	defer func() { close(stop); <-done }()

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{
		RootCAs: p.pool, ServerName: "localhost", NextProtos: []string{"http/1.1"}, Certificates: []tls.Certificate{alice},
		ClientSessionCache: tls.NewLRUClientSessionCache(4)}}}
	for i, want := range []string{"resumed=false", "resumed=true"} {
		resp, err := client.Get("https://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		exp := fmt.Sprintf("hello alice: v=%x cipher=%x alpn=http/1.1 sni=localhost %s chain=1", resp.TLS.Version, resp.TLS.CipherSuite, want)
		if resp.StatusCode != 200 || string(body) != exp {
			t.Errorf("request %d: %d %q, want %q", i, resp.StatusCode, body, exp)
		}
	}
}

// TestTLSInfoClient: the glue's client sees what it negotiated with a Go
// server, and the server's certificate.
func TestTLSInfoClient(t *testing.T) {
	p := newPKI(t)
	addr := goTLSServer(t, p.srvCert, p.srvKey)
	mgr := newManager(t)
	id, err := mgr.Connect(mongoose.HTTP, "https://"+addr+"/", &mongoose.TLS{CA: p.caPEM, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mgr.TLSInfo(id); err == nil {
		t.Error("TLSInfo before the handshake succeeded")
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		evs, _ := mgr.Poll(20 * time.Millisecond)
		for _, e := range evs {
			switch e.Type {
			case mongoose.EvConnect:
				mgr.Send(id, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
			case mongoose.EvError:
				t.Fatal(string(e.Body))
			case mongoose.EvHTTPMsg:
				info, err := mgr.TLSInfo(id)
				if err != nil {
					t.Fatal(err)
				}
				st, err := info.ConnectionState()
				if err != nil {
					t.Fatal(err)
				}
				if st.Version != tls.VersionTLS13 || tls.CipherSuiteName(st.CipherSuite) == "" || st.NegotiatedProtocol != "http/1.1" ||
					st.ServerName != "localhost" || len(st.PeerCertificates) != 1 || st.PeerCertificates[0].Issuer.CommonName != "test CA" {
					t.Errorf("client TLS state: %+v", st)
				}
				return
			}
		}
	}
	t.Fatal("no response within 10 s")
}

// TestTLSClientIPv6Name: an IPv6 URL's host ("[::1]") is checked as the
// address ::1 against the certificate's IP addresses.
func TestTLSClientIPv6Name(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		peer.Skip(t, fmt.Sprintf("SKIPPED: no IPv6 loopback: %v", err))
	}
	ln.Close()
	p := newPKI(t)
	for _, c := range []struct {
		names []string
		want  string
	}{{[]string{"::1"}, ""}, {[]string{"127.0.0.1", "localhost"}, "IP address mismatch"}} {
		certPEM, keyPEM := leaf(t, p, time.Now().Add(time.Hour), c.names...)
		cert, _ := tls.X509KeyPair(certPEM, keyPEM)
		ln, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Fatal(err)
		}
		ts := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "v6") }),
			TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, ErrorLog: nullLog()}
		go ts.ServeTLS(ln, "", "")
		body, errText := glueGet(t, newManager(t), "https://"+ln.Addr().String()+"/", &mongoose.TLS{CA: p.caPEM})
		ts.Close()
		if (c.want == "" && body != "v6") || (c.want != "" && !strings.Contains(errText, c.want)) {
			t.Errorf("certificate for %v: body %q, error %q; want %q", c.names, body, errText, c.want)
		}
	}
}
