package mongoose

// Limits of the glue (mongoose_ffi.h), and the errors that enforce them.

// Wakeup's bounds: MG_FFI_WAKEUP_MAX and MG_FFI_WAKEUP_QUEUE_MAX.
const (
	MaxWakeup      = 16 << 20 // bytes in one Wakeup payload
	MaxWakeupQueue = 64 << 20 // undelivered bytes a manager holds, 48 more a message
)

// Sentinels for errors.Is, beside those in load.go.
var (
	ErrBusy   = &Error{Code: -20, Msg: "wakeup queue full: try again after the manager polls"}
	ErrTooBig = &Error{Code: -21, Msg: "over a size limit"}
	// ErrClosed: the manager is closed, or Close is running.
	ErrClosed = errClosed
)
