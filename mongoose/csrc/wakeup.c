// wakeup.c: the wakeup queue (lossless wakeups).
// mongoose's mg_wakeup sends each payload as a datagram over a UDP socket
// pair: a full socket buffer or a payload over 64 KB drops it while the
// call reports success. The glue queues payloads itself, under a lock,
// bounded in bytes, and sends mongoose's pipe a bare wake only when the
// queue turns non-empty; mg_ffi_poll then delivers the whole queue in order.
#include "internal.h"

struct wmsg {
  struct wmsg *next;
  uint64_t id;
  size_t len;
  char data[];
};

// A message costs its payload plus this, against MG_FFI_WAKEUP_QUEUE_MAX.
#define MG_FFI_WMSG_COST(len) ((len) + 48)

// The id mongoose's wake datagrams carry: no connection has it, so mongoose
// dispatches nothing; it only ends the poll's wait.
#define MG_FFI_WAKE_ID ((unsigned long) -1)

// ffi_wq_deliver turns the queued wakeups into WAKEUP events, in queue order.
void ffi_wq_deliver(struct mg_ffi_mgr *m) {
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
    if (c == NULL || (uint64_t) c->id != w->id) c = ffi_find(m, w->id);
    if (c != NULL && (e = ffi_push(&m->b[m->fill], c, MG_FFI_EV_WAKEUP)) != NULL) {
      ffi_set_str(&m->b[m->fill], &e->body, w->data, w->len);
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

// ffi_wq_close refuses further wakeups and frees what is queued.
void ffi_wq_close(struct mg_ffi_mgr *m) {
  struct wmsg *w, *next;
  FFI_LOCK(&m->wq.lock);
  m->wq.closed = 1;
  w = m->wq.head;
  m->wq.head = m->wq.tail = NULL;
  FFI_UNLOCK(&m->wq.lock);
  for (; w != NULL; w = next) next = w->next, free(w);
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

