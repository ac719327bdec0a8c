// mongoose_ffi.c: the FFI glue. mongoose calls our handler; the handler
// copies each event into a per-manager batch that mg_ffi_poll returns.
// TLS is ours: mongoose_ffi_tls.c. What the two share (and the build's
// defines): internal.h.
#include "internal.h"

#if defined(_WIN32)
#define MG_FFI_SHUT_WR SD_SEND
#else
#include <sys/socket.h>
#define MG_FFI_SHUT_WR SHUT_WR
#endif

#include <openssl/crypto.h>  // OPENSSL_cleanse

// The layout the header documents; the bindings rely on it.
FFI_STATIC_ASSERT(str, sizeof(struct mg_ffi_str) == 16);
FFI_STATIC_ASSERT(header, sizeof(struct mg_ffi_header) == 32);
FFI_STATIC_ASSERT(event, sizeof(struct mg_ffi_event) == 152);
FFI_STATIC_ASSERT(headers, offsetof(struct mg_ffi_event, headers) == 32);
FFI_STATIC_ASSERT(method, offsetof(struct mg_ffi_event, method) == 40);
FFI_STATIC_ASSERT(body, offsetof(struct mg_ffi_event, body) == 104);
FFI_STATIC_ASSERT(remote, offsetof(struct mg_ffi_event, remote) == 136);

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

// Two batches: the host reads the one the last poll handed out while events
// raised between polls (a UDP connect, a WebSocket upgrade) fill the other,
// so neither is lost nor moved under the host's feet.
// --- Wakeup queue (lossless wakeups) ---
// mongoose's mg_wakeup sends each payload as a datagram over a UDP socket
// pair: a full socket buffer or a payload over 64 KB drops it while the
// call reports success. The glue queues payloads itself, under a lock,
// bounded in bytes, and sends mongoose's pipe a bare wake only when the
// queue turns non-empty; mg_ffi_poll then delivers the whole queue in order.
struct wmsg {
  struct wmsg *next;
  uint64_t id;
  size_t len;
  char data[];
};

struct wqueue {
  ffi_lock lock;
  struct wmsg *head, *tail;
  size_t bytes;  // payloads plus per-message overhead
  int closed;    // mg_ffi_mgr_free has begun
};

// A message costs its payload plus this, against MG_FFI_WAKEUP_QUEUE_MAX.
#define MG_FFI_WMSG_COST(len) ((len) + 48)

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

// Buffers grow by doubling (grow); failure marks the batch so that the host
// hears of it as an ERROR event rather than silently losing data.

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
  if (c->is_tls && x != NULL && x->tls_cfg != NULL) {
    ffi_tls_attach(c, x->tls_cfg, x->tls.name);
  }
}

