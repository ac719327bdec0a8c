// Package mongoose runs HTTP, WebSocket, TCP and UDP servers and clients on
// the mongoose C library (with OpenSSL for TLS) built by mongoose-ffi, loaded
// at run time: no cgo, no C toolchain.
//
// Load the library, make a Manager, listen, and poll for events:
//
//	lib, err := mongoose.Open("")           // $MONGOOSE_LIBRARY, beside the executable, or the OS search path
//	mgr, err := lib.NewManager()
//	id, err := mgr.Listen(mongoose.HTTP, "http://127.0.0.1:8000", nil)
//	for {
//		events, err := mgr.Poll(100 * time.Millisecond)
//		for _, ev := range events {
//			if ev.Type == mongoose.EvHTTPMsg {
//				mgr.Reply(ev.ID, 200, "Content-Type: text/plain\r\n", []byte("hello\n"))
//			}
//		}
//	}
//
// A Manager belongs to one goroutine: only Wakeup may be called from others.
package mongoose
