// mongoose_ffi_tls.h: between the glue and its TLS layer (mongoose_ffi_tls.c,
// mongoose's MG_TLS_CUSTOM). Not part of the ABI: nothing here is exported.
#ifndef MONGOOSE_FFI_TLS_H
#define MONGOOSE_FFI_TLS_H

#include "mongoose.h"

// One OpenSSL context: per listener, or per client configuration (shared by
// every client connection of a manager with the same CA, certificate, key
// and flags, so that their sessions resume). Reference counted.
struct ffi_tls_cfg;

// ffi_tls_cfg_new parses the PEM (or DER) material once. is_http offers or
// selects ALPN http/1.1. flags are MG_FFI_TLS_*. On failure it returns NULL
// and writes why into err.
struct ffi_tls_cfg *ffi_tls_cfg_new(struct mg_mgr *mgr, int is_client,
                                    int is_http, uint32_t flags,
                                    const struct mg_tls_opts *opts, char *err,
                                    size_t err_len);
void ffi_tls_cfg_release(struct ffi_tls_cfg *cfg);

// ffi_tls_attach starts TLS on a connection (at ACCEPT or CONNECT); name is
// the server name a client sends (SNI) and checks, or NULL.
void ffi_tls_attach(struct mg_connection *c, struct ffi_tls_cfg *cfg,
                    struct mg_str name);

// ffi_tls_poll takes back a handshake step a worker has finished and
// reports its outcome; the glue calls it at every POLL of a TLS connection.
void ffi_tls_poll(struct mg_connection *c);

// The manager's handshake threads (MG_FFI_LIMIT_TLS_THREADS).
void ffi_tls_set_threads(struct mg_mgr *mgr, unsigned n);
unsigned ffi_tls_threads(struct mg_mgr *mgr);

// ffi_wake ends a glue manager's wait in poll; any thread may call it until
// mg_ffi_mgr_free returns (mongoose_ffi.c).
void ffi_wake(struct mg_mgr *mgr);

#endif  // MONGOOSE_FFI_TLS_H
