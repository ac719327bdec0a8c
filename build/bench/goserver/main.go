// Command goserver is the benchmark's Go servers: the binding doing exactly
// what cserver.c does, or net/http for reference.
// Usage: goserver -port N [-nethttp]. Prints "ready" once listening.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
)

func main() {
	port := flag.String("port", "", "port to listen on")
	nethttp := flag.Bool("nethttp", false, "serve with net/http instead of mongoose")
	flag.Parse()
	if *nethttp {
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("hello"))
		})
		ln, err := net.Listen("tcp", "127.0.0.1:"+*port)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("ready")
		log.Fatal(http.Serve(ln, nil))
	}
	lib, err := mongoose.Open(os.Getenv(mongoose.EnvLibrary))
	if err != nil {
		log.Fatal(err)
	}
	mgr, err := lib.NewManager()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := mgr.Listen(mongoose.HTTP, "http://127.0.0.1:"+*port, nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println("ready")
	hello := []byte("hello")
	for {
		events, err := mgr.Poll(100 * time.Millisecond)
		if err != nil {
			log.Fatal(err)
		}
		for i := range events {
			e := &events[i]
			switch e.Type {
			case mongoose.EvHTTPMsg:
				if e.URI == "/ws" {
					mgr.Upgrade(e.ID, "")
				} else {
					mgr.Reply(e.ID, 200, "Content-Type: text/plain\r\n", hello)
				}
			case mongoose.EvWSMsg:
				mgr.SendWS(e.ID, e.Body, e.Status)
			}
		}
	}
}
