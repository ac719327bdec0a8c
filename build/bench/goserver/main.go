// Command goserver is the benchmark's Go servers: the binding doing exactly
// what cserver.c does, or net/http for reference.
// Usage: goserver -port N [-nethttp]. Prints "ready" once listening. With
// MONGOOSE_FFI_BENCH_TLS_CERT and _KEY naming PEM files, it serves HTTPS.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/build/bench"
)

func main() {
	port := flag.String("port", "", "port to listen on")
	nethttp := flag.Bool("nethttp", false, "serve with net/http instead of mongoose")
	flag.Parse()
	certFile, keyFile := os.Getenv(bench.EnvTLSCert), os.Getenv(bench.EnvTLSKey)
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
		if certFile != "" {
			// Handshakes cut off when a measurement ends are not news.
			srv := &http.Server{ErrorLog: log.New(io.Discard, "", 0)}
			log.Fatal(srv.ServeTLS(ln, certFile, keyFile))
		}
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
	scheme, opts := "http", (*mongoose.TLS)(nil)
	if certFile != "" {
		cert, err := os.ReadFile(certFile)
		if err != nil {
			log.Fatal(err)
		}
		key, err := os.ReadFile(keyFile)
		if err != nil {
			log.Fatal(err)
		}
		scheme, opts = "https", &mongoose.TLS{Cert: cert, Key: key}
	}
	if _, err := mgr.Listen(mongoose.HTTP, scheme+"://127.0.0.1:"+*port, opts); err != nil {
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
