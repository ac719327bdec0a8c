// poll.c: events and the poll. mongoose calls ffi_handler for every event of
// a glue connection; it copies the event into the manager's batch, and
// mg_ffi_poll hands the whole batch to the host as an array of plain structs,
// valid until the next poll. The glue never calls back into the host.
#include "internal.h"

#include <openssl/crypto.h>  // OPENSSL_cleanse

// The layout the header documents; the bindings rely on it.
FFI_STATIC_ASSERT(str, sizeof(struct mg_ffi_str) == 16);
FFI_STATIC_ASSERT(header, sizeof(struct mg_ffi_header) == 32);
FFI_STATIC_ASSERT(event, sizeof(struct mg_ffi_event) == 152);
FFI_STATIC_ASSERT(headers, offsetof(struct mg_ffi_event, headers) == 32);
FFI_STATIC_ASSERT(method, offsetof(struct mg_ffi_event, method) == 40);
FFI_STATIC_ASSERT(body, offsetof(struct mg_ffi_event, body) == 104);
FFI_STATIC_ASSERT(remote, offsetof(struct mg_ffi_event, remote) == 136);

// Buffers grow by doubling (grow); failure marks the batch so that the host
// hears of it as an ERROR event rather than silently losing data.

// put copies bytes into the batch and returns their offset + 1 (0 = none).
static size_t put(struct batch *b, const void *buf, size_t len) {
  size_t off = (b->len + 7) & ~(size_t) 7;  // header arrays need alignment
  if (!grow((void **) &b->data, &b->cap, off + len + 1, 1)) {
    b->failed = 1;
    return 0;
  }
  if (buf != NULL && len > 0) memcpy(b->data + off, buf, len);
  b->data[off + len] = '\0';  // strings are NUL-terminated for C hosts too
  b->len = off + len + 1;
  return off + 1;
}

void ffi_set_str(struct batch *b, struct mg_ffi_str *s, const void *buf,
                 size_t len) {
  s->ptr = (const char *) (uintptr_t) put(b, buf, len);
  s->len = s->ptr ? len : 0;
}

static void set_addr(struct batch *b, struct mg_ffi_str *s,
                     struct mg_addr *a) {
  char buf[64];
  size_t n = mg_snprintf(buf, sizeof(buf), "%M", mg_print_ip_port, a);
  ffi_set_str(b, s, buf, n);
}

static uint32_t flags_of(struct mg_connection *c) {
  return (c->is_tls ? MG_FFI_F_TLS : 0) | (c->is_client ? MG_FFI_F_CLIENT : 0) |
         (c->is_websocket ? MG_FFI_F_WEBSOCKET : 0) |
         (c->is_udp ? MG_FFI_F_UDP : 0) |
         (c->is_listening ? MG_FFI_F_LISTENER : 0);
}

struct mg_ffi_event *ffi_push(struct batch *b, struct mg_connection *c,
                              uint32_t type) {
  struct ctx *x = (struct ctx *) c->fn_data;
  struct mg_ffi_event *e;
  if (!grow((void **) &b->evs, &b->capev, b->nev + 1, sizeof(*e))) {
    b->failed = 1;
    return NULL;
  }
  e = &b->evs[b->nev++];
  memset(e, 0, sizeof(*e));
  e->type = type;
  e->flags = flags_of(c);
  e->id = c->id;
  e->listener = x != NULL ? x->listener : 0;
  set_addr(b, &e->local, &c->loc);
  set_addr(b, &e->remote, &c->rem);
  return e;
}

static void on_http(struct batch *b, struct mg_connection *c,
                    struct mg_http_message *hm) {
  struct mg_ffi_event *e = ffi_push(b, c, MG_FFI_EV_HTTP_MSG);
  size_t i, n = 0, hoff;
  if (e == NULL) return;
  ffi_set_str(b, &e->method, hm->method.buf, hm->method.len);
  ffi_set_str(b, &e->uri, hm->uri.buf, hm->uri.len);
  ffi_set_str(b, &e->query, hm->query.buf, hm->query.len);
  ffi_set_str(b, &e->proto, hm->proto.buf, hm->proto.len);
  ffi_set_str(b, &e->body, hm->body.buf, hm->body.len);
  if (c->is_client) e->status = mg_http_status(hm);
  while (n < MG_MAX_HTTP_HEADERS && hm->headers[n].name.len > 0) n++;
  hoff = put(b, NULL, n * sizeof(struct mg_ffi_header));  // filled below
  if (hoff == 0) return;
  for (i = 0; i < n; i++) {
    struct mg_ffi_header hd;
    ffi_set_str(b, &hd.name, hm->headers[i].name.buf, hm->headers[i].name.len);
    ffi_set_str(b, &hd.value, hm->headers[i].value.buf, hm->headers[i].value.len);
    memcpy(b->data + hoff - 1 + i * sizeof(hd), &hd, sizeof(hd));
  }
  e->headers = (const struct mg_ffi_header *) (uintptr_t) hoff;
  e->nheaders = (uint32_t) n;
  if (!c->is_client &&
      grow((void **) &b->reqs, &b->capreq, b->nreq + 1, sizeof(struct req))) {
    size_t off = put(b, hm->message.buf, hm->message.len);
    if (off != 0) {
      struct req r = {c->id, off - 1, hm->message.len};
      b->reqs[b->nreq++] = r;
    }
  }
}

