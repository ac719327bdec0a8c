// internal.h: what the glue's files share. Private: nothing here is part of
// the ABI (mongoose_ffi.h) or exported; mongoose.c never sees it.
//
// Build defines (the build passes the same to mongoose.c):
//   MG_TLS=MG_TLS_CUSTOM MG_ENABLE_IPV6=1, and _CRT_RAND_S on Windows.
#ifndef MONGOOSE_FFI_INTERNAL_H
#define MONGOOSE_FFI_INTERNAL_H

#include "mongoose.h"
#include "mongoose_ffi.h"

#include <stddef.h>

#include <openssl/ssl.h>  // the TLS layer's types below

// ---- one lock, condition and thread abstraction ----
#if defined(_WIN32)
typedef SRWLOCK ffi_lock;
typedef CONDITION_VARIABLE ffi_cond;
typedef HANDLE ffi_thread;
#define FFI_LOCK_INIT(l) InitializeSRWLock(l)
#define FFI_LOCK(l) AcquireSRWLockExclusive(l)
#define FFI_UNLOCK(l) ReleaseSRWLockExclusive(l)
#define FFI_LOCK_FREE(l) ((void) (l))
#define FFI_COND_INIT(c) InitializeConditionVariable(c)
#define FFI_COND_WAIT(c, l) SleepConditionVariableSRW((c), (l), INFINITE, 0)
#define FFI_COND_SIGNAL(c) WakeConditionVariable(c)
#define FFI_COND_BROADCAST(c) WakeAllConditionVariable(c)
#define FFI_COND_FREE(c) ((void) (c))
#else
#include <pthread.h>
typedef pthread_mutex_t ffi_lock;
typedef pthread_cond_t ffi_cond;
typedef pthread_t ffi_thread;
#define FFI_LOCK_INIT(l) pthread_mutex_init((l), NULL)
#define FFI_LOCK(l) pthread_mutex_lock(l)
#define FFI_UNLOCK(l) pthread_mutex_unlock(l)
#define FFI_LOCK_FREE(l) pthread_mutex_destroy(l)
#define FFI_COND_INIT(c) pthread_cond_init((c), NULL)
#define FFI_COND_WAIT(c, l) pthread_cond_wait((c), (l))
#define FFI_COND_SIGNAL(c) pthread_cond_signal(c)
#define FFI_COND_BROADCAST(c) pthread_cond_broadcast(c)
#define FFI_COND_FREE(c) pthread_cond_destroy(c)
#endif

// A compile-time check, for layouts the header documents and the bindings
// rely on.
#define FFI_STATIC_ASSERT(name, cond) \
  typedef char ffi_static_assert_##name[(cond) ? 1 : -1]

// grow makes room for need elements of size bytes in *p, doubling. On
// failure *p is left as it was and grow returns 0.
static inline int grow(void **p, size_t *cap, size_t need, size_t size) {
  size_t n = *cap ? *cap : 16;
  void *q;
  if (need <= *cap) return 1;
  while (n < need) n *= 2;
  if ((q = realloc(*p, n * size)) == NULL) return 0;
  *p = q, *cap = n;
  return 1;
}

// ---- the manager, its connections and its batches of events ----

// What a listener or client connection was opened with. Accepted
// connections share their listener's, so it is reference counted.
struct ctx {
  struct mg_ffi_mgr *m;
  int kind;
  int refs;
  uint64_t listener;     // the listener's id, for accepted connections
  struct mg_tls_opts tls;  // points into mem
  struct ffi_tls_cfg *tls_cfg;  // TLS: the OpenSSL context, built once
  char mem[];
};

// A copy of an HTTP request of this batch, for serve_dir and ws_upgrade.
struct req {
  uint64_t id;
  size_t off, len;
};

// A batch of events and the bytes they point at.
struct batch {
  char *data;  // event bytes; events hold offsets until the batch is handed out
  size_t len, cap;
  struct mg_ffi_event *evs;
  size_t nev, capev;
  struct req *reqs;
  size_t nreq, capreq;
  int failed;  // out of memory while filling
};

// The wakeup queue (wakeup.c): lossless wakeups, queued by any thread.
struct wmsg;
struct wqueue {
  ffi_lock lock;
  struct wmsg *head, *tail;
  size_t bytes;  // payloads plus per-message overhead
  int closed;    // mg_ffi_mgr_free has begun
};

// The manager. Two batches: the host reads the one the last poll handed out
// while events raised between polls (a UDP connect, a WebSocket upgrade) fill
// the other, so neither is lost nor moved under the host's feet.
struct mg_ffi_mgr {
  struct mg_mgr mgr;
  struct batch b[2];
  int fill;  // the batch being filled; the other one was handed out
  struct wqueue wq;
  // HTTP limits (mg_ffi_set_limit) and the clock they run on.
  uint64_t max_request, request_ms, idle_ms;
  uint64_t now;         // mg_millis() as of the last POLL event
  time_t date_sec;      // the second date holds
  char date[48];        // "Date: ...\r\n"
};