static void release(struct ctx *x) {
  if (x != NULL && --x->refs == 0) {
    ffi_tls_cfg_release(x->tls_cfg);
    free(x);
  }
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

// --- HTTP: limits, timeouts and HTTP/1.1 semantics ---
// mongoose parses requests but leaves these to its user: the glue answers
// oversized (413), stalled (408), malformed (400) requests and Expect
// (100/417), closes idle keep-alive connections, and makes every reply
// honour HEAD, Connection: close, HTTP/1.0, and carry a Date.

// How long a refused connection keeps reading (and discarding) after the
// answer, so that closing it with unread data does not reset the answer
// away before the client reads it (what nginx calls lingering close).
#define MG_FFI_LINGER_MS 5000

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
FFI_STATIC_ASSERT(cst, sizeof(struct cst) + sizeof(size_t) <= MG_DATA_SIZE);

static struct cst *cst(struct mg_connection *c) {
  return (struct cst *) (void *) c->data;
}

static void flush(struct mg_connection *c, size_t queued_before);

// The Date header, formatted once a second per manager (RFC 9110 5.6.7).
static const char *date_header(struct mg_ffi_mgr *m) {
  static const char *wd[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static const char *mn[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = time(NULL);
  if (t != m->date_sec) {
    // Days to civil date (H. Hinnant's algorithm): no gmtime, so no locale
    // and no thread-safety questions.
    long long secs = (long long) t, days = secs / 86400, rem = secs % 86400;
    long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned) (z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    unsigned mo = mp < 10 ? mp + 3 : mp - 9;
    long long y = (long long) yoe + era * 400 + (mo <= 2);
    mg_snprintf(m->date, sizeof(m->date),
                "Date: %s, %02u %s %04d %02d:%02d:%02d GMT\r\n",
                wd[((days % 7) + 7) % 7], d, mn[mo - 1], (int) y,
                (int) (rem / 3600), (int) (rem / 60 % 60), (int) (rem % 60));
    m->date_sec = t;
  }
  return m->date;
}

// ncasecmp compares up to n bytes ignoring ASCII case, stopping at a NUL
// (mongoose's own is static).
static int ncasecmp(const char *a, const char *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    int x = (unsigned char) a[i], y = (unsigned char) b[i];
    if (x >= 'A' && x <= 'Z') x += 'a' - 'A';
    if (y >= 'A' && y <= 'Z') y += 'a' - 'A';
    if (x != y) return x - y;
    if (x == 0) break;
  }
  return 0;
}

// has_token reports whether a comma-separated header value holds tok.
static int has_token(struct mg_str v, const char *tok) {
  size_t n = strlen(tok), i = 0;
  while (i < v.len) {
    size_t j = i, k;
    while (j < v.len && v.buf[j] != ',') j++;
    k = j;
    while (i < k && (v.buf[i] == ' ' || v.buf[i] == '\t')) i++;
    while (k > i && (v.buf[k - 1] == ' ' || v.buf[k - 1] == '\t')) k--;
    if (k - i == n && ncasecmp(v.buf + i, tok, n) == 0) return 1;
    i = j + 1;
  }
  return 0;
}

// header_in finds a header in a "Name: value\r\n" block; NULL if absent.
static const char *header_in(const char *block, const char *name) {
  size_t n = strlen(name);
  const char *p = block;
  while (p != NULL && *p != '\0') {
    if (ncasecmp(p, name, n) == 0 && p[n] == ':') return p + n + 1;
    if ((p = strchr(p, '\n')) != NULL) p++;
  }
  return NULL;
}

// wants_close reports whether a header block says Connection: close.
static int wants_close(const char *block) {
  const char *v = header_in(block, "Connection");
  const char *e;
  if (v == NULL) return 0;
  for (e = v; *e != '\0' && *e != '\r' && *e != '\n';) e++;
  return has_token(mg_str_n(v, (size_t) (e - v)), "close");
}

// framing writes the headers the glue adds to a response, given the
// program's own, and returns how many bytes it wrote (out holds 128).
static size_t framing(struct mg_ffi_mgr *m, struct mg_connection *c,
                      const char *headers, char *out) {
  struct cst *s = cst(c);
  size_t n = 0;
  int have_conn;
  if (!s->http) return 0;
  if (headers == NULL || header_in(headers, "Date") == NULL) {
    const char *d = date_header(m);
    size_t dl = strlen(d);
    memcpy(out, d, dl);
    n = dl;
  }
  have_conn = headers != NULL && header_in(headers, "Connection") != NULL;
  if (have_conn && wants_close(headers)) s->close = 1;
  if (!have_conn && s->close) {
    memcpy(out + n, "Connection: close\r\n", 19);
    n += 19;
  } else if (!have_conn && s->is10) {
    memcpy(out + n, "Connection: keep-alive\r\n", 24);
    n += 24;
  }
  return n;
}

// refuse answers the request in progress with an error status, tells the
// program with an ERROR event, stops parsing, and closes the connection
// after a lingering read.
static void refuse(struct mg_ffi_mgr *m, struct mg_connection *c, int status,
                   const char *reason_text, const char *why) {
  struct cst *s = cst(c);
  struct mg_ffi_event *e;
  size_t before = c->send.len;
  if (s->phase == P_REFUSED) return;
  if ((e = push(&m->b[m->fill], c, MG_FFI_EV_ERROR)) != NULL) {
    set(&m->b[m->fill], &e->body, why, strlen(why));
    e->status = status;
  }
  mg_printf(c,
            "HTTP/1.1 %d %s\r\n%sConnection: close\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: %d\r\n\r\n%s\n",
            status, reason_text, date_header(m), (int) strlen(why) + 1, why);
  s->phase = P_REFUSED, s->since = m->now, s->close = 1;
  c->pfn = NULL;  // the rest of the request is read and dropped, unparsed
  c->recv.len = 0;
  c->is_resp = 0;
  if (c->is_tls) c->is_draining = 1;  // no half-close under TLS
  flush(c, before);
}

static int is_tchar(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch));
}

