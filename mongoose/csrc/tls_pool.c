// tls_pool.c: handshakes off the polling thread, on each manager's worker
// threads (MG_FFI_LIMIT_TLS_THREADS).
//
// A server's first handshake step (a ClientHello in, its whole flight out:
// key exchange, signature) is most of a handshake's work. A worker runs it
// on a copy of what mongoose received and sends the flight itself, so the
// polling thread goes on serving the other connections and the machine's
// processors share the handshakes, as net/http's goroutines do. The worker
// does not wake the polling thread (the client's answer to the flight does,
// and by then the step is done: ffi_tls_poll), unless the step failed or
// the socket did not take the whole flight. The later steps are cheap and
// run on the polling thread.
#include "internal.h"

#include <errno.h>
#if !defined(_WIN32)
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#endif

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define DEFAULT_TLS_THREADS_MAX 16
#define QUEUE_PER_THREAD 8
#if defined(MSG_NOSIGNAL)
#define SEND_FLAGS MSG_NOSIGNAL
#else
#define SEND_FLAGS 0
#endif
#if defined(_WIN32)
#define WOULD_BLOCK() \
  (WSAGetLastError() == WSAEWOULDBLOCK || WSAGetLastError() == WSAEINTR)
#else
#define WOULD_BLOCK() (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
#endif

// A step's state, under the pool's lock while the step is busy.
enum { JOB_NONE, JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_ORPHAN };

// ffi_tls_job_free frees a connection's TLS; a worker frees one whose
// connection closed while it had the step (JOB_ORPHAN).
void ffi_tls_job_free(struct mg_tls *t) {
  SSL_free(t->ssl);
  if (t->in.buf != NULL) OPENSSL_cleanse(t->in.buf, t->in.size), mg_free(t->in.buf);
  if (t->out != NULL) OPENSSL_cleanse(t->out, t->out_cap), free(t->out);
  if (t->held != NULL) OPENSSL_cleanse(t->held, t->held_cap), free(t->held);
  free(t);
}

// dup_socket gives a worker its own descriptor of the connection's socket:
// mongoose may close its own meanwhile, and a number it closed can be a
// new file's by the time the worker writes.
static int dup_socket(struct mg_connection *c, MG_SOCKET_TYPE *out) {
  MG_SOCKET_TYPE fd = (MG_SOCKET_TYPE) (size_t) c->fd;
#if defined(_WIN32)
  WSAPROTOCOL_INFOW info;
  if (WSADuplicateSocketW(fd, GetCurrentProcessId(), &info) != 0) return 0;
  *out = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0,
                    WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
#else
  *out = fcntl(fd, F_DUPFD_CLOEXEC, 0);  // not inherited, as mongoose's own
#endif
  return *out != MG_INVALID_SOCKET;
}

static void close_socket(MG_SOCKET_TYPE fd) {
#if defined(_WIN32)
  closesocket(fd);
#else
  close(fd);
#endif
}

// ffi_tls_send_out sends the step's output on fd: 1 all sent, 0 the socket
// is full, -1 the connection failed.
int ffi_tls_send_out(struct mg_tls *t, MG_SOCKET_TYPE fd) {
  size_t off = 0;
  while (off < t->out_len) {
    long n = (long) send(fd, (const char *) t->out + off, (int) (t->out_len - off), SEND_FLAGS);
    if (n > 0) {
      off += (size_t) n;
    } else if (n < 0 && WOULD_BLOCK()) {
      break;
    } else {
      return -1;
    }
  }
  // Only what is left moves: after an empty flight t->out is NULL, and a
  // memmove from NULL is undefined even for 0 bytes.
  if (off > 0 && off < t->out_len) memmove(t->out, t->out + off, t->out_len - off);
  t->out_len -= off;
  return t->out_len == 0;
}

// step runs the first handshake step on a worker and sends its flight;
// OpenSSL's reason for a failure is kept (the error queue is per thread).
static void step(struct mg_tls *t) {
  int rc = SSL_do_handshake(t->ssl), e;
  t->rc = rc > 0 ? 1 : 0;
  if (rc <= 0) {
    e = SSL_get_error(t->ssl, rc);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      unsigned long err = ERR_peek_error();
      t->rc = -1, t->err[0] = '\0';
      if (err != 0) ERR_error_string_n(err, t->err, sizeof(t->err));
      if (t->err[0] == '\0') mg_snprintf(t->err, sizeof(t->err), "connection closed");
    }
  }
  ERR_clear_error();
  if (ffi_tls_send_out(t, t->wfd) < 0 && t->rc >= 0) {
    t->rc = -1;
    mg_snprintf(t->err, sizeof(t->err), "cannot send: connection closed");
  }
  close_socket(t->wfd);
  t->wfd = MG_INVALID_SOCKET;
}