// Each glue connection's handler: it batches the event (poll.c).
void ffi_handler(struct mg_connection *c, int ev, void *ev_data);

// ffi_push appends an event of c to a batch (NULL: out of memory);
// ffi_set_str copies bytes into the batch as one of its strings (poll.c).
struct mg_ffi_event *ffi_push(struct batch *b, struct mg_connection *c,
                              uint32_t type);
void ffi_set_str(struct batch *b, struct mg_ffi_str *s, const void *buf,
                 size_t len);

// ffi_find is the open glue connection with that id, or NULL (connection.c).
struct mg_connection *ffi_find(struct mg_ffi_mgr *m, uint64_t id);
// ffi_flush sends a reply at once, on plain TCP with nothing queued before
// it (connection.c).
void ffi_flush(struct mg_connection *c, size_t queued_before);
// ffi_ctx_release drops a reference to a connection's context (connection.c).
void ffi_ctx_release(struct ctx *x);

// The wakeup queue (wakeup.c): ffi_wq_deliver turns it into WAKEUP events at
// the end of a poll; ffi_wq_close refuses further wakeups and frees it.
void ffi_wq_deliver(struct mg_ffi_mgr *m);
void ffi_wq_close(struct mg_ffi_mgr *m);
// ffi_wake ends a glue manager's wait in poll; any thread may call it until
// mg_ffi_mgr_free returns.
void ffi_wake(struct mg_mgr *mgr);

// ---- HTTP/1.1 (http.c) ----

enum { P_REQ = 0, P_RESP, P_IDLE, P_REFUSED };

// Per-connection state, in mongoose's scratch space c->data; its last
// size_t is mongoose's own (mg_http_serve_file's byte count).
struct cst {
  uint64_t since;  // mg_millis() when the current wait began
  uint8_t http;    // an accepted HTTP connection the glue watches
  uint8_t phase;   // P_*
  uint8_t head;    // answering a HEAD request
  uint8_t close;   // close once the response is sent
  uint8_t is10;    // answering an HTTP/1.0 request
  uint8_t checked; // the request in progress passed its header checks
  uint8_t hdrs;    // HTTP_HDRS seen during this call of http_wrap
  uint8_t shut;    // refused: the write side is shut down
};

static inline struct cst *cst(struct mg_connection *c) {
  return (struct cst *) (void *) c->data;
}

// Events of accepted HTTP connections, from ffi_handler: ACCEPT (starts
// watching c), every event (wraps mongoose's HTTP handler again after a
// file is served), POLL (timeouts, the response's end), HTTP_HDRS (the
// head's checks), HTTP_MSG (how to answer), READ (limits).
void ffi_http_accept(struct mg_ffi_mgr *m, struct mg_connection *c);
void ffi_http_rewrap(struct mg_connection *c);
void ffi_http_watch(struct mg_ffi_mgr *m, struct mg_connection *c);
void ffi_http_hdrs(struct mg_ffi_mgr *m, struct mg_connection *c,
                   struct mg_http_message *hm);
void ffi_http_request(struct mg_connection *c, struct mg_http_message *hm);
void ffi_http_read(struct mg_ffi_mgr *m, struct mg_connection *c);

// For replies (http_reply.c): the headers the glue adds (out holds 128),
// a header in a "Name: value\r\n" block, and the fix-up of a response
// mongoose queued itself (serve_dir, serve_file).
size_t ffi_http_framing(struct mg_ffi_mgr *m, struct mg_connection *c,
                        const char *headers, char *out);
const char *ffi_http_header(const char *block, const char *name);
void ffi_http_respond_fix(struct mg_ffi_mgr *m, struct mg_connection *c,
                          size_t before, const char *extra_headers);

// ---- TLS: mongoose's MG_TLS_CUSTOM on OpenSSL (tls_*.c), as the rest of the
// glue uses it ----

// One OpenSSL context: per listener, or per client configuration (shared by
// every client connection of a manager with the same CA, certificate, key
// and flags, so that their sessions resume). Reference counted.
struct ffi_tls_cfg;

// ffi_tls_cfg_new parses the PEM (or DER) material once. is_http offers or
// selects ALPN http/1.1. flags are MG_FFI_TLS_*. On failure it returns NULL
// and writes why into err.
struct ffi_tls_cfg *ffi_tls_cfg_new(struct mg_mgr *mgr, int is_client,
                                    int is_http, uint32_t flags,
                                    const struct mg_tls_opts *opts, char *err,
                                    size_t err_len);
void ffi_tls_cfg_release(struct ffi_tls_cfg *cfg);

// ffi_tls_attach starts TLS on a connection (at ACCEPT or CONNECT); name is
// the server name a client sends (SNI) and checks, or NULL.
void ffi_tls_attach(struct mg_connection *c, struct ffi_tls_cfg *cfg,
                    struct mg_str name);

// ffi_tls_poll takes back a handshake step a worker has finished and
// reports its outcome; the glue calls it at every POLL of a TLS connection.
void ffi_tls_poll(struct mg_connection *c);