// on_hdrs checks a request's head once, before its body arrives.
static void on_hdrs(struct mg_ffi_mgr *m, struct mg_connection *c,
                    struct mg_http_message *hm) {
  struct cst *s = cst(c);
  char why[160];
  size_t i, hosts = 0, head_len, have;
  struct mg_str *v;
  s->hdrs = 1;
  if (s->checked || s->phase == P_REFUSED) return;
  s->checked = 1;
  for (i = 0; i < hm->method.len; i++) {
    if (!is_tchar((unsigned char) hm->method.buf[i])) break;
  }
  if (i < hm->method.len || ncasecmp(hm->method.buf, "HTTP/", 5) == 0) {
    refuse(m, c, 400, "Bad Request", "malformed request line");
    return;
  }
  if (hm->proto.buf[5] != '1') {  // mongoose checked the form HTTP/d.d
    refuse(m, c, 505, "HTTP Version Not Supported", "HTTP version not supported");
    return;
  }
  for (i = 0; i < MG_MAX_HTTP_HEADERS && hm->headers[i].name.len > 0; i++) {
    if (mg_strcasecmp(hm->headers[i].name, mg_str("Host")) == 0) hosts++;
  }
  if (hosts > 1 || (hosts == 0 && hm->proto.buf[7] != '0')) {
    refuse(m, c, 400, "Bad Request",
           hosts ? "more than one Host header" : "HTTP/1.1 request without Host");
    return;
  }
  head_len = (size_t) (hm->body.buf - hm->message.buf);
  if (hm->body.len > m->max_request || head_len + hm->body.len > m->max_request) {
    mg_snprintf(why, sizeof(why),
                "request body of %llu bytes (%llu with the head) over the "
                "limit of %llu bytes",
                (unsigned long long) hm->body.len,
                (unsigned long long) (head_len + hm->body.len),
                (unsigned long long) m->max_request);
    refuse(m, c, 413, "Content Too Large", why);
    return;
  }
  if ((v = mg_http_get_header(hm, "Expect")) != NULL) {
    if (mg_strcasecmp(*v, mg_str("100-continue")) != 0) {
      refuse(m, c, 417, "Expectation Failed", "unsupported Expect header");
      return;
    }
    have = c->recv.len - (size_t) ((char *) hm->body.buf - (char *) c->recv.buf);
    if (hm->proto.buf[7] != '0' &&
        (have < hm->body.len || mg_http_get_header(hm, "Transfer-Encoding"))) {
      size_t before = c->send.len;
      mg_printf(c, "HTTP/1.1 100 Continue\r\n\r\n");
      flush(c, before);
    }
  }
}

// on_request notes how the request that just arrived must be answered.
static void on_request(struct mg_connection *c, struct mg_http_message *hm) {
  struct cst *s = cst(c);
  struct mg_str *conn = mg_http_get_header(hm, "Connection");
  s->phase = P_RESP, s->checked = 0;
  s->head = mg_strcasecmp(hm->method, mg_str("HEAD")) == 0;
  s->is10 = hm->proto.buf[7] == '0';
  s->close = conn != NULL ? has_token(*conn, "close") : 0;
  if (s->is10 && (conn == NULL || !has_token(*conn, "keep-alive"))) s->close = 1;
}

