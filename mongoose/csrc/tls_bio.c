// tls_bio.c: how OpenSSL reads and writes a glue connection: our BIO method
// on mongoose's buffers and the socket (on a worker, on the step's own
// input and output), and the process-wide set-up it needs, made once.
#include "internal.h"

#include <openssl/crypto.h>
#include <openssl/ssl.h>

static CRYPTO_ONCE once = CRYPTO_ONCE_STATIC_INIT;
static BIO_METHOD *bio_method;
static int roots_ok;  // the roots' lock was made (tls_roots.c)

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

// ffi_tls_send_held sends what was held and the len bytes after it in one
// send; it returns how many of those len bytes went, or MG_IO_WAIT/MG_IO_ERR.
// What was held and not sent stays; the rest is the caller's to retry.
long ffi_tls_send_held(struct mg_connection *c, struct mg_tls *t, size_t len) {
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
    n = ffi_tls_send_held(c, t, (size_t) len);
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
  roots_ok = ffi_tls_roots_init();
  bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                            "mongoose-ffi");
  if (bio_method != NULL) {
    BIO_meth_set_write(bio_method, bio_write);
    BIO_meth_set_read(bio_method, bio_read);
    BIO_meth_set_ctrl(bio_method, bio_ctrl);
  }
}

// ffi_tls_init makes OpenSSL, the BIO method and the roots' lock ready, once
// per process.
int ffi_tls_init(void) {
  return CRYPTO_THREAD_run_once(&once, init_once) && bio_method != NULL &&
         roots_ok;
}

// ffi_tls_bio_new is a BIO of our method, for ffi_tls_attach.
BIO *ffi_tls_bio_new(void) {
  return BIO_new(bio_method);
}
