// memcheck.c: drives every mg_ffi_* function of mongoose_ffi.h against the
// real library, for a memory checker (valgrind) to watch: listeners and
// clients of every kind (HTTP, WebSocket, TCP, UDP, TLS), replies, chunks,
// files, wakeups from another thread, closed ids, bad arguments, helpers,
// then frees everything. Exits non-zero on any failed check.
//
// usage: memcheck <dir with ca.pem cert.pem key.pem> <dir to serve>
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mongoose_ffi.h"

static int failures;
#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
              #cond);                                                    \
      failures++;                                                        \
    }                                                                    \
  } while (0)

static char *slurp(const char *dir, const char *name, uint64_t *len) {
  char path[1024];
  FILE *f;
  long n;
  char *buf;
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  if ((f = fopen(path, "rb")) == NULL) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t) n + 1);
  if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n) exit(2);
  buf[n] = '\0';
  fclose(f);
  *len = (uint64_t) n;
  return buf;
}

// What the event loop saw; reset per scenario.
struct seen {
  int http_status;       // last client HTTP response status
  char body[256];        // its body (truncated)
  int responses;         // client HTTP responses
  int reads;             // client READ events
  char read[256];        // bytes the client read (truncated, accumulated)
  size_t read_len;
  int ws_msgs;           // server WS messages
  int ws_open;           // server WS_OPEN
  int wakeups;           // WAKEUP events
  uint64_t wakeup_bytes;
  int closes;
  int errors;
  int connects;
  uint64_t server_conn;  // last accepted connection
  uint64_t watch;        // a client whose CLOSE ends a wait
  int watch_closed;
};

static struct seen S;
static struct mg_ffi_mgr *M;
static const char *serve_root;
static char file_path[1100];

static uint64_t l_http, l_https, l_tcp, l_tls, l_udp, l_mtls;

static void server_http(const struct mg_ffi_event *e) {
  if (e->flags & MG_FFI_F_TLS) {
    struct mg_ffi_tls_info ti;
    CHECK(mg_ffi_tls_info(M, e->id, &ti) == 0);
    CHECK(ti.version >= 0x0303 && ti.cipher != 0 && ti.alpn.ptr != NULL && ti.sni.ptr != NULL);
  }
  char uri[128];
  size_t n = e->uri.len < sizeof(uri) - 1 ? (size_t) e->uri.len : sizeof(uri) - 1;
  memcpy(uri, e->uri.ptr, n);
  uri[n] = '\0';
  if (strcmp(uri, "/reply") == 0) {
    CHECK(mg_ffi_http_reply(M, e->id, 200, "X-Test: 1\r\n", "hello", 5) == 0);
  } else if (strcmp(uri, "/empty") == 0) {
    CHECK(mg_ffi_http_reply(M, e->id, 204, NULL, NULL, 0) == 0);
  } else if (strcmp(uri, "/badstatus") == 0) {
    CHECK(mg_ffi_http_reply(M, e->id, 42, NULL, "x", 1) == MG_FFI_ERR_ARG);
    CHECK(mg_ffi_http_reply(M, e->id, 200, NULL, NULL, 3) == MG_FFI_ERR_ARG);
    CHECK(mg_ffi_http_chunk_start(M, e->id, 1000, NULL) == MG_FFI_ERR_ARG);
    CHECK(mg_ffi_http_chunk(M, e->id, NULL, 3) == MG_FFI_ERR_ARG);
    CHECK(mg_ffi_http_serve_dir(M, e->id, NULL, NULL) == MG_FFI_ERR_ARG);
    CHECK(mg_ffi_ws_send(M, e->id, "x", 1, MG_FFI_WS_TEXT) == MG_FFI_ERR_ARG);
    CHECK(mg_ffi_http_reply(M, e->id, 500, NULL, "bad", 3) == 0);
  } else if (strcmp(uri, "/chunk") == 0) {
    CHECK(mg_ffi_http_chunk_start(M, e->id, 200, "X-Chunked: 1\r\n") == 0);
    CHECK(mg_ffi_http_chunk(M, e->id, "hel", 3) == 0);
    CHECK(mg_ffi_http_chunk(M, e->id, "lo", 2) == 0);
    CHECK(mg_ffi_http_chunk(M, e->id, NULL, 0) == 0);
  } else if (strcmp(uri, "/file") == 0) {
    CHECK(mg_ffi_http_serve_file(M, e->id, file_path, "X-File: 1\r\n") == 0);
  } else if (strcmp(uri, "/missing") == 0) {
    CHECK(mg_ffi_http_serve_file(M, e->id, "/nonexistent/file", NULL) == 0);
  } else if (strncmp(uri, "/dir", 4) == 0 || strcmp(uri, "/hello.txt") == 0) {
    CHECK(mg_ffi_http_serve_dir(M, e->id, serve_root, NULL) == 0);
  } else if (strcmp(uri, "/ws") == 0) {
    CHECK(mg_ffi_ws_upgrade(M, e->id, e->query.len ? "X-WS: 1\r\n" : NULL) == 0);
  } else if (strcmp(uri, "/close") == 0) {
    CHECK(mg_ffi_close(M, e->id, 1) == 0);
  } else {
    CHECK(mg_ffi_http_reply(M, e->id, 404, NULL, "no", 2) == 0);
  }
}

