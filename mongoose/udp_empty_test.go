package mongoose

import (
	"testing"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
)

// An empty UDP send is refused and leaves the socket open: mongoose took
// its 0 bytes sent for a failure and closed the connection (found by the
// memory-check driver, build/memcheck).
func TestUDPEmptySendKeepsConnection(t *testing.T) {
	udp := serve(t, mongoose.UDP, "udp", nil, func(m *mongoose.Manager, e *mongoose.Event) {
		if e.Type == mongoose.EvRead {
			m.Send(e.ID, e.Body)
		}
	})
	mgr, err := library(t).NewManager()
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	id, err := mgr.Connect(mongoose.UDP, "udp://"+udp.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		evs, err := mgr.Poll(20 * time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			switch {
			case e.Type == mongoose.EvConnect && e.ID == id:
				if err := mgr.Send(id, nil); err == nil {
					t.Error("an empty UDP datagram was accepted")
				}
				if err := mgr.Send(id, []byte("still open")); err != nil {
					t.Fatalf("after an empty send: %v", err)
				}
			case e.Type == mongoose.EvRead && e.ID == id:
				if string(e.Body) != "still open" {
					t.Errorf("echo %q", e.Body)
				}
				return
			case e.Type == mongoose.EvClose && e.ID == id:
				t.Fatal("the UDP client was closed")
			}
		}
	}
	t.Fatal("no echo within 10 s")
}
