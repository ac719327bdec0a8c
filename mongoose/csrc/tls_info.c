// tls_info.c: TLS details for the program: mg_ffi_tls_info (version, cipher,
// ALPN, SNI, resumption, the peer's chain in DER) and OpenSSL's version.
#include "internal.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

const char *mg_ffi_openssl_version(void) {
  return OpenSSL_version(OPENSSL_VERSION);
}

FFI_STATIC_ASSERT(info, sizeof(struct mg_ffi_tls_info) == 56);
FFI_STATIC_ASSERT(certs, offsetof(struct mg_ffi_tls_info, certs) == 48);

int32_t mg_ffi_tls_info(struct mg_ffi_mgr *m, uint64_t id,
                        struct mg_ffi_tls_info *out) {
  struct mg_mgr *mgr = mg_ffi_mgr_raw(m);
  struct mgr_tls *mt = mgr != NULL ? (struct mgr_tls *) mgr->tls_ctx : NULL;
  struct mg_connection *c = NULL;
  struct mg_tls *t;
  const SSL_CIPHER *cipher;
  const unsigned char *alpn = NULL;
  unsigned int alpn_len = 0, i, n = 0;
  const char *sni;
  size_t sni_len, need, off;
  X509 *certs[16];
  STACK_OF(X509) *chain;
  struct mg_ffi_str *strs;
  if (mgr == NULL || out == NULL) return MG_FFI_ERR_ARG;
  for (c = mgr->conns; c != NULL; c = c->next) {
    if ((uint64_t) c->id == id && !c->is_closing && !c->is_listening) break;
  }
  if (c == NULL) return MG_FFI_ERR_NOCONN;
  if ((t = (struct mg_tls *) c->tls) == NULL || c->is_tls_hs || mt == NULL) {
    return MG_FFI_ERR_ARG;
  }
  memset(out, 0, sizeof(*out));
  out->version = (uint32_t) SSL_version(t->ssl);
  if ((cipher = SSL_get_current_cipher(t->ssl)) != NULL) {
    out->cipher = SSL_CIPHER_get_protocol_id(cipher);
  }
  out->resumed = SSL_session_reused(t->ssl) ? 1 : 0;
  SSL_get0_alpn_selected(t->ssl, &alpn, &alpn_len);
  // A client reports the name it sent, whether or not the server said so.
  sni = c->is_client ? t->sni : SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
  sni_len = sni != NULL ? strlen(sni) : 0;
  // The leaf, then the rest of the chain (a client's chain starts with the
  // leaf; a server's leaves it out).
  if ((certs[0] = SSL_get0_peer_certificate(t->ssl)) != NULL) n = 1;
  chain = SSL_get_peer_cert_chain(t->ssl);
  for (i = 0; chain != NULL && i < (unsigned) sk_X509_num(chain) && n > 0 &&
              n < sizeof(certs) / sizeof(certs[0]);
       i++) {
    X509 *x = sk_X509_value(chain, (int) i);
    if (X509_cmp(x, certs[0]) != 0) certs[n++] = x;
  }
  need = n * sizeof(struct mg_ffi_str) + alpn_len + sni_len + 2;
  for (i = 0; i < n; i++) {
    int len = i2d_X509(certs[i], NULL);
    if (len > 0) need += (size_t) len;
  }
  if (need > mt->info_cap) {
    char *p = (char *) realloc(mt->info, need);
    if (p == NULL) return MG_FFI_ERR_NOMEM;
    mt->info = p, mt->info_cap = need;
  }
  strs = (struct mg_ffi_str *) (void *) mt->info;
  off = n * sizeof(struct mg_ffi_str);
  for (i = 0; i < n; i++) {
    unsigned char *p = (unsigned char *) mt->info + off;
    int len = i2d_X509(certs[i], &p);
    strs[i].ptr = mt->info + off;
    strs[i].len = len > 0 ? (uint64_t) len : 0;
    off += len > 0 ? (size_t) len : 0;
  }
  memcpy(mt->info + off, alpn, alpn_len);
  mt->info[off + alpn_len] = '\0';
  out->alpn.ptr = mt->info + off, out->alpn.len = alpn_len;
  off += alpn_len + 1;
  if (sni_len > 0) memcpy(mt->info + off, sni, sni_len);
  mt->info[off + sni_len] = '\0';
  out->sni.ptr = mt->info + off, out->sni.len = sni_len;
  out->ncerts = n;
  out->certs = n > 0 ? strs : NULL;
  ERR_clear_error();
  return MG_FFI_OK;
}
