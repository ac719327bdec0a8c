package mongoose

import (
	"unsafe"

	"github.com/ebitengine/purego"
)

// The C layouts of mongoose_ffi.h; abi_test.go checks the sizes and offsets.
type cStr struct {
	ptr *byte
	len uint64
}

type cHeader struct{ name, value cStr }

type cEvent struct {
	typ, flags         uint32
	id, listener       uint64
	status             int32
	nheaders           uint32
	headers            *cHeader
	method, uri, query cStr
	proto, body        cStr
	local, remote      cStr
}

func (e *cEvent) strs() [7]cStr {
	return [7]cStr{e.method, e.uri, e.query, e.proto, e.body, e.local, e.remote}
}

func (e *cEvent) headerSlice() []cHeader {
	if e.nheaders == 0 {
		return nil
	}
	return unsafe.Slice(e.headers, e.nheaders)
}

// entryPoints are the entry points called per request, by address: purego.SyscallN
// costs a fraction of a reflection-built function's call.
type entryPoints struct {
	poll, send, reply, chunk, wsSend uintptr
}

func (h *entryPoints) register(lib uintptr) error {
	for name, p := range map[string]*uintptr{"mg_ffi_poll": &h.poll, "mg_ffi_send": &h.send,
		"mg_ffi_http_reply": &h.reply, "mg_ffi_http_chunk": &h.chunk, "mg_ffi_ws_send": &h.wsSend} {
		var err error
		if *p, err = dlsym(lib, name); err != nil {
			return err
		}
	}
	return nil
}

// call invokes a hot entry point that returns int32. Like SyscallN, it
// keeps what its uintptr arguments point to alive and in place for the call.
//
//go:uintptrescapes
func call(fn uintptr, args ...uintptr) int32 {
	r, _, _ := purego.SyscallN(fn, args...)
	return int32(r)
}

// functions are the glue's entry points, typed.
type functions struct {
	version, opensslVersion func() string
	strerror                func(int32) string
	logLevel                func(int32)
	mgrNew                  func() uintptr
	mgrFree                 func(uintptr)
	listen                  func(m uintptr, kind int32, url string, cert *byte, certLen uint64, key *byte, keyLen uint64, ca *byte, caLen uint64, id *uint64) int32
	connect                 func(m uintptr, kind int32, url string, ca *byte, caLen uint64, serverName *byte, cert *byte, certLen uint64, key *byte, keyLen uint64, flags uint32, id *uint64) int32
	addr                    func(m uintptr, id uint64, remote int32, out *byte, n uint64) int32
	close                   func(m uintptr, id uint64, how int32) int32
	wakeup                  func(m uintptr, id uint64, buf *byte, n uint64) int32
	chunkStart              func(m uintptr, id uint64, status int32, headers *byte) int32
	serveDir                func(m uintptr, id uint64, root string, headers *byte) int32
	serveFile               func(m uintptr, id uint64, path string, headers *byte) int32
	wsUpgrade               func(m uintptr, id uint64, headers *byte) int32
	b64enc                  func(in *byte, n uint64, out *byte, outLen uint64) int64
	b64dec                  func(in *byte, n uint64, out *byte, outLen uint64) int64
	crc32                   func(crc uint32, buf *byte, n uint64) uint32
	md5                     func(buf *byte, n uint64, out *byte)
	sha1                    func(buf *byte, n uint64, out *byte)
	setLimit, getLimit      uintptr // limits.go; 0 in a library without them
	tlsInfo                 func(m uintptr, id uint64, out *cTLSInfo) int32
}

func (f *functions) register(h uintptr) {
	for name, fp := range map[string]any{
		"mg_ffi_version": &f.version, "mg_ffi_openssl_version": &f.opensslVersion,
		"mg_ffi_strerror": &f.strerror, "mg_ffi_log_level": &f.logLevel,
		"mg_ffi_mgr_new": &f.mgrNew, "mg_ffi_mgr_free": &f.mgrFree,
		"mg_ffi_listen": &f.listen, "mg_ffi_connect": &f.connect, "mg_ffi_addr": &f.addr,
		"mg_ffi_close": &f.close, "mg_ffi_wakeup": &f.wakeup,
		"mg_ffi_http_chunk_start": &f.chunkStart,
		"mg_ffi_http_serve_dir":   &f.serveDir, "mg_ffi_http_serve_file": &f.serveFile,
		"mg_ffi_ws_upgrade":    &f.wsUpgrade,
		"mg_ffi_base64_encode": &f.b64enc, "mg_ffi_base64_decode": &f.b64dec,
		"mg_ffi_crc32": &f.crc32, "mg_ffi_md5": &f.md5, "mg_ffi_sha1": &f.sha1,
		"mg_ffi_tls_info": &f.tlsInfo,
	} {
		purego.RegisterLibFunc(fp, h, name)
	}
	f.setLimit, _ = dlsym(h, "mg_ffi_set_limit")
	f.getLimit, _ = dlsym(h, "mg_ffi_get_limit")
}

// ptr is a buffer's first byte, or nil for an empty one.
func ptr(b []byte) *byte {
	if len(b) == 0 {
		return nil
	}
	return unsafe.SliceData(b)
}

// cstring is a NUL-terminated copy of s, or nil for "".
func cstring(s string) *byte {
	if s == "" {
		return nil
	}
	return unsafe.SliceData(append([]byte(s), 0))
}
