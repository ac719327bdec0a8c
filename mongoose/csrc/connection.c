// connection.c: connections by id: listen, connect, send, close, their
// addresses; the context each was opened with (kind, TLS material) and the
// lookup every call by id goes through.
#include "internal.h"

struct mg_connection *ffi_find(struct mg_ffi_mgr *m, uint64_t id) {
  struct mg_connection *c;
  if (m == NULL) return NULL;
  for (c = m->mgr.conns; c != NULL; c = c->next) {
    if ((uint64_t) c->id == id && !c->is_closing && c->fn == ffi_handler) return c;
  }
  return NULL;
}

void ffi_ctx_release(struct ctx *x) {
  if (x != NULL && --x->refs == 0) {
    ffi_tls_cfg_release(x->tls_cfg);
    free(x);
  }
}

// new_ctx copies the TLS material into one allocation with the context.
static struct ctx *new_ctx(struct mg_ffi_mgr *m, int kind, const char *cert,
                           size_t cert_len, const char *key, size_t key_len,
                           const char *ca, size_t ca_len, const char *name) {
  size_t name_len = name ? strlen(name) : 0;
  struct ctx *x = (struct ctx *) calloc(
      1, sizeof(*x) + cert_len + key_len + ca_len + name_len + 4);
  char *p;
  if (x == NULL) return NULL;
  x->m = m, x->kind = kind, x->refs = 1;
  p = x->mem;
#define MG_FFI_COPY(field, src, n)               \
  if ((src) != NULL && (n) > 0) {                \
    memcpy(p, (src), (n));                       \
    x->tls.field = mg_str_n(p, (n));             \
    p += (n);                                    \
  }                                              \
  *p++ = '\0';
  MG_FFI_COPY(cert, cert, cert_len);
  MG_FFI_COPY(key, key, key_len);
  MG_FFI_COPY(ca, ca, ca_len);
  MG_FFI_COPY(name, name, name_len);
#undef MG_FFI_COPY
  return x;
}

static int valid_kind(int32_t kind) {
  return kind == MG_FFI_HTTP || kind == MG_FFI_TCP || kind == MG_FFI_UDP;
}

// tls_setup builds the TLS context of a listener or client whose URL asks
// for TLS; a bad certificate, key or CA fails here, not at each handshake.
static int tls_setup(struct mg_ffi_mgr *m, struct ctx *x, const char *url,
                     int client, uint32_t flags) {
  char err[300];
  if (!mg_url_is_ssl(url)) return 1;
  x->tls_cfg = ffi_tls_cfg_new(&m->mgr, client, x->kind == MG_FFI_HTTP, flags,
                               &x->tls, err, sizeof(err));
  if (x->tls_cfg == NULL) MG_ERROR(("%s: %s", url, err));
  return x->tls_cfg != NULL;
}

int32_t mg_ffi_listen(struct mg_ffi_mgr *m, int32_t kind, const char *url,
                      const char *cert, uint64_t cert_len, const char *key,
                      uint64_t key_len, const char *ca, uint64_t ca_len,
                      uint64_t *id) {
  struct mg_connection *c;
  struct ctx *x;
  if (m == NULL || url == NULL || id == NULL || !valid_kind(kind)) {
    return MG_FFI_ERR_ARG;
  }
  x = new_ctx(m, kind, cert, (size_t) cert_len, key, (size_t) key_len, ca,
              (size_t) ca_len, NULL);
  if (x == NULL) return MG_FFI_ERR_NOMEM;
  if (!tls_setup(m, x, url, 0, 0)) {
    ffi_ctx_release(x);
    return MG_FFI_ERR_TLS;
  }
  c = kind == MG_FFI_HTTP ? mg_http_listen(&m->mgr, url, ffi_handler, x)
                          : mg_listen(&m->mgr, url, ffi_handler, x);
  if (c == NULL) {
    ffi_ctx_release(x);
    return MG_FFI_ERR_LISTEN;
  }
  x->listener = c->id;
  *id = c->id;
  return MG_FFI_OK;
}

