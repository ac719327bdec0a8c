// mongoose_ffi.c: the FFI glue. mongoose calls our handler; the handler
// copies each event into a per-manager batch that mg_ffi_poll returns.
//
// Build defines (the build passes the same to mongoose.c):
//   MG_TLS=MG_TLS_OPENSSL MG_ENABLE_IPV6=1, and _CRT_RAND_S on Windows.
#include "mongoose.h"
#include "mongoose_ffi.h"

#include <stddef.h>

#if MG_TLS == MG_TLS_OPENSSL
#include <openssl/crypto.h>
#endif

// The layout the header documents; the bindings rely on it.
#define MG_FFI_CHECK(name, cond) typedef char mg_ffi_check_##name[(cond) ? 1 : -1]
MG_FFI_CHECK(str, sizeof(struct mg_ffi_str) == 16);
MG_FFI_CHECK(header, sizeof(struct mg_ffi_header) == 32);
MG_FFI_CHECK(event, sizeof(struct mg_ffi_event) == 152);
MG_FFI_CHECK(headers, offsetof(struct mg_ffi_event, headers) == 32);
MG_FFI_CHECK(method, offsetof(struct mg_ffi_event, method) == 40);
MG_FFI_CHECK(body, offsetof(struct mg_ffi_event, body) == 104);
MG_FFI_CHECK(remote, offsetof(struct mg_ffi_event, remote) == 136);