static mg_event_handler_t http_pfn;  // mongoose's own HTTP protocol handler

// http_wrap runs mongoose's HTTP parser and answers what it drops without
// a word: a request it cannot parse (marked draining, buffer emptied), and
// a bad Transfer-Encoding or chunk (closed at once, after an ERROR event).
static void http_wrap(struct mg_connection *c, int ev, void *ev_data) {
  struct ctx *x = (struct ctx *) c->fn_data;
  struct cst *s = cst(c);
  unsigned draining = c->is_draining, closing = c->is_closing;
  s->hdrs = 0;
  http_pfn(c, ev, ev_data);
  if (x == NULL || (ev != MG_EV_READ && ev != MG_EV_POLL)) return;
  if (!draining && c->is_draining && !s->hdrs) {
    c->is_draining = 0;
    refuse(x->m, c, 400, "Bad Request", "malformed request");
  } else if (!closing && c->is_closing && s->phase == P_REQ) {
    c->is_closing = 0;
    refuse(x->m, c, 400, "Bad Request", "bad Transfer-Encoding or chunk");
  }
}

// watch runs on every POLL event: it ends responses, times out stalled
// requests and idle connections, and ends a refused connection's linger.
static void watch(struct mg_ffi_mgr *m, struct mg_connection *c) {
  struct cst *s = cst(c);
  uint64_t now = m->now, age = now - s->since;
  if (c->is_websocket || c->is_closing) return;
  switch (s->phase) {
    case P_RESP:
      if (!c->is_resp) {  // the response is queued in full
        if (s->close) c->is_draining = 1;
        s->phase = c->recv.len > 0 ? P_REQ : P_IDLE, s->since = now;
      }
      break;
    case P_REQ:
      if (m->request_ms > 0 && age > m->request_ms && !c->is_draining) {
        if (c->recv.len > 0 && !c->is_tls_hs) {
          char why[96];
          mg_snprintf(why, sizeof(why),
                      "no complete request within %llu ms",
                      (unsigned long long) m->request_ms);
          refuse(m, c, 408, "Request Timeout", why);
          s->since = now - MG_FFI_LINGER_MS + 1000;  // linger 1 s at most
        } else {
          c->is_closing = 1;  // nothing sent: close quietly, as net/http
        }
      }
      break;
    case P_IDLE:
      if (c->recv.len > 0) {
        s->phase = P_REQ, s->since = now;
      } else if (m->idle_ms > 0 && age > m->idle_ms && !c->is_draining) {
        c->is_closing = 1;
      }
      break;
    case P_REFUSED:
      if (c->send.len == 0 && !s->shut && !c->is_tls) {
        // The answer is out: half-close, so the client sees its end.
        shutdown((MG_SOCKET_TYPE) (size_t) c->fd, MG_FFI_SHUT_WR);
        s->shut = 1;
      }
      if (age > MG_FFI_LINGER_MS) c->is_closing = 1;
      break;
    default:
      break;
  }
}

// on_read, after mongoose's parser: drops what a refused connection
// sends, and refuses a request whose head or chunked body outgrows the limit.
static void on_read(struct mg_ffi_mgr *m, struct mg_connection *c) {
  struct cst *s = cst(c);
  if (s->phase == P_REFUSED) {
    c->recv.len = 0;
  } else if (s->phase == P_IDLE && c->recv.len > 0) {
    s->phase = P_REQ, s->since = m->now;
  }
  if (s->phase == P_REQ && !c->is_resp && !c->is_websocket &&
      c->recv.len >= m->max_request) {
    char why[160];
    mg_snprintf(why, sizeof(why),
                "request of more than %llu bytes over the limit of %llu bytes",
                (unsigned long long) c->recv.len,
                (unsigned long long) m->max_request);
    refuse(m, c, 413, "Content Too Large", why);
  }
}

