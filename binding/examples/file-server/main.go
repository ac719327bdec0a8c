// Command file-server serves a directory, with listings.
//
//	MONGOOSE_LIBRARY=/path/to/mongoose.so go run ./examples/file-server -root .
package main

import (
	"context"
	"flag"
	"log"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
)

func main() {
	addr := flag.String("listen", "http://127.0.0.1:8000", "URL to listen on")
	root := flag.String("root", ".", "directory to serve")
	lib := flag.String("lib", "", "the mongoose library (default: $MONGOOSE_LIBRARY, then the search path)")
	flag.Parse()
	dir, err := filepath.Abs(*root)
	if err != nil {
		log.Fatal(err)
	}
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
	log.Printf("serving %s on %s", dir, *addr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	mgr.Run(ctx, func(e *mongoose.Event) {
		if e.Type == mongoose.EvHTTPMsg {
			if err := mgr.ServeDir(e.ID, dir, ""); err != nil {
				log.Print(err)
			}
		}
	})
}
