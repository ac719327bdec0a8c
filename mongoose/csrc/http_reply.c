// http_reply.c: the HTTP calls of the ABI: replies, chunked replies, files
// and directories, the WebSocket upgrade. Each adds what http.c's HTTP/1.1
// semantics ask of the response (Date, Connection, nothing after HEAD).
#include "internal.h"

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
  struct mg_connection *c = ffi_find(m, id);
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
  n = status < 200 ? 0 : ffi_http_framing(m, c, headers, add);
  // Not mg_http_reply: the body is bytes, not a format string. A HEAD
  // answer says the length a GET would get and sends no body; a program
  // that set Content-Length itself for HEAD keeps its own.
  // 1xx, 204 and 304 carry no body and, as net/http sends them, no length.
  bodyless = status < 200 || status == 204 || status == 304;
  if (bodyless || (s->head && headers != NULL &&
                   ffi_http_header(headers, "Content-Length"))) {
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
    ffi_flush(c, before);
    return MG_FFI_OK;
  }
  c->is_resp = 0;
  if (s->close) c->is_draining = 1;
  ffi_flush(c, before);
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
    n = ffi_http_framing(m, c, headers, add);
    mg_printf(c, "HTTP/1.1 %d %s\r\n%s%.*s\r\n", status, reason(status),
              headers ? headers : "", (int) n, add);
  } else {
    n = ffi_http_framing(m, c, headers, add);
    mg_printf(c, "HTTP/1.1 %d %s\r\n%s%.*sTransfer-Encoding: chunked\r\n\r\n",
              status, reason(status), headers ? headers : "", (int) n, add);
  }
  ffi_flush(c, before);
  return MG_FFI_OK;
}

int32_t mg_ffi_http_chunk(struct mg_ffi_mgr *m, uint64_t id, const void *buf,
                          uint64_t len) {
  struct mg_connection *c = ffi_find(m, id);
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
  ffi_flush(c, before);
  return MG_FFI_OK;
}

// request re-parses the connection's request of this batch.
static struct mg_connection *request(struct mg_ffi_mgr *m, uint64_t id,
                                     struct mg_http_message *hm, int32_t *err) {
  struct mg_connection *c = ffi_find(m, id);
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
  ffi_http_respond_fix(m, c, before, extra_headers);
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