// respond_fix adds the glue's headers to a response mongoose queued from
// offset before (serve_dir, serve_file), and drops its body for HEAD.
static void respond_fix(struct mg_ffi_mgr *m, struct mg_connection *c,
                        size_t before, const char *extra_headers) {
  struct cst *s = cst(c);
  char add[128];
  size_t n, i;
  char *p = (char *) c->send.buf + before, *end = (char *) c->send.buf + c->send.len;
  if (!s->http || before >= c->send.len) return;
  n = framing(m, c, extra_headers, add);
  for (i = 0; p + i < end && p[i] != '\n'; i++) (void) 0;
  if (p + i < end && n > 0) mg_iobuf_add(&c->send, before + i + 1, add, n);
  if (s->head && c->pfn != NULL && c->pfn != http_wrap && c->pfn != http_pfn) {
    return;  // streaming a file: mongoose itself sends no body for HEAD
  }
  if (s->head) {
    p = (char *) c->send.buf + before, end = (char *) c->send.buf + c->send.len;
    for (i = 0; p + i + 3 < end; i++) {
      if (memcmp(p + i, "\r\n\r\n", 4) == 0) {
        c->send.len = before + i + 4;
        break;
      }
    }
  }
}

// wipe frees a closing connection's buffer, cleared as mongoose would, but
// at memset's speed: mongoose clears a byte at a time, which for the 48 KB
// a TLS connection holds cost 5% of a full handshake.
static void wipe(struct mg_iobuf *io) {
  if (io->buf != NULL) OPENSSL_cleanse(io->buf, io->size), mg_free(io->buf);
  io->buf = NULL, io->size = io->len = 0;
}

static void handler(struct mg_connection *c, int ev, void *ev_data) {
  struct ctx *x = (struct ctx *) c->fn_data;
  struct batch *m;
  struct mg_ffi_event *e;
  if (x == NULL) return;  // closed already
  m = &x->m->b[x->m->fill];
  // Serving a file swaps mongoose's HTTP handler in and out: wrap it again.
  if (c->pfn == http_pfn && c->pfn != NULL && cst(c)->http) c->pfn = http_wrap;
  switch (ev) {
    case MG_EV_POLL:
      x->m->now = *(uint64_t *) ev_data;
      if (c->tls != NULL) ffi_tls_poll(c);
      if (cst(c)->http) watch(x->m, c);
      break;
    case MG_EV_ACCEPT:
      x->refs++;
      init_tls(c, x);
      push(m, c, MG_FFI_EV_ACCEPT);
      if (x->kind == MG_FFI_HTTP && c->pfn != NULL) {
        struct cst *s = cst(c);
        s->http = 1, s->phase = P_REQ, s->since = x->m->now;
        if (c->pfn != http_wrap) http_pfn = c->pfn;
        c->pfn = http_wrap;
      }
      break;
    case MG_EV_HTTP_HDRS:
      if (cst(c)->http) on_hdrs(x->m, c, (struct mg_http_message *) ev_data);
      break;
    case MG_EV_CONNECT:
      init_tls(c, x);
      push(m, c, MG_FFI_EV_CONNECT);
      break;
    case MG_EV_HTTP_MSG:
      if (cst(c)->http) on_request(c, (struct mg_http_message *) ev_data);
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
      } else if (cst(c)->http) {
        on_read(x->m, c);
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
      wipe(&c->recv), wipe(&c->send), wipe(&c->rtls);
      break;
    default:
      break;
  }
}

// The id mongoose's wake datagrams carry: no connection has it, so mongoose
// dispatches nothing; it only ends the poll's wait.
#define MG_FFI_WAKE_ID ((unsigned long) -1)

static struct mg_connection *find(struct mg_ffi_mgr *m, uint64_t id);

