// Package soak runs the Go binding's server (build/soak/server, on the real
// library) under mixed loopback load for a bounded time — HTTP keep-alive
// and new connections, HTTPS, WebSocket echo, slow clients, oversized
// requests, wakeups from other goroutines — and prints "soak <name> <value>"
// lines. `go tool mage soak` fails when a goal is missed: 0 unexpected
// errors, 0 dropped wakeups, the fd count back to its start, RSS growth
// over the second half under 5%.
package soak

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/mongoose-ffi/mongoose-ffi/build/hostlib"
	"github.com/mongoose-ffi/mongoose-ffi/build/testpki"
)

// Env sets the soak's duration ("10s", "5m"); the default is DefaultDuration.
const Env = "MONGOOSE_FFI_SOAK"

// DefaultDuration is the soak's length unless Env says otherwise.
const DefaultDuration = 60 * time.Second

// Goals besides 0 errors, 0 dropped or reordered wakeups, a 413 for every
// oversized request and fds back to their start.
const (
	MaxRSSGrowthPct = 5.0
	OversizedBytes  = 4 << 20 // over the 3 MB request limit: answered 413
)

// glibc raises its mmap threshold each time a big block (a 4 MB upload's
// buffer) is freed, after which such blocks come from arenas that keep the
// memory once freed: RSS then climbs for minutes towards a plateau with no
// leak (measured: +21% over a 60 s soak's second half; without the uploads,
// or with the threshold pinned, +1-2%). The server runs with the threshold
// pinned at glibc's initial 128 KiB, so RSS tracks what the program holds.
// Set MALLOC_MMAP_THRESHOLD_ yourself to override.
const (
	MallocEnv    = "MALLOC_MMAP_THRESHOLD_"
	mallocPinned = "131072"
)

// Figures is what one soak measured.
type Figures struct {
	Requests          int64 // answered as expected, all kinds
	Errors            int64 // unexpected failures
	WakeupsSent       int64 // Wakeup calls that returned nil
	WakeupErrors      int64 // Wakeup calls that returned an error
	WakeupsDropped    int64 // returned nil, never delivered
	WakeupsOutOfOrder int64
	Oversized         int64 // oversized requests sent
	Oversized413      int64 // answered 413
	OversizedNo413    int64 // answered otherwise or not at all (report-only until limits land)
	Truncated         int64 // requests the server got cut short, as if whole (report-only until limits land)
	FDsBefore         int
	FDsAfter          int
	RSSStart          int64   // KiB, each the median of a window (see Run)
	RSSMiddle         int64   // the window ending at half time
	RSSEnd            int64   // the window ending at the end
	RSSPeakFirst      int64   // highest sample of the first half, after the warm-up
	RSSPeakSecond     int64   // highest sample of the second half
	RSSGrowthPct      float64 // end over middle
}

// Main is `go tool mage soak`.
func Main(ctx context.Context) error {
	d := DefaultDuration
	if s := os.Getenv(Env); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < 3*time.Second {
			return fmt.Errorf("%s=%q: want a duration of at least 3s, such as 10s or 5m", Env, s)
		}
	}
	lib, err := hostlib.Build(ctx, "out", os.Stdout)
	if err != nil {
		return err
	}
	f, err := Run(ctx, lib, d, os.Stdout)
	if err != nil {
		return err
	}
	return Check(f)
}

// Check fails when a goal is missed.
func Check(f *Figures) error {
	var missed []string
	if f.Errors != 0 {
		missed = append(missed, fmt.Sprintf("%d unexpected errors", f.Errors))
	}
	if f.WakeupsDropped != 0 || f.WakeupsOutOfOrder != 0 {
		missed = append(missed, fmt.Sprintf("%d dropped and %d out-of-order wakeups", f.WakeupsDropped, f.WakeupsOutOfOrder))
	}
	if f.OversizedNo413 != 0 || f.Truncated != 0 {
		missed = append(missed, fmt.Sprintf("%d of %d oversized requests got no 413; %d arrived truncated",
			f.OversizedNo413, f.Oversized, f.Truncated))
	}
	if f.FDsAfter != f.FDsBefore {
		missed = append(missed, fmt.Sprintf("open fds %d after, %d before", f.FDsAfter, f.FDsBefore))
	}
	if f.RSSGrowthPct >= MaxRSSGrowthPct {
		missed = append(missed, fmt.Sprintf("RSS grew %.1f%% over the second half (goal < %.0f%%)", f.RSSGrowthPct, MaxRSSGrowthPct))
	}
	if len(missed) > 0 {
		return fmt.Errorf("soak: goals missed: %s", strings.Join(missed, "; "))
	}
	return nil
}

