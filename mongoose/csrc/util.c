// util.c: what needs no manager: Base64, CRC32, MD5, SHA1 on mongoose's own
// code, the versions and error strings.
#include "internal.h"

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