// wq_deliver turns the queued wakeups into WAKEUP events, in queue order.
static void wq_deliver(struct mg_ffi_mgr *m) {
  struct wmsg *w, *next;
  struct mg_connection *c = NULL;
  FFI_LOCK(&m->wq.lock);
  w = m->wq.head;
  m->wq.head = m->wq.tail = NULL;
  m->wq.bytes = 0;
  FFI_UNLOCK(&m->wq.lock);
  for (; w != NULL; w = next) {
    struct mg_ffi_event *e;
    next = w->next;
    if (c == NULL || (uint64_t) c->id != w->id) c = find(m, w->id);
    if (c != NULL && (e = push(&m->b[m->fill], c, MG_FFI_EV_WAKEUP)) != NULL) {
      set(&m->b[m->fill], &e->body, w->data, w->len);
    }
    free(w);
  }
}

void ffi_wake(struct mg_mgr *mgr) {
  struct mg_ffi_mgr *m =
      (struct mg_ffi_mgr *) (void *) ((char *) mgr - offsetof(struct mg_ffi_mgr, mgr));
  char none = 0;
  FFI_LOCK(&m->wq.lock);
  if (!m->wq.closed) mg_wakeup(&m->mgr, MG_FFI_WAKE_ID, &none, 0);
  FFI_UNLOCK(&m->wq.lock);
}

// wq_close refuses further wakeups and frees what is queued.
static void wq_close(struct mg_ffi_mgr *m) {
  struct wmsg *w, *next;
  FFI_LOCK(&m->wq.lock);
  m->wq.closed = 1;
  w = m->wq.head;
  m->wq.head = m->wq.tail = NULL;
  FFI_UNLOCK(&m->wq.lock);
  for (; w != NULL; w = next) next = w->next, free(w);
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
  wq_deliver(m);
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
  FFI_LOCK_INIT(&m->wq.lock);
  m->max_request = MG_FFI_DEFAULT_MAX_REQUEST;
  m->request_ms = MG_FFI_DEFAULT_REQUEST_MS;
  m->idle_ms = MG_FFI_DEFAULT_IDLE_MS;
  m->now = mg_millis();
  return m;
}

