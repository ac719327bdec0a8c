// Package bench measures the Go binding against a C program on the same
// library (the ceiling) and against net/http, with one load generator, on
// loopback. It prints "bench <name> <value> <unit>" and "ratio <name> <value>".
package bench

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

//go:embed csrc/cserver.c
var cserver []byte

// Settings of one run.
type Settings struct {
	Conns    int           // concurrent connections
	Duration time.Duration // measured time per figure
	Warmup   time.Duration
	Rounds   int      // every figure is measured this often, interleaved; the median counts
	tlsEnv   []string // the servers' certificate, for the TLS kinds
	// Kinds limits what is measured: "http", "ws", "tls-handshake",
	// "tls-resumed"; empty is all.
	Kinds []string
}

// allKinds are the figures of a run, in order.
var allKinds = []string{"http", "ws", "tls-handshake", "tls-resumed"}

// figure names a kind's figure: "go-http", but "tls-handshake-go".
func figure(srv, kind string) string {
	if strings.HasPrefix(kind, "tls-") {
		return kind + "-" + srv
	}
	return srv + "-" + kind
}

// Defaults suit a 2-core machine: enough connections to keep the server busy,
// few enough that the load generator does not starve it. Loopback figures on
// two shared cores swing by 10-20% from one run to the next, so the servers
// take turns over several rounds and each figure is the median.
var Defaults = Settings{Conns: 8, Duration: 3 * time.Second, Warmup: time.Second, Rounds: 5}

// Server is one server under test: a command that prints "ready".
type Server struct {
	Name  string
	Cmd   []string
	Env   []string
	Kinds []string // what it serves, of allKinds; empty: all
}

//go:embed luasrc/luaserver.lua
var luaserver []byte

// Result is one figure.
type Result struct {
	Name  string
	Value float64
	Unit  string
}

// Run measures HTTP requests/s for every server, and WebSocket messages/s
// for all but net/http, in s.Rounds interleaved rounds, and prints each
// figure's median and the ratios of the Go binding to C, paired by round.
func Run(ctx context.Context, s Settings, servers []Server, out io.Writer) (map[string]float64, error) {
	rounds := max(s.Rounds, 1)
	samples := map[string][]float64{}
	var names []string
	units := map[string]string{}
	kinds := s.Kinds
	if len(kinds) == 0 {
		kinds = allKinds
	}
	for _, k := range kinds {
		if !slices.Contains(allKinds, k) {
			return nil, fmt.Errorf("no bench %q: the kinds are %s", k, strings.Join(allKinds, ", "))
		}
	}
	if slices.ContainsFunc(kinds, func(k string) bool { return strings.HasPrefix(k, "tls-") }) {
		dir, err := os.MkdirTemp("", "mongoose-ffi-bench-tls-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if s.tlsEnv, err = tlsFiles(dir); err != nil {
			return nil, err
		}
	}
	for r := 1; r <= rounds; r++ {
		for _, srv := range servers {
			for _, kind := range kinds {
				if len(srv.Kinds) > 0 && !slices.Contains(srv.Kinds, kind) {
					continue
				}
				v, err := measure(ctx, s, srv, kind)
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", srv.Name, kind, err)
				}
				name := figure(srv.Name, kind)
				if r == 1 {
					names = append(names, name)
					units[name] = map[string]string{"http": "req/s", "ws": "msg/s"}[kind]
					if units[name] == "" {
						units[name] = "conn/s"
					}
				}
				samples[name] = append(samples[name], v)
				fmt.Fprintf(out, "round %d/%d: %s %.0f %s\n", r, rounds, name, v, units[name])
			}
		}
	}
	res := map[string]float64{}
	for _, name := range names {
		res[name] = median(samples[name])
		fmt.Fprintf(out, "bench %s %.0f %s\n", name, res[name], units[name])
	}
	// Each binding (go, lua) against C; net/http is there for reference.
	for _, srv := range servers {
		if srv.Name == "c" || strings.HasPrefix(srv.Name, "nethttp") {
			continue
		}
		for _, kind := range []string{"http", "ws"} {
			if r, ok := pairedRatio(samples[srv.Name+"-"+kind], samples["c-"+kind]); ok {
				fmt.Fprintf(out, "ratio %s-%s %.3f\n", srv.Name, kind, r)
			}
		}
	}
	// TLS: the binding against net/http, the same Go client for both.
	for _, kind := range []string{"tls-handshake", "tls-resumed"} {
		if r, ok := pairedRatio(samples[kind+"-go"], samples[kind+"-nethttp"]); ok {
			fmt.Fprintf(out, "ratio %s %.3f\n", kind, r)
		}
	}
	return res, nil
}

// pairedRatio is the median of num[i]/den[i]: each round's two figures were
// measured a few seconds apart, so a machine that speeds up or slows down
// between rounds moves both and leaves their ratio alone.
func pairedRatio(num, den []float64) (float64, bool) {
	var r []float64
	for i := range min(len(num), len(den)) {
		if den[i] > 0 {
			r = append(r, num[i]/den[i])
		}
	}
	if len(r) == 0 {
		return 0, false
	}
	return median(r), true
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

func measure(ctx context.Context, s Settings, srv Server, kind string) (float64, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, srv.Cmd[0], append(srv.Cmd[1:], port)...)
	cmd.Env = append(os.Environ(), srv.Env...)
	if strings.HasPrefix(kind, "tls-") {
		cmd.Env = append(cmd.Env, s.tlsEnv...)
	}
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		return 0, fmt.Errorf("server did not start: %q %w", line, err)
	}
	addr := "127.0.0.1:" + port
	load := map[string]func(context.Context, string, func()) error{"http": httpLoad, "ws": wsLoad,
		"tls-handshake": tlsLoad(false), "tls-resumed": tlsLoad(true)}[kind]
	var count atomic.Int64
	var counting atomic.Bool
	lctx, cancel := context.WithTimeout(ctx, s.Warmup+s.Duration)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, s.Conns)
	for i := 0; i < s.Conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := load(lctx, addr, func() {
				if counting.Load() {
					count.Add(1)
				}
			}); err != nil && lctx.Err() == nil {
				errs <- err
			}
		}()
	}
	time.Sleep(s.Warmup)
	counting.Store(true)
	start := time.Now()
	time.Sleep(s.Duration)
	counting.Store(false)
	elapsed := time.Since(start)
	cancel()
	wg.Wait()
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return float64(count.Load()) / elapsed.Seconds(), nil
}

// httpLoad sends keep-alive GETs one after another on one connection,
// reading each response by its Content-Length.
func httpLoad(ctx context.Context, addr string, done func()) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	go func() { <-ctx.Done(); c.Close() }()
	r := bufio.NewReader(c)
	req := []byte("GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
	for ctx.Err() == nil {
		if _, err := c.Write(req); err != nil {
			return err
		}
		if err := readResponse(r); err != nil {
			return err
		}
		done()
	}
	return nil
}

// readResponse reads one response by its Content-Length.
func readResponse(r *bufio.Reader) error {
	n := -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if line == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
			n, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if n < 0 {
		return fmt.Errorf("response without Content-Length")
	}
	_, err := r.Discard(n)
	return err
}

// wsLoad sends a message and waits for its echo, over and over.
func wsLoad(ctx context.Context, addr string, done func()) error {
	c, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws", nil)
	if err != nil {
		return err
	}
	defer c.CloseNow()
	msg := []byte("hello, websocket")
	for ctx.Err() == nil {
		if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
			return err
		}
		if _, _, err := c.Read(ctx); err != nil {
			return err
		}
		done()
	}
	return nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}
