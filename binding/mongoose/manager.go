package mongoose

import (
	"fmt"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// Kind is what a connection speaks.
type Kind int32

const (
	HTTP Kind = 1 // HTTP, and WebSocket after an upgrade; https:// for TLS
	TCP  Kind = 2 // raw TCP; tls:// for TLS
	UDP  Kind = 3 // raw UDP datagrams
)

// EventType says what happened; the Go twin of the Lua binding's events.
type EventType uint32

const (
	EvAccept  EventType = 1 // a listener accepted a connection
	EvConnect EventType = 2 // a client connection is up
	EvHTTPMsg EventType = 3 // a whole HTTP request (server) or response (client)
	EvWSOpen  EventType = 4 // WebSocket handshake done
	EvWSMsg   EventType = 5 // a WebSocket message; Status is the opcode
	EvRead    EventType = 6 // raw TCP or UDP bytes in Body
	EvClose   EventType = 7 // the connection is gone
	EvError   EventType = 8 // Body is the error text
	EvWakeup  EventType = 9 // Body is what Wakeup sent
)

var eventNames = [...]string{"", "accept", "connect", "http-msg", "ws-open", "ws-msg", "read", "close", "error", "wakeup"}

func (t EventType) String() string {
	if int(t) < len(eventNames) && t > 0 {
		return eventNames[t]
	}
	return fmt.Sprintf("event(%d)", uint32(t))
}

// Flags describe the connection an event is about.
type Flags uint32

const (
	FlagTLS       Flags = 1
	FlagClient    Flags = 2
	FlagWebSocket Flags = 4
	FlagUDP       Flags = 8
	FlagListener  Flags = 16
)

// WebSocket opcodes.
const (
	WSText   = 1
	WSBinary = 2
)

// Header is one HTTP header.
type Header struct{ Name, Value string }

// Event is one event, copied out of the library: it stays valid.
type Event struct {
	Type     EventType
	Flags    Flags
	ID       uint64 // the connection
	Listener uint64 // the listener that accepted it, or 0
	Status   int    // HTTP status (client responses) or WebSocket opcode
	Method   string
	URI      string
	Query    string
	Proto    string
	Headers  []Header
	Body     []byte
	Local    string // "ip:port"
	Remote   string
}

// Header returns the first header with the given name (case-insensitive).
func (e *Event) Header(name string) (string, bool) {
	for _, h := range e.Headers {
		if len(h.Name) == len(name) && equalFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

func equalFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// TLS holds PEM (or DER) credentials. For a listener: Cert and Key, and CA
// to require client certificates. For a client: Cert and Key for a client
// certificate; the server is always verified, as crypto/tls does, against
// CA, or without CA against the system's roots (SSL_CERT_FILE and
// SSL_CERT_DIR when set; else the OS bundle on Linux and macOS, the ROOT
// store on Windows), and by its name: ServerName, else the URL's host.
// A failed verification is an EvError saying why.
type TLS struct {
	Cert, Key, CA []byte
	ServerName    string
	// InsecureSkipVerify turns the server's verification off: anyone on the
	// path can then read and change the traffic. For tests only, as in
	// crypto/tls.
	InsecureSkipVerify bool
}

// Manager is one mongoose event manager. Its methods must be called from one
// goroutine at a time, except Wakeup, which is safe from any goroutine.
type Manager struct {
	lib    *Library
	m      uintptr
	out    *cEvent // mg_ffi_poll's out-parameter
	events []Event
	// The last header block passed to Reply, NUL-terminated: servers send
	// the same headers again and again.
	hdr     string
	hdrC    []byte
	yielded time.Time // when Poll last yielded
	// closing keeps Close from freeing the manager under a Wakeup.
	closing sync.RWMutex
	// tlsThreads is the library's default for Limits.TLSThreads.
	tlsThreads uint64
}

// yieldEvery is how often Poll yields: well inside the 10 ms after which Go's
// scheduler preempts a goroutine.
const yieldEvery = 5 * time.Millisecond

// headers returns a NUL-terminated copy of h, reusing the last one.
func (mgr *Manager) headers(h string) *byte {
	if h == "" {
		return nil
	}
	if h != mgr.hdr || mgr.hdrC == nil {
		mgr.hdr, mgr.hdrC = h, append([]byte(h), 0)
	}
	return &mgr.hdrC[0]
}

// NewManager makes a manager.
func (l *Library) NewManager() (*Manager, error) {
	m := l.funcs.mgrNew()
	if m == 0 {
		return nil, fmt.Errorf("mongoose: cannot create a manager (out of memory or no wakeup pipe)")
	}
	mgr := &Manager{lib: l, m: m}
	if l.funcs.getLimit != 0 {
		call(l.funcs.getLimit, m, limitTLSThreads, uintptr(unsafe.Pointer(&mgr.tlsThreads)))
	}
	return mgr, nil
}

// Close frees the manager and closes every connection.
func (mgr *Manager) Close() error {
	if mgr.m == 0 {
		return errClosed
	}
	mgr.closing.Lock()
	defer mgr.closing.Unlock()
	mgr.lib.funcs.mgrFree(mgr.m)
	mgr.m = 0
	return nil
}

// Poll waits up to timeout for I/O, runs mongoose, and returns the events.
// The returned slice is reused by the next Poll; the events' strings and
// bodies stay valid.
func (mgr *Manager) Poll(timeout time.Duration) ([]Event, error) {
	if mgr.m == 0 {
		return nil, errClosed
	}
	// A goroutine that loops on Poll never reaches the scheduler, which
	// then treats it as a hog: every 10 ms it takes the processor back from
	// the C call, and sysmon restarts waking every 20 µs. Yielding now and
	// then avoids that, and it cut the server's context switches to a third.
	if now := time.Now(); now.Sub(mgr.yielded) > yieldEvery {
		mgr.yielded = now
		runtime.Gosched()
	}
	// The out-parameter is a field: the compiler cannot assume a C call
	// leaves heap memory it reaches through a uintptr alone.
	n := call(mgr.lib.entries.poll, mgr.m, uintptr(int32(timeout/time.Millisecond)), uintptr(unsafe.Pointer(&mgr.out)))
	p := mgr.out
	if n < 0 {
		return nil, mgr.lib.check("poll", n)
	}
	mgr.events = mgr.events[:0]
	if n == 0 {
		return mgr.events, nil
	}
	cevs := unsafe.Slice(p, int(n))
	// All of a batch's bytes live in one C buffer: copy the span once, so
	// that an event costs no allocation per field.
	var b batch
	nh := 0
	for i := range cevs {
		c := &cevs[i]
		for _, str := range c.strs() {
			b.span(str)
		}
		for _, h := range c.headerSlice() {
			b.span(h.name)
			b.span(h.value)
		}
		nh += int(c.nheaders)
	}
	b.copy()
	headers := make([]Header, nh)
	for i := range cevs {
		c := &cevs[i]
		e := Event{Type: EventType(c.typ), Flags: Flags(c.flags), ID: c.id, Listener: c.listener,
			Status: int(c.status), Method: b.string(c.method), URI: b.string(c.uri), Query: b.string(c.query),
			Proto: b.string(c.proto), Body: b.bytes(c.body), Local: b.string(c.local), Remote: b.string(c.remote)}
		if c.nheaders > 0 {
			e.Headers, headers = headers[:c.nheaders:c.nheaders], headers[c.nheaders:]
			for j, h := range c.headerSlice() {
				e.Headers[j] = Header{b.string(h.name), b.string(h.value)}
			}
		}
		mgr.events = append(mgr.events, e)
	}
	return mgr.events, nil
}

// batch is one Go copy of the C bytes a poll's events point into.
type batch struct {
	lo, hi uintptr
	first  *byte // at lo
	buf    []byte
}

func (b *batch) span(s cStr) {
	if s.len == 0 {
		return
	}
	p := uintptr(unsafe.Pointer(s.ptr))
	if b.hi == 0 || p < b.lo {
		b.lo, b.first = p, s.ptr
	}
	if e := p + uintptr(s.len); e > b.hi {
		b.hi = e
	}
}

func (b *batch) copy() {
	if b.hi > b.lo {
		b.buf = append([]byte(nil), unsafe.Slice(b.first, b.hi-b.lo)...)
	}
}

func (b *batch) bytes(s cStr) []byte {
	if s.len == 0 {
		return nil
	}
	off := uintptr(unsafe.Pointer(s.ptr)) - b.lo
	return b.buf[off : off+uintptr(s.len) : off+uintptr(s.len)]
}

// string shares the copy: it is never written again.
func (b *batch) string(s cStr) string {
	if s.len == 0 {
		return ""
	}
	return unsafe.String(&b.bytes(s)[0], int(s.len))
}

// Listen opens a listener and returns its id. tls may be nil.
func (mgr *Manager) Listen(kind Kind, url string, tls *TLS) (uint64, error) {
	if mgr.m == 0 {
		return 0, errClosed
	}
	var id uint64
	t := orEmpty(tls)
	code := mgr.lib.funcs.listen(mgr.m, int32(kind), url, ptr(t.Cert), uint64(len(t.Cert)), ptr(t.Key), uint64(len(t.Key)), ptr(t.CA), uint64(len(t.CA)), &id)
	return id, mgr.lib.check("listen "+url, code)
}

// Connect opens a client connection and returns its id; EvConnect follows.
func (mgr *Manager) Connect(kind Kind, url string, tls *TLS) (uint64, error) {
	if mgr.m == 0 {
		return 0, errClosed
	}
	var id uint64
	t := orEmpty(tls)
	var flags uint32
	if t.InsecureSkipVerify {
		flags |= tlsInsecureSkipVerify
	}
	code := mgr.lib.funcs.connect(mgr.m, int32(kind), url, ptr(t.CA), uint64(len(t.CA)), cstring(t.ServerName),
		ptr(t.Cert), uint64(len(t.Cert)), ptr(t.Key), uint64(len(t.Key)), flags, &id)
	return id, mgr.lib.check("connect "+url, code)
}

func orEmpty(t *TLS) *TLS {
	if t == nil {
		return &TLS{}
	}
	return t
}

func (mgr *Manager) call(op string, id uint64, f func() int32) error {
	if mgr.m == 0 {
		return errClosed
	}
	code := f()
	if code >= 0 {
		return nil // the hot path: no message is formatted
	}
	return mgr.lib.check(fmt.Sprintf("%s on connection %d", op, id), code)
}

// Addr returns a connection's local or remote address as "ip:port"; for a
// listener on port 0, the local address has the port the OS chose.
func (mgr *Manager) Addr(id uint64, remote bool) (string, error) {
	var buf [64]byte
	var n int32
	err := mgr.call("address", id, func() int32 {
		r := int32(0)
		if remote {
			r = 1
		}
		n = mgr.lib.funcs.addr(mgr.m, id, r, &buf[0], uint64(len(buf)))
		return n
	})
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// Send queues raw bytes (TCP), or one datagram (UDP).
func (mgr *Manager) Send(id uint64, b []byte) error {
	return mgr.call("send", id, func() int32 {
		return call(mgr.lib.entries.send, mgr.m, uintptr(id), uintptr(unsafe.Pointer(ptr(b))), uintptr(len(b)))
	})
}

// CloseConn closes a connection: after sending what is queued, or at once.
func (mgr *Manager) CloseConn(id uint64, immediately bool) error {
	how := int32(0)
	if immediately {
		how = 1
	}
	return mgr.call("close", id, func() int32 { return mgr.lib.funcs.close(mgr.m, id, how) })
}

// Wakeup queues a copy of b for connection id and wakes a waiting Poll,
// which delivers it as an EvWakeup event. It is safe to call from any
// goroutine, also while Close runs. A nil error means the event will be
// delivered, once and in call order, unless the connection closes first.
// Errors: ErrTooBig past MaxWakeup bytes; ErrBusy when MaxWakeupQueue bytes
// wait undelivered (poll, then retry); ErrClosed once Close has begun.
func (mgr *Manager) Wakeup(id uint64, b []byte) error {
	mgr.closing.RLock()
	defer mgr.closing.RUnlock()
	return mgr.call("wakeup", id, func() int32 { return mgr.lib.funcs.wakeup(mgr.m, id, ptr(b), uint64(len(b))) })
}

// Reply sends a whole HTTP response. headers is "Name: value\r\n" lines.
func (mgr *Manager) Reply(id uint64, status int, headers string, body []byte) error {
	return mgr.call("reply", id, func() int32 {
		return call(mgr.lib.entries.reply, mgr.m, uintptr(id), uintptr(int32(status)), uintptr(unsafe.Pointer(mgr.headers(headers))),
			uintptr(unsafe.Pointer(ptr(body))), uintptr(len(body)))
	})
}

// ReplyChunked starts a chunked HTTP response; send chunks with Chunk and
// end it with an empty chunk.
func (mgr *Manager) ReplyChunked(id uint64, status int, headers string) error {
	return mgr.call("reply", id, func() int32 { return mgr.lib.funcs.chunkStart(mgr.m, id, int32(status), cstring(headers)) })
}

// Chunk sends one chunk; an empty one ends the response.
func (mgr *Manager) Chunk(id uint64, b []byte) error {
	return mgr.call("chunk", id, func() int32 {
		return call(mgr.lib.entries.chunk, mgr.m, uintptr(id), uintptr(unsafe.Pointer(ptr(b))), uintptr(len(b)))
	})
}

// ServeDir answers the connection's request from this Poll with files under root.
func (mgr *Manager) ServeDir(id uint64, root, extraHeaders string) error {
	return mgr.call("serve dir", id, func() int32 { return mgr.lib.funcs.serveDir(mgr.m, id, root, cstring(extraHeaders)) })
}

// ServeFile answers the connection's request from this Poll with one file.
func (mgr *Manager) ServeFile(id uint64, path, extraHeaders string) error {
	return mgr.call("serve file", id, func() int32 { return mgr.lib.funcs.serveFile(mgr.m, id, path, cstring(extraHeaders)) })
}

// Upgrade turns the connection's request from this Poll into a WebSocket.
func (mgr *Manager) Upgrade(id uint64, extraHeaders string) error {
	return mgr.call("websocket upgrade", id, func() int32 { return mgr.lib.funcs.wsUpgrade(mgr.m, id, cstring(extraHeaders)) })
}

// SendWS sends a WebSocket message (WSText or WSBinary).
func (mgr *Manager) SendWS(id uint64, b []byte, op int) error {
	return mgr.call("websocket send", id, func() int32 {
		return call(mgr.lib.entries.wsSend, mgr.m, uintptr(id), uintptr(unsafe.Pointer(ptr(b))), uintptr(len(b)), uintptr(int32(op)))
	})
}

// tlsInsecureSkipVerify is MG_FFI_TLS_INSECURE_SKIP_VERIFY.
const tlsInsecureSkipVerify = 1
