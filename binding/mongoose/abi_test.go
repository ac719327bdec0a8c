package mongoose

import (
	"strings"
	"testing"
	"unsafe"
)

// The layout mongoose_ffi.h documents and static-asserts on the C side.
func TestEventLayout(t *testing.T) {
	var e cEvent
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof str", unsafe.Sizeof(cStr{}), 16},
		{"sizeof header", unsafe.Sizeof(cHeader{}), 32},
		{"sizeof event", unsafe.Sizeof(e), 152},
		{"id", unsafe.Offsetof(e.id), 8},
		{"listener", unsafe.Offsetof(e.listener), 16},
		{"status", unsafe.Offsetof(e.status), 24},
		{"headers", unsafe.Offsetof(e.headers), 32},
		{"method", unsafe.Offsetof(e.method), 40},
		{"body", unsafe.Offsetof(e.body), 104},
		{"remote", unsafe.Offsetof(e.remote), 136},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestOpenExplainsFailure(t *testing.T) {
	_, err := Open("/nonexistent/mongoose.so")
	if err == nil {
		t.Fatal("opened a library that does not exist")
	}
	for _, want := range []string{"/nonexistent/mongoose.so", "go tool mage build", EnvLibrary} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}
