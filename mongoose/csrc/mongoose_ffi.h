// mongoose_ffi.h: the FFI glue of mongoose-ffi, the single description of
// its ABI. Self-contained C99 (only <stdint.h>), for C, LuaJIT's ffi.cdef and
// the Go binding alike.
//
// Rules that make it FFI-friendly:
//  - no callbacks into the host: mongoose's events are queued per manager and
//    mg_ffi_poll hands back the whole batch as one array, in one call;
//  - connections are named by their numeric id, never by pointer; an
//    operation on an unknown or closed id returns MG_FFI_ERR_NOCONN;
//  - no variadic functions, no structs by value, fixed-width integers,
//    pointer + length buffers; strings passed in are NUL-terminated C strings
//    unless a length is given;
//  - event data stays valid until the next mg_ffi_poll on the same manager.
#ifndef MONGOOSE_FFI_H
#define MONGOOSE_FFI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define MG_FFI_API __declspec(dllexport)
#else
#define MG_FFI_API __attribute__((visibility("default")))
#endif

// Bumped on any incompatible change; bindings refuse other versions.
#define MG_FFI_ABI_VERSION 3

// Error codes: 0 is success, failures are negative.
#define MG_FFI_OK 0
#define MG_FFI_ERR_NOCONN (-1)   // no open connection with that id
#define MG_FFI_ERR_ARG (-2)      // bad argument (NULL, bad kind, ...)
#define MG_FFI_ERR_LISTEN (-3)   // listen failed (bad URL, port in use)
#define MG_FFI_ERR_CONNECT (-4)  // connect failed to start (bad URL)
#define MG_FFI_ERR_NOMEM (-5)    // out of memory
#define MG_FFI_ERR_NOREQ (-6)    // no HTTP request from this poll's batch
#define MG_FFI_ERR_SPACE (-7)    // output buffer too small
#define MG_FFI_ERR_SEND (-8)     // could not queue the data
// Added for lossless wakeups (numbered apart from other additions).
#define MG_FFI_ERR_FULL (-20)    // wakeup queue full: retry after a poll
#define MG_FFI_ERR_TOOBIG (-21)  // over a size limit (MG_FFI_WAKEUP_MAX)
#define MG_FFI_ERR_CLOSED (-22)  // the manager is being freed
#define MG_FFI_ERR_TLS (-9)      // bad TLS certificate, key or CA

// Flags for mg_ffi_connect.
// INSECURE: the server's certificate and name are not checked, so anyone on
// the path can read and change the traffic. For tests only.
#define MG_FFI_TLS_INSECURE_SKIP_VERIFY 1

// Connection kinds for listen and connect.
#define MG_FFI_HTTP 1  // HTTP (and WebSocket after upgrade); https:// for TLS
#define MG_FFI_TCP 2   // raw TCP; tls:// for TLS
#define MG_FFI_UDP 3   // raw UDP datagrams

// Event types.
#define MG_FFI_EV_ACCEPT 1    // a listener accepted a connection
#define MG_FFI_EV_CONNECT 2   // a client connection is established
#define MG_FFI_EV_HTTP_MSG 3  // a full HTTP request (server) or response (client)
#define MG_FFI_EV_WS_OPEN 4   // WebSocket handshake done
#define MG_FFI_EV_WS_MSG 5    // WebSocket message; status holds the opcode
#define MG_FFI_EV_READ 6      // raw TCP or UDP bytes in body
#define MG_FFI_EV_CLOSE 7     // the connection is closed; its id is dead
#define MG_FFI_EV_ERROR 8     // an error; body holds the text
#define MG_FFI_EV_WAKEUP 9    // mg_ffi_wakeup delivered body to this id

// Event flags.
#define MG_FFI_F_TLS 1        // the connection uses TLS
#define MG_FFI_F_CLIENT 2     // we connected out
#define MG_FFI_F_WEBSOCKET 4  // upgraded to WebSocket
#define MG_FFI_F_UDP 8        // a UDP connection
#define MG_FFI_F_LISTENER 16  // the listening connection itself

// WebSocket opcodes for mg_ffi_ws_send and WS_MSG events.
#define MG_FFI_WS_TEXT 1
#define MG_FFI_WS_BINARY 2

