package mongoose

// Wakeup is lossless or fails loudly: every nil error is one event, in
// order per sender; oversized payloads and a full queue are errors.

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
)

// wakeupRetry sends b, retrying while the queue is full (ErrBusy): what a
// producer faster than the poller is told to do.
func wakeupRetry(m *mongoose.Manager, id uint64, b []byte) error {
	for {
		err := m.Wakeup(id, b)
		if !errors.Is(err, mongoose.ErrBusy) {
			return err
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWakeupManySendersAllDeliveredInOrder(t *testing.T) {
	const senders, each = 8, 100_000
	var (
		mu       sync.Mutex
		next     [senders]uint32 // the sequence number each sender is due
		received atomic.Int64
		bad      []string
	)
	var s *server
	s = serve(t, mongoose.TCP, "tcp", nil, func(m *mongoose.Manager, e *mongoose.Event) {
		if e.Type != mongoose.EvWakeup || e.ID != s.id {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if len(e.Body) != 5 || e.Body[0] >= senders {
			bad = append(bad, "malformed payload")
			return
		}
		k, seq := e.Body[0], binary.LittleEndian.Uint32(e.Body[1:])
		if seq != next[k] {
			if len(bad) < 5 {
				bad = append(bad, "out of order")
				t.Errorf("sender %d: got %d, want %d", k, seq, next[k])
			}
		}
		next[k] = seq + 1
		received.Add(1)
	})
	var wg sync.WaitGroup
	var sent atomic.Int64
	began := time.Now()
	for k := range senders {
		wg.Go(func() {
			var b [5]byte
			b[0] = byte(k)
			for i := range each {
				binary.LittleEndian.PutUint32(b[1:], uint32(i))
				if err := wakeupRetry(s.mgr, s.id, b[:]); err != nil {
					t.Errorf("sender %d wakeup %d: %v", k, i, err)
					return
				}
				sent.Add(1)
			}
		})
	}
	wg.Wait()
	t.Logf("%d wakeups queued in %v", sent.Load(), time.Since(began))
	// Wait while deliveries progress; a stall means loss.
	last, stalled := int64(-1), time.Now()
	for received.Load() < sent.Load() {
		if n := received.Load(); n != last {
			last, stalled = n, time.Now()
		} else if time.Since(stalled) > 10*time.Second {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%d delivered in %v", received.Load(), time.Since(began))
	if got, want := received.Load(), sent.Load(); got != want || want != senders*each {
		t.Fatalf("%d wakeups returned nil, %d delivered (want %d)", want, got, senders*each)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("bad deliveries: %v", bad)
	}
}

func TestWakeupLargePayloadsIntact(t *testing.T) {
	got := make(chan []byte, 1)
	var s *server
	s = serve(t, mongoose.TCP, "tcp", nil, func(m *mongoose.Manager, e *mongoose.Event) {
		if e.Type == mongoose.EvWakeup && e.ID == s.id {
			got <- e.Body
		}
	})
	for _, n := range []int{64 << 10, 200 << 10, 1 << 20, mongoose.MaxWakeup} {
		want := make([]byte, n)
		rand.Read(want)
		if err := wakeupRetry(s.mgr, s.id, want); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		select {
		case b := <-got:
			if !bytes.Equal(b, want) {
				t.Fatalf("%d bytes sent, %d different bytes delivered", n, len(b))
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%d bytes: Wakeup returned nil, nothing delivered", n)
		}
	}
	if err := s.mgr.Wakeup(s.id, make([]byte, mongoose.MaxWakeup+1)); !errors.Is(err, mongoose.ErrTooBig) {
		t.Fatalf("wakeup of MaxWakeup+1 bytes: %v, want ErrTooBig", err)
	}
}

func TestWakeupQueueFullIsAnError(t *testing.T) {
	m, err := library(t).NewManager()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	id, err := m.Listen(mongoose.TCP, "tcp://127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Nobody polls: the queue fills, and then says so.
	chunk := make([]byte, 1<<20)
	n := 0
	for ; n < 1000; n++ {
		if err = m.Wakeup(id, chunk); err != nil {
			break
		}
	}
	if !errors.Is(err, mongoose.ErrBusy) || n < mongoose.MaxWakeupQueue/len(chunk)-1 {
		t.Fatalf("after %d queued MB: %v, want ErrBusy after about %d", n, err, mongoose.MaxWakeupQueue>>20)
	}
	evs, err := m.Poll(0)
	if err != nil {
		t.Fatal(err)
	}
	delivered := 0
	for _, e := range evs {
		if e.Type == mongoose.EvWakeup && len(e.Body) == len(chunk) {
			delivered++
		}
	}
	if delivered != n {
		t.Fatalf("%d wakeups accepted, %d delivered", n, delivered)
	}
	if err := m.Wakeup(id, chunk); err != nil {
		t.Fatalf("after a poll drained the queue: %v", err)
	}
}

// Run with -race: Close frees the manager while other goroutines call Wakeup.
func TestWakeupRacingClose(t *testing.T) {
	l := library(t)
	for range 20 {
		m, err := l.NewManager()
		if err != nil {
			t.Fatal(err)
		}
		id, err := m.Listen(mongoose.TCP, "tcp://127.0.0.1:0", nil)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 4 {
			wg.Go(func() {
				<-start
				for {
					err := m.Wakeup(id, []byte("x"))
					if errors.Is(err, mongoose.ErrClosed) {
						return
					}
					if err != nil && !errors.Is(err, mongoose.ErrBusy) {
						t.Errorf("wakeup: %v", err)
						return
					}
				}
			})
		}
		close(start)
		time.Sleep(time.Millisecond)
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if err := m.Wakeup(id, nil); !errors.Is(err, mongoose.ErrClosed) {
			t.Fatalf("wakeup after Close: %v, want ErrClosed", err)
		}
	}
}