// The manager's handshake threads (MG_FFI_LIMIT_TLS_THREADS).
void ffi_tls_set_threads(struct mg_mgr *mgr, unsigned n);
unsigned ffi_tls_threads(struct mg_mgr *mgr);

// ---- inside the TLS layer ----

#define SESSIONS 32  // client sessions kept per configuration

// A client session kept for reconnecting (new_session, ffi_tls_attach).
struct session {
  char key[320];  // server name | ip:port
  SSL_SESSION *s;
};

// One OpenSSL context and what it was made of (tls_config.c).
struct ffi_tls_cfg {
  SSL_CTX *ctx;
  int refs;
  int client, verify;
  int offload;                // a glue listener's: first steps on the workers
  unsigned char hash[32];     // client configurations: what they were made of
  struct ffi_tls_cfg *next;   // in the manager's list of client configurations
  char roots[200];            // where the trusted roots came from, for errors
  struct session sessions[SESSIONS];
  unsigned next_slot;
};

// The manager's worker threads for servers' first handshake steps.
struct pool {
  ffi_lock lock;
  ffi_cond cond;
  struct mg_tls *head, *tail;  // steps waiting for a worker
  unsigned want, started;      // threads asked for, threads started
  unsigned queued;             // steps in head .. tail
  int stop;
  ffi_thread threads[MG_FFI_MAX_TLS_THREADS];
  struct mg_mgr *mgr;  // started on first need, kept
};

// The manager's TLS state (mgr->tls_ctx).
struct mgr_tls {
  struct ffi_tls_cfg *clients;  // each holds a reference from this list
  char *info;                   // mg_ffi_tls_info's buffer
  size_t info_cap;
  struct pool pool;
};

// One connection's TLS (c->tls).
struct mg_tls {
  SSL *ssl;
  struct ffi_tls_cfg *cfg;  // referenced
  struct mg_connection *c;
  char key[320];            // client: the session cache key
  int shut;                 // close_notify sent
  char sni[256];            // client: the name sent
  // Server, TLS 1.3: the session ticket waits for the first reply and goes
  // out in the same send, as Go's servers send it with their first flight:
  // the client wakes once, not twice. held: bytes written while hold is on,
  // sent ahead of the next record.
  // resumable: the client offered psk_dhe_ke; one that did not cannot
  // resume with a ticket, so it gets none (RFC 8446 4.2.9: SHOULD NOT send;
  // Go's servers do not).
  int ticket, hold, resumable;
  uint64_t hs_ms;           // when the handshake completed
  unsigned char *held;
  size_t held_len, held_cap;
  // A first step on a worker (mt != NULL): it reads what mongoose had
  // received (in) and sends its flight itself (out, what the socket did
  // not take) on its own descriptor of the socket (wfd), which mongoose
  // cannot close under it. Only the polling thread touches c, cfg, busy.
  struct mgr_tls *mt;
  MG_SOCKET_TYPE wfd;
  int busy, offload, job, rc;  // rc: 1 done, 0 wants more, -1 failed; job: JOB_*
  struct mg_tls *next;         // in the pool's queue
  struct mg_iobuf in;          // in.buf[0 .. in_off] is consumed
  size_t in_off;
  unsigned char *out;
  size_t out_len, out_cap;
  char err[256];               // a failed step's OpenSSL error, or rd_err's
  // A read's end (1: closed, 2: failed, err says why) that came behind data:
  // reported by the next read, which mg_tls_pending asks for.
  int rd_err;
};

// tls_bio.c: the process-wide set-up (once), our BIO method, and the send of
// held bytes (see struct mg_tls) with the len bytes after them.
int ffi_tls_init(void);
BIO *ffi_tls_bio_new(void);
long ffi_tls_send_held(struct mg_connection *c, struct mg_tls *t, size_t len);

// tls_roots.c: the system's roots, referenced, and where they came from.
int ffi_tls_roots_init(void);
X509_STORE *ffi_tls_system_roots(char *desc, size_t desc_len);

// tls_openssl.c: a TLS failure as the connection's ERROR event; a handshake
// step's outcome.
void ffi_tls_error(struct mg_connection *c, const char *fmt, ...);
void ffi_tls_handshaken(struct mg_connection *c, struct mg_tls *t, long rc,
                        const char *why);

// tls_pool.c: the worker threads. ffi_tls_offload hands a first step to a
// worker (0: none free, run it here); ffi_tls_done takes a finished one
// back (0: still busy); ffi_tls_orphan leaves a busy one to its worker
// when the connection closes (0: it is done, free it).
void ffi_tls_pool_init(struct pool *p, struct mg_mgr *mgr);
void ffi_tls_pool_free(struct pool *p);
int ffi_tls_offload(struct mg_connection *c, struct mg_tls *t);
int ffi_tls_done(struct mg_connection *c, struct mg_tls *t);
int ffi_tls_send_out(struct mg_tls *t, MG_SOCKET_TYPE fd);
int ffi_tls_orphan(struct mg_tls *t);
void ffi_tls_job_free(struct mg_tls *t);

#endif  // MONGOOSE_FFI_INTERNAL_H