// A string or byte buffer; ptr is never NULL in an event (len may be 0).
struct mg_ffi_str {
  const char *ptr;  // offset 0
  uint64_t len;     // offset 8
};  // 16 bytes

struct mg_ffi_header {
  struct mg_ffi_str name;   // offset 0
  struct mg_ffi_str value;  // offset 16
};  // 32 bytes

// One event. Fields not named for an event type are empty.
//  HTTP_MSG: method, uri, query, proto, headers, body; status is the response
//            code for client connections. A response's "method" is the
//            protocol (HTTP/1.1), as mongoose parses it.
//  WS_MSG:   body, status = opcode.  READ: body.  ERROR: body = text.
//  WAKEUP:   body = the bytes given to mg_ffi_wakeup.
//  Every event: id, listener (the accepting listener's id, or 0), flags,
//  local and remote address as "ip:port" ("[ip6]:port").
struct mg_ffi_event {
  uint32_t type;                         // offset 0: MG_FFI_EV_*
  uint32_t flags;                        // offset 4: MG_FFI_F_*
  uint64_t id;                           // offset 8: connection id
  uint64_t listener;                     // offset 16
  int32_t status;                        // offset 24
  uint32_t nheaders;                     // offset 28
  const struct mg_ffi_header *headers;   // offset 32: nheaders entries
  struct mg_ffi_str method;              // offset 40
  struct mg_ffi_str uri;                 // offset 56
  struct mg_ffi_str query;               // offset 72
  struct mg_ffi_str proto;               // offset 88
  struct mg_ffi_str body;                // offset 104
  struct mg_ffi_str local;               // offset 120
  struct mg_ffi_str remote;              // offset 136
};  // 152 bytes

struct mg_ffi_mgr;  // opaque
struct mg_mgr;      // mongoose's manager, for users of the raw API

MG_FFI_API uint32_t mg_ffi_abi_version(void);
MG_FFI_API const char *mg_ffi_version(void);          // mongoose's version
MG_FFI_API const char *mg_ffi_openssl_version(void);  // "none" without TLS
MG_FFI_API const char *mg_ffi_strerror(int32_t code);
MG_FFI_API void mg_ffi_log_level(int32_t level);  // 0 none .. 4 verbose

// Managers. Not thread-safe, except mg_ffi_wakeup.
MG_FFI_API struct mg_ffi_mgr *mg_ffi_mgr_new(void);
MG_FFI_API void mg_ffi_mgr_free(struct mg_ffi_mgr *m);
MG_FFI_API struct mg_mgr *mg_ffi_mgr_raw(struct mg_ffi_mgr *m);

// Runs one mongoose poll (waiting up to timeout_ms for I/O) and returns the
// number of events, with *events pointing at them, valid until the next poll.
// Events raised by calls made between polls (CONNECT of a UDP client,
// WS_OPEN of an upgrade) come with the next poll, which then does not wait.
MG_FFI_API int32_t mg_ffi_poll(struct mg_ffi_mgr *m, int32_t timeout_ms,
                               const struct mg_ffi_event **events);

// Listen and connect. kind is MG_FFI_HTTP, MG_FFI_TCP or MG_FFI_UDP; the URL
// scheme https://, wss:// or tls:// turns on TLS (1.2 or 1.3). PEM (or DER)
// buffers are parsed once, here: bad ones give MG_FFI_ERR_TLS. A listener
// with ca requires client certificates (mutual TLS). A client always
// verifies the server's certificate chain — against ca, or without ca
// against the system's roots (SSL_CERT_FILE / SSL_CERT_DIR when set; else
// the OS bundle on Linux and macOS, the ROOT store on Windows) — and its
// name: server_name, else the URL's host (DNS name or IP address). A failed
// check is an ERROR event saying why. flags: MG_FFI_TLS_*; only
// MG_FFI_TLS_INSECURE_SKIP_VERIFY turns verification off.
MG_FFI_API int32_t mg_ffi_listen(struct mg_ffi_mgr *m, int32_t kind,
                                 const char *url, const char *cert,
                                 uint64_t cert_len, const char *key,
                                 uint64_t key_len, const char *ca,
                                 uint64_t ca_len, uint64_t *id);
