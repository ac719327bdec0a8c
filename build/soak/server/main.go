// Command server is the soak's server: the Go binding on the real library
// (MONGOOSE_LIBRARY), serving HTTP and HTTPS ("/" answers ok, "/ws" upgrades
// to a WebSocket echo, "/stats" reports its counters as JSON), while
// goroutines send it wakeups until "/stop-wakeups". Usage: server -cert cert.pem -key key.pem.
// Prints "ready <http addr> <https addr>" once listening.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
)

// Stats are the server's counters, as /stats reports them.
type Stats struct {
	WakeupsSent     int64 // Wakeup calls that returned nil
	WakeupErrors    int64 // Wakeup calls that returned an error
	WakeupsReceived int64
	WakeupsOutOfOrd int64 // received out of order for their sender
	HTTPErrorEvents int64 // error events the library raised (informational)
	Truncated       int64 // requests whose body is shorter than their Content-Length
}

var st struct {
	sent, errs, recv, outOfOrder, errEvents, truncated atomic.Int64
	stopped                                            atomic.Bool // /stop-wakeups: the senders end
}

func main() {
	certFile := flag.String("cert", "", "PEM certificate")
	keyFile := flag.String("key", "", "PEM key")
	wakers := flag.Int("wakers", 4, "goroutines sending wakeups")
	every := flag.Duration("wake-every", 2*time.Millisecond, "pause between one goroutine's wakeups")
	flag.Parse()
	cert, err := os.ReadFile(*certFile)
	if err != nil {
		log.Fatal(err)
	}
	key, err := os.ReadFile(*keyFile)
	if err != nil {
		log.Fatal(err)
	}
	lib, err := mongoose.Open(os.Getenv(mongoose.EnvLibrary))
	if err != nil {
		log.Fatal(err)
	}
	mgr, err := lib.NewManager()
	if err != nil {
		log.Fatal(err)
	}
	plain, err := mgr.Listen(mongoose.HTTP, "http://127.0.0.1:0", nil)
	if err != nil {
		log.Fatal(err)
	}
	secure, err := mgr.Listen(mongoose.HTTP, "https://127.0.0.1:0", &mongoose.TLS{Cert: cert, Key: key})
	if err != nil {
		log.Fatal(err)
	}
	a1, _ := mgr.Addr(plain, false)
	a2, _ := mgr.Addr(secure, false)

	// Wakeups: each sender numbers its payloads, so the receiver can check
	// that none is lost and the order holds.
	last := make([]int64, *wakers)
	for w := 0; w < *wakers; w++ {
		go func(w int) {
			buf := make([]byte, 64)
			for seq := int64(1); !st.stopped.Load(); seq++ {
				binary.LittleEndian.PutUint32(buf, uint32(w))
				binary.LittleEndian.PutUint64(buf[4:], uint64(seq))
				if err := mgr.Wakeup(plain, buf); err != nil {
					st.errs.Add(1)
				} else {
					st.sent.Add(1)
				}
				time.Sleep(*every)
			}
		}(w)
	}
	fmt.Println("ready", a1, a2)
	ok := []byte("ok")
	log.Fatal(mgr.Run(context.Background(), func(e *mongoose.Event) {
		switch e.Type {
		case mongoose.EvHTTPMsg:
			switch e.URI {
			case "/ws":
				mgr.Upgrade(e.ID, "")
			case "/stats":
				b, _ := json.Marshal(Stats{WakeupsSent: st.sent.Load(), WakeupErrors: st.errs.Load(),
					WakeupsReceived: st.recv.Load(), WakeupsOutOfOrd: st.outOfOrder.Load(), HTTPErrorEvents: st.errEvents.Load(),
					Truncated: st.truncated.Load()})
				mgr.Reply(e.ID, 200, "Content-Type: application/json\r\n", b)
			case "/gc":
				// The soak reads RSS after this: live memory, not what the
				// collector has yet to return (3 MB request bodies make a
				// sawtooth tens of MB high otherwise).
				debug.FreeOSMemory()
				mgr.Reply(e.ID, 200, "", ok)
			case "/stop-wakeups":
				st.stopped.Store(true)
				mgr.Reply(e.ID, 200, "", ok)
			case "/upload":
				// mongoose 7.22 delivers a request cut at its 3 MB buffer
				// as the connection closes, as if it were whole.
				if cl, ok := e.Header("Content-Length"); ok && cl != strconv.Itoa(len(e.Body)) {
					st.truncated.Add(1)
				}
				mgr.Reply(e.ID, 200, "", []byte(fmt.Sprint(len(e.Body))))
			default:
				mgr.Reply(e.ID, 200, "Content-Type: text/plain\r\n", ok)
			}
		case mongoose.EvWSMsg:
			mgr.SendWS(e.ID, e.Body, e.Status)
		case mongoose.EvWakeup:
			if len(e.Body) == 64 {
				w, seq := binary.LittleEndian.Uint32(e.Body), int64(binary.LittleEndian.Uint64(e.Body[4:]))
				if int(w) < len(last) {
					if seq <= last[w] {
						st.outOfOrder.Add(1)
					}
					last[w] = seq
				}
			}
			st.recv.Add(1)
		case mongoose.EvError:
			st.errEvents.Add(1)
		}
	}))
}