static void handle(const struct mg_ffi_event *e) {
  int client = (e->flags & MG_FFI_F_CLIENT) != 0;
  CHECK(e->local.ptr != NULL && e->remote.ptr != NULL && e->body.ptr != NULL);
  switch (e->type) {
    case MG_FFI_EV_ACCEPT:
      S.server_conn = e->id;
      break;
    case MG_FFI_EV_CONNECT:
      S.connects++;
      break;
    case MG_FFI_EV_HTTP_MSG:
      if (client) {
        size_t n = e->body.len < sizeof(S.body) - 1 ? (size_t) e->body.len : sizeof(S.body) - 1;
        S.http_status = e->status;
        memcpy(S.body, e->body.ptr, n);
        S.body[n] = '\0';
        S.responses++;
        for (uint32_t i = 0; i < e->nheaders; i++) {
          CHECK(e->headers[i].name.ptr != NULL && e->headers[i].value.ptr != NULL);
        }
      } else {
        server_http(e);
      }
      break;
    case MG_FFI_EV_WS_OPEN:
      S.ws_open++;
      CHECK(mg_ffi_ws_send(M, e->id, "welcome", 7, MG_FFI_WS_TEXT) == 0);
      break;
    case MG_FFI_EV_WS_MSG:
      S.ws_msgs++;
      CHECK(mg_ffi_ws_send(M, e->id, e->body.ptr, e->body.len, e->status) == 0);
      CHECK(mg_ffi_ws_send(M, e->id, "x", 1, 16) == MG_FFI_ERR_ARG);
      break;
    case MG_FFI_EV_READ:
      if (client) {
        size_t room = sizeof(S.read) - 1 - S.read_len;
        size_t n = e->body.len < room ? (size_t) e->body.len : room;
        memcpy(S.read + S.read_len, e->body.ptr, n);
        S.read_len += n;
        S.read[S.read_len] = '\0';
        S.reads++;
      } else {
        CHECK(mg_ffi_send(M, e->id, e->body.ptr, e->body.len) == 0);  // echo
      }
      break;
    case MG_FFI_EV_WAKEUP:
      __atomic_fetch_add(&S.wakeups, 1, __ATOMIC_RELEASE);  // the sender reads it
      S.wakeup_bytes += e->body.len;
      break;
    case MG_FFI_EV_CLOSE:
      S.closes++;
      if (e->id == S.watch) S.watch_closed = 1;
      break;
    case MG_FFI_EV_ERROR:
      S.errors++;
      break;
    default:
      CHECK(0 && "unknown event type");
  }
}