void mg_ffi_mgr_free(struct mg_ffi_mgr *m) {
  int i;
  if (m == NULL) return;
  wq_close(m);
  mg_mgr_free(&m->mgr);  // fires CLOSE for every connection, freeing contexts
  for (i = 0; i < 2; i++) {
    free(m->b[i].data);
    free(m->b[i].evs);
    free(m->b[i].reqs);
  }
  FFI_LOCK_FREE(&m->wq.lock);
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
  if (!tls_setup(m, x, url, 0, 0)) {
    release(x);
    return MG_FFI_ERR_TLS;
  }
  c = kind == MG_FFI_HTTP ? mg_http_listen(&m->mgr, url, handler, x)
                          : mg_listen(&m->mgr, url, handler, x);
  if (c == NULL) {
    release(x);
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
    release(x);
    return MG_FFI_ERR_TLS;
  }
  c = kind == MG_FFI_HTTP ? mg_http_connect(&m->mgr, url, handler, x)
                          : mg_connect(&m->mgr, url, handler, x);
  if (c == NULL) {
    release(x);
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
  // belongs to the polling one. mg_ffi_poll drops a wakeup whose connection
  // has closed by the time it is delivered.
  struct wmsg *w;
  int was_empty;
  if (m == NULL || id == 0 || (buf == NULL && len > 0)) return MG_FFI_ERR_ARG;
  if (len > MG_FFI_WAKEUP_MAX) return MG_FFI_ERR_TOOBIG;
  if ((w = (struct wmsg *) malloc(sizeof(*w) + (size_t) len)) == NULL) {
    return MG_FFI_ERR_NOMEM;
  }
  w->next = NULL, w->id = id, w->len = (size_t) len;
  if (len > 0) memcpy(w->data, buf, (size_t) len);
  FFI_LOCK(&m->wq.lock);
  if (m->wq.closed) {
    FFI_UNLOCK(&m->wq.lock);
    free(w);
    return MG_FFI_ERR_CLOSED;
  }
  if (m->wq.bytes + MG_FFI_WMSG_COST(w->len) > MG_FFI_WAKEUP_QUEUE_MAX) {
    FFI_UNLOCK(&m->wq.lock);
    free(w);
    return MG_FFI_ERR_FULL;
  }
  was_empty = m->wq.head == NULL;
  if (was_empty) {
    m->wq.head = w;
  } else {
    m->wq.tail->next = w;
  }
  m->wq.tail = w;
  m->wq.bytes += MG_FFI_WMSG_COST(w->len);
  // Under the lock, so that mg_ffi_mgr_free cannot close the pipe between.
  // Only the first message wakes: the poll that takes it takes them all,
  // and a lost wake byte (a full socket buffer) means one is pending.
  if (was_empty) {
    char none = 0;
    mg_wakeup(&m->mgr, MG_FFI_WAKE_ID, &none, 0);
  }
  FFI_UNLOCK(&m->wq.lock);
  return MG_FFI_OK;
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
  size_t before, n;
  char add[128];
  struct cst *s;
  int bodyless;
  struct mg_connection *c = find_http(m, id, status, &err);
  if (c == NULL) return err;
  if (body == NULL && body_len > 0) return MG_FFI_ERR_ARG;
  before = c->send.len;
  s = cst(c);
  n = status < 200 ? 0 : framing(m, c, headers, add);
  // Not mg_http_reply: the body is bytes, not a format string. A HEAD
  // answer says the length a GET would get and sends no body; a program
  // that set Content-Length itself for HEAD keeps its own.
  // 1xx, 204 and 304 carry no body and, as net/http sends them, no length.
  bodyless = status < 200 || status == 204 || status == 304;
  if (bodyless || (s->head && headers != NULL &&
                   header_in(headers, "Content-Length"))) {
    mg_printf(c, "HTTP/1.1 %d %s\r\n%s%.*s\r\n", status, reason(status),
              headers, (int) n, add);
  } else {
    mg_printf(c, "HTTP/1.1 %d %s\r\n%s%.*sContent-Length: %llu\r\n\r\n",
              status, reason(status), headers ? headers : "", (int) n, add,
              (unsigned long long) body_len);
  }
  if (!s->head && !bodyless && !mg_send(c, body, (size_t) body_len)) {
    return MG_FFI_ERR_SEND;
  }
  // mongoose holds the connection's next request until the response is
  // complete; this one is (unless interim), so let it parse on (as
  // mg_http_reply does).
  if (status < 200) {
    flush(c, before);
    return MG_FFI_OK;
  }
  c->is_resp = 0;
  if (s->close) c->is_draining = 1;
  flush(c, before);
  return MG_FFI_OK;
}

int32_t mg_ffi_http_chunk_start(struct mg_ffi_mgr *m, uint64_t id,
                                int32_t status, const char *headers) {
  int32_t err;
  size_t before, n;
  char add[128];
  struct cst *s;
  struct mg_connection *c = find_http(m, id, status, &err);
  if (c == NULL) return err;
  before = c->send.len;
  s = cst(c);
  if (s->http && s->is10) {
    // HTTP/1.0 has no chunked encoding: the body ends where the connection does.
    s->close = 1;
    n = framing(m, c, headers, add);
    mg_printf(c, "HTTP/1.1 %d %s\r\n%s%.*s\r\n", status, reason(status),
              headers ? headers : "", (int) n, add);
  } else {
    n = framing(m, c, headers, add);
    mg_printf(c, "HTTP/1.1 %d %s\r\n%s%.*sTransfer-Encoding: chunked\r\n\r\n",
              status, reason(status), headers ? headers : "", (int) n, add);
  }
  flush(c, before);
  return MG_FFI_OK;
}

int32_t mg_ffi_http_chunk(struct mg_ffi_mgr *m, uint64_t id, const void *buf,
                          uint64_t len) {
  struct mg_connection *c = find(m, id);
  size_t before;
  struct cst *s;
  if (c == NULL) return MG_FFI_ERR_NOCONN;
  if (buf == NULL && len > 0) return MG_FFI_ERR_ARG;
  before = c->send.len;
  s = cst(c);
  if (s->http && (s->head || s->is10)) {
    // HEAD: no body at all. HTTP/1.0: the bytes as they are.
    if (len == 0) {
      c->is_resp = 0;
      if (s->close) c->is_draining = 1;
    } else if (!s->head && !mg_send(c, buf, (size_t) len)) {
      return MG_FFI_ERR_SEND;
    }
  } else {
    mg_http_write_chunk(c, (const char *) buf, (size_t) len);
    if (len == 0 && s->close) c->is_draining = 1;
  }
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
  size_t before;
  if (path == NULL) return MG_FFI_ERR_ARG;
  if ((c = request(m, id, &hm, &err)) == NULL) return err;
  memset(&opts, 0, sizeof(opts));
  opts.extra_headers = extra_headers;
  before = c->send.len;
  if (dir) {
    opts.root_dir = path;
    mg_http_serve_dir(c, &hm, &opts);
  } else {
    mg_http_serve_file(c, &hm, path, &opts);
  }
  respond_fix(m, c, before, extra_headers);
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
    case MG_FFI_ERR_FULL: return "wakeup queue full: try again after the manager polls";
    case MG_FFI_ERR_TOOBIG: return "wakeup payload over MG_FFI_WAKEUP_MAX (16 MB)";
    case MG_FFI_ERR_CLOSED: return "manager is closing";
    case MG_FFI_ERR_TLS: return "bad TLS certificate, key or CA (see the log)";
    default: return "unknown error";
  }
}