// Run builds and starts the server on lib, loads it for d and returns the
// figures, printing each as "soak <name> <value>".
func Run(ctx context.Context, lib string, d time.Duration, out io.Writer) (*Figures, error) {
	work, err := os.MkdirTemp("", "mongoose-ffi-soak-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	pool, err := writeCert(work)
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(work, "server")
	if b, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./build/soak/server").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the soak server: %w\n%s", err, b)
	}
	abs, _ := filepath.Abs(lib)
	cmd := exec.CommandContext(ctx, bin, "-cert", filepath.Join(work, "cert.pem"), "-key", filepath.Join(work, "key.pem"))
	cmd.Env = append(os.Environ(), "MONGOOSE_LIBRARY="+abs)
	if os.Getenv(MallocEnv) == "" {
		cmd.Env = append(cmd.Env, MallocEnv+"="+mallocPinned)
	}
	cmd.Stderr = os.Stderr
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	var httpAddr, httpsAddr string
	if _, serr := fmt.Sscanf(line, "ready %s %s", &httpAddr, &httpsAddr); err != nil || serr != nil {
		return nil, fmt.Errorf("the soak server did not start: %q, %v", line, err)
	}
	pid := cmd.Process.Pid
	f := &Figures{}
	if f.FDsBefore, err = fds(pid); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "soak: %s of mixed load on %s (HTTP) and %s (HTTPS), server pid %d\n", d, httpAddr, httpsAddr, pid)

	l := &load{http: "http://" + httpAddr, https: "https://" + httpsAddr, ws: "ws://" + httpAddr + "/ws",
		tlsConf: &tls.Config{RootCAs: pool, ServerName: "localhost"}, f: f}
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	l.begin, l.pid = time.Now(), pid
	l.start(lctx, &wg)

	// RSS is sampled right after each oversized upload ends, once the
	// server has run its garbage collector and returned free memory to the
	// OS: an upload in flight holds some 13 MB (mongoose's 3 MB receive
	// buffer, the glue's batch, the Go copy), so samples taken at random
	// moments swing by that much. Each figure is the median of the samples
	// in a window of max(d/6, 5s): start right after a warm-up in which
	// buffers and pools reach their working size, middle ending at d/2, end
	// ending at d. Growth is end over middle.
	sleep(ctx, d)
	stop()
	wg.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	warm, win := min(5*time.Second, d/6), max(d/6, 5*time.Second)
	var startW, midW, endW []int64
	for _, smp := range l.samples {
		if smp.at >= warm && smp.at < warm+win {
			startW = append(startW, smp.kib)
		}
		if smp.at >= d/2-win && smp.at < d/2 {
			midW = append(midW, smp.kib)
		}
		if smp.at >= d-win {
			endW = append(endW, smp.kib)
		}
		if smp.at >= warm && smp.at < d/2 {
			f.RSSPeakFirst = max(f.RSSPeakFirst, smp.kib)
		} else if smp.at >= d/2 {
			f.RSSPeakSecond = max(f.RSSPeakSecond, smp.kib)
		}
	}
	f.RSSStart, f.RSSMiddle, f.RSSEnd = median(startW), median(midW), median(endW)
	if f.RSSMiddle > 0 {
		f.RSSGrowthPct = float64(f.RSSEnd-f.RSSMiddle) * 100 / float64(f.RSSMiddle)
	}

	// The senders stop; wakeups still in flight arrive; then sent and
	// received are final.
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := c.Get(l.http + "/stop-wakeups"); err != nil {
		return nil, fmt.Errorf("stopping the wakeups: %w", err)
	} else {
		resp.Body.Close()
	}
	var s serverStats
	for prev := int64(-1); ; prev = s.WakeupsReceived {
		sleep(ctx, 500*time.Millisecond)
		if s, err = stats(l.http); err != nil {
			return nil, err
		}
		if s.WakeupsReceived == prev {
			break
		}
	}
	f.WakeupsSent, f.WakeupErrors, f.WakeupsOutOfOrder = s.WakeupsSent, s.WakeupErrors, s.WakeupsOutOfOrd
	f.WakeupsDropped = s.WakeupsSent - s.WakeupsReceived
	f.Truncated = s.Truncated

	// Every connection the load opened is closed by now or soon.
	deadline := time.Now().Add(15 * time.Second)
	for {
		if f.FDsAfter, err = fds(pid); err != nil {
			return nil, err
		}
		if f.FDsAfter <= f.FDsBefore || time.Now().After(deadline) {
			break
		}
		sleep(ctx, 200*time.Millisecond)
	}
	printFigures(out, f)
	return f, nil
}

