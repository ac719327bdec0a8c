package mongoose_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
)

// Serve HTTP by polling for events.
func Example() {
	lib, err := mongoose.Open("") // $MONGOOSE_LIBRARY, beside the executable, or the search path
	if err != nil {
		log.Fatal(err)
	}
	mgr, err := lib.NewManager()
	if err != nil {
		log.Fatal(err)
	}
	defer mgr.Close()
	if _, err := mgr.Listen(mongoose.HTTP, "http://127.0.0.1:8000", nil); err != nil {
		log.Fatal(err)
	}
	for {
		events, err := mgr.Poll(100 * time.Millisecond)
		if err != nil {
			log.Fatal(err)
		}
		for _, e := range events {
			if e.Type == mongoose.EvHTTPMsg {
				mgr.Reply(e.ID, 200, "Content-Type: text/plain\r\n", []byte("hello\n"))
			}
		}
	}
}

// Serve any net/http handler through mongoose, over TLS.
func ExampleManager_HTTPHandler() {
	lib, err := mongoose.Open("")
	if err != nil {
		log.Fatal(err)
	}
	mgr, err := lib.NewManager()
	if err != nil {
		log.Fatal(err)
	}
	defer mgr.Close()
	var cert, key []byte // PEM, e.g. from os.ReadFile
	if _, err := mgr.Listen(mongoose.HTTP, "https://0.0.0.0:8443", &mongoose.TLS{Cert: cert, Key: key}); err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello from net/http on mongoose") })
	log.Fatal(mgr.Run(context.Background(), mgr.HTTPHandler(mux)))
}

// Echo WebSocket messages.
func ExampleManager_Upgrade() {
	lib, _ := mongoose.Open("")
	mgr, _ := lib.NewManager()
	defer mgr.Close()
	mgr.Listen(mongoose.HTTP, "http://127.0.0.1:8000", nil)
	mgr.Run(context.Background(), func(e *mongoose.Event) {
		switch e.Type {
		case mongoose.EvHTTPMsg:
			mgr.Upgrade(e.ID, "") // answer this request with the WebSocket handshake
		case mongoose.EvWSMsg:
			mgr.SendWS(e.ID, e.Body, e.Status)
		}
	})
}

// Wake a polling manager from another goroutine.
func ExampleManager_Wakeup() {
	lib, _ := mongoose.Open("")
	mgr, _ := lib.NewManager()
	defer mgr.Close()
	id, _ := mgr.Listen(mongoose.TCP, "tcp://127.0.0.1:9000", nil)
	go func() { mgr.Wakeup(id, []byte("work is ready")) }()
	events, _ := mgr.Poll(time.Second)
	for _, e := range events {
		if e.Type == mongoose.EvWakeup {
			fmt.Printf("%s\n", e.Body)
		}
	}
}
