package cdecl

import (
	"slices"
	"testing"
)

func TestSplitAndName(t *testing.T) {
	pre := `# 1 "/usr/include/stdio.h" 1
int printf(const char *, ...);
#pragma pack(push, 8)
# 7 "C:\\src\\mongoose.h" 2
static const char *sep = "a;b{";
struct mg_str { char *buf; unsigned long len; };
int mg_call(int (*cb)(void *, int),
            void *arg);
static inline int mg_inline(int x) { return x; }
int mg_defined(void) { return 1; }
void (*mg_hook)(char c);
typedef int (*mg_fn_t)(int);
__attribute__((visibility("default"))) void mg_vis(void) __attribute__((nonnull(1)));
`
	var got []string
	for _, d := range Split(pre) {
		got = append(got, d.File+":"+FunctionName(d.Text))
	}
	want := []string{"stdio.h:printf", "mongoose.h:", "mongoose.h:", "mongoose.h:mg_call", "mongoose.h:", "mongoose.h:mg_defined",
		"mongoose.h:", "mongoose.h:", "mongoose.h:mg_vis"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
