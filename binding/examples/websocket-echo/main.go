// Command websocket-echo serves a page at / that talks to a WebSocket echo at /ws.
//
//	MONGOOSE_LIBRARY=/path/to/mongoose.so go run ./examples/websocket-echo
//	open http://127.0.0.1:8000/
package main

import (
	"context"
	"flag"
	"log"
	"os/signal"
	"syscall"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
)

const page = `<!doctype html><title>echo</title>
<input id=msg value="hello"><button onclick="ws.send(msg.value)">send</button><pre id=log></pre>
<script>
const ws = new WebSocket(location.href.replace(/^http/, "ws") + "ws");
ws.onmessage = e => log.textContent += e.data + "\n";
</script>`

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
	log.Printf("websocket-echo on %s", *addr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	mgr.Run(ctx, func(e *mongoose.Event) {
		switch e.Type {
		case mongoose.EvHTTPMsg:
			if e.URI == "/ws" {
				mgr.Upgrade(e.ID, "")
			} else {
				mgr.Reply(e.ID, 200, "Content-Type: text/html\r\n", []byte(page))
			}
		case mongoose.EvWSMsg:
			mgr.SendWS(e.ID, e.Body, e.Status) // same opcode: text stays text
		}
	})
}
