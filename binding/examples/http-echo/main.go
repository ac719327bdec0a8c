// Command http-echo answers every request with what it received.
//
//	MONGOOSE_LIBRARY=/path/to/mongoose.so go run ./examples/http-echo
//	curl -d hello 'http://127.0.0.1:8000/some/path?x=1'
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
)

func main() {
	addr := flag.String("listen", "http://127.0.0.1:8000", "URL to listen on")
	lib := flag.String("lib", "", "the mongoose library (default: $MONGOOSE_LIBRARY, then the search path)")
	flag.Parse()
	l, err := mongoose.Open(*lib)
	if err != nil {
		log.Fatal(err)
	}
	mgr, err := l.NewManager()
	if err != nil {
		log.Fatal(err)
	}
	defer mgr.Close()
	if _, err := mgr.Listen(mongoose.HTTP, *addr, nil); err != nil {
		log.Fatal(err)
	}
	log.Printf("http-echo on %s (mongoose %s)", *addr, l.Version)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	mgr.Run(ctx, func(e *mongoose.Event) {
		if e.Type != mongoose.EvHTTPMsg {
			return
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s", e.Method, e.URI)
		if e.Query != "" {
			b.WriteString("?" + e.Query)
		}
		fmt.Fprintf(&b, " %s\nfrom %s\n", e.Proto, e.Remote)
		for _, h := range e.Headers {
			fmt.Fprintf(&b, "%s: %s\n", h.Name, h.Value)
		}
		fmt.Fprintf(&b, "\n%s", e.Body)
		mgr.Reply(e.ID, 200, "Content-Type: text/plain\r\n", []byte(b.String()))
	})
}