static void init_tls(struct mg_connection *c, struct ctx *x) {
  if (c->is_tls && x != NULL && x->tls_cfg != NULL) {
    ffi_tls_attach(c, x->tls_cfg, x->tls.name);
  }
}

// wipe frees a closing connection's buffer, cleared as mongoose would, but
// at memset's speed: mongoose clears a byte at a time, which for the 48 KB
// a TLS connection holds cost 5% of a full handshake.
static void wipe(struct mg_iobuf *io) {
  if (io->buf != NULL) OPENSSL_cleanse(io->buf, io->size), mg_free(io->buf);
  io->buf = NULL, io->size = io->len = 0;
}

void ffi_handler(struct mg_connection *c, int ev, void *ev_data) {
  struct ctx *x = (struct ctx *) c->fn_data;
  struct batch *b;
  struct mg_ffi_event *e;
  if (x == NULL) return;  // closed already
  b = &x->m->b[x->m->fill];
  ffi_http_rewrap(c);  // serving a file swaps mongoose's HTTP handler
  switch (ev) {
    case MG_EV_POLL:
      x->m->now = *(uint64_t *) ev_data;
      if (c->tls != NULL) ffi_tls_poll(c);
      if (cst(c)->http) ffi_http_watch(x->m, c);
      break;
    case MG_EV_ACCEPT:
      x->refs++;
      init_tls(c, x);
      ffi_push(b, c, MG_FFI_EV_ACCEPT);
      if (x->kind == MG_FFI_HTTP && c->pfn != NULL) ffi_http_accept(x->m, c);
      break;
    case MG_EV_HTTP_HDRS:
      if (cst(c)->http) ffi_http_hdrs(x->m, c, (struct mg_http_message *) ev_data);
      break;
    case MG_EV_CONNECT:
      init_tls(c, x);
      ffi_push(b, c, MG_FFI_EV_CONNECT);
      break;
    case MG_EV_HTTP_MSG:
      if (cst(c)->http) ffi_http_request(c, (struct mg_http_message *) ev_data);
      on_http(b, c, (struct mg_http_message *) ev_data);
      break;
    case MG_EV_WS_OPEN:
      ffi_push(b, c, MG_FFI_EV_WS_OPEN);
      break;
    case MG_EV_WS_MSG: {
      struct mg_ws_message *wm = (struct mg_ws_message *) ev_data;
      if ((e = ffi_push(b, c, MG_FFI_EV_WS_MSG)) != NULL) {
        e->status = wm->flags & 15;
        ffi_set_str(b, &e->body, wm->data.buf, wm->data.len);
      }
      break;
    }
    case MG_EV_READ:
      // HTTP connections are parsed by mongoose; raw ones hand bytes over.
      if (x->kind != MG_FFI_HTTP && c->recv.len > 0) {
        if ((e = ffi_push(b, c, MG_FFI_EV_READ)) != NULL) {
          ffi_set_str(b, &e->body, c->recv.buf, c->recv.len);
        }
        c->recv.len = 0;
      } else if (cst(c)->http) {
        ffi_http_read(x->m, c);
      }
      break;
    case MG_EV_ERROR:
      if ((e = ffi_push(b, c, MG_FFI_EV_ERROR)) != NULL) {
        const char *why = (const char *) ev_data;
        ffi_set_str(b, &e->body, why, why ? strlen(why) : 0);
      }
      break;
    case MG_EV_WAKEUP: {
      struct mg_str *data = (struct mg_str *) ev_data;
      if ((e = ffi_push(b, c, MG_FFI_EV_WAKEUP)) != NULL) {
        ffi_set_str(b, &e->body, data->buf, data->len);
      }
      break;
    }
    case MG_EV_CLOSE:
      ffi_push(b, c, MG_FFI_EV_CLOSE);
      c->fn_data = NULL;
      ffi_ctx_release(x);
      wipe(&c->recv), wipe(&c->send), wipe(&c->rtls);
      break;
    default:
      break;
  }
}

// fix turns the offsets recorded during the poll into pointers.
static void fix(struct batch *b, struct mg_ffi_str *s) {
  uintptr_t off = (uintptr_t) s->ptr;
  s->ptr = off ? b->data + off - 1 : "";
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
  ffi_wq_deliver(m);
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