MG_FFI_API int32_t mg_ffi_connect(struct mg_ffi_mgr *m, int32_t kind,
                                  const char *url, const char *ca,
                                  uint64_t ca_len, const char *server_name,
                                  const char *cert, uint64_t cert_len,
                                  const char *key, uint64_t key_len,
                                  uint32_t flags, uint64_t *id);

// Writes a connection's local (remote = 0) or remote address as "ip:port"
// into out, NUL-terminated, and returns its length. A listener on port 0
// reports the port the OS chose.
MG_FFI_API int32_t mg_ffi_addr(struct mg_ffi_mgr *m, uint64_t id,
                               int32_t remote, char *out, uint64_t out_len);

// Sending: on plain TCP with nothing queued, the bytes leave in the call
// itself; otherwise (TLS, a full socket) they are queued and sent by polls.

// Raw bytes: TCP stream, UDP datagram (to the last sender on a listener).
// An empty UDP datagram is refused (MG_FFI_ERR_ARG).
MG_FFI_API int32_t mg_ffi_send(struct mg_ffi_mgr *m, uint64_t id,
                               const void *buf, uint64_t len);
// how: 0 graceful (send what is queued, then close), 1 immediate.
MG_FFI_API int32_t mg_ffi_close(struct mg_ffi_mgr *m, uint64_t id, int32_t how);
// Thread-safe: queues a copy of buf for connection id and wakes a poll that
// is waiting; the next mg_ffi_poll delivers it as a WAKEUP event. Every call
// that returns MG_FFI_OK is delivered exactly once, in call order, unless
// the connection has closed by then. A payload over MG_FFI_WAKEUP_MAX gets
// MG_FFI_ERR_TOOBIG; a queue holding MG_FFI_WAKEUP_QUEUE_MAX bytes of
// undelivered payloads (counting 48 bytes a message) gets MG_FFI_ERR_FULL,
// until the polling thread catches up. Calls made while mg_ffi_mgr_free
// runs get MG_FFI_ERR_CLOSED; calls after it returns are the caller's bug.
MG_FFI_API int32_t mg_ffi_wakeup(struct mg_ffi_mgr *m, uint64_t id,
                                 const void *buf, uint64_t len);
#define MG_FFI_WAKEUP_MAX (16u * 1024u * 1024u)        // 16 MB a payload
#define MG_FFI_WAKEUP_QUEUE_MAX (64u * 1024u * 1024u)  // 64 MB queued

// HTTP replies. headers is a block of "Name: value\r\n" lines, or NULL.
// On server connections the glue adds Date (unless headers has one) and,
// when the request asked for it (Connection: close, HTTP/1.0), Connection:
// close, then closes once the response is sent; a HEAD request gets the
// headers (Content-Length of body_len, unless headers gives one) and no
// body; an HTTP/1.0 request gets a chunked reply unchunked, ended by the close.
MG_FFI_API int32_t mg_ffi_http_reply(struct mg_ffi_mgr *m, uint64_t id,
                                     int32_t status, const char *headers,
                                     const void *body, uint64_t body_len);
MG_FFI_API int32_t mg_ffi_http_chunk_start(struct mg_ffi_mgr *m, uint64_t id,
                                           int32_t status,
                                           const char *headers);
// A zero-length chunk ends the reply.
MG_FFI_API int32_t mg_ffi_http_chunk(struct mg_ffi_mgr *m, uint64_t id,
                                     const void *buf, uint64_t len);
// These answer the connection's HTTP request from the current poll's batch
// (MG_FFI_ERR_NOREQ otherwise). path is a directory (serve_dir) or a file.
MG_FFI_API int32_t mg_ffi_http_serve_dir(struct mg_ffi_mgr *m, uint64_t id,
                                         const char *root_dir,
                                         const char *extra_headers);
MG_FFI_API int32_t mg_ffi_http_serve_file(struct mg_ffi_mgr *m, uint64_t id,
                                          const char *path,
                                          const char *extra_headers);
MG_FFI_API int32_t mg_ffi_ws_upgrade(struct mg_ffi_mgr *m, uint64_t id,
                                     const char *extra_headers);
