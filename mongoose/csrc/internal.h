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
// rely on (C89: no _Static_assert).
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

// ---- the TLS layer (mongoose's MG_TLS_CUSTOM), as the rest of the glue uses it ----

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

// ffi_wake ends a glue manager's wait in poll; any thread may call it until
// mg_ffi_mgr_free returns.
void ffi_wake(struct mg_mgr *mgr);

#endif  // MONGOOSE_FFI_INTERNAL_H
