// Force-included when compiling mongoose.c. OpenSSL is built with
// no-deprecated; mongoose 7.22 still calls two pre-1.1.0 names, which are
// exact aliases of current calls.
#include <openssl/ssl.h>
#ifdef OPENSSL_NO_DEPRECATED_1_1_0
#ifndef SSL_library_init
#define SSL_library_init() OPENSSL_init_ssl(0, NULL)
#endif
#ifndef SSL_set_ecdh_auto
#define SSL_set_ecdh_auto(s, onoff) ((onoff) != 0)
#endif
#endif
