package fuzz_test

// Bytes from the network, sent to the real library's HTTP, WebSocket and
// TCP listeners through the Go binding: the server must never crash (a
// crash kills the fuzz process) or hang, and must answer a good request on
// a fresh connection after every input. One server per fuzz process; every
// input gets its own connection.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/build/hostlib"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
)

// deadline bounds every exchange: a server that does not answer a good
// request within it is hung. Generous, for loaded CI machines.
const deadline = 20 * time.Second

// target is the long-lived server of this process.
type target struct {
	http, ws, tcp string // listener addresses
}

var (
	once   sync.Once
	srv    *target
	srvErr error
)

// server starts the process's server on first use: an HTTP listener that
// answers "ok" and upgrades /ws to an echoing WebSocket, and a TCP echo.
func server(tb testing.TB) *target {
	tb.Helper()
	if testing.Short() {
		peer.Skip(tb, "SKIPPED: -short: the server fuzz targets build the library")
	}
	once.Do(func() { srv, srvErr = start() })
	if srvErr != nil {
		if strings.Contains(srvErr.Error(), "cannot obtain mongoose") {
			msg := "SKIPPED: mongoose's source is not available, so the library cannot be built: set MONGOOSE_SRC (see README)\n" + srvErr.Error()
			fmt.Fprintln(os.Stderr, "\n*** "+msg)
			peer.Skip(tb, msg)
		}
		tb.Fatal(srvErr)
	}
	return srv
}

func start() (*target, error) {
	out, err := os.MkdirTemp("", "mongoose-ffi-fuzz-")
	if err != nil {
		return nil, err
	}
	path, err := hostlib.Build(context.Background(), out, io.Discard)
	if err != nil {
		return nil, err
	}
	lib, err := mongoose.Open(path)
	if err != nil {
		return nil, err
	}
	mgr, err := lib.NewManager()
	if err != nil {
		return nil, err
	}
	tg := &target{}
	for _, l := range []struct {
		kind mongoose.Kind
		url  string
		addr *string
	}{{mongoose.HTTP, "http://127.0.0.1:0", &tg.http}, {mongoose.HTTP, "http://127.0.0.1:0", &tg.ws}, {mongoose.TCP, "tcp://127.0.0.1:0", &tg.tcp}} {
		id, err := mgr.Listen(l.kind, l.url, nil)
		if err != nil {
			return nil, err
		}
		if *l.addr, err = mgr.Addr(id, false); err != nil {
			return nil, err
		}
	}
	go mgr.Run(context.Background(), func(e *mongoose.Event) {
		switch e.Type {
		case mongoose.EvHTTPMsg:
			if e.URI == "/ws" {
				mgr.Upgrade(e.ID, "")
			} else {
				mgr.Reply(e.ID, 200, "Content-Type: text/plain\r\n", []byte("ok"))
			}
		case mongoose.EvWSMsg:
			mgr.SendWS(e.ID, e.Body, e.Status)
		case mongoose.EvRead:
			mgr.Send(e.ID, e.Body)
		}
	})
	return tg, nil
}

// send writes data on a fresh connection, reads whatever comes back for a
// moment (the server may answer, close, or wait for more), and closes.
func send(conn net.Conn, data []byte) {
	conn.SetDeadline(time.Now().Add(deadline))
	if _, err := conn.Write(data); err != nil {
		return // the server may close early on garbage: that is fine
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	io.Copy(io.Discard, conn)
	conn.Close()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, deadline)
	if err != nil {
		t.Fatalf("the server no longer accepts connections: %v", err)
	}
	c.SetDeadline(time.Now().Add(deadline))
	return c
}

// answersHTTP fails unless a good request on a fresh connection gets 200 ok.
func answersHTTP(t *testing.T, addr string) {
	t.Helper()
	c := dial(t, addr)
	defer c.Close()
	fmt.Fprintf(c, "GET /health HTTP/1.1\r\nHost: fuzz\r\n\r\n")
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("after the input, a good request got %q, %v", line, err)
	}
}

// wsHandshake upgrades c to WebSocket and returns its reader.
func wsHandshake(t *testing.T, c net.Conn) *bufio.Reader {
	t.Helper()
	k := make([]byte, 16)
	rand.Read(k)
	key := base64.StdEncoding.EncodeToString(k)
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: fuzz\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", key)
	r := bufio.NewReader(c)
	var head []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("WebSocket handshake: %v after %q", err, head)
		}
		if line == "\r\n" {
			break
		}
		head = append(head, line)
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if len(head) == 0 || !strings.HasPrefix(head[0], "HTTP/1.1 101") || !strings.Contains(strings.Join(head, ""), base64.StdEncoding.EncodeToString(sum[:])) {
		t.Fatalf("WebSocket handshake answered %q", head)
	}
	return r
}

// wsFrame is one masked client frame.
func wsFrame(op byte, payload []byte) []byte {
	b := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n < 1<<16:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	mask := []byte{1, 2, 3, 4}
	b = append(b, mask...)
	for i, c := range payload {
		b = append(b, c^mask[i%4])
	}
	return b
}

// answersWS fails unless a fresh WebSocket echoes a text message.
func answersWS(t *testing.T, addr string) {
	t.Helper()
	c := dial(t, addr)
	defer c.Close()
	r := wsHandshake(t, c)
	c.Write(wsFrame(1, []byte("ping")))
	got := make([]byte, 6)
	if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, []byte{0x81, 4, 'p', 'i', 'n', 'g'}) {
		t.Fatalf("after the input, a WebSocket echo got % x, %v", got, err)
	}
}

// answersTCP fails unless a fresh TCP connection echoes.
func answersTCP(t *testing.T, addr string) {
	t.Helper()
	c := dial(t, addr)
	defer c.Close()
	c.Write([]byte("ping"))
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping" {
		t.Fatalf("after the input, a TCP echo got %q, %v", got, err)
	}
}

// FuzzHTTP sends any bytes as the start of an HTTP connection.
func FuzzHTTP(f *testing.F) {
	s := server(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		send(dial(t, s.http), data)
		answersHTTP(t, s.http)
	})
}

// FuzzWebSocket sends any bytes after a successful upgrade.
func FuzzWebSocket(f *testing.F) {
	s := server(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c := dial(t, s.ws)
		wsHandshake(t, c)
		send(c, data)
		answersWS(t, s.ws)
	})
}

// FuzzTCP sends any bytes to the raw TCP echo.
func FuzzTCP(f *testing.F) {
	s := server(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		send(dial(t, s.tcp), data)
		answersTCP(t, s.tcp)
	})
}
