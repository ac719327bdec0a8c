// manager.c: the manager's life (mg_ffi_mgr_new, mg_ffi_mgr_free), its
// limits and the log level.
#include "internal.h"

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
  ffi_wq_close(m);
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