void mg_ffi_log_level(int32_t level) {
  mg_log_set(level);
  log_level_chosen = 1;
}

// --- Limits ---
FFI_STATIC_ASSERT(max_request, MG_FFI_MAX_REQUEST_CAP == MG_MAX_RECV_SIZE);

int32_t mg_ffi_set_limit(struct mg_ffi_mgr *m, int32_t which, uint64_t value) {
  if (m == NULL) return MG_FFI_ERR_ARG;
  switch (which) {
    case MG_FFI_LIMIT_REQUEST_SIZE:
      if (value < 1 || value > MG_FFI_MAX_REQUEST_CAP) return MG_FFI_ERR_ARG;
      m->max_request = value;
      return MG_FFI_OK;
    case MG_FFI_LIMIT_REQUEST_MS: m->request_ms = value; return MG_FFI_OK;
    case MG_FFI_LIMIT_IDLE_MS: m->idle_ms = value; return MG_FFI_OK;
    case MG_FFI_LIMIT_TLS_THREADS:
      if (value > MG_FFI_MAX_TLS_THREADS) return MG_FFI_ERR_ARG;
      ffi_tls_set_threads(&m->mgr, (unsigned) value);
      return MG_FFI_OK;
    default: return MG_FFI_ERR_ARG;
  }
}

int32_t mg_ffi_get_limit(struct mg_ffi_mgr *m, int32_t which, uint64_t *value) {
  if (m == NULL || value == NULL) return MG_FFI_ERR_ARG;
  switch (which) {
    case MG_FFI_LIMIT_REQUEST_SIZE: *value = m->max_request; return MG_FFI_OK;
    case MG_FFI_LIMIT_REQUEST_MS: *value = m->request_ms; return MG_FFI_OK;
    case MG_FFI_LIMIT_IDLE_MS: *value = m->idle_ms; return MG_FFI_OK;
    case MG_FFI_LIMIT_TLS_THREADS: *value = ffi_tls_threads(&m->mgr); return MG_FFI_OK;
    default: return MG_FFI_ERR_ARG;
  }
}
