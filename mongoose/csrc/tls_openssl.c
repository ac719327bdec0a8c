// tls_openssl.c: the glue's own TLS layer on OpenSSL, built with
// MG_TLS=MG_TLS_CUSTOM: mongoose reads raw bytes into c->rtls and calls the
// mg_tls_* functions below, the seam of its src/tls.h that its own
// src/tls_openssl.c fills too (the end of this file lists them). We own the
// OpenSSL contexts:
//  - one SSL_CTX per listener and per client configuration, PEM parsed once
//    (tls_config.c);
//  - servers: session cache and tickets (TLS 1.2 and 1.3), ALPN http/1.1;
//  - clients: the peer is verified by default, against the given CA or the
//    system's roots (tls_roots.c), with the server's name (DNS name or IP
//    address); a client session cache per configuration and server, so
//    reconnects resume;
//  - TLS 1.2 is the floor;
//  - a server's first handshake step runs on the manager's worker threads
//    (tls_pool.c).
// OpenSSL reads and writes through our BIO (tls_bio.c); mg_ffi_tls_info is in
// tls_info.c.
#include "internal.h"

#include <stdarg.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#if MG_TLS != MG_TLS_CUSTOM
#error "tls_openssl.c is mongoose's TLS layer: build with MG_TLS=MG_TLS_CUSTOM"
#endif

#define TICKET_WAIT_MS 100  // how long a TLS 1.3 ticket waits for a reply

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
      (bio = ffi_tls_bio_new()) == NULL) {
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

// ffi_tls_error is mg_error without its 64-byte limit: reasons are longer.
void ffi_tls_error(struct mg_connection *c, const char *fmt, ...) {
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
      ffi_tls_error(c, "TLS %s: certificate verify failed: %s (trusting %s)", op,
                    X509_verify_cert_error_string(v), t->cfg->roots);
    } else {
      ffi_tls_error(c, "TLS %s: client certificate verify failed: %s", op,
                    X509_verify_cert_error_string(v));
    }
  } else {
    ffi_tls_error(c, "TLS %s failed: %s", op, buf[0] ? buf : "connection closed");
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

// ffi_tls_handshaken reports a handshake step's outcome: rc > 0 done,
// 0 wants more, < 0 failed (why: the reason, or NULL for OpenSSL's).
void ffi_tls_handshaken(struct mg_connection *c, struct mg_tls *t, long rc,
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
  if (t == NULL || !ffi_tls_done(c, t)) return;
  if (!c->is_tls_hs || c->is_closing) return;  // ffi_tls_done finished or failed it
  // The rest of a flight goes before anything the next step writes.
  if (t->out_len > 0 && ffi_tls_send_out(t, (MG_SOCKET_TYPE) (size_t) c->fd) <= 0) return;
  // The first step goes to a worker, also when the ClientHello's record
  // comes in pieces, until a whole record is in.
  if (t->mt != NULL && c->rtls.len > 0 && SSL_get_state(t->ssl) == TLS_ST_BEFORE &&
      ffi_tls_offload(c, t)) {
    return;
  }
  ffi_tls_handshaken(c, t, code(t, SSL_do_handshake(t->ssl)), NULL);
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
    if (t->rd_err == 2) ffi_tls_error(c, "TLS read failed: %s", t->err);
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
  if (t->held_len > 0 && ffi_tls_send_held(c, t, 0) == MG_IO_ERR) c->is_closing = 1;
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
  c->tls = NULL;
  ffi_tls_cfg_release(t->cfg);  // the SSL keeps its own reference
  t->cfg = NULL;
  // A worker has the step, or will: it frees it.
  if (!(t->busy && ffi_tls_orphan(t))) ffi_tls_job_free(t);
}

// mg_tls_init serves users of mongoose's own API (mg_* on mg_ffi_mgr_raw):
// the same rules, one context per call.
void mg_tls_init(struct mg_connection *c, const struct mg_tls_opts *opts) {
  char err[300];
  struct ffi_tls_cfg *cfg;
  if (c->tls != NULL) return;
  cfg = ffi_tls_cfg_new(NULL, c->is_client, 0, 0, opts, err, sizeof(err));
  if (cfg == NULL) {
    ffi_tls_error(c, "%s", err);
    return;
  }
  ffi_tls_attach(c, cfg, opts->name);
  ffi_tls_cfg_release(cfg);
}

void mg_tls_ctx_init(struct mg_mgr *mgr) {
  struct mgr_tls *mt = (struct mgr_tls *) calloc(1, sizeof(*mt));
  if (mt == NULL) return;
  ffi_tls_pool_init(&mt->pool, mgr);
  mgr->tls_ctx = mt;
}

void mg_tls_ctx_free(struct mg_mgr *mgr) {
  struct mgr_tls *mt = (struct mgr_tls *) mgr->tls_ctx;
  struct ffi_tls_cfg *cfg, *next;
  if (mt == NULL) return;
  ffi_tls_pool_free(&mt->pool);
  for (cfg = mt->clients; cfg != NULL; cfg = next) {
    next = cfg->next;
    ffi_tls_cfg_release(cfg);
  }
  free(mt->info);
  free(mt);
  mgr->tls_ctx = NULL;
}

// ---- the entry points ----
// mongoose's TLS seam (its src/tls.h), every function of it, all above:
//   mg_tls_init(c, opts)      TLS on a connection of mongoose's own API; the
//                             glue's connections get ffi_tls_attach instead
//   mg_tls_free(c)            a connection's TLS (a worker's step: orphaned)
//   mg_tls_send(c, buf, len)  one record (behind a held session ticket)
//   mg_tls_recv(c, buf, len)  what every record already received holds
//   mg_tls_pending(c)         decrypted bytes waiting, or an end to report
//   mg_tls_flush(c)           held bytes, a due ticket, close_notify
//   mg_tls_handshake(c)       a handshake step (a server's first on a worker)
//   mg_tls_ctx_init(mgr)      a manager's TLS state: client contexts, workers
//   mg_tls_ctx_free(mgr)      stops the workers, frees the state