// What a listener or client connection was opened with. Accepted
// connections share their listener's, so it is reference counted.
struct ctx {
  struct mg_ffi_mgr *m;
  int kind;
  int refs;
  uint64_t listener;     // the listener's id, for accepted connections
  struct mg_tls_opts tls;  // points into mem
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

// Two batches: the host reads the one the last poll handed out while events
// raised between polls (a UDP connect, a WebSocket upgrade) fill the other,
// so neither is lost nor moved under the host's feet.
struct mg_ffi_mgr {
  struct mg_mgr mgr;
  struct batch b[2];
  int fill;  // the batch being filled; the other one was handed out
};

// Buffers grow by doubling; failure marks the batch so that the host hears
// of it as an ERROR event rather than silently losing data.
static int grow(void **p, size_t *cap, size_t need, size_t size) {
  size_t n = *cap ? *cap : 16;
  void *q;
  if (need <= *cap) return 1;
  while (n < need) n *= 2;
  if ((q = realloc(*p, n * size)) == NULL) return 0;
  *p = q, *cap = n;
  return 1;
}

// put copies bytes into the batch and returns their offset + 1 (0 = none).
static size_t put(struct batch *m, const void *buf, size_t len) {
  size_t off = (m->len + 7) & ~(size_t) 7;  // header arrays need alignment
  if (!grow((void **) &m->data, &m->cap, off + len + 1, 1)) {
    m->failed = 1;
    return 0;
  }
  if (buf != NULL && len > 0) memcpy(m->data + off, buf, len);
  m->data[off + len] = '\0';  // strings are NUL-terminated for C hosts too
  m->len = off + len + 1;
  return off + 1;
}

static void set(struct batch *m, struct mg_ffi_str *s, const void *buf,
                size_t len) {
  s->ptr = (const char *) (uintptr_t) put(m, buf, len);
  s->len = s->ptr ? len : 0;
}

static void set_addr(struct batch *m, struct mg_ffi_str *s,
                     struct mg_addr *a) {
  char buf[64];
  size_t n = mg_snprintf(buf, sizeof(buf), "%M", mg_print_ip_port, a);
  set(m, s, buf, n);
}

static uint32_t flags_of(struct mg_connection *c) {
  return (c->is_tls ? MG_FFI_F_TLS : 0) | (c->is_client ? MG_FFI_F_CLIENT : 0) |
         (c->is_websocket ? MG_FFI_F_WEBSOCKET : 0) |
         (c->is_udp ? MG_FFI_F_UDP : 0) |
         (c->is_listening ? MG_FFI_F_LISTENER : 0);
}

static struct mg_ffi_event *push(struct batch *m, struct mg_connection *c,
                                 uint32_t type) {
  struct ctx *x = (struct ctx *) c->fn_data;
  struct mg_ffi_event *e;
  if (!grow((void **) &m->evs, &m->capev, m->nev + 1, sizeof(*e))) {
    m->failed = 1;
    return NULL;
  }
  e = &m->evs[m->nev++];
  memset(e, 0, sizeof(*e));
  e->type = type;
  e->flags = flags_of(c);
  e->id = c->id;
  e->listener = x != NULL ? x->listener : 0;
  set_addr(m, &e->local, &c->loc);
  set_addr(m, &e->remote, &c->rem);
  return e;
}

static void on_http(struct batch *m, struct mg_connection *c,
                    struct mg_http_message *hm) {
  struct mg_ffi_event *e = push(m, c, MG_FFI_EV_HTTP_MSG);
  size_t i, n = 0, hoff;
  if (e == NULL) return;
  set(m, &e->method, hm->method.buf, hm->method.len);
  set(m, &e->uri, hm->uri.buf, hm->uri.len);
  set(m, &e->query, hm->query.buf, hm->query.len);
  set(m, &e->proto, hm->proto.buf, hm->proto.len);
  set(m, &e->body, hm->body.buf, hm->body.len);
  if (c->is_client) e->status = mg_http_status(hm);
  while (n < MG_MAX_HTTP_HEADERS && hm->headers[n].name.len > 0) n++;
  hoff = put(m, NULL, n * sizeof(struct mg_ffi_header));  // filled below
  if (hoff == 0) return;
  for (i = 0; i < n; i++) {
    struct mg_ffi_header hd;
    set(m, &hd.name, hm->headers[i].name.buf, hm->headers[i].name.len);
    set(m, &hd.value, hm->headers[i].value.buf, hm->headers[i].value.len);
    memcpy(m->data + hoff - 1 + i * sizeof(hd), &hd, sizeof(hd));
  }
  e->headers = (const struct mg_ffi_header *) (uintptr_t) hoff;
  e->nheaders = (uint32_t) n;
  if (!c->is_client &&
      grow((void **) &m->reqs, &m->capreq, m->nreq + 1, sizeof(struct req))) {
    size_t off = put(m, hm->message.buf, hm->message.len);
    if (off != 0) {
      struct req r = {c->id, off - 1, hm->message.len};
      m->reqs[m->nreq++] = r;
    }
  }
}

static void init_tls(struct mg_connection *c, struct ctx *x) {
  if (c->is_tls && x != NULL) mg_tls_init(c, &x->tls);
}

static void release(struct ctx *x) {
  if (x != NULL && --x->refs == 0) free(x);
}

static void handler(struct mg_connection *c, int ev, void *ev_data) {
  struct ctx *x = (struct ctx *) c->fn_data;
  struct batch *m;
  struct mg_ffi_event *e;
  if (x == NULL) return;  // closed already
  m = &x->m->b[x->m->fill];
  switch (ev) {
    case MG_EV_ACCEPT:
      x->refs++;
      init_tls(c, x);
      push(m, c, MG_FFI_EV_ACCEPT);
      break;
    case MG_EV_CONNECT:
      init_tls(c, x);
      push(m, c, MG_FFI_EV_CONNECT);
      break;
    case MG_EV_HTTP_MSG:
      on_http(m, c, (struct mg_http_message *) ev_data);
      break;
    case MG_EV_WS_OPEN:
      push(m, c, MG_FFI_EV_WS_OPEN);
      break;
    case MG_EV_WS_MSG: {
      struct mg_ws_message *wm = (struct mg_ws_message *) ev_data;
      if ((e = push(m, c, MG_FFI_EV_WS_MSG)) != NULL) {
        e->status = wm->flags & 15;
        set(m, &e->body, wm->data.buf, wm->data.len);
      }
      break;
    }
    case MG_EV_READ:
      // HTTP connections are parsed by mongoose; raw ones hand bytes over.
      if (x->kind != MG_FFI_HTTP && c->recv.len > 0) {
        if ((e = push(m, c, MG_FFI_EV_READ)) != NULL) {
          set(m, &e->body, c->recv.buf, c->recv.len);
        }
        c->recv.len = 0;
      }
      break;
    case MG_EV_ERROR:
      if ((e = push(m, c, MG_FFI_EV_ERROR)) != NULL) {
        const char *s = (const char *) ev_data;
        set(m, &e->body, s, s ? strlen(s) : 0);
      }
      break;
    case MG_EV_WAKEUP: {
      struct mg_str *s = (struct mg_str *) ev_data;
      if ((e = push(m, c, MG_FFI_EV_WAKEUP)) != NULL) {
        set(m, &e->body, s->buf, s->len);
      }
      break;
    }
    case MG_EV_CLOSE:
      push(m, c, MG_FFI_EV_CLOSE);
      c->fn_data = NULL;
      release(x);
      break;
    default:
      break;
  }
}

// fix turns the offsets recorded during the poll into pointers.
static void fix(struct batch *m, struct mg_ffi_str *s) {
  uintptr_t off = (uintptr_t) s->ptr;
  s->ptr = off ? m->data + off - 1 : "";
}

int32_t mg_ffi_poll(struct mg_ffi_mgr *m, int32_t timeout_ms,
                    const struct mg_ffi_event **events) {
  size_t i, j;
  struct batch *b;
  if (m == NULL || events == NULL) return MG_FFI_ERR_ARG;
  b = &m->b[m->fill ^ 1];  // handed out by the last poll: now stale
  b->len = b->nev = b->nreq = 0;
  b->failed = 0;
  // Events raised between polls are due now: do not wait for more.
  if (m->b[m->fill].nev > 0 || timeout_ms < 0) timeout_ms = 0;
  mg_mgr_poll(&m->mgr, timeout_ms);
  b = &m->b[m->fill];
  m->fill ^= 1;
  for (i = 0; i < b->nev; i++) {
    struct mg_ffi_event *e = &b->evs[i];
    struct mg_ffi_str *strs[] = {&e->method, &e->uri,   &e->query, &e->proto,
                                 &e->body,   &e->local, &e->remote};
    for (j = 0; j < sizeof(strs) / sizeof(strs[0]); j++) fix(b, strs[j]);
    if (e->headers != NULL) {
      struct mg_ffi_header *h = (struct mg_ffi_header *) (void *) (b->data +
                                                  (uintptr_t) e->headers - 1);
      for (j = 0; j < e->nheaders; j++) fix(b, &h[j].name), fix(b, &h[j].value);
      e->headers = h;
    }
  }
  *events = b->evs;
  return b->failed ? MG_FFI_ERR_NOMEM : (int32_t) b->nev;
}

// mongoose logs at debug level unless told otherwise; a library should be
// quiet until its user asks.
static int log_level_chosen;

struct mg_ffi_mgr *mg_ffi_mgr_new(void) {
  struct mg_ffi_mgr *m = (struct mg_ffi_mgr *) calloc(1, sizeof(*m));
  if (m == NULL) return NULL;
  if (!log_level_chosen) {
    mg_log_set(MG_LL_ERROR);
    log_level_chosen = 1;
  }
  mg_mgr_init(&m->mgr);
  if (!mg_wakeup_init(&m->mgr)) {
    mg_mgr_free(&m->mgr);
    free(m);
    return NULL;
  }
  return m;
}

void mg_ffi_mgr_free(struct mg_ffi_mgr *m) {
  int i;
  if (m == NULL) return;
  mg_mgr_free(&m->mgr);  // fires CLOSE for every connection, freeing contexts
  for (i = 0; i < 2; i++) {
    free(m->b[i].data);
    free(m->b[i].evs);
    free(m->b[i].reqs);
  }
  free(m);
}

struct mg_mgr *mg_ffi_mgr_raw(struct mg_ffi_mgr *m) {
  return m ? &m->mgr : NULL;
}

static struct mg_connection *find(struct mg_ffi_mgr *m, uint64_t id) {
  struct mg_connection *c;
  if (m == NULL) return NULL;
  for (c = m->mgr.conns; c != NULL; c = c->next) {
    if ((uint64_t) c->id == id && !c->is_closing && c->fn == handler) return c;
  }
  return NULL;
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
  c = kind == MG_FFI_HTTP ? mg_http_listen(&m->mgr, url, handler, x)
                          : mg_listen(&m->mgr, url, handler, x);
  if (c == NULL) {
    free(x);
    return MG_FFI_ERR_LISTEN;
  }
  x->listener = c->id;
  *id = c->id;
  return MG_FFI_OK;
}

int32_t mg_ffi_connect(struct mg_ffi_mgr *m, int32_t kind, const char *url,
                       const char *ca, uint64_t ca_len, const char *server_name,
                       const char *cert, uint64_t cert_len, const char *key,
                       uint64_t key_len, uint64_t *id) {
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
  // Without a CA, mongoose's OpenSSL backend verifies nothing; with one, it
  // checks the chain and the name.
  x = new_ctx(m, kind, cert, (size_t) cert_len, key, (size_t) key_len, ca,
              (size_t) ca_len, server_name);
  if (x == NULL) return MG_FFI_ERR_NOMEM;
  c = kind == MG_FFI_HTTP ? mg_http_connect(&m->mgr, url, handler, x)
                          : mg_connect(&m->mgr, url, handler, x);
  if (c == NULL) {
    free(x);
    return MG_FFI_ERR_CONNECT;
  }
  *id = c->id;
  return MG_FFI_OK;
}

int32_t mg_ffi_addr(struct mg_ffi_mgr *m, uint64_t id, int32_t remote,
                    char *out, uint64_t out_len) {
  struct mg_connection *c = find(m, id);
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
static void flush(struct mg_connection *c, size_t queued_before) {
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
  struct mg_connection *c = find(m, id);
  size_t before;
  if (c == NULL) return MG_FFI_ERR_NOCONN;
  if (buf == NULL && len > 0) return MG_FFI_ERR_ARG;
  // mongoose takes an empty datagram's 0 bytes sent for a failure and
  // closes the socket (a listener too): refuse it instead.
  if (c->is_udp && len == 0) return MG_FFI_ERR_ARG;
  before = c->send.len;
  if (!mg_send(c, buf, (size_t) len)) return MG_FFI_ERR_SEND;
  flush(c, before);
  return MG_FFI_OK;
}

int32_t mg_ffi_close(struct mg_ffi_mgr *m, uint64_t id, int32_t how) {
  struct mg_connection *c = find(m, id);
  if (c == NULL) return MG_FFI_ERR_NOCONN;
  if (how) {
    c->is_closing = 1;
  } else {
    c->is_draining = 1;
  }
  return MG_FFI_OK;
}

int32_t mg_ffi_wakeup(struct mg_ffi_mgr *m, uint64_t id, const void *buf,
                      uint64_t len) {
  // No lookup here: this runs on other threads, and the connection list
  // belongs to the polling one. An unknown id is dropped by mongoose.
  if (m == NULL || id == 0 || (buf == NULL && len > 0)) return MG_FFI_ERR_ARG;
  return mg_wakeup(&m->mgr, (unsigned long) id, buf, (size_t) len)
             ? MG_FFI_OK
             : MG_FFI_ERR_SEND;
}

static const char *reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

static struct mg_connection *find_http(struct mg_ffi_mgr *m, uint64_t id,
                                       int32_t status, int32_t *err) {
  struct mg_connection *c = find(m, id);
  *err = MG_FFI_OK;
  if (c == NULL) {
    *err = MG_FFI_ERR_NOCONN;
  } else if (status < 100 || status > 999) {
    *err = MG_FFI_ERR_ARG;
    c = NULL;
  }
  return c;
}

int32_t mg_ffi_http_reply(struct mg_ffi_mgr *m, uint64_t id, int32_t status,
                          const char *headers, const void *body,
                          uint64_t body_len) {
  int32_t err;
  size_t before;
  struct mg_connection *c = find_http(m, id, status, &err);
  if (c == NULL) return err;
  if (body == NULL && body_len > 0) return MG_FFI_ERR_ARG;
  before = c->send.len;
  // Not mg_http_reply: the body is bytes, not a format string.
  mg_printf(c, "HTTP/1.1 %d %s\r\n%sContent-Length: %llu\r\n\r\n", status,
            reason(status), headers ? headers : "",
            (unsigned long long) body_len);
  if (!mg_send(c, body, (size_t) body_len)) return MG_FFI_ERR_SEND;
  // mongoose holds the connection's next request until the response is
  // complete; this one is, so let it parse on (as mg_http_reply does).
  c->is_resp = 0;
  flush(c, before);
  return MG_FFI_OK;
}

int32_t mg_ffi_http_chunk_start(struct mg_ffi_mgr *m, uint64_t id,
                                int32_t status, const char *headers) {
  int32_t err;
  size_t before;
  struct mg_connection *c = find_http(m, id, status, &err);
  if (c == NULL) return err;
  before = c->send.len;
  mg_printf(c, "HTTP/1.1 %d %s\r\n%sTransfer-Encoding: chunked\r\n\r\n",
            status, reason(status), headers ? headers : "");
  flush(c, before);
  return MG_FFI_OK;
}

int32_t mg_ffi_http_chunk(struct mg_ffi_mgr *m, uint64_t id, const void *buf,
                          uint64_t len) {
  struct mg_connection *c = find(m, id);
  size_t before;
  if (c == NULL) return MG_FFI_ERR_NOCONN;
  if (buf == NULL && len > 0) return MG_FFI_ERR_ARG;
  before = c->send.len;
  mg_http_write_chunk(c, (const char *) buf, (size_t) len);
  flush(c, before);
  return MG_FFI_OK;
}

// request re-parses the connection's request of this batch.
static struct mg_connection *request(struct mg_ffi_mgr *m, uint64_t id,
                                     struct mg_http_message *hm, int32_t *err) {
  struct mg_connection *c = find(m, id);
  struct batch *b = m != NULL ? &m->b[m->fill ^ 1] : NULL;  // handed out
  size_t i;
  *err = MG_FFI_ERR_NOCONN;
  if (c == NULL) return NULL;
  *err = MG_FFI_ERR_NOREQ;
  for (i = b->nreq; i > 0; i--) {
    struct req *r = &b->reqs[i - 1];
    if (r->id == id && mg_http_parse(b->data + r->off, r->len, hm) > 0) {
      *err = MG_FFI_OK;
      return c;
    }
  }
  return NULL;
}

static int32_t serve(struct mg_ffi_mgr *m, uint64_t id, const char *path,
                     const char *extra_headers, int dir) {
  struct mg_http_message hm;
  struct mg_http_serve_opts opts;
  int32_t err;
  struct mg_connection *c;
  if (path == NULL) return MG_FFI_ERR_ARG;
  if ((c = request(m, id, &hm, &err)) == NULL) return err;
  memset(&opts, 0, sizeof(opts));
  opts.extra_headers = extra_headers;
  if (dir) {
    opts.root_dir = path;
    mg_http_serve_dir(c, &hm, &opts);
  } else {
    mg_http_serve_file(c, &hm, path, &opts);
  }
  return MG_FFI_OK;
}

int32_t mg_ffi_http_serve_dir(struct mg_ffi_mgr *m, uint64_t id,
                              const char *root_dir, const char *extra_headers) {
  return serve(m, id, root_dir, extra_headers, 1);
}

int32_t mg_ffi_http_serve_file(struct mg_ffi_mgr *m, uint64_t id,
                               const char *path, const char *extra_headers) {
  return serve(m, id, path, extra_headers, 0);
}

int32_t mg_ffi_ws_upgrade(struct mg_ffi_mgr *m, uint64_t id,
                          const char *extra_headers) {
  struct mg_http_message hm;
  int32_t err;
  struct mg_connection *c = request(m, id, &hm, &err);
  if (c == NULL) return err;
  if (extra_headers != NULL) {
    mg_ws_upgrade(c, &hm, "%s", extra_headers);
  } else {
    mg_ws_upgrade(c, &hm, NULL);
  }
  return MG_FFI_OK;
}

int32_t mg_ffi_ws_send(struct mg_ffi_mgr *m, uint64_t id, const void *buf,
                       uint64_t len, int32_t op) {
  size_t before;
  struct mg_connection *c = find(m, id);
  if (c == NULL) return MG_FFI_ERR_NOCONN;
  if (!c->is_websocket || op < 0 || op > 15 || (buf == NULL && len > 0)) {
    return MG_FFI_ERR_ARG;
  }
  before = c->send.len;
  mg_ws_send(c, buf, (size_t) len, op);
  flush(c, before);
  return MG_FFI_OK;
}

int64_t mg_ffi_base64_encode(const void *in, uint64_t len, char *out,
                             uint64_t out_len) {
  uint64_t need = (len + 2) / 3 * 4 + 1;  // mongoose NUL-terminates
  if ((in == NULL && len > 0) || out == NULL) return MG_FFI_ERR_ARG;
  if (out_len < need) return MG_FFI_ERR_SPACE;
  return (int64_t) mg_base64_encode((const unsigned char *) in, (size_t) len,
                                    out, (size_t) out_len);
}

int64_t mg_ffi_base64_decode(const char *in, uint64_t len, void *out,
                             uint64_t out_len) {
  size_t n;
  if ((in == NULL && len > 0) || out == NULL) return MG_FFI_ERR_ARG;
  if (out_len < len / 4 * 3 + 4) return MG_FFI_ERR_SPACE;
  n = mg_base64_decode(in, (size_t) len, (char *) out, (size_t) out_len);
  if (n == 0 && len > 0) return MG_FFI_ERR_ARG;  // not base64
  return (int64_t) n;
}

uint32_t mg_ffi_crc32(uint32_t crc, const void *buf, uint64_t len) {
  return buf == NULL ? crc : mg_crc32(crc, (const char *) buf, (size_t) len);
}

void mg_ffi_md5(const void *buf, uint64_t len, uint8_t out[16]) {
  mg_md5_ctx ctx;
  mg_md5_init(&ctx);
  if (buf != NULL) mg_md5_update(&ctx, (const unsigned char *) buf, (size_t) len);
  mg_md5_final(&ctx, out);
}

void mg_ffi_sha1(const void *buf, uint64_t len, uint8_t out[20]) {
  mg_sha1_ctx ctx;
  mg_sha1_init(&ctx);
  if (buf != NULL) mg_sha1_update(&ctx, (const unsigned char *) buf, (size_t) len);
  mg_sha1_final(out, &ctx);
}

uint32_t mg_ffi_abi_version(void) {
  return MG_FFI_ABI_VERSION;
}

const char *mg_ffi_version(void) {
  return MG_VERSION;
}

const char *mg_ffi_openssl_version(void) {
#if MG_TLS == MG_TLS_OPENSSL
  return OpenSSL_version(OPENSSL_VERSION);
#else
  return "none";
#endif
}

const char *mg_ffi_strerror(int32_t code) {
  switch (code) {
    case MG_FFI_OK: return "ok";
    case MG_FFI_ERR_NOCONN: return "no open connection with that id";
    case MG_FFI_ERR_ARG: return "bad argument";
    case MG_FFI_ERR_LISTEN: return "cannot listen (bad URL or address in use)";
    case MG_FFI_ERR_CONNECT: return "cannot connect (bad URL)";
    case MG_FFI_ERR_NOMEM: return "out of memory";
    case MG_FFI_ERR_NOREQ: return "no HTTP request on that connection in this poll";
    case MG_FFI_ERR_SPACE: return "output buffer too small";
    case MG_FFI_ERR_SEND: return "cannot queue data";
    default: return "unknown error";
  }
}

void mg_ffi_log_level(int32_t level) {
  mg_log_set(level);
  log_level_chosen = 1;
}