func printFigures(out io.Writer, f *Figures) {
	for _, kv := range []struct {
		k string
		v any
	}{
		{"requests", f.Requests}, {"errors", f.Errors},
		{"wakeups_sent", f.WakeupsSent}, {"wakeup_errors", f.WakeupErrors},
		{"dropped_wakeups", f.WakeupsDropped}, {"out_of_order_wakeups", f.WakeupsOutOfOrder},
		{"oversized_requests", f.Oversized}, {"oversized_413", f.Oversized413}, {"oversized_no_413", f.OversizedNo413},
		{"truncated_requests", f.Truncated},
		{"fds_before", f.FDsBefore}, {"fds_after", f.FDsAfter},
		{"rss_start_kib", f.RSSStart}, {"rss_middle_kib", f.RSSMiddle}, {"rss_end_kib", f.RSSEnd},
		{"rss_peak_first_half_kib", f.RSSPeakFirst}, {"rss_peak_second_half_kib", f.RSSPeakSecond},
		{"rss_growth_second_half_pct", strconv.FormatFloat(f.RSSGrowthPct, 'f', 2, 64)},
	} {
		fmt.Fprintf(out, "soak %s %v\n", kv.k, kv.v)
	}
}

func median(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

type serverStats struct {
	WakeupsSent, WakeupErrors, WakeupsReceived, WakeupsOutOfOrd, Truncated int64
}

func stats(base string) (serverStats, error) {
	var s serverStats
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(base + "/stats")
	if err != nil {
		return s, fmt.Errorf("soak server stats: %w", err)
	}
	defer resp.Body.Close()
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

// fds counts the process's open file descriptors (Linux /proc).
func fds(pid int) (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, fmt.Errorf("soak counts fds in /proc (Linux only): %w", err)
	}
	return len(ents), nil
}

// rss is the process's resident set in KiB (Linux /proc).
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS")
}

// writeCert writes a CA-signed certificate for localhost into dir and
// returns the CA pool that verifies it.
func writeCert(dir string) (*x509.CertPool, error) {
	ca, err := testpki.NewCA("soak CA")
	if err != nil {
		return nil, err
	}
	cert, key, err := ca.Issue(testpki.Localhost(x509.ExtKeyUsageServerAuth))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), cert, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), key, 0o600); err != nil {
		return nil, err
	}
	return ca.Pool, nil
}

// load is the set of clients.
type load struct {
	http, https, ws string
	tlsConf         *tls.Config
	f               *Figures
	mu              sync.Mutex
	firstErrs       []string

	begin   time.Time
	pid     int
	samples []sample // RSS after each upload; only the uploader appends
}

type sample struct {
	at  time.Duration // since begin
	kib int64
}

func (l *load) ok() { atomic.AddInt64(&l.f.Requests, 1) }

// fail counts an unexpected error; the first few are printed.
func (l *load) fail(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		return // the soak is ending: cut-off requests are not failures
	}
	atomic.AddInt64(&l.f.Errors, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.firstErrs) < 10 {
		l.firstErrs = append(l.firstErrs, what+": "+err.Error())
		fmt.Fprintf(os.Stderr, "soak error: %s: %v\n", what, err)
	}
}