int32_t mg_ffi_connect(struct mg_ffi_mgr *m, int32_t kind, const char *url,
                       const char *ca, uint64_t ca_len, const char *server_name,
                       const char *cert, uint64_t cert_len, const char *key,
                       uint64_t key_len, uint32_t flags, uint64_t *id) {
  struct mg_connection *c;
  struct ctx *x;
  char host[256];
  if (m == NULL || url == NULL || id == NULL || !valid_kind(kind)) {
    return MG_FFI_ERR_ARG;
  }
  if (server_name == NULL) {
    struct mg_str h = mg_url_host(url);
    if (h.len >= sizeof(host)) return MG_FFI_ERR_ARG;
    memcpy(host, h.buf, h.len);
    host[h.len] = '\0';
    server_name = host;
  }
  // The server is verified against ca, else the system's roots, and its
  // name, unless flags say MG_FFI_TLS_INSECURE_SKIP_VERIFY.
  x = new_ctx(m, kind, cert, (size_t) cert_len, key, (size_t) key_len, ca,
              (size_t) ca_len, server_name);
  if (x == NULL) return MG_FFI_ERR_NOMEM;
  if (!tls_setup(m, x, url, 1, flags)) {
    ffi_ctx_release(x);
    return MG_FFI_ERR_TLS;
  }
  c = kind == MG_FFI_HTTP ? mg_http_connect(&m->mgr, url, ffi_handler, x)
                          : mg_connect(&m->mgr, url, ffi_handler, x);
  if (c == NULL) {
    ffi_ctx_release(x);
    return MG_FFI_ERR_CONNECT;
  }
  *id = c->id;
  return MG_FFI_OK;
}

int32_t mg_ffi_addr(struct mg_ffi_mgr *m, uint64_t id, int32_t remote,
                    char *out, uint64_t out_len) {
  struct mg_connection *c = ffi_find(m, id);
  char buf[64];
  size_t n;
  if (c == NULL) return MG_FFI_ERR_NOCONN;
  if (out == NULL) return MG_FFI_ERR_ARG;
  n = mg_snprintf(buf, sizeof(buf), "%M", mg_print_ip_port,
                  remote ? &c->rem : &c->loc);
  if (n + 1 > out_len) return MG_FFI_ERR_SPACE;
  memcpy(out, buf, n + 1);
  return (int32_t) n;
}

// Sends a reply now instead of at the next poll, for plain TCP with nothing
// queued before it: the bytes leave at once and mongoose need not switch
// the socket's write interest on and off. What does not fit stays queued.
void ffi_flush(struct mg_connection *c, size_t queued_before) {
  long n;
  if (queued_before > 0 || c->send.len == 0 || c->is_tls || c->is_udp ||
      c->is_connecting || c->is_resolving || c->is_closing) {
    return;
  }
  n = mg_io_send(c, c->send.buf, c->send.len);
  if (n > 0) {  // as mongoose's own write does; errors surface at the poll
    mg_iobuf_del(&c->send, 0, (size_t) n);
    mg_call(c, MG_EV_WRITE, &n);
  }
}

int32_t mg_ffi_send(struct mg_ffi_mgr *m, uint64_t id, const void *buf,
                    uint64_t len) {
  struct mg_connection *c = ffi_find(m, id);
  size_t before;
  if (c == NULL) return MG_FFI_ERR_NOCONN;
  if (buf == NULL && len > 0) return MG_FFI_ERR_ARG;
  // mongoose takes an empty datagram's 0 bytes sent for a failure and
  // closes the socket (a listener too): refuse it instead.
  if (c->is_udp && len == 0) return MG_FFI_ERR_ARG;
  before = c->send.len;
  if (!mg_send(c, buf, (size_t) len)) return MG_FFI_ERR_SEND;
  ffi_flush(c, before);
  return MG_FFI_OK;
}

int32_t mg_ffi_close(struct mg_ffi_mgr *m, uint64_t id, int32_t how) {
  struct mg_connection *c = ffi_find(m, id);
  if (c == NULL) return MG_FFI_ERR_NOCONN;
  if (how) {
    c->is_closing = 1;
  } else {
    c->is_draining = 1;
  }
  return MG_FFI_OK;
}

int32_t mg_ffi_ws_send(struct mg_ffi_mgr *m, uint64_t id, const void *buf,
                       uint64_t len, int32_t op) {
  size_t before;
  struct mg_connection *c = ffi_find(m, id);
  if (c == NULL) return MG_FFI_ERR_NOCONN;
  if (!c->is_websocket || op < 0 || op > 15 || (buf == NULL && len > 0)) {
    return MG_FFI_ERR_ARG;
  }
  before = c->send.len;
  mg_ws_send(c, buf, (size_t) len, op);
  ffi_flush(c, before);
  return MG_FFI_OK;
}