static void poll_once(int ms) {
  const struct mg_ffi_event *evs = NULL;
  int32_t n = mg_ffi_poll(M, ms, &evs);
  CHECK(n >= 0);
  for (int32_t i = 0; i < n; i++) handle(&evs[i]);
}

// Polls until *counter reaches want or the watched client closes, for at
// most ~60 s (valgrind is slow).
static int wait_for(int *counter, int want) {
  time_t end = time(NULL) + 60;
  while (*counter < want && !S.watch_closed && time(NULL) < end) poll_once(10);
  return *counter >= want;
}

static void watch(uint64_t id) {
  S.watch = id;
  S.watch_closed = 0;
}

static void port_url(char *out, size_t n, const char *scheme, uint64_t id, const char *path) {
  char addr[64];
  int32_t r = mg_ffi_addr(M, id, 0, addr, sizeof(addr));
  CHECK(r > 0);
  snprintf(out, n, "%s://%s%s", scheme, addr, path);
}

// Flags of http_get's next connects (MG_FFI_TLS_INSECURE_SKIP_VERIFY).
static uint32_t connect_flags;

// One HTTP(S) request on a new client connection; returns the status.
static int http_get(const char *scheme, uint64_t listener, const char *path,
                    const char *ca, uint64_t ca_len, const char *cert,
                    uint64_t cert_len, const char *key, uint64_t key_len) {
  char url[256], req[256];
  uint64_t id = 0;
  int before = S.responses, connects = S.connects;
  port_url(url, sizeof(url), scheme, listener, path);
  CHECK(mg_ffi_connect(M, MG_FFI_HTTP, url, ca, ca_len, ca ? "localhost" : NULL,
                       cert, cert_len, key, key_len, connect_flags, &id) == 0);
  watch(id);
  if (!wait_for(&S.connects, connects + 1)) return -1;
  snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
  CHECK(mg_ffi_send(M, id, req, strlen(req)) == 0);
  S.http_status = -1;
  if (!wait_for(&S.responses, before + 1)) {
    if (!S.watch_closed) fprintf(stderr, "no response for %s\n", url);
    mg_ffi_close(M, id, 1);
    watch(0);
    return -1;
  }
  watch(0);
  CHECK(mg_ffi_close(M, id, 0) == 0);
  poll_once(0);
  return S.http_status;
}

static void ws_client(void) {
  static const char upgrade[] =
      "GET /ws?x=1 HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n";
  // A masked text frame "ping" and a masked binary frame of 3 bytes.
  static const unsigned char frames[] = {0x81, 0x84, 1, 2, 3, 4, 'p' ^ 1, 'i' ^ 2, 'n' ^ 3, 'g' ^ 4,
                                         0x82, 0x83, 0, 0, 0, 0, 7, 8, 9};
  char url[128];
  uint64_t id = 0;
  int connects = S.connects;
  port_url(url, sizeof(url), "tcp", l_http, "");
  memset(&S.read, 0, sizeof(S.read));
  S.read_len = 0;
  CHECK(mg_ffi_connect(M, MG_FFI_TCP, url, NULL, 0, NULL, NULL, 0, NULL, 0, 0, &id) == 0);
  CHECK(wait_for(&S.connects, connects + 1));
  CHECK(mg_ffi_send(M, id, upgrade, sizeof(upgrade) - 1) == 0);
  CHECK(wait_for(&S.ws_open, 1));
  CHECK(mg_ffi_send(M, id, frames, sizeof(frames)) == 0);
  CHECK(wait_for(&S.ws_msgs, 2));
  {  // the echo of the binary frame ends what the client reads
    time_t end = time(NULL) + 60;
    while (time(NULL) < end && (S.read_len < 5 || memcmp(S.read + S.read_len - 5, "\x82\x03\x07\x08\x09", 5) != 0)) {
      poll_once(10);
    }
    CHECK(strstr(S.read, "101 Switching Protocols") != NULL);
    CHECK(strstr(S.read, "welcome") != NULL && strstr(S.read, "ping") != NULL);
  }
  CHECK(mg_ffi_close(M, id, 1) == 0);
  CHECK(mg_ffi_close(M, id, 1) == MG_FFI_ERR_NOCONN);  // closed already
  poll_once(0);
}