func (l *load) start(ctx context.Context, wg *sync.WaitGroup) {
	run := func(n int, f func(ctx context.Context)) {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					f(ctx)
				}
			}()
		}
	}
	keep := &http.Client{Timeout: 30 * time.Second}
	fresh := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	tlsKeep := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: l.tlsConf}}
	tlsFresh := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: l.tlsConf, DisableKeepAlives: true}}
	defer func() {
		go func() { // idle keep-alive connections close when the load ends
			<-ctx.Done()
			wg.Wait()
			keep.CloseIdleConnections()
			tlsKeep.CloseIdleConnections()
		}()
	}()
	run(2, func(ctx context.Context) { l.get(ctx, keep, l.http+"/keep", "http keep-alive") })
	run(1, func(ctx context.Context) { l.get(ctx, fresh, l.http+"/fresh", "http new connection") })
	run(1, func(ctx context.Context) { l.get(ctx, tlsKeep, l.https+"/tls", "https keep-alive") })
	run(1, func(ctx context.Context) {
		l.get(ctx, tlsFresh, l.https+"/tls-fresh", "https new connection")
		sleep(ctx, 20*time.Millisecond) // handshakes are dear on two shared cores
	})
	run(1, l.websocket)
	run(3, l.slow)
	run(1, l.oversized)
}

func (l *load) get(ctx context.Context, c *http.Client, url, what string) {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := c.Do(req)
	if err != nil {
		l.fail(ctx, what, err)
		return
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || string(body) != "ok" {
		l.fail(ctx, what, fmt.Errorf("status %d, body %q, %v", resp.StatusCode, body, err))
		return
	}
	l.ok()
}

// websocket echoes 100 messages of growing size on one connection, then
// closes it and starts over.
func (l *load) websocket(ctx context.Context) {
	c, _, err := websocket.Dial(ctx, l.ws, nil)
	if err != nil {
		l.fail(ctx, "websocket dial", err)
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	for i := 0; i < 100 && ctx.Err() == nil; i++ {
		msg := bytes.Repeat([]byte{byte('a' + i%26)}, 1+i*97)
		if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
			l.fail(ctx, "websocket write", err)
			return
		}
		_, got, err := c.Read(ctx)
		if err != nil || !bytes.Equal(got, msg) {
			l.fail(ctx, "websocket echo", fmt.Errorf("%d bytes back for %d, %v", len(got), len(msg), err))
			return
		}
		l.ok()
	}
	c.Close(websocket.StatusNormalClosure, "")
}

// slow sends a request a few bytes at a time over about two seconds.
func (l *load) slow(ctx context.Context) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", strings.TrimPrefix(l.http, "http://"))
	if err != nil {
		l.fail(ctx, "slow client dial", err)
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	req := []byte("GET /slow HTTP/1.1\r\nHost: soak\r\nUser-Agent: slow-client\r\nConnection: close\r\n\r\n")
	for i := 0; i < len(req); i += 4 {
		if _, err := conn.Write(req[i:min(i+4, len(req))]); err != nil {
			l.fail(ctx, "slow client write", err)
			return
		}
		sleep(ctx, 100*time.Millisecond)
		if ctx.Err() != nil {
			return
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		l.fail(ctx, "slow client read", err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "ok" {
		l.fail(ctx, "slow client", fmt.Errorf("status %d, body %q", resp.StatusCode, body))
		return
	}
	l.ok()
}

// oversized posts a body over the size limit every two seconds. Until the
// limits work lands the connection is reset with no answer: counted as
// oversized_no_413, reported, not an error.
func (l *load) oversized(ctx context.Context) {
	sleep(ctx, 2*time.Second)
	if ctx.Err() != nil {
		return
	}
	atomic.AddInt64(&l.f.Oversized, 1)
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequestWithContext(ctx, "POST", l.http+"/upload", bytes.NewReader(make([]byte, OversizedBytes)))
	resp, err := c.Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusRequestEntityTooLarge {
			atomic.AddInt64(&l.f.Oversized413, 1)
			l.sampleRSS(ctx)
			return
		}
	}
	if ctx.Err() == nil {
		atomic.AddInt64(&l.f.OversizedNo413, 1)
	}
	l.sampleRSS(ctx)
}

// sampleRSS records the server's RSS after its garbage collector has run.
func (l *load) sampleRSS(ctx context.Context) {
	req, _ := http.NewRequestWithContext(ctx, "GET", l.http+"/gc", nil)
	resp, err := (&http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		l.fail(ctx, "gc", err)
		return
	}
	resp.Body.Close()
	if r, err := rss(l.pid); err == nil && ctx.Err() == nil {
		l.samples = append(l.samples, sample{time.Since(l.begin), r})
	}
}