// op: MG_FFI_WS_TEXT or MG_FFI_WS_BINARY (or any WebSocket opcode).
MG_FFI_API int32_t mg_ffi_ws_send(struct mg_ffi_mgr *m, uint64_t id,
                                  const void *buf, uint64_t len, int32_t op);

// Limits of a manager's HTTP server connections (value 0 turns a time
// limit off). A request whose head and body exceed REQUEST_SIZE bytes is
// answered 413 Content Too Large, and one not complete REQUEST_MS after its
// first byte (or after the accept) 408 Request Timeout; a keep-alive
// connection idle for IDLE_MS is closed. Each refusal (also 400, 417, 505)
// comes to the program as an ERROR event on the connection, with the
// status in status and the reason in body; the connection then closes.
#define MG_FFI_LIMIT_REQUEST_SIZE 1  // bytes, 1 .. MG_FFI_MAX_REQUEST_CAP
#define MG_FFI_LIMIT_REQUEST_MS 2    // milliseconds
#define MG_FFI_LIMIT_IDLE_MS 3       // milliseconds
// Threads that run the first step of a server's TLS handshakes (the key
// exchange and signature, most of a handshake's work), so that the polling
// thread goes on serving meanwhile. Default: one per processor, at most 16;
// none on one processor. 0: every step on the polling thread. Threads start
// at the first handshake and stay until mg_ffi_mgr_free.
#define MG_FFI_LIMIT_TLS_THREADS 4   // threads, 0 .. MG_FFI_MAX_TLS_THREADS
#define MG_FFI_MAX_TLS_THREADS 64
#define MG_FFI_MAX_REQUEST_CAP (3u * 1024u * 1024u)  // mongoose's MG_MAX_RECV_SIZE
#define MG_FFI_DEFAULT_MAX_REQUEST MG_FFI_MAX_REQUEST_CAP
#define MG_FFI_DEFAULT_REQUEST_MS 30000u
#define MG_FFI_DEFAULT_IDLE_MS 60000u
MG_FFI_API int32_t mg_ffi_set_limit(struct mg_ffi_mgr *m, int32_t which,
                                    uint64_t value);
MG_FFI_API int32_t mg_ffi_get_limit(struct mg_ffi_mgr *m, int32_t which,
                                    uint64_t *value);
// TLS details of a connection whose handshake is done.
struct mg_ffi_tls_info {
  uint32_t version;                // offset 0: 0x0303 TLS 1.2, 0x0304 TLS 1.3
  uint32_t cipher;                 // offset 4: the IANA cipher suite id
  uint32_t resumed;                // offset 8: 1 when the session was resumed
  uint32_t ncerts;                 // offset 12: entries in certs
  struct mg_ffi_str alpn;          // offset 16: negotiated ALPN, or empty
  struct mg_ffi_str sni;           // offset 32: the server name (SNI)
  const struct mg_ffi_str *certs;  // offset 48: the peer's chain, DER, leaf first
};  // 56 bytes

// Fills *out for a TLS connection: MG_FFI_ERR_NOCONN for an unknown id,
// MG_FFI_ERR_ARG when it has no TLS or its handshake is not done. The
// strings stay valid until the next mg_ffi_tls_info on the same manager.
// A separate call, so that events (the hot path) do not carry it.
MG_FFI_API int32_t mg_ffi_tls_info(struct mg_ffi_mgr *m, uint64_t id,
                                   struct mg_ffi_tls_info *out);

// Helpers over buffers. Encoders return the length written, or
// MG_FFI_ERR_SPACE when out is too small.
MG_FFI_API int64_t mg_ffi_base64_encode(const void *in, uint64_t len,
                                        char *out, uint64_t out_len);
MG_FFI_API int64_t mg_ffi_base64_decode(const char *in, uint64_t len,
                                        void *out, uint64_t out_len);
MG_FFI_API uint32_t mg_ffi_crc32(uint32_t crc, const void *buf, uint64_t len);
MG_FFI_API void mg_ffi_md5(const void *buf, uint64_t len, uint8_t out[16]);
MG_FFI_API void mg_ffi_sha1(const void *buf, uint64_t len, uint8_t out[20]);

#ifdef __cplusplus
}
#endif

#endif  // MONGOOSE_FFI_H
