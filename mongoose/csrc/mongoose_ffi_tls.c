// mongoose_ffi_tls.c: the glue's own TLS layer on OpenSSL, built with
// MG_TLS=MG_TLS_CUSTOM. mongoose reads raw bytes into c->rtls and calls the
// mg_tls_* functions below; we own the OpenSSL contexts:
//  - one SSL_CTX per listener and per client configuration, PEM parsed once;
//  - servers: session cache and tickets (TLS 1.2 and 1.3), ALPN http/1.1;
//  - clients: the peer is verified by default, against the given CA or the
//    system's roots, with the server's name (DNS name or IP address); a
//    client session cache per configuration and server, so reconnects resume;
//  - TLS 1.2 is the floor;
//  - a server's first handshake step runs on the manager's worker threads
//    (see "handshakes off the polling thread").
#include "internal.h"

#if defined(_WIN32)
#include <wincrypt.h>
#endif

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#if !defined(_WIN32)
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#endif

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#if MG_TLS != MG_TLS_CUSTOM
#error "mongoose_ffi_tls.c is mongoose's TLS layer: build with MG_TLS=MG_TLS_CUSTOM"
#endif

#define SESSIONS 32  // client sessions kept per configuration
#define TICKET_WAIT_MS 100  // how long a TLS 1.3 ticket waits for a reply
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

struct session {
  char key[320];  // server name | ip:port
  SSL_SESSION *s;
};

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

// A step's state, under the pool's lock while the step is busy.
enum { JOB_NONE, JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_ORPHAN };

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
  int busy, offload, job, rc;  // rc: 1 done, 0 wants more, -1 failed
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

// ---- process-wide state: the BIO method and the system roots ----

static CRYPTO_ONCE once = CRYPTO_ONCE_STATIC_INIT;
static BIO_METHOD *bio_method;
static CRYPTO_RWLOCK *roots_lock;
static X509_STORE *roots;        // the system's, loaded on first use
static char roots_env[2][1024];  // SSL_CERT_FILE, SSL_CERT_DIR it was loaded with
static char roots_desc[200];

// Reads from what mongoose buffered (c->rtls), or on a worker from the
// step's own input.
static int bio_read(BIO *b, char *buf, int len) {
  struct mg_tls *t = (struct mg_tls *) BIO_get_data(b);
  long n;
  BIO_clear_retry_flags(b);
  if (t->offload) {
    n = (long) (t->in.len - t->in_off);
    if (n > len) n = len;
    if (n > 0) memcpy(buf, t->in.buf + t->in_off, (size_t) n), t->in_off += (size_t) n;
    if (n == 0) n = MG_IO_WAIT;
  } else {
    n = mg_io_recv(t->c, buf, (size_t) len);
  }
  if (n == MG_IO_WAIT) BIO_set_retry_read(b);
  return n > 0 ? (int) n : -1;
}

// send_held sends what was held and the len bytes after it in one send; it
// returns how many of those len bytes went, or MG_IO_WAIT/MG_IO_ERR. What
// was held and not sent stays; the rest is the caller's to retry.
static long send_held(struct mg_connection *c, struct mg_tls *t, size_t len) {
  size_t h = t->held_len;
  long n = mg_io_send(c, t->held, h + len);
  if (n < 0) return n;
  if ((size_t) n < h) {
    memmove(t->held, t->held + n, h - (size_t) n);
    t->held_len = h - (size_t) n;
    return MG_IO_WAIT;
  }
  OPENSSL_cleanse(t->held, t->held_cap), free(t->held);
  t->held = NULL, t->held_len = t->held_cap = 0;
  return (size_t) n > h ? n - (long) h : MG_IO_WAIT;
}

// Writes to the socket; on a worker into the step's output.
static int bio_write(BIO *b, const char *buf, int len) {
  struct mg_tls *t = (struct mg_tls *) BIO_get_data(b);
  struct mg_connection *c = t->c;
  long n;
  BIO_clear_retry_flags(b);
  if (t->offload) {
    if (!grow((void **) &t->out, &t->out_cap, t->out_len + (size_t) len, 1)) return -1;
    memcpy(t->out + t->out_len, buf, (size_t) len);
    t->out_len += (size_t) len;
    return len;
  }
  if (t->hold || t->held_len > 0) {
    if (!grow((void **) &t->held, &t->held_cap, t->held_len + (size_t) len, 1)) return -1;
    memcpy(t->held + t->held_len, buf, (size_t) len);
    if (t->hold) {
      t->held_len += (size_t) len;
      return len;
    }
    n = send_held(c, t, (size_t) len);
  } else {
    n = mg_io_send(c, buf, (size_t) len);
  }
  if (n == MG_IO_WAIT) BIO_set_retry_write(b);
  return n > 0 ? (int) n : -1;
}

static long bio_ctrl(BIO *b, int cmd, long larg, void *parg) {
  (void) b, (void) larg, (void) parg;
  return cmd == BIO_CTRL_FLUSH || cmd == BIO_CTRL_PUSH || cmd == BIO_CTRL_POP;
}

