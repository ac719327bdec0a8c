// http.c: HTTP/1.1 semantics, limits and timeouts for accepted HTTP
// connections. mongoose parses requests but leaves these to its user: the
// glue answers oversized (413), stalled (408), malformed (400) requests and
// Expect (100/417), closes idle keep-alive connections, and makes every reply
// honour HEAD, Connection: close, HTTP/1.0, and carry a Date. The replies
// themselves are written by http_reply.c.
#include "internal.h"

#if defined(_WIN32)
#define MG_FFI_SHUT_WR SD_SEND
#else
#include <sys/socket.h>
#define MG_FFI_SHUT_WR SHUT_WR
#endif

// How long a refused connection keeps reading (and discarding) after the
// answer, so that closing it with unread data does not reset the answer
// away before the client reads it (what nginx calls lingering close).
#define MG_FFI_LINGER_MS 5000

FFI_STATIC_ASSERT(cst, sizeof(struct cst) + sizeof(size_t) <= MG_DATA_SIZE);

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

// ffi_http_header finds a header in a "Name: value\r\n" block; NULL if absent.
const char *ffi_http_header(const char *block, const char *name) {
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
  const char *v = ffi_http_header(block, "Connection");
  const char *e;
  if (v == NULL) return 0;
  for (e = v; *e != '\0' && *e != '\r' && *e != '\n';) e++;
  return has_token(mg_str_n(v, (size_t) (e - v)), "close");
}

// ffi_http_framing writes the headers the glue adds to a response, given the
// program's own, and returns how many bytes it wrote (out holds 128).
size_t ffi_http_framing(struct mg_ffi_mgr *m, struct mg_connection *c,
                        const char *headers, char *out) {
  struct cst *s = cst(c);
  size_t n = 0;
  int have_conn;
  if (!s->http) return 0;
  if (headers == NULL || ffi_http_header(headers, "Date") == NULL) {
    const char *d = date_header(m);
    size_t dl = strlen(d);
    memcpy(out, d, dl);
    n = dl;
  }
  have_conn = headers != NULL && ffi_http_header(headers, "Connection") != NULL;
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
  if ((e = ffi_push(&m->b[m->fill], c, MG_FFI_EV_ERROR)) != NULL) {
    ffi_set_str(&m->b[m->fill], &e->body, why, strlen(why));
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
  ffi_flush(c, before);
}

static int is_tchar(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch));
}

// ffi_http_hdrs checks a request's head once, before its body arrives.
void ffi_http_hdrs(struct mg_ffi_mgr *m, struct mg_connection *c,
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
      ffi_flush(c, before);
    }
  }
}

// ffi_http_request notes how the request that just arrived must be answered.
void ffi_http_request(struct mg_connection *c, struct mg_http_message *hm) {
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

// ffi_http_accept starts watching an accepted HTTP connection and wraps
// mongoose's HTTP handler in http_wrap.
void ffi_http_accept(struct mg_ffi_mgr *m, struct mg_connection *c) {
  struct cst *s = cst(c);
  s->http = 1, s->phase = P_REQ, s->since = m->now;
  if (c->pfn != http_wrap) http_pfn = c->pfn;
  c->pfn = http_wrap;
}

// Serving a file swaps mongoose's HTTP handler in and out: wrap it again.
void ffi_http_rewrap(struct mg_connection *c) {
  if (c->pfn == http_pfn && c->pfn != NULL && cst(c)->http) c->pfn = http_wrap;
}

// ffi_http_watch runs on every POLL event: it ends responses, times out stalled
// requests and idle connections, and ends a refused connection's linger.
void ffi_http_watch(struct mg_ffi_mgr *m, struct mg_connection *c) {
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

// ffi_http_read, after mongoose's parser: drops what a refused connection
// sends, and refuses a request whose head or chunked body outgrows the limit.
void ffi_http_read(struct mg_ffi_mgr *m, struct mg_connection *c) {
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

// ffi_http_respond_fix adds the glue's headers to a response mongoose queued from
// offset before (serve_dir, serve_file), and drops its body for HEAD.
void ffi_http_respond_fix(struct mg_ffi_mgr *m, struct mg_connection *c,
                          size_t before, const char *extra_headers) {
  struct cst *s = cst(c);
  char add[128];
  size_t n, i;
  char *p = (char *) c->send.buf + before, *end = (char *) c->send.buf + c->send.len;
  if (!s->http || before >= c->send.len) return;
  n = ffi_http_framing(m, c, extra_headers, add);
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

