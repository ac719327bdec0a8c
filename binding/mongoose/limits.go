package mongoose

import (
	"fmt"
	"time"
	"unsafe"
)

// Limits of the glue (mongoose_ffi.h), and the errors that enforce them.

// Wakeup's bounds: MG_FFI_WAKEUP_MAX and MG_FFI_WAKEUP_QUEUE_MAX.
const (
	MaxWakeup      = 16 << 20 // bytes in one Wakeup payload
	MaxWakeupQueue = 64 << 20 // undelivered bytes a manager holds, 48 more a message
)

// Sentinels for errors.Is, beside those in load.go.
var (
	ErrBusy   = &Error{Code: -20, Msg: "wakeup queue full: try again after the manager polls"}
	ErrTooBig = &Error{Code: -21, Msg: "over a size limit"}
	// ErrClosed: the manager is closed, or Close is running.
	ErrClosed = errClosed
)

// The defaults and bounds of Limits (MG_FFI_DEFAULT_*, MG_FFI_MAX_REQUEST_CAP).
const (
	DefaultMaxRequestSize = 3 << 20 // and the most it can be: mongoose's MG_MAX_RECV_SIZE
	DefaultRequestTimeout = 30 * time.Second
	DefaultIdleTimeout    = 60 * time.Second
)

// MaxTLSThreads bounds Limits.TLSThreads (MG_FFI_MAX_TLS_THREADS).
const MaxTLSThreads = 64

// Limits bound a manager's HTTP server connections. A request over
// MaxRequestSize bytes (head and body) is answered 413 Content Too Large; one
// not complete RequestTimeout after its first byte (or the accept) is
// answered 408, or closed if nothing came; a keep-alive connection idle for
// IdleTimeout is closed. The program hears of each refusal as an EvError
// event on the connection, Status holding the HTTP status.
//
// TLSThreads run the first step of its servers' TLS handshakes (the key
// exchange and signature, most of the work), so that Poll goes on serving
// meanwhile and handshakes use every processor. They start at the first
// handshake and stay until Close.
type Limits struct {
	MaxRequestSize int64         // 0: DefaultMaxRequestSize; at most DefaultMaxRequestSize
	RequestTimeout time.Duration // 0: DefaultRequestTimeout; negative: none
	IdleTimeout    time.Duration // 0: DefaultIdleTimeout; negative: none
	// 0: the library's default, one per processor (at most 16; none on one
	// processor); negative: none, every step in Poll; at most MaxTLSThreads.
	TLSThreads int
}

const (
	limitRequestSize = 1
	limitRequestMS   = 2
	limitIdleMS      = 3
	limitTLSThreads  = 4
)

// SetLimits changes the manager's limits; they apply to connections
// already open too.
func (mgr *Manager) SetLimits(l Limits) error {
	if mgr.m == 0 {
		return errClosed
	}
	if mgr.lib.funcs.setLimit == 0 {
		return fmt.Errorf("mongoose: %s has no limits (mg_ffi_set_limit): use a library from the same release as this binding", mgr.lib.Path)
	}
	size := l.MaxRequestSize
	if size == 0 {
		size = DefaultMaxRequestSize
	}
	if size < 1 || size > DefaultMaxRequestSize {
		return fmt.Errorf("mongoose: MaxRequestSize %d out of range: 1 to %d bytes (mongoose's MG_MAX_RECV_SIZE)", size, DefaultMaxRequestSize)
	}
	if l.TLSThreads > MaxTLSThreads {
		return fmt.Errorf("mongoose: TLSThreads %d out of range: at most %d", l.TLSThreads, MaxTLSThreads)
	}
	threads := mgr.tlsThreads
	if l.TLSThreads != 0 {
		threads = uint64(max(l.TLSThreads, 0))
	}
	ms := func(d, def time.Duration) uint64 {
		switch {
		case d == 0:
			d = def
		case d < 0:
			return 0
		}
		return uint64(max(d/time.Millisecond, 1))
	}
	for _, s := range []struct {
		which int32
		v     uint64
	}{{limitRequestSize, uint64(size)}, {limitRequestMS, ms(l.RequestTimeout, DefaultRequestTimeout)}, {limitIdleMS, ms(l.IdleTimeout, DefaultIdleTimeout)},
		{limitTLSThreads, threads}} {
		if err := mgr.lib.check("set limit", call(mgr.lib.funcs.setLimit, mgr.m, uintptr(s.which), uintptr(s.v))); err != nil {
			return err
		}
	}
	return nil
}

// Limits returns the limits in force; a time limit that is off is negative.
func (mgr *Manager) Limits() (Limits, error) {
	if mgr.m == 0 {
		return Limits{}, errClosed
	}
	if mgr.lib.funcs.getLimit == 0 {
		return Limits{}, fmt.Errorf("mongoose: %s has no limits (mg_ffi_get_limit)", mgr.lib.Path)
	}
	var v [4]uint64
	for i := range v {
		if err := mgr.lib.check("get limit", call(mgr.lib.funcs.getLimit, mgr.m, uintptr(i+1), uintptr(unsafe.Pointer(&v[i])))); err != nil {
			return Limits{}, err
		}
	}
	d := func(ms uint64) time.Duration {
		if ms == 0 {
			return -1
		}
		return time.Duration(ms) * time.Millisecond
	}
	threads := int(v[3])
	if threads == 0 {
		threads = -1
	}
	return Limits{MaxRequestSize: int64(v[0]), RequestTimeout: d(v[1]), IdleTimeout: d(v[2]), TLSThreads: threads}, nil
}