static void init_once(void) {
  OPENSSL_init_ssl(0, NULL);
  roots_lock = CRYPTO_THREAD_lock_new();
  bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                            "mongoose-ffi");
  if (bio_method != NULL) {
    BIO_meth_set_write(bio_method, bio_write);
    BIO_meth_set_read(bio_method, bio_read);
    BIO_meth_set_ctrl(bio_method, bio_ctrl);
  }
}

static int init(void) {
  return CRYPTO_THREAD_run_once(&once, init_once) && bio_method != NULL &&
         roots_lock != NULL;
}

#if !defined(_WIN32)
static int exists(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f != NULL) fclose(f);
  return f != NULL;
}

// The bundles Go's crypto/x509 looks for on Linux and the BSDs, in its
// order; macOS keeps its system roots in /etc/ssl/cert.pem too.
static const char *bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu, Gentoo, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",    // Fedora, RHEL 6
    "/etc/ssl/ca-bundle.pem",              // OpenSUSE
    "/etc/pki/tls/cacert.pem",             // OpenELEC
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // CentOS, RHEL 7
    "/etc/ssl/cert.pem",                   // Alpine, macOS, the BSDs
    "/usr/local/etc/ssl/cert.pem",         // FreeBSD
    NULL};
#endif

static int count(X509_STORE *st) {
  STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(st);
  return objs != NULL ? sk_X509_OBJECT_num(objs) : 0;
}

#if defined(_WIN32)
// The ROOT system store, as Windows' own TLS clients trust it.
static int load_windows_roots(X509_STORE *st) {
  HCERTSTORE h = CertOpenSystemStoreW(0, L"ROOT");
  PCCERT_CONTEXT p = NULL;
  int n = 0;
  if (h == NULL) return -1;
  while ((p = CertEnumCertificatesInStore(h, p)) != NULL) {
    const unsigned char *der = p->pbCertEncoded;
    X509 *x = d2i_X509(NULL, &der, (long) p->cbCertEncoded);
    if (x != NULL && X509_STORE_add_cert(st, x)) n++;
    X509_free(x);
  }
  CertCloseStore(h, 0);
  ERR_clear_error();  // duplicates and odd entries are not our failure
  return n;
}
#endif

// load_roots builds the system store: SSL_CERT_FILE / SSL_CERT_DIR when set
// (as OpenSSL and Go honour them on Unix), else the OS's own roots.
static X509_STORE *load_roots(const char *file, const char *dir,
                              char *desc, size_t desc_len) {
  X509_STORE *st = X509_STORE_new();
  int i;
  if (st == NULL) return NULL;
  desc[0] = '\0';
  if (file != NULL || dir != NULL) {
    if (file != NULL) X509_STORE_load_file(st, file);
    if (dir != NULL) X509_STORE_load_path(st, dir);
    ERR_clear_error();
    mg_snprintf(desc, desc_len, "%s%s%s%s, %d certificates",
                file ? "SSL_CERT_FILE=" : "", file ? file : "",
                dir ? " SSL_CERT_DIR=" : "", dir ? dir : "", count(st));
    return st;
  }
#if defined(_WIN32)
  i = load_windows_roots(st);
  mg_snprintf(desc, desc_len, i < 0 ? "the Windows ROOT store, not opened"
                                    : "the Windows ROOT store, %d certificates",
              i);
#else
  for (i = 0; bundles[i] != NULL; i++) {
    if (exists(bundles[i]) && X509_STORE_load_file(st, bundles[i])) break;
  }
  ERR_clear_error();
  if (bundles[i] != NULL) {
    mg_snprintf(desc, desc_len, "the system roots in %s, %d certificates",
                bundles[i], count(st));
  } else {
    mg_snprintf(desc, desc_len,
                "no system roots found (set SSL_CERT_FILE or give a CA)");
  }
#endif
  return st;
}

// system_roots returns the system store, referenced, reloaded when
// SSL_CERT_FILE or SSL_CERT_DIR changed since it was loaded.
static X509_STORE *system_roots(char *desc, size_t desc_len) {
#if defined(_WIN32)
  // Windows trusts its ROOT store, as Go and Windows' own clients do.
  const char *file = NULL, *dir = NULL;
#else
  const char *file = getenv("SSL_CERT_FILE"), *dir = getenv("SSL_CERT_DIR");
#endif
  X509_STORE *st = NULL;
  if (file != NULL && *file == '\0') file = NULL;
  if (dir != NULL && *dir == '\0') dir = NULL;
  if (!CRYPTO_THREAD_write_lock(roots_lock)) return NULL;
  if (roots == NULL || strcmp(roots_env[0], file ? file : "") != 0 ||
      strcmp(roots_env[1], dir ? dir : "") != 0) {
    X509_STORE_free(roots);
    roots = load_roots(file, dir, roots_desc, sizeof(roots_desc));
    mg_snprintf(roots_env[0], sizeof(roots_env[0]), "%s", file ? file : "");
    mg_snprintf(roots_env[1], sizeof(roots_env[1]), "%s", dir ? dir : "");
  }
  if (roots != NULL && X509_STORE_up_ref(roots)) st = roots;
  mg_snprintf(desc, desc_len, "%s", roots_desc);
  CRYPTO_THREAD_unlock(roots_lock);
  return st;
}

// ---- configurations ----

