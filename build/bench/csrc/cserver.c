// The benchmark's ceiling: the same library and glue calls as the Go
// binding's server, from C, with no FFI in between.
// Usage: cserver PORT. Prints "ready" once listening.
#include <stdio.h>
#include <stdlib.h>

#include "mongoose_ffi.h"

int main(int argc, char **argv) {
  char url[64];
  uint64_t id;
  struct mg_ffi_mgr *m = mg_ffi_mgr_new();
  if (argc < 2 || m == NULL) return 2;
  snprintf(url, sizeof(url), "http://127.0.0.1:%s", argv[1]);
  if (mg_ffi_listen(m, MG_FFI_HTTP, url, NULL, 0, NULL, 0, NULL, 0, &id) != 0) {
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
