package cdefs

import (
	"strings"
	"testing"
)

// A preprocessed unit in the shape zig cc -E gives: line markers name the
// header each declaration comes from.
const pre = `# 1 "api.c"
# 1 "/usr/include/sys/types.h" 1
typedef long int __time_t;
typedef __time_t time_t;
typedef unsigned long size_t;
__extension__ typedef unsigned long long UINT_PTR, *PUINT_PTR;
typedef UINT_PTR SOCKET;
struct unused { int x; };
typedef struct big { __int128 x; } big_t;
extern int printf(const char *__restrict fmt, ...) __attribute__((__nothrow__));
# 1 "/src/mongoose.h" 1
struct mg_str { char *buf; size_t len; };
struct mg_timer { time_t when; SOCKET fd; };
enum mg_event {
  MG_EV_ERROR,
  MG_EV_OPEN,
  MG_EV_USER
};
static inline int mg_inline(int x) { return x + 1; }
int mg_exported(struct mg_str s) __attribute__((warn_unused_result));
int mg_not_built(void);
struct packed_one { char c; int i; } __attribute__((packed));
# 1 "/src/mongoose_ffi.h" 1
__declspec(dllexport) uint32_t mg_ffi_abi_version(void);
`

const macros = `#define MG_FFI_ABI_VERSION 1
#define MG_FFI_ERR_NOCONN (-1)
#define MG_FFI_EV_ACCEPT 1
#define MG_FFI_API __declspec(dllexport)
#define OTHER 5
`

func TestBuild(t *testing.T) {
	g, err := Build(pre, macros, []string{"mongoose.h", "mongoose_ffi.h"}, []string{"mg_exported", "mg_ffi_abi_version"})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(g.Decls, "\n")
	for _, want := range []string{
		"typedef long int __time_t;", "typedef __time_t time_t;", // pulled in by struct mg_timer
		"__extension__ typedef unsigned long long UINT_PTR, *PUINT_PTR;", "typedef UINT_PTR SOCKET;",
		"struct mg_str { char *buf; size_t len; };", "int mg_exported(struct mg_str s);",
		"uint32_t mg_ffi_abi_version(void);", "__attribute__((packed))",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in\n%s", want, text)
		}
	}
	for _, not := range []string{"size_t;", "unused", "__int128", "printf", "mg_inline", "mg_not_built", "warn_unused", "__declspec"} {
		if strings.Contains(strings.ReplaceAll(text, "size_t len", ""), not) {
			t.Errorf("%q should be left out of\n%s", not, text)
		}
	}
	if strings.Index(text, "__time_t;") > strings.Index(text, "struct mg_timer") {
		t.Error("a type must come before its use")
	}
	if g.Events[0] != "MG_EV_ERROR" || g.Events[2] != "MG_EV_USER" || g.Constants["MG_EV_OPEN"] != 1 {
		t.Errorf("events %v", g.Events)
	}
	if g.Constants["MG_FFI_ERR_NOCONN"] != -1 || g.FFIEvents[1] != "MG_FFI_EV_ACCEPT" || len(g.Constants) != 6 {
		t.Errorf("constants %v, ffi events %v", g.Constants, g.FFIEvents)
	}
	lua := string(g.Lua("linux/amd64", "7.22"))
	for _, want := range []string{"cdefs = [[\n", "[0] = \"MG_EV_ERROR\"", "MG_FFI_ABI_VERSION = 1,", `target = "linux/amd64"`} {
		if !strings.Contains(lua, want) {
			t.Errorf("module lacks %q:\n%s", want, lua)
		}
	}
}

func TestBuildNeedsTheABIVersion(t *testing.T) {
	if _, err := Build(pre, "", []string{"mongoose.h"}, nil); err == nil || !strings.Contains(err.Error(), "MG_FFI_ABI_VERSION") {
		t.Errorf("err = %v", err)
	}
}

func TestIntExpr(t *testing.T) {
	known := map[string]int64{"MG_FFI_MAX_REQUEST_CAP": 3 << 20}
	for body, want := range map[string]int64{
		"(16u * 1024u * 1024u)":  16 << 20,
		"(-22)":                  -22,
		"30000u":                 30000,
		"0x10UL":                 16,
		"MG_FFI_MAX_REQUEST_CAP": 3 << 20,
		"(1 << 4) | 1":           17,
	} {
		if got, ok := intExpr(body, known); !ok || got != want {
			t.Errorf("intExpr(%q) = %d, %v; want %d", body, got, ok, want)
		}
	}
	for _, body := range []string{`__declspec(dllexport)`, `__attribute__((visibility("default")))`, "UNKNOWN", "1 / 0"} {
		if v, ok := intExpr(body, known); ok {
			t.Errorf("intExpr(%q) = %d, want no constant", body, v)
		}
	}
}