static void errf(char *err, size_t err_len, const char *what) {
  unsigned long e = ERR_peek_last_error();
  char buf[256];
  if (e != 0) {
    ERR_error_string_n(e, buf, sizeof(buf));
    mg_snprintf(err, err_len, "%s: %s", what, buf);
  } else {
    mg_snprintf(err, err_len, "%s", what);
  }
  ERR_clear_error();
}

static BIO *mem(struct mg_str s) {
  return BIO_new_mem_buf(s.buf, (int) s.len);
}

static int is_der(struct mg_str s) {
  return s.len > 0 && (unsigned char) s.buf[0] == 0x30;
}

// use_cert loads our certificate and the chain after it.
static int use_cert(SSL_CTX *ctx, struct mg_str s) {
  BIO *b = mem(s);
  X509 *x;
  int ok;
  if (b == NULL) return 0;
  x = is_der(s) ? d2i_X509_bio(b, NULL) : PEM_read_bio_X509(b, NULL, NULL, NULL);
  ok = x != NULL && SSL_CTX_use_certificate(ctx, x) == 1;
  X509_free(x);
  while (ok && !is_der(s)) {
    if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) break;
    ok = SSL_CTX_add0_chain_cert(ctx, x) == 1;
    if (!ok) X509_free(x);
  }
  if (ok) ERR_clear_error();  // the end of the PEM is reported as an error
  BIO_free(b);
  return ok;
}

static int use_key(SSL_CTX *ctx, struct mg_str s) {
  BIO *b = mem(s);
  EVP_PKEY *k;
  int ok;
  if (b == NULL) return 0;
  k = is_der(s) ? d2i_PrivateKey_bio(b, NULL)
                : PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
  ok = k != NULL && SSL_CTX_use_PrivateKey(ctx, k) == 1 &&
       SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(k);
  BIO_free(b);
  return ok;
}

// use_ca makes a store of the given CA certificates alone; servers also
// name them to clients as acceptable issuers.
static int use_ca(SSL_CTX *ctx, struct mg_str s, int server) {
  X509_STORE *st = X509_STORE_new();
  STACK_OF(X509_NAME) *names = server ? sk_X509_NAME_new_null() : NULL;
  BIO *b = mem(s);
  X509 *x;
  int n = 0;
  if (st == NULL || b == NULL) goto done;
  if (is_der(s)) {
    if ((x = d2i_X509_bio(b, NULL)) != NULL) {
      if (X509_STORE_add_cert(st, x)) n++;
      if (names) sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(x)));
      X509_free(x);
    }
  } else {
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
      if (X509_STORE_add_cert(st, x)) n++;
      if (names) sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(x)));
      X509_free(x);
    }
  }
  if (n > 0) {
    ERR_clear_error();
    SSL_CTX_set_cert_store(ctx, st);  // takes it
    st = NULL;
    if (names != NULL) SSL_CTX_set_client_CA_list(ctx, names), names = NULL;
  }
done:
  X509_STORE_free(st);
  if (names != NULL) sk_X509_NAME_pop_free(names, X509_NAME_free);
  BIO_free(b);
  return n > 0;
}