// A 4 MB upload, over the request size limit: the server answers 413
// before the body, and nothing may leak.
static void oversized(void) {
  static const char head[] = "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4194304\r\n\r\n";
  size_t n = 4u << 20;
  char *body = calloc(1, n);
  char url[128];
  uint64_t id = 0;
  int connects = S.connects;
  time_t end = time(NULL) + 60;
  port_url(url, sizeof(url), "tcp", l_http, "");
  S.read_len = 0;
  CHECK(body != NULL);
  CHECK(mg_ffi_connect(M, MG_FFI_TCP, url, NULL, 0, NULL, NULL, 0, NULL, 0, 0, &id) == 0);
  watch(id);
  CHECK(wait_for(&S.connects, connects + 1));
  CHECK(mg_ffi_send(M, id, head, sizeof(head) - 1) == 0);
  CHECK(mg_ffi_send(M, id, body, n) == 0);
  while (!S.watch_closed && S.read_len == 0 && time(NULL) < end) poll_once(10);
  CHECK(S.read_len > 12 && memcmp(S.read, "HTTP/1.1 413", 12) == 0);
  if (!S.watch_closed) CHECK(mg_ffi_close(M, id, 1) == 0);
  watch(0);
  poll_once(0);
  free(body);
}

// An echo round trip on a raw client (TCP, TLS or UDP).
static void echo(int kind, const char *scheme, uint64_t listener, const char *ca, uint64_t ca_len) {
  char url[128];
  uint64_t id = 0;
  int connects = S.connects;
  time_t end = time(NULL) + 60;
  port_url(url, sizeof(url), scheme, listener, "");
  memset(&S.read, 0, sizeof(S.read));
  S.read_len = 0;
  CHECK(mg_ffi_connect(M, kind, url, ca, ca_len, ca ? "localhost" : NULL, NULL, 0, NULL, 0, 0, &id) == 0);
  CHECK(wait_for(&S.connects, connects + 1));
  CHECK(mg_ffi_send(M, id, "echo me", 7) == 0);
  // An empty send is a no-op on a stream; UDP refuses it (mongoose cannot
  // send an empty datagram, and its failed send would close the socket).
  CHECK(mg_ffi_send(M, id, NULL, 0) == (kind == MG_FFI_UDP ? MG_FFI_ERR_ARG : 0));
  CHECK(mg_ffi_send(M, id, NULL, 1) == MG_FFI_ERR_ARG);
  while (S.read_len < 7 && time(NULL) < end) poll_once(10);
  CHECK(S.read_len == 7 && memcmp(S.read, "echo me", 7) == 0);
  if (S.read_len != 7) fprintf(stderr, "echo over %s: got %zu bytes\n", scheme, S.read_len);
  CHECK(mg_ffi_close(M, id, 0) == 0);
  poll_once(0);
}

struct waker {
  uint64_t id;
  int n;
  int ok;
  int done;  // set atomically when the thread is through
};

