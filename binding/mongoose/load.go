package mongoose

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ebitengine/purego"
)

// ABIVersion is the glue ABI this package speaks (MG_FFI_ABI_VERSION).
const ABIVersion = 3

// EnvLibrary names the library file to load when Open is given no path.
const EnvLibrary = "MONGOOSE_LIBRARY"

// LibraryName is the library's file name on this OS.
func LibraryName() string {
	switch runtime.GOOS {
	case "windows":
		return "mongoose.dll"
	case "darwin":
		return "mongoose.dylib"
	}
	return "mongoose.so"
}

// Library is a loaded mongoose-ffi library. Load it once per process.
type Library struct {
	Path           string // where it was loaded from
	Version        string // mongoose's version
	OpenSSLVersion string // OpenSSL's version string
	funcs          functions
	entries        entryPoints
}

// Open loads the library. With path "", it tries $MONGOOSE_LIBRARY, then the
// executable's directory, then the OS search path, in that order.
func Open(path string) (*Library, error) {
	var tried []string
	for _, p := range candidates(path) {
		lib, err := load(p)
		if err == nil {
			return lib, nil
		}
		tried = append(tried, fmt.Sprintf("%s: %v", p, err))
	}
	return nil, fmt.Errorf("mongoose: cannot load %s; tried:\n  - %s\n"+
		"Get the library from a mongoose-ffi release archive for %s/%s, or build it with `go tool mage build` "+
		"(it lands in out/%s_%s/), and pass its path to Open or set %s",
		LibraryName(), strings.Join(tried, "\n  - "), runtime.GOOS, runtime.GOARCH, runtime.GOOS, runtime.GOARCH, EnvLibrary)
}

func candidates(path string) []string {
	if path != "" {
		return []string{path}
	}
	var c []string
	if p := os.Getenv(EnvLibrary); p != "" {
		c = append(c, p)
	}
	if exe, err := os.Executable(); err == nil {
		c = append(c, filepath.Join(filepath.Dir(exe), LibraryName()))
	}
	return append(c, LibraryName()) // the loader's own search path
}

func load(path string) (lib *Library, err error) {
	h, err := dlopen(path)
	if err != nil {
		return nil, err
	}
	// RegisterLibFunc panics on a missing symbol: a library that is not ours.
	defer func() {
		if r := recover(); r != nil {
			lib, err = nil, fmt.Errorf("not a mongoose-ffi library (%v)", r)
		}
	}()
	var abi func() uint32
	purego.RegisterLibFunc(&abi, h, "mg_ffi_abi_version")
	if v := abi(); v != ABIVersion {
		return nil, fmt.Errorf("library ABI version %d, this binding speaks %d: use a library and binding from the same release", v, ABIVersion)
	}
	lib = &Library{Path: path}
	lib.funcs.register(h)
	if err := lib.entries.register(h); err != nil {
		return nil, err
	}
	lib.Version, lib.OpenSSLVersion = lib.funcs.version(), lib.funcs.opensslVersion()
	return lib, nil
}

// Error is a failed library call.
type Error struct {
	Op   string // the operation, e.g. "listen http://:80"
	Code int32  // MG_FFI_ERR_*
	Msg  string // the library's text for Code
}

func (e *Error) Error() string { return "mongoose: " + e.Op + ": " + e.Msg }

// Is lets errors.Is match the sentinel errors below.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Op == "" && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrNoConnection = &Error{Code: -1, Msg: "no open connection with that id"}
	ErrBadArgument  = &Error{Code: -2, Msg: "bad argument"}
	ErrListen       = &Error{Code: -3, Msg: "cannot listen"}
	ErrConnect      = &Error{Code: -4, Msg: "cannot connect"}
	ErrNoRequest    = &Error{Code: -6, Msg: "no HTTP request on that connection in this poll"}
	ErrTLS          = &Error{Code: -9, Msg: "bad TLS certificate, key or CA"}
)

func (l *Library) check(op string, code int32) error {
	if code >= 0 {
		return nil
	}
	return &Error{Op: op, Code: code, Msg: l.funcs.strerror(code)}
}

var errClosed = errors.New("mongoose: manager is closed")
