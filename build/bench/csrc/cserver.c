// The benchmark's ceiling: the same library and glue calls as the Go
// binding's server, from C, with no FFI in between.
// Usage: cserver PORT. Prints "ready" once listening. With
// MONGOOSE_FFI_BENCH_TLS_CERT and _KEY naming PEM files, it serves HTTPS.
#include <stdio.h>
#include <stdlib.h>

#include "mongoose_ffi.h"

// slurp reads a whole file named by an environment variable.
static char *slurp(const char *env, uint64_t *len) {
  const char *path = getenv(env);
  FILE *f = path != NULL ? fopen(path, "rb") : NULL;
  char *buf = NULL;
  long n;
  *len = 0;
  if (f == NULL) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
      fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t) n)) != NULL &&
      fread(buf, 1, (size_t) n, f) == (size_t) n) {
    *len = (uint64_t) n;
  }
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  char url[64];
  uint64_t id, cert_len, key_len;
  char *cert = slurp("MONGOOSE_FFI_BENCH_TLS_CERT", &cert_len);
  char *key = slurp("MONGOOSE_FFI_BENCH_TLS_KEY", &key_len);
  struct mg_ffi_mgr *m = mg_ffi_mgr_new();
  if (argc < 2 || m == NULL) return 2;
  snprintf(url, sizeof(url), "%s://127.0.0.1:%s", cert ? "https" : "http",
           argv[1]);
  if (mg_ffi_listen(m, MG_FFI_HTTP, url, cert, cert_len, key, key_len, NULL, 0,
                    &id) != 0) {
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    const struct mg_ffi_event *ev;
    int32_t i, n = mg_ffi_poll(m, 100, &ev);
    for (i = 0; i < n; i++) {
      if (ev[i].type == MG_FFI_EV_HTTP_MSG) {
        if (ev[i].uri.len == 3) {  // "/ws"
          mg_ffi_ws_upgrade(m, ev[i].id, NULL);
        } else {
          mg_ffi_http_reply(m, ev[i].id, 200, "Content-Type: text/plain\r\n",
                            "hello", 5);
        }
      } else if (ev[i].type == MG_FFI_EV_WS_MSG) {
        mg_ffi_ws_send(m, ev[i].id, ev[i].body.ptr, ev[i].body.len,
                       ev[i].status);
      }
    }
  }
}
