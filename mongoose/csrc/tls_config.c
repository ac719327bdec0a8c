// tls_config.c: OpenSSL contexts (struct ffi_tls_cfg): one per listener and
// per client configuration, the PEM (or DER) parsed once; servers' session
// cache, tickets and ALPN; clients' verification and session cache, shared
// by a manager's clients with the same settings so that reconnects resume.
#include "internal.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

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
      X509_STORE *st = ffi_tls_system_roots(cfg->roots, sizeof(cfg->roots));
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
  if (!ffi_tls_init()) return mg_snprintf(err, err_len, "TLS: cannot initialise OpenSSL"), NULL;
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