#if defined(_WIN32)
static DWORD WINAPI worker(LPVOID arg) {
#else
static void *worker(void *arg) {
#endif
  struct pool *p = (struct pool *) arg;
  FFI_LOCK(&p->lock);
  for (;;) {
    struct mg_tls *t;
    while (!p->stop && p->head == NULL) FFI_COND_WAIT(&p->cond, &p->lock);
    if (p->stop) break;
    int wake = 0;
    t = p->head, p->head = t->next, p->queued--;
    if (p->head == NULL) p->tail = NULL;
    if (t->job != JOB_ORPHAN) {
      t->job = JOB_RUNNING;
      FFI_UNLOCK(&p->lock);
      step(t);
      // A failure, or a flight the socket did not take whole, must not wait
      // for the client: wake the polling thread (read before DONE, after
      // which t is the polling thread's).
      wake = t->rc < 0 || t->out_len > 0;
      FFI_LOCK(&p->lock);
    }
    if (t->job == JOB_ORPHAN) {  // its connection closed meanwhile
      FFI_UNLOCK(&p->lock);
      if (t->wfd != MG_INVALID_SOCKET) close_socket(t->wfd);
      ffi_tls_job_free(t);
      FFI_LOCK(&p->lock);
    } else {
      t->job = JOB_DONE;
      if (wake) {
        FFI_UNLOCK(&p->lock);
        ffi_wake(p->mgr);  // the manager outlives its workers
        FFI_LOCK(&p->lock);
      }
    }
  }
  FFI_UNLOCK(&p->lock);
  OPENSSL_thread_stop();
#if defined(_WIN32)
  return 0;
#else
  return NULL;
#endif
}

// ffi_tls_offload queues the first step; 0: no worker, run it here.
int ffi_tls_offload(struct mg_connection *c, struct mg_tls *t) {
  struct pool *p = &t->mt->pool;
  FFI_LOCK(&p->lock);
  while (p->started < p->want) {
    ffi_thread *th = &p->threads[p->started];
#if defined(_WIN32)
    if ((*th = CreateThread(NULL, 0, worker, p, 0, NULL)) == NULL) break;
#else
    // Workers take no signals: a host such as a Go program (without cgo)
    // cannot handle one on a thread it did not make.
    sigset_t all, old;
    int rc;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(th, NULL, worker, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) break;
#endif
    p->started++;
  }
  // Beyond a few steps a thread, the polling thread does them itself: a
  // flood of handshakes then slows accepting, as it did before.
  if (p->started == 0 || p->want == 0 || p->queued >= QUEUE_PER_THREAD * p->started ||
      !dup_socket(c, &t->wfd)) {
    FFI_UNLOCK(&p->lock);
    return 0;
  }
  // The step takes mongoose's receive buffer; mongoose makes a new one for
  // what arrives meanwhile.
  t->in = c->rtls, t->in_off = 0;
  c->rtls.buf = NULL, c->rtls.len = c->rtls.size = 0;
  t->offload = t->busy = 1, t->job = JOB_QUEUED, t->next = NULL;
  if (p->tail != NULL) {
    p->tail->next = t;
  } else {
    p->head = t;
  }
  p->tail = t;
  p->queued++;
  FFI_COND_SIGNAL(&p->cond);
  FFI_UNLOCK(&p->lock);
  return 1;
}

// ffi_tls_done takes back a finished step: 1 when it was finished (or not
// busy).
int ffi_tls_done(struct mg_connection *c, struct mg_tls *t) {
  size_t left;
  int finished;
  if (!t->busy) return 1;
  FFI_LOCK(&t->mt->pool.lock);
  finished = t->job == JOB_DONE;
  FFI_UNLOCK(&t->mt->pool.lock);
  if (!finished) return 0;
  t->busy = t->offload = 0, t->job = JOB_NONE;
  // What the step did not read goes back before what came meanwhile.
  left = t->in.len - t->in_off;
  if (c->rtls.buf == NULL && left > 0) {
    memmove(t->in.buf, t->in.buf + t->in_off, left);
    t->in.len = left;
    c->rtls = t->in;
  } else {
    if (left > 0 && mg_iobuf_add(&c->rtls, 0, t->in.buf + t->in_off, left) == 0 && t->rc >= 0) {
      t->rc = -1;
      mg_snprintf(t->err, sizeof(t->err), "out of memory");
    }
    if (t->in.buf != NULL) OPENSSL_cleanse(t->in.buf, t->in.size), mg_free(t->in.buf);
  }
  t->in.buf = NULL, t->in.len = t->in.size = 0;
  if (t->out_len > 0 && ffi_tls_send_out(t, (MG_SOCKET_TYPE) (size_t) c->fd) < 0 && t->rc >= 0) {
    t->rc = -1;
    mg_snprintf(t->err, sizeof(t->err), "cannot send: connection closed");
  }
  ffi_tls_handshaken(c, t, t->rc, t->err);
  return 1;
}

void ffi_tls_poll(struct mg_connection *c) {
  struct mg_tls *t = (struct mg_tls *) c->tls;
  if (t == NULL) return;
  if (t->busy) ffi_tls_done(c, t);
  // A flight the socket did not take whole (it never happens on a new
  // connection's empty buffer, but must not stall one).
  if (!t->busy && t->out_len > 0 && !c->is_closing &&
      ffi_tls_send_out(t, (MG_SOCKET_TYPE) (size_t) c->fd) < 0) {
    ffi_tls_error(c, "TLS handshake: cannot send: connection closed");
  }
}

void ffi_tls_set_threads(struct mg_mgr *mgr, unsigned n) {
  struct mgr_tls *mt = (struct mgr_tls *) mgr->tls_ctx;
  if (mt == NULL) return;
  FFI_LOCK(&mt->pool.lock);
  mt->pool.want = n < MG_FFI_MAX_TLS_THREADS ? n : MG_FFI_MAX_TLS_THREADS;
  FFI_UNLOCK(&mt->pool.lock);
}

unsigned ffi_tls_threads(struct mg_mgr *mgr) {
  struct mgr_tls *mt = (struct mgr_tls *) mgr->tls_ctx;
  unsigned n;
  if (mt == NULL) return 0;
  FFI_LOCK(&mt->pool.lock);
  n = mt->pool.want;
  FFI_UNLOCK(&mt->pool.lock);
  return n;
}

// cpus is the default number of workers: one per processor, none on one.
static unsigned cpus(void) {
  long n;
#if defined(_WIN32)
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  n = (long) si.dwNumberOfProcessors;
#else
  n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
  if (n < 2) return 0;
  return n < DEFAULT_TLS_THREADS_MAX ? (unsigned) n : DEFAULT_TLS_THREADS_MAX;
}

// ffi_tls_orphan leaves a busy step's TLS to the worker that has it, or
// will, to free: 1 if so, 0 if the step is done and the caller frees it.
int ffi_tls_orphan(struct mg_tls *t) {
  int orphan = 0;
  FFI_LOCK(&t->mt->pool.lock);
  if (t->job != JOB_DONE) t->job = JOB_ORPHAN, orphan = 1;
  FFI_UNLOCK(&t->mt->pool.lock);
  return orphan;
}

void ffi_tls_pool_init(struct pool *p, struct mg_mgr *mgr) {
  FFI_LOCK_INIT(&p->lock);
  FFI_COND_INIT(&p->cond);
  p->want = cpus();
  p->mgr = mgr;
}

// ffi_tls_pool_free stops the workers. Every connection is closed: what the
// workers hold are orphans.
void ffi_tls_pool_free(struct pool *p) {
  unsigned i;
  FFI_LOCK(&p->lock);
  p->stop = 1;
  FFI_COND_BROADCAST(&p->cond);
  FFI_UNLOCK(&p->lock);
  for (i = 0; i < p->started; i++) {
#if defined(_WIN32)
    WaitForSingleObject(p->threads[i], INFINITE);
    CloseHandle(p->threads[i]);
#else
    pthread_join(p->threads[i], NULL);
#endif
  }
  while (p->head != NULL) {  // steps no worker took
    struct mg_tls *t = p->head;
    p->head = t->next;
    close_socket(t->wfd);
    ffi_tls_job_free(t);
  }
  FFI_COND_FREE(&p->cond);
  FFI_LOCK_FREE(&p->lock);
}
