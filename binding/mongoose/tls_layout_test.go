package mongoose

import (
	"testing"
	"unsafe"
)

// struct mg_ffi_tls_info, as mongoose_ffi.h documents it.
func TestTLSInfoLayout(t *testing.T) {
	var c cTLSInfo
	if unsafe.Sizeof(c) != 56 || unsafe.Offsetof(c.alpn) != 16 || unsafe.Offsetof(c.sni) != 32 || unsafe.Offsetof(c.certs) != 48 {
		t.Errorf("cTLSInfo: size %d, alpn %d, sni %d, certs %d; want 56, 16, 32, 48",
			unsafe.Sizeof(c), unsafe.Offsetof(c.alpn), unsafe.Offsetof(c.sni), unsafe.Offsetof(c.certs))
	}
}