static const unsigned char alpn_http[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// A server selects http/1.1 when offered; a client offering only others
// (h2 alone) goes on without ALPN rather than failing.
static int alpn_select(SSL *ssl, const unsigned char **out,
                       unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg) {
  unsigned char *sel = NULL;
  (void) ssl, (void) arg;
  if (SSL_select_next_proto(&sel, outlen, alpn_http, sizeof(alpn_http), in,
                            inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = sel;
  return SSL_TLSEXT_ERR_OK;
}

// Notes whether a TLS 1.3 client could resume with a ticket. It runs on
// whichever thread has the step, so it reaches its mg_tls through the BIO.
static int client_hello(SSL *ssl, int *alert, void *arg) {
  struct mg_tls *t = (struct mg_tls *) BIO_get_data(SSL_get_rbio(ssl));
  const unsigned char *p;
  size_t n;
  (void) alert, (void) arg;
  t->resumable = 0;
  // OpenSSL resumes TLS 1.3 with psk_dhe_ke (1) only, as Go does.
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_psk_kex_modes, &p, &n) == 1 && n >= 2 &&
      p[0] == n - 1) {
    t->resumable = memchr(p + 1, 1, n - 1) != NULL;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

// A client keeps the newest session per server.
static int new_session(SSL *ssl, SSL_SESSION *s) {
  struct mg_connection *c = (struct mg_connection *) SSL_get_app_data(ssl);
  struct mg_tls *t = c != NULL ? (struct mg_tls *) c->tls : NULL;
  struct ffi_tls_cfg *cfg = t != NULL ? t->cfg : NULL;
  struct session *slot = NULL;
  unsigned i;
  if (cfg == NULL || t->key[0] == '\0') return 0;
  for (i = 0; i < SESSIONS && slot == NULL; i++) {
    if (strcmp(cfg->sessions[i].key, t->key) == 0) slot = &cfg->sessions[i];
  }
  if (slot == NULL) slot = &cfg->sessions[cfg->next_slot++ % SESSIONS];
  SSL_SESSION_free(slot->s);
  slot->s = s;
  memcpy(slot->key, t->key, sizeof(slot->key));
  return 1;  // we keep the reference
}

static void cfg_free(struct ffi_tls_cfg *cfg) {
  unsigned i;
  for (i = 0; i < SESSIONS; i++) SSL_SESSION_free(cfg->sessions[i].s);
  SSL_CTX_free(cfg->ctx);
  free(cfg);
}

void ffi_tls_cfg_release(struct ffi_tls_cfg *cfg) {
  if (cfg != NULL && --cfg->refs == 0) cfg_free(cfg);
}

static void hash_opts(unsigned char out[32], int is_http, uint32_t flags,
                      const struct mg_tls_opts *o) {
  EVP_MD_CTX *h = EVP_MD_CTX_new();
  const struct mg_str *parts[] = {&o->ca, &o->cert, &o->key};
  unsigned char head[8] = {(unsigned char) is_http, (unsigned char) flags,
                           (unsigned char) (flags >> 8),
                           (unsigned char) o->skip_verification};
  size_t i;
  memset(out, 0, 32);
  if (h == NULL) return;
  EVP_DigestInit_ex(h, EVP_sha256(), NULL);
  EVP_DigestUpdate(h, head, sizeof(head));
  for (i = 0; i < 3; i++) {
    uint64_t n = parts[i]->len;
    EVP_DigestUpdate(h, &n, sizeof(n));
    if (n > 0) EVP_DigestUpdate(h, parts[i]->buf, (size_t) n);
  }
  EVP_DigestFinal_ex(h, out, NULL);
  EVP_MD_CTX_free(h);
}

static struct ffi_tls_cfg *build(int is_client, int is_http, uint32_t flags,
                                 const struct mg_tls_opts *o, char *err,
                                 size_t err_len) {
  struct ffi_tls_cfg *cfg = (struct ffi_tls_cfg *) calloc(1, sizeof(*cfg));
  static const unsigned char sid[] = "mongoose-ffi";
  SSL_CTX *ctx;
  if (cfg == NULL) return mg_snprintf(err, err_len, "TLS: out of memory"), NULL;
  cfg->refs = 1, cfg->client = is_client;
  ctx = cfg->ctx = SSL_CTX_new(is_client ? TLS_client_method() : TLS_server_method());
  if (ctx == NULL) goto fail_ssl;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_ENABLE_PARTIAL_WRITE);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (o->cert.len > 0 && !use_cert(ctx, o->cert)) {
    errf(err, err_len, "TLS: cannot load the certificate (PEM or DER)");
    goto fail;
  }
  if (o->key.len > 0 && !use_key(ctx, o->key)) {
    errf(err, err_len, "TLS: cannot load the private key, or it does not match the certificate");
    goto fail;
  }
  if (!is_client && (o->cert.len == 0 || o->key.len == 0)) {
    mg_snprintf(err, err_len, "TLS: a listener needs a certificate and a key");
    goto fail;
  }
  if (o->ca.len > 0 && !use_ca(ctx, o->ca, !is_client)) {
    errf(err, err_len, "TLS: cannot load any CA certificate");
    goto fail;
  }
  if (is_client) {
    cfg->verify = !(flags & MG_FFI_TLS_INSECURE_SKIP_VERIFY) && !o->skip_verification;
    if (cfg->verify && o->ca.len == 0) {
      X509_STORE *st = system_roots(cfg->roots, sizeof(cfg->roots));
      if (st == NULL) {
        mg_snprintf(err, err_len, "TLS: cannot load the system roots");
        goto fail;
      }
      SSL_CTX_set_cert_store(ctx, st);  // takes our reference
    } else if (cfg->verify) {
      mg_snprintf(cfg->roots, sizeof(cfg->roots), "the given CA");
    }
    SSL_CTX_set_verify(ctx, cfg->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    if (is_http && SSL_CTX_set_alpn_protos(ctx, alpn_http, sizeof(alpn_http)) != 0) {
      goto fail_ssl;
    }
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
                                            SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, new_session);
  } else {
    // Sessions resume by cache (TLS 1.2 ids) and by ticket (1.2 and 1.3);
    // the ticket keys are the context's own, made at random.
    SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, 20000);
    // TLS 1.3: one ticket, as Go's servers send (OpenSSL's default of two
    // cost a tenth of a full handshake, for a second ticket few clients
    // use), sent with the first reply (see struct mg_tls).
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_client_hello_cb(ctx, client_hello, NULL);
    if (o->ca.len > 0) {  // mutual TLS
      cfg->verify = 1;
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    if (is_http) SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
  }
  return cfg;
fail_ssl:
  errf(err, err_len, "TLS: OpenSSL cannot make a context");
fail:
  cfg_free(cfg);
  return NULL;
}

struct ffi_tls_cfg *ffi_tls_cfg_new(struct mg_mgr *mgr, int is_client,
                                    int is_http, uint32_t flags,
                                    const struct mg_tls_opts *opts, char *err,
                                    size_t err_len) {
  struct mgr_tls *mt = mgr != NULL ? (struct mgr_tls *) mgr->tls_ctx : NULL;
  struct ffi_tls_cfg *cfg;
  unsigned char h[32];
  if (!init()) return mg_snprintf(err, err_len, "TLS: cannot initialise OpenSSL"), NULL;
  if (!is_client || mt == NULL) {
    cfg = build(is_client, is_http, flags, opts, err, err_len);
    if (cfg != NULL && !is_client && mt != NULL) cfg->offload = 1;
    return cfg;
  }
  // Clients with the same settings share a context and its sessions.
  hash_opts(h, is_http, flags, opts);
  for (cfg = mt->clients; cfg != NULL; cfg = cfg->next) {
    if (memcmp(cfg->hash, h, sizeof(h)) == 0) return cfg->refs++, cfg;
  }
  if ((cfg = build(is_client, is_http, flags, opts, err, err_len)) == NULL) return NULL;
  memcpy(cfg->hash, h, sizeof(h));
  cfg->next = mt->clients, mt->clients = cfg;
  cfg->refs++;  // the list's
  return cfg;
}

// ---- connections ----

// is_ip: an IPv4 or IPv6 literal (not mg_aton, which takes "localhost").
static int is_ip(const char *name) {
  ASN1_OCTET_STRING *ip = a2i_IPADDRESS(name);
  ERR_clear_error();
  ASN1_OCTET_STRING_free(ip);
  return ip != NULL;
}

void ffi_tls_attach(struct mg_connection *c, struct ffi_tls_cfg *cfg,
                    struct mg_str name) {
  struct mg_tls *t = (struct mg_tls *) calloc(1, sizeof(*t));
  BIO *bio;
  char host[256];
  if (t == NULL || (t->ssl = SSL_new(cfg->ctx)) == NULL ||
      (bio = BIO_new(bio_method)) == NULL) {
    if (t != NULL) SSL_free(t->ssl);
    free(t);
    ERR_clear_error();
    mg_error(c, "TLS: out of memory");
    return;
  }
  t->cfg = cfg, cfg->refs++;
  t->c = c;
  if (cfg->offload) t->mt = (struct mgr_tls *) c->mgr->tls_ctx;
  c->tls = t;
  BIO_set_data(bio, t);
  BIO_set_init(bio, 1);
  SSL_set_bio(t->ssl, bio, bio);
  SSL_set_app_data(t->ssl, c);
  if (cfg->client) {
    size_t i;
    if (name.len >= sizeof(host)) name.len = sizeof(host) - 1;
    if (name.len > 2 && name.buf[0] == '[' && name.buf[name.len - 1] == ']') {
      name.buf++, name.len -= 2;  // an IPv6 URL's host
    }
    memcpy(host, name.buf, name.len);
    host[name.len] = '\0';
    if (name.len > 0 && !is_ip(host)) {
      SSL_set_tlsext_host_name(t->ssl, host);
      memcpy(t->sni, host, name.len + 1);
    }
    if (cfg->verify && name.len > 0) {
      X509_VERIFY_PARAM *p = SSL_get0_param(t->ssl);
      if (is_ip(host)) {
        X509_VERIFY_PARAM_set1_ip_asc(p, host);
      } else {
        X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(p, host, 0);
      }
    }
    mg_snprintf(t->key, sizeof(t->key), "%s|%M", host, mg_print_ip_port, &c->rem);
    for (i = 0; i < SESSIONS; i++) {
      struct session *s = &cfg->sessions[i];
      if (s->s != NULL && strcmp(s->key, t->key) == 0) {
        SSL_set_session(t->ssl, s->s);
        break;
      }
    }
    SSL_set_connect_state(t->ssl);
  } else {
    SSL_set_accept_state(t->ssl);
  }
  ERR_clear_error();
  c->is_tls = 1;
  c->is_tls_hs = 1;
}

// tls_error is mg_error without its 64-byte limit: reasons are longer.
static void tls_error(struct mg_connection *c, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  mg_vsnprintf(buf, sizeof(buf), fmt, &ap);
  va_end(ap);
  MG_ERROR(("%lu %s", c->id, buf));
  c->is_closing = 1;
  mg_call(c, MG_EV_ERROR, buf);
}

// fail reports a TLS failure as the connection's error, saying why: for a
// certificate, OpenSSL's verification result and what was trusted.
static void fail(struct mg_connection *c, struct mg_tls *t, const char *op,
                 const char *why) {
  long v = SSL_get_verify_result(t->ssl);
  unsigned long e = ERR_peek_error();
  char buf[256] = "";
  if (why != NULL) {
    mg_snprintf(buf, sizeof(buf), "%s", why);
  } else if (e != 0) {
    ERR_error_string_n(e, buf, sizeof(buf));
  }
  ERR_clear_error();
  if (v != X509_V_OK && t->cfg->verify) {
    if (t->cfg->client) {
      tls_error(c, "TLS %s: certificate verify failed: %s (trusting %s)", op,
               X509_verify_cert_error_string(v), t->cfg->roots);
    } else {
      tls_error(c, "TLS %s: client certificate verify failed: %s", op,
               X509_verify_cert_error_string(v));
    }
  } else {
    tls_error(c, "TLS %s failed: %s", op, buf[0] ? buf : "connection closed");
  }
}

// code maps an SSL call's result: 0 = wait, -1 = failed, else n > 0.
static long code(struct mg_tls *t, int rc) {
  int e;
  if (rc > 0) return rc;
  e = SSL_get_error(t->ssl, rc);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return 0;
  }
  return -1;
}

static void handshaken(struct mg_connection *c, struct mg_tls *t, long rc,
                       const char *why) {
  if (rc > 0) {
    c->is_tls_hs = 0;
    if (!t->cfg->client && SSL_version(t->ssl) == TLS1_3_VERSION && t->resumable) {
      t->ticket = 1, t->hs_ms = mg_millis();
    }
    mg_call(c, MG_EV_TLS_HS, NULL);
  } else if (rc < 0) {
    fail(c, t, "handshake", why);
  }
}

// ---- handshakes off the polling thread ----
// A server's first handshake step (a ClientHello in, its whole flight out:
// key exchange, signature) is most of a handshake's work. A worker runs it
// on a copy of what mongoose received and sends the flight itself, so the
// polling thread goes on serving the other connections and the machine's
// processors share the handshakes, as net/http's goroutines do. The worker
// does not wake the polling thread (the client's answer to the flight does,
// and by then the step is done: ffi_tls_poll), unless the step failed or
// the socket did not take the whole flight. The later steps are cheap and
// run on the polling thread.

static void job_free(struct mg_tls *t) {
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

// send_out sends the step's output on fd: 1 all sent, 0 the socket is
// full, -1 the connection failed.
static int send_out(struct mg_tls *t, MG_SOCKET_TYPE fd) {
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
  memmove(t->out, t->out + off, t->out_len - off);
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
  if (send_out(t, t->wfd) < 0 && t->rc >= 0) {
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
      job_free(t);
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

// offload queues the first step; 0: no worker, run it here.
static int offload(struct mg_connection *c, struct mg_tls *t) {
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

// done takes back a finished step: 1 when it was finished (or not busy).
static int done(struct mg_connection *c, struct mg_tls *t) {
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
  if (t->out_len > 0 && send_out(t, (MG_SOCKET_TYPE) (size_t) c->fd) < 0 && t->rc >= 0) {
    t->rc = -1;
    mg_snprintf(t->err, sizeof(t->err), "cannot send: connection closed");
  }
  handshaken(c, t, t->rc, t->err);
  return 1;
}

void ffi_tls_poll(struct mg_connection *c) {
  struct mg_tls *t = (struct mg_tls *) c->tls;
  if (t == NULL) return;
  if (t->busy) done(c, t);
  // A flight the socket did not take whole (it never happens on a new
  // connection's empty buffer, but must not stall one).
  if (!t->busy && t->out_len > 0 && !c->is_closing &&
      send_out(t, (MG_SOCKET_TYPE) (size_t) c->fd) < 0) {
    tls_error(c, "TLS handshake: cannot send: connection closed");
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

// deliver reads now what came in behind the handshake's last message (a
// request sent with the client's Finished): mongoose would read it at the
// next poll, and while TLS data waits it polls with a 1 ms timeout, not 0.
static void deliver(struct mg_connection *c) {
  long n;
  if (c->is_closing || c->recv.buf == NULL || c->recv.len >= c->recv.size ||
      (c->rtls.len == 0 && mg_tls_pending(c) == 0)) {
    return;
  }
  n = mg_tls_recv(c, c->recv.buf + c->recv.len, c->recv.size - c->recv.len);
  if (n > 0) {
    c->recv.len += (size_t) n;
    mg_call(c, MG_EV_READ, &n);
  } else if (n != MG_IO_WAIT) {
    c->is_closing = 1;  // as mongoose's own read does
  }
}

void mg_tls_handshake(struct mg_connection *c) {
  struct mg_tls *t = (struct mg_tls *) c->tls;
  if (t == NULL || !done(c, t)) return;
  if (!c->is_tls_hs || c->is_closing) return;  // done() finished or failed it
  // The rest of a flight goes before anything the next step writes.
  if (t->out_len > 0 && send_out(t, (MG_SOCKET_TYPE) (size_t) c->fd) <= 0) return;
  // The first step goes to a worker, also when the ClientHello's record
  // comes in pieces, until a whole record is in.
  if (t->mt != NULL && c->rtls.len > 0 && SSL_get_state(t->ssl) == TLS_ST_BEFORE &&
      offload(c, t)) {
    return;
  }
  handshaken(c, t, code(t, SSL_do_handshake(t->ssl)), NULL);
  if (!c->is_tls_hs) deliver(c);
}

// mg_tls_recv returns what every record already received holds, as far as
// len allows: mongoose reads once a poll, and while TLS data waits it polls
// with a 1 ms timeout, not 0, so a record left behind (a request's body
// after its headers) would wait for it. A close or an error behind the data
// is reported by the next call, at the next poll, after the data.
long mg_tls_recv(struct mg_connection *c, void *buf, size_t len) {
  struct mg_tls *t = (struct mg_tls *) c->tls;
  size_t got = 0;
  int rc, e;
  if (t == NULL) return MG_IO_ERR;
  if (t->busy || buf == NULL || len == 0) return MG_IO_WAIT;
  if (t->rd_err != 0) {
    if (t->rd_err == 2) tls_error(c, "TLS read failed: %s", t->err);
    t->rd_err = 0;
    return MG_IO_ERR;
  }
  for (;;) {
    size_t want = len - got > 0x7fffffff ? 0x7fffffff : len - got;
    if ((rc = SSL_read(t->ssl, (char *) buf + got, (int) want)) > 0) {
      got += (size_t) rc;
      if (got < len && (c->rtls.len > 0 || SSL_pending(t->ssl) > 0)) continue;
      return (long) got;
    }
    e = SSL_get_error(t->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      ERR_clear_error();
      return got > 0 ? (long) got : MG_IO_WAIT;
    }
    if (got == 0) {
      if (e == SSL_ERROR_SSL) {
        fail(c, t, "read", NULL);  // an alert, a bad record: say so
      } else {
        ERR_clear_error();  // closed by the peer
      }
      return MG_IO_ERR;
    }
    t->rd_err = e == SSL_ERROR_SSL ? 2 : 1;
    t->err[0] = '\0';
    if (e == SSL_ERROR_SSL) ERR_error_string_n(ERR_peek_error(), t->err, sizeof(t->err));
    if (t->err[0] == '\0') mg_snprintf(t->err, sizeof(t->err), "connection closed");
    ERR_clear_error();
    return (long) got;
  }
}

// send_ticket has OpenSSL write the session ticket now (held: into held).
static void send_ticket(struct mg_tls *t, int held) {
  t->ticket = 0;
  if (SSL_new_session_ticket(t->ssl) == 1) {
    t->hold = held;
    SSL_do_handshake(t->ssl);
    t->hold = 0;
  }
  ERR_clear_error();
}

long mg_tls_send(struct mg_connection *c, const void *buf, size_t len) {
  struct mg_tls *t = (struct mg_tls *) c->tls;
  long rc;
  if (t == NULL) return MG_IO_ERR;
  if (t->busy) return MG_IO_WAIT;
  if (len == 0) return 0;
  if (len > 0x7fffffff) len = 0x7fffffff;
  if (t->ticket) send_ticket(t, 1);
  rc = code(t, SSL_write(t->ssl, buf, (int) len));
  if (rc == 0) return MG_IO_WAIT;
  if (rc < 0) {
    ERR_clear_error();
    return MG_IO_ERR;
  }
  return rc;
}

size_t mg_tls_pending(struct mg_connection *c) {
  struct mg_tls *t = (struct mg_tls *) c->tls;
  if (t == NULL || t->busy) return 0;
  return t->rd_err != 0 ? 1 : (size_t) SSL_pending(t->ssl);
}

// mongoose calls this when nothing is left to send: a connection closing
// gracefully says so (close_notify), so the peer knows nothing was cut.
void mg_tls_flush(struct mg_connection *c) {
  struct mg_tls *t = (struct mg_tls *) c->tls;
  if (t == NULL || t->busy) return;
  if (t->held_len > 0 && send_held(c, t, 0) == MG_IO_ERR) c->is_closing = 1;
  // A connection that has not replied TICKET_WAIT_MS after its handshake
  // gets its ticket alone, at the next poll.
  if (t->ticket && !c->is_draining && mg_millis() - t->hs_ms >= TICKET_WAIT_MS) {
    send_ticket(t, 0);
  }
  if (c->is_draining && !t->shut) {
    t->shut = 1;
    SSL_shutdown(t->ssl);
    ERR_clear_error();
  }
}

void mg_tls_free(struct mg_connection *c) {
  struct mg_tls *t = (struct mg_tls *) c->tls;
  if (t == NULL) return;
  int orphan = 0;
  c->tls = NULL;
  ffi_tls_cfg_release(t->cfg);  // the SSL keeps its own reference
  t->cfg = NULL;
  if (t->busy) {  // a worker has the step, or will: it frees it
    FFI_LOCK(&t->mt->pool.lock);
    if (t->job != JOB_DONE) t->job = JOB_ORPHAN, orphan = 1;
    FFI_UNLOCK(&t->mt->pool.lock);
  }
  if (!orphan) job_free(t);
}

// mg_tls_init serves users of mongoose's own API (mg_* on mg_ffi_mgr_raw):
// the same rules, one context per call.
void mg_tls_init(struct mg_connection *c, const struct mg_tls_opts *opts) {
  char err[300];
  struct ffi_tls_cfg *cfg;
  if (c->tls != NULL) return;
  cfg = ffi_tls_cfg_new(NULL, c->is_client, 0, 0, opts, err, sizeof(err));
  if (cfg == NULL) {
    tls_error(c, "%s", err);
    return;
  }
  ffi_tls_attach(c, cfg, opts->name);
  ffi_tls_cfg_release(cfg);
}

void mg_tls_ctx_init(struct mg_mgr *mgr) {
  struct mgr_tls *mt = (struct mgr_tls *) calloc(1, sizeof(*mt));
  if (mt == NULL) return;
  FFI_LOCK_INIT(&mt->pool.lock);
  FFI_COND_INIT(&mt->pool.cond);
  mt->pool.want = cpus();
  mt->pool.mgr = mgr;
  mgr->tls_ctx = mt;
}

void mg_tls_ctx_free(struct mg_mgr *mgr) {
  struct mgr_tls *mt = (struct mgr_tls *) mgr->tls_ctx;
  struct ffi_tls_cfg *cfg, *next;
  unsigned i;
  if (mt == NULL) return;
  // Every connection is closed: what the workers hold are orphans.
  FFI_LOCK(&mt->pool.lock);
  mt->pool.stop = 1;
  FFI_COND_BROADCAST(&mt->pool.cond);
  FFI_UNLOCK(&mt->pool.lock);
  for (i = 0; i < mt->pool.started; i++) {
#if defined(_WIN32)
    WaitForSingleObject(mt->pool.threads[i], INFINITE);
    CloseHandle(mt->pool.threads[i]);
#else
    pthread_join(mt->pool.threads[i], NULL);
#endif
  }
  while (mt->pool.head != NULL) {  // steps no worker took
    struct mg_tls *t = mt->pool.head;
    mt->pool.head = t->next;
    close_socket(t->wfd);
    job_free(t);
  }
  FFI_COND_FREE(&mt->pool.cond);
  FFI_LOCK_FREE(&mt->pool.lock);
  for (cfg = mt->clients; cfg != NULL; cfg = next) {
    next = cfg->next;
    ffi_tls_cfg_release(cfg);
  }
  free(mt->info);
  free(mt);
  mgr->tls_ctx = NULL;
}

const char *mg_ffi_openssl_version(void) {
  return OpenSSL_version(OPENSSL_VERSION);
}

// ---- TLS details for the program ----

FFI_STATIC_ASSERT(info, sizeof(struct mg_ffi_tls_info) == 56);
FFI_STATIC_ASSERT(certs, offsetof(struct mg_ffi_tls_info, certs) == 48);

int32_t mg_ffi_tls_info(struct mg_ffi_mgr *m, uint64_t id,
                        struct mg_ffi_tls_info *out) {
  struct mg_mgr *mgr = mg_ffi_mgr_raw(m);
  struct mgr_tls *mt = mgr != NULL ? (struct mgr_tls *) mgr->tls_ctx : NULL;
  struct mg_connection *c = NULL;
  struct mg_tls *t;
  const SSL_CIPHER *cipher;
  const unsigned char *alpn = NULL;
  unsigned int alpn_len = 0, i, n = 0;
  const char *sni;
  size_t sni_len, need, off;
  X509 *certs[16];
  STACK_OF(X509) *chain;
  struct mg_ffi_str *strs;
  if (mgr == NULL || out == NULL) return MG_FFI_ERR_ARG;
  for (c = mgr->conns; c != NULL; c = c->next) {
    if ((uint64_t) c->id == id && !c->is_closing && !c->is_listening) break;
  }
  if (c == NULL) return MG_FFI_ERR_NOCONN;
  if ((t = (struct mg_tls *) c->tls) == NULL || c->is_tls_hs || mt == NULL) {
    return MG_FFI_ERR_ARG;
  }
  memset(out, 0, sizeof(*out));
  out->version = (uint32_t) SSL_version(t->ssl);
  if ((cipher = SSL_get_current_cipher(t->ssl)) != NULL) {
    out->cipher = SSL_CIPHER_get_protocol_id(cipher);
  }
  out->resumed = SSL_session_reused(t->ssl) ? 1 : 0;
  SSL_get0_alpn_selected(t->ssl, &alpn, &alpn_len);
  // A client reports the name it sent, whether or not the server said so.
  sni = c->is_client ? t->sni : SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
  sni_len = sni != NULL ? strlen(sni) : 0;
  // The leaf, then the rest of the chain (a client's chain starts with the
  // leaf; a server's leaves it out).
  if ((certs[0] = SSL_get0_peer_certificate(t->ssl)) != NULL) n = 1;
  chain = SSL_get_peer_cert_chain(t->ssl);
  for (i = 0; chain != NULL && i < (unsigned) sk_X509_num(chain) && n > 0 &&
              n < sizeof(certs) / sizeof(certs[0]);
       i++) {
    X509 *x = sk_X509_value(chain, (int) i);
    if (X509_cmp(x, certs[0]) != 0) certs[n++] = x;
  }
  need = n * sizeof(struct mg_ffi_str) + alpn_len + sni_len + 2;
  for (i = 0; i < n; i++) {
    int len = i2d_X509(certs[i], NULL);
    if (len > 0) need += (size_t) len;
  }
  if (need > mt->info_cap) {
    char *p = (char *) realloc(mt->info, need);
    if (p == NULL) return MG_FFI_ERR_NOMEM;
    mt->info = p, mt->info_cap = need;
  }
  strs = (struct mg_ffi_str *) (void *) mt->info;
  off = n * sizeof(struct mg_ffi_str);
  for (i = 0; i < n; i++) {
    unsigned char *p = (unsigned char *) mt->info + off;
    int len = i2d_X509(certs[i], &p);
    strs[i].ptr = mt->info + off;
    strs[i].len = len > 0 ? (uint64_t) len : 0;
    off += len > 0 ? (size_t) len : 0;
  }
  memcpy(mt->info + off, alpn, alpn_len);
  mt->info[off + alpn_len] = '\0';
  out->alpn.ptr = mt->info + off, out->alpn.len = alpn_len;
  off += alpn_len + 1;
  if (sni_len > 0) memcpy(mt->info + off, sni, sni_len);
  mt->info[off + sni_len] = '\0';
  out->sni.ptr = mt->info + off, out->sni.len = sni_len;
  out->ncerts = n;
  out->certs = n > 0 ? strs : NULL;
  ERR_clear_error();
  return MG_FFI_OK;
}
