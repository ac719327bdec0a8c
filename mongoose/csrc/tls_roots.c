// tls_roots.c: the system's trust roots, for clients given no CA: loaded
// once per process (SSL_CERT_FILE / SSL_CERT_DIR, the OS bundle, or the
// Windows ROOT store) and again when those variables change.
#include "internal.h"

#if defined(_WIN32)
#include <wincrypt.h>
#endif

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

static CRYPTO_RWLOCK *roots_lock;
static X509_STORE *roots;        // the system's, loaded on first use
static char roots_env[2][1024];  // SSL_CERT_FILE, SSL_CERT_DIR it was loaded with
static char roots_desc[200];

// ffi_tls_roots_init makes the roots' lock (once, from ffi_tls_init).
int ffi_tls_roots_init(void) {
  roots_lock = CRYPTO_THREAD_lock_new();
  return roots_lock != NULL;
}

#if !defined(_WIN32)
static int exists(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f != NULL) fclose(f);
  return f != NULL;
}

// The bundles Go's crypto/x509 looks for on Linux and the BSDs, in its
// order; macOS keeps its system roots in /etc/ssl/cert.pem too.
static const char *bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu, Gentoo, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",    // Fedora, RHEL 6
    "/etc/ssl/ca-bundle.pem",              // OpenSUSE
    "/etc/pki/tls/cacert.pem",             // OpenELEC
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // CentOS, RHEL 7
    "/etc/ssl/cert.pem",                   // Alpine, macOS, the BSDs
    "/usr/local/etc/ssl/cert.pem",         // FreeBSD
    NULL};
#endif

static int count(X509_STORE *st) {
  STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(st);
  return objs != NULL ? sk_X509_OBJECT_num(objs) : 0;
}

#if defined(_WIN32)
// The ROOT system store, as Windows' own TLS clients trust it.
static int load_windows_roots(X509_STORE *st) {
  HCERTSTORE h = CertOpenSystemStoreW(0, L"ROOT");
  PCCERT_CONTEXT p = NULL;
  int n = 0;
  if (h == NULL) return -1;
  while ((p = CertEnumCertificatesInStore(h, p)) != NULL) {
    const unsigned char *der = p->pbCertEncoded;
    X509 *x = d2i_X509(NULL, &der, (long) p->cbCertEncoded);
    if (x != NULL && X509_STORE_add_cert(st, x)) n++;
    X509_free(x);
  }
  CertCloseStore(h, 0);
  ERR_clear_error();  // duplicates and odd entries are not our failure
  return n;
}
#endif

// load_roots builds the system store: SSL_CERT_FILE / SSL_CERT_DIR when set
// (as OpenSSL and Go honour them on Unix), else the OS's own roots.
static X509_STORE *load_roots(const char *file, const char *dir,
                              char *desc, size_t desc_len) {
  X509_STORE *st = X509_STORE_new();
  int i;
  if (st == NULL) return NULL;
  desc[0] = '\0';
  if (file != NULL || dir != NULL) {
    if (file != NULL) X509_STORE_load_file(st, file);
    if (dir != NULL) X509_STORE_load_path(st, dir);
    ERR_clear_error();
    mg_snprintf(desc, desc_len, "%s%s%s%s, %d certificates",
                file ? "SSL_CERT_FILE=" : "", file ? file : "",
                dir ? " SSL_CERT_DIR=" : "", dir ? dir : "", count(st));
    return st;
  }
#if defined(_WIN32)
  i = load_windows_roots(st);
  mg_snprintf(desc, desc_len, i < 0 ? "the Windows ROOT store, not opened"
                                    : "the Windows ROOT store, %d certificates",
              i);
#else
  for (i = 0; bundles[i] != NULL; i++) {
    if (exists(bundles[i]) && X509_STORE_load_file(st, bundles[i])) break;
  }
  ERR_clear_error();
  if (bundles[i] != NULL) {
    mg_snprintf(desc, desc_len, "the system roots in %s, %d certificates",
                bundles[i], count(st));
  } else {
    mg_snprintf(desc, desc_len,
                "no system roots found (set SSL_CERT_FILE or give a CA)");
  }
#endif
  return st;
}

// ffi_tls_system_roots returns the system store, referenced, reloaded when
// SSL_CERT_FILE or SSL_CERT_DIR changed since it was loaded.
X509_STORE *ffi_tls_system_roots(char *desc, size_t desc_len) {
#if defined(_WIN32)
  // Windows trusts its ROOT store, as Go and Windows' own clients do.
  const char *file = NULL, *dir = NULL;
#else
  const char *file = getenv("SSL_CERT_FILE"), *dir = getenv("SSL_CERT_DIR");
#endif
  X509_STORE *st = NULL;
  if (file != NULL && *file == '\0') file = NULL;
  if (dir != NULL && *dir == '\0') dir = NULL;
  if (!CRYPTO_THREAD_write_lock(roots_lock)) return NULL;
  if (roots == NULL || strcmp(roots_env[0], file ? file : "") != 0 ||
      strcmp(roots_env[1], dir ? dir : "") != 0) {
    X509_STORE_free(roots);
    roots = load_roots(file, dir, roots_desc, sizeof(roots_desc));
    mg_snprintf(roots_env[0], sizeof(roots_env[0]), "%s", file ? file : "");
    mg_snprintf(roots_env[1], sizeof(roots_env[1]), "%s", dir ? dir : "");
  }
  if (roots != NULL && X509_STORE_up_ref(roots)) st = roots;
  mg_snprintf(desc, desc_len, "%s", roots_desc);
  CRYPTO_THREAD_unlock(roots_lock);
  return st;
}

