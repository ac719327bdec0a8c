package mongoose

import (
	"slices"
	"testing"
)

func TestDeclared(t *testing.T) {
	pre := `# 1 "/usr/include/stdio.h" 1
int mg_not_ours(void);
# 10 "src/mongoose.h" 2
struct mg_str { char *buf; unsigned long len; };
typedef void (*mg_event_handler_t)(struct mg_connection *, int ev, void *ev_data);
extern int mg_log_level;
void (*mg_log_hook)(char c);
static inline int mg_inline(int x) { return x; }
int mg_after_inline(int a,
                    int b);
struct mg_connection *mg_listen(struct mg_mgr *, const char *url,
                                mg_event_handler_t fn, void *fn_data);
void mg_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((weak)) void mg_weak(void);
enum { MG_EV_OPEN, MG_EV_POLL };
int other_prefix(void);
# 3 "src/mongoose_ffi.h" 1
int32_t mg_ffi_poll(void *m, int32_t ms);
`
	got := Declared(pre, []string{"mongoose.h", "mongoose_ffi.h"}, "mg_")
	want := []string{"mg_after_inline", "mg_ffi_poll", "mg_listen", "mg_log", "mg_weak"}
	if !slices.Equal(got, want) {
		t.Errorf("Declared = %v\nwant       %v", got, want)
	}
}