static void *wake(void *arg) {
  struct waker *w = (struct waker *) arg;
  char buf[1000];
  memset(buf, 'w', sizeof(buf));
  for (int i = 0; i < w->n; i++) {
    // At most 16 in flight: mongoose's wakeup pipe drops what does not fit,
    // and the poller is slow under valgrind. (Lossless wakeups are issue 12.)
    time_t end = time(NULL) + 60;
    while (w->ok - __atomic_load_n(&S.wakeups, __ATOMIC_ACQUIRE) >= 16 && time(NULL) < end) {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
    if (mg_ffi_wakeup(M, w->id, buf, (uint64_t) (i % 2 ? sizeof(buf) : 1)) == 0) w->ok++;
  }
  __atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
  return NULL;
}

static void bad_args(void) {
  uint64_t id = 0;
  char out[64];
  const struct mg_ffi_event *evs;
  CHECK(mg_ffi_poll(NULL, 0, &evs) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_poll(M, 0, NULL) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_listen(NULL, MG_FFI_HTTP, "http://127.0.0.1:0", NULL, 0, NULL, 0, NULL, 0, &id) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_listen(M, 9, "http://127.0.0.1:0", NULL, 0, NULL, 0, NULL, 0, &id) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_listen(M, MG_FFI_HTTP, NULL, NULL, 0, NULL, 0, NULL, 0, &id) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_listen(M, MG_FFI_HTTP, "http://127.0.0.1:0", NULL, 0, NULL, 0, NULL, 0, NULL) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_listen(M, MG_FFI_TCP, "tcp://999.0.0.1:0", NULL, 0, NULL, 0, NULL, 0, &id) == MG_FFI_ERR_LISTEN);
  CHECK(mg_ffi_listen(M, MG_FFI_HTTP, "http://256.1.1.1:1", "x", 1, "y", 1, NULL, 0, &id) == MG_FFI_ERR_LISTEN);
  CHECK(mg_ffi_connect(NULL, MG_FFI_HTTP, "http://127.0.0.1:1", NULL, 0, NULL, NULL, 0, NULL, 0, 0, &id) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_connect(M, 0, "http://127.0.0.1:1", NULL, 0, NULL, NULL, 0, NULL, 0, 0, &id) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_connect(M, MG_FFI_HTTP, NULL, NULL, 0, NULL, NULL, 0, NULL, 0, 0, &id) == MG_FFI_ERR_ARG);
  {
    char url[400];
    memset(url, 'a', sizeof(url));
    memcpy(url, "http://", 7);
    url[sizeof(url) - 1] = '\0';
    CHECK(mg_ffi_connect(M, MG_FFI_HTTP, url, NULL, 0, NULL, NULL, 0, NULL, 0, 0, &id) == MG_FFI_ERR_ARG);
  }
  // Unknown ids.
  CHECK(mg_ffi_addr(M, 987654, 0, out, sizeof(out)) == MG_FFI_ERR_NOCONN);
  CHECK(mg_ffi_addr(NULL, 1, 0, out, sizeof(out)) == MG_FFI_ERR_NOCONN);
  CHECK(mg_ffi_addr(M, l_http, 0, NULL, 0) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_addr(M, l_http, 0, out, 3) == MG_FFI_ERR_SPACE);
  CHECK(mg_ffi_addr(M, l_http, 1, out, sizeof(out)) > 0);
  CHECK(mg_ffi_send(M, 987654, "x", 1) == MG_FFI_ERR_NOCONN);
  CHECK(mg_ffi_close(M, 987654, 0) == MG_FFI_ERR_NOCONN);
  CHECK(mg_ffi_http_reply(M, 987654, 200, NULL, "x", 1) == MG_FFI_ERR_NOCONN);
  CHECK(mg_ffi_http_chunk_start(M, 987654, 200, NULL) == MG_FFI_ERR_NOCONN);
  CHECK(mg_ffi_http_chunk(M, 987654, "x", 1) == MG_FFI_ERR_NOCONN);
  CHECK(mg_ffi_http_serve_dir(M, 987654, "/", NULL) == MG_FFI_ERR_NOCONN);
  CHECK(mg_ffi_http_serve_file(M, 987654, "/", NULL) == MG_FFI_ERR_NOCONN);
  CHECK(mg_ffi_ws_upgrade(M, 987654, NULL) == MG_FFI_ERR_NOCONN);
  CHECK(mg_ffi_ws_send(M, 987654, "x", 1, MG_FFI_WS_TEXT) == MG_FFI_ERR_NOCONN);
  {
    struct mg_ffi_tls_info ti;
    uint64_t v = 0;
    CHECK(mg_ffi_tls_info(M, 987654, &ti) == MG_FFI_ERR_NOCONN);
    CHECK(mg_ffi_tls_info(M, 987654, NULL) == MG_FFI_ERR_ARG);
    CHECK(mg_ffi_get_limit(M, MG_FFI_LIMIT_REQUEST_SIZE, &v) == 0 && v == MG_FFI_DEFAULT_MAX_REQUEST);
    CHECK(mg_ffi_get_limit(M, 99, &v) == MG_FFI_ERR_ARG);
    CHECK(mg_ffi_get_limit(NULL, MG_FFI_LIMIT_IDLE_MS, &v) == MG_FFI_ERR_ARG);
    CHECK(mg_ffi_set_limit(M, MG_FFI_LIMIT_REQUEST_SIZE, 0) == MG_FFI_ERR_ARG);
    CHECK(mg_ffi_set_limit(M, MG_FFI_LIMIT_REQUEST_SIZE, MG_FFI_MAX_REQUEST_CAP + 1) == MG_FFI_ERR_ARG);
    CHECK(mg_ffi_set_limit(M, MG_FFI_LIMIT_IDLE_MS, MG_FFI_DEFAULT_IDLE_MS) == 0);
    CHECK(mg_ffi_set_limit(NULL, MG_FFI_LIMIT_IDLE_MS, 1) == MG_FFI_ERR_ARG);
  }
  // A live id with no request in this batch.
  CHECK(mg_ffi_http_serve_dir(M, l_http, serve_root, NULL) == MG_FFI_ERR_NOREQ);
  CHECK(mg_ffi_http_serve_file(M, l_http, file_path, NULL) == MG_FFI_ERR_NOREQ);
  CHECK(mg_ffi_ws_upgrade(M, l_http, NULL) == MG_FFI_ERR_NOREQ);
  CHECK(mg_ffi_ws_send(M, l_http, "x", 1, MG_FFI_WS_TEXT) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_wakeup(NULL, 1, "x", 1) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_wakeup(M, 0, "x", 1) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_wakeup(M, 1, NULL, 1) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_wakeup(M, 987654, "to nobody", 9) == 0);  // dropped by mongoose
  mg_ffi_mgr_free(NULL);
  CHECK(mg_ffi_mgr_raw(NULL) == NULL);
}

static void helpers(void) {
  char enc[64], dec[64];
  uint8_t md5[16], sha1[20];
  CHECK(mg_ffi_abi_version() == MG_FFI_ABI_VERSION);
  CHECK(strcmp(mg_ffi_version(), "7.22") == 0);
  CHECK(strncmp(mg_ffi_openssl_version(), "OpenSSL 3.", 10) == 0);
  for (int32_t c = 1; c >= -9; c--) CHECK(mg_ffi_strerror(c) != NULL);
  CHECK(mg_ffi_base64_encode("hello", 5, enc, sizeof(enc)) == 8 && strcmp(enc, "aGVsbG8=") == 0);
  CHECK(mg_ffi_base64_encode("hello", 5, enc, 8) == MG_FFI_ERR_SPACE);
  CHECK(mg_ffi_base64_encode(NULL, 1, enc, sizeof(enc)) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_base64_encode(NULL, 0, enc, sizeof(enc)) == 0);
  CHECK(mg_ffi_base64_decode("aGVsbG8=", 8, dec, sizeof(dec)) == 5 && memcmp(dec, "hello", 5) == 0);
  CHECK(mg_ffi_base64_decode("!!!!", 4, dec, sizeof(dec)) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_base64_decode("aGVsbG8=", 8, dec, 4) == MG_FFI_ERR_SPACE);
  CHECK(mg_ffi_base64_decode("aGVsbG8=", 8, NULL, 0) == MG_FFI_ERR_ARG);
  CHECK(mg_ffi_crc32(0, "123456789", 9) == 0xCBF43926u);
  CHECK(mg_ffi_crc32(7, NULL, 5) == 7);
  mg_ffi_md5("abc", 3, md5);
  CHECK(md5[0] == 0x90 && md5[15] == 0x72);
  mg_ffi_md5(NULL, 0, md5);
  mg_ffi_sha1("abc", 3, sha1);
  CHECK(sha1[0] == 0xa9 && sha1[19] == 0x9d);
  mg_ffi_sha1(NULL, 0, sha1);
}

int main(int argc, char **argv) {
  uint64_t ca_len, cert_len, key_len, bad_len;
  char *ca, *cert, *key, *bad;
  if (argc != 3) {
    fprintf(stderr, "usage: memcheck <pem dir> <serve dir>\n");
    return 2;
  }
  ca = slurp(argv[1], "ca.pem", &ca_len);
  cert = slurp(argv[1], "cert.pem", &cert_len);
  key = slurp(argv[1], "key.pem", &key_len);
  bad = slurp(argv[1], "other-ca.pem", &bad_len);
  serve_root = argv[2];
  snprintf(file_path, sizeof(file_path), "%s/hello.txt", serve_root);
  mg_ffi_log_level(0);  // expected failures (bad URLs, refused TLS) stay quiet
  helpers();

  // A manager made and freed at once, and one freed with live connections.
  mg_ffi_mgr_free(mg_ffi_mgr_new());
  M = mg_ffi_mgr_new();
  CHECK(M != NULL && mg_ffi_mgr_raw(M) != NULL);

  CHECK(mg_ffi_listen(M, MG_FFI_HTTP, "http://127.0.0.1:0", NULL, 0, NULL, 0, NULL, 0, &l_http) == 0);
  CHECK(mg_ffi_listen(M, MG_FFI_HTTP, "https://127.0.0.1:0", cert, cert_len, key, key_len, NULL, 0, &l_https) == 0);
  CHECK(mg_ffi_listen(M, MG_FFI_HTTP, "https://127.0.0.1:0", cert, cert_len, key, key_len, ca, ca_len, &l_mtls) == 0);
  CHECK(mg_ffi_listen(M, MG_FFI_TCP, "tcp://127.0.0.1:0", NULL, 0, NULL, 0, NULL, 0, &l_tcp) == 0);
  CHECK(mg_ffi_listen(M, MG_FFI_TCP, "tls://127.0.0.1:0", cert, cert_len, key, key_len, NULL, 0, &l_tls) == 0);
  CHECK(mg_ffi_listen(M, MG_FFI_UDP, "udp://127.0.0.1:0", NULL, 0, NULL, 0, NULL, 0, &l_udp) == 0);
  bad_args();

  // HTTP: every kind of reply.
  CHECK(http_get("http", l_http, "/reply", NULL, 0, NULL, 0, NULL, 0) == 200 && strcmp(S.body, "hello") == 0);
  CHECK(http_get("http", l_http, "/empty", NULL, 0, NULL, 0, NULL, 0) == 204);
  CHECK(http_get("http", l_http, "/badstatus", NULL, 0, NULL, 0, NULL, 0) == 500);
  CHECK(http_get("http", l_http, "/chunk", NULL, 0, NULL, 0, NULL, 0) == 200 && strcmp(S.body, "hello") == 0);
  CHECK(http_get("http", l_http, "/file", NULL, 0, NULL, 0, NULL, 0) == 200 && strcmp(S.body, "hello file\n") == 0);
  CHECK(http_get("http", l_http, "/missing", NULL, 0, NULL, 0, NULL, 0) == 404);
  CHECK(http_get("http", l_http, "/hello.txt", NULL, 0, NULL, 0, NULL, 0) == 200 && strcmp(S.body, "hello file\n") == 0);
  CHECK(http_get("http", l_http, "/dir/../../etc/passwd", NULL, 0, NULL, 0, NULL, 0) != 200);
  CHECK(http_get("http", l_http, "/nothing", NULL, 0, NULL, 0, NULL, 0) == 404);
  {  // the server closes at once: the client sees CLOSE, not a response
    int closes = S.closes;
    CHECK(http_get("http", l_http, "/close", NULL, 0, NULL, 0, NULL, 0) == -1);
    CHECK(S.closes > closes);
  }
  ws_client();
  oversized();

  // TLS: verified client; without a CA the system roots refuse the test CA;
  // the insecure flag skips verification; wrong CA (refused); mutual TLS.
  CHECK(http_get("https", l_https, "/reply", ca, ca_len, NULL, 0, NULL, 0) == 200 && strcmp(S.body, "hello") == 0);
  CHECK(http_get("https", l_https, "/chunk", ca, ca_len, NULL, 0, NULL, 0) == 200);
  {
    int errors = S.errors;
    CHECK(http_get("https", l_https, "/reply", NULL, 0, NULL, 0, NULL, 0) == -1);
    CHECK(S.errors > errors);
    connect_flags = MG_FFI_TLS_INSECURE_SKIP_VERIFY;
    CHECK(http_get("https", l_https, "/reply", NULL, 0, NULL, 0, NULL, 0) == 200);
    connect_flags = 0;
    errors = S.errors;
    CHECK(http_get("https", l_https, "/reply", bad, bad_len, NULL, 0, NULL, 0) == -1);
    CHECK(S.errors > errors);
  }
  CHECK(http_get("https", l_mtls, "/reply", ca, ca_len, cert, cert_len, key, key_len) == 200);
  echo(MG_FFI_TCP, "tcp", l_tcp, NULL, 0);
  echo(MG_FFI_TCP, "tls", l_tls, ca, ca_len);
  echo(MG_FFI_UDP, "udp", l_udp, NULL, 0);

  // Wakeups from another thread, to a live listener; and to a closed id.
  {
    struct waker w = {l_tcp, 200, 0, 0};
    pthread_t th;
    time_t end;
    CHECK(pthread_create(&th, NULL, wake, &w) == 0);
    end = time(NULL) + 60;
    while (time(NULL) < end) {
      poll_once(10);
      if (__atomic_load_n(&w.done, __ATOMIC_ACQUIRE)) break;
    }
    pthread_join(th, NULL);
    end = time(NULL) + 10;
    while (S.wakeups < w.ok && time(NULL) < end) poll_once(10);
    fprintf(stderr, "wakeups: %d sent, %d accepted, %d delivered\n", w.n, w.ok, S.wakeups);
    CHECK(w.ok > 0 && S.wakeups == w.ok);
  }

  // Close a listener; its id is dead afterwards, for every call.
  CHECK(mg_ffi_close(M, l_udp, 1) == 0);
  poll_once(0);
  poll_once(0);
  CHECK(mg_ffi_send(M, l_udp, "x", 1) == MG_FFI_ERR_NOCONN);
  CHECK(mg_ffi_addr(M, l_udp, 0, file_path, 4) == MG_FFI_ERR_NOCONN);
  CHECK(mg_ffi_wakeup(M, l_udp, "late", 4) == 0);  // dropped: the id is gone
  poll_once(0);

  // Leave clients open at the free: the manager must release them too.
  {
    char url[128];
    uint64_t id;
    port_url(url, sizeof(url), "http", l_http, "/");
    CHECK(mg_ffi_connect(M, MG_FFI_HTTP, url, NULL, 0, NULL, NULL, 0, NULL, 0, 0, &id) == 0);
    port_url(url, sizeof(url), "https", l_https, "/");
    CHECK(mg_ffi_connect(M, MG_FFI_HTTP, url, ca, ca_len, "localhost", NULL, 0, NULL, 0, 0, &id) == 0);
    CHECK(mg_ffi_wakeup(M, l_http, "pending at free", 15) == 0);
    poll_once(10);
  }
  mg_ffi_mgr_free(M);
  free(ca), free(cert), free(key), free(bad);
  fprintf(stderr, "memcheck: %d failed checks\n", failures);
  return failures ? 1 : 0;
}
