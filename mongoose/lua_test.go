package mongoose

// The LuaJIT binding (binding/lua), run by luajit against the library built
// for this machine, with real clients: net/http, a WebSocket client, net and
// crypto/tls. Where luajit is installed these fail, never skip.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mongoose-ffi/mongoose-ffi/build/cdefs"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	prebuilt "github.com/mongoose-ffi/mongoose-ffi/build/prebuilt/mode"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
)

var luaDir, _ = filepath.Abs(filepath.Join("..", "binding", "lua"))

// luajit returns the interpreter: a missing one is a missing test peer.
func luajit(t *testing.T) string {
	t.Helper()
	return peer.Need(t, peer.LuaJIT)
}

// luaEnv is the environment for scripts run from the repository's layout.
func luaEnv(extra ...string) []string {
	env := append(os.Environ(), "MONGOOSE_LIBRARY="+libPath, "LUA_PATH="+luaDir+"/?.lua;;")
	return append(env, extra...)
}

// writeCerts writes a CA, a server and a client certificate it signed, and
// another CA, as the unit script expects them.
func writeCerts(t *testing.T) (string, *pki) {
	p, other := newPKI(t), newPKI(t)
	dir := t.TempDir()
	for name, data := range map[string][]byte{"ca.pem": p.caPEM, "srv.pem": p.srvCert, "srv.key": p.srvKey,
		"cli.pem": p.cliCert, "cli.key": p.cliKey, "wrongca.pem": other.caPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, p
}

func TestLuaUnit(t *testing.T) {
	lj := luajit(t)
	library(t)
	certs, _ := writeCerts(t)
	cmd := exec.Command(lj, filepath.Join(luaDir, "tests", "unit.lua"))
	cmd.Env = luaEnv("TEST_EXPORTS="+filepath.Join(filepath.Dir(libPath), verify.ExportsFile), "TEST_CERTS="+certs)
	out, err := cmd.CombinedOutput()
	out = bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n")) // Windows' text-mode stdout
	if err != nil || !bytes.Contains(out, []byte("\nPASS\n")) {
		t.Fatalf("unit.lua: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "FAIL") {
			t.Error(l)
		}
	}
	if peer.Emulated() || prebuilt.On() {
		return // the headers are compared where the sources are; the generator is the same
	}
	// The events and constants equal the headers'.
	got := map[string]map[string]string{"EVENT": {}, "FFIEVENT": {}, "CONST": {}}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Split(l, "\t"); len(f) == 3 && got[f[0]] != nil {
			got[f[0]][f[1]] = f[2]
		}
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	pin, err := Pin()
	if err != nil {
		t.Fatal(err)
	}
	src, err := Sources(context.Background(), pin, cfg.Cache, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	h, err := os.ReadFile(filepath.Join(src, "mongoose.h"))
	if err != nil {
		t.Fatal(err)
	}
	enum := regexp.MustCompile(`(?s)enum mg_event \{.*?\};`).Find(h)
	names := regexp.MustCompile(`(?m)^\s*(MG_EV_\w+)`).FindAllSubmatch(enum, -1)
	if len(names) < 20 {
		t.Fatalf("found %d MG_EV_* names in mongoose.h", len(names))
	}
	want := map[string]string{}
	for i, n := range names {
		want[strconv.Itoa(i)] = string(n[1])
		if got["CONST"][string(n[1])] != strconv.Itoa(i) {
			t.Errorf("constants.%s = %q, want %d", n[1], got["CONST"][string(n[1])], i)
		}
	}
	if fmt.Sprint(got["EVENT"]) != fmt.Sprint(want) {
		t.Errorf("events = %v\nwant %v", got["EVENT"], want)
	}
	ffiWant, defs := map[string]string{}, 0
	// Expressions in the header, evaluated as C does.
	for name, v := range map[string]string{"MG_FFI_WAKEUP_MAX": "16777216", "MG_FFI_WAKEUP_QUEUE_MAX": "67108864",
		"MG_FFI_MAX_REQUEST_CAP": "3145728", "MG_FFI_DEFAULT_MAX_REQUEST": "3145728"} {
		if got["CONST"][name] != v {
			t.Errorf("constants.%s = %q, want %s", name, got["CONST"][name], v)
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^#define (MG_FFI_\w+) +\(?(-?\d+)u?\)?[ \t]*(?://.*)?$`).FindAllSubmatch(glueH, -1) {
		defs++
		if got["CONST"][string(m[1])] != string(m[2]) {
			t.Errorf("constants.%s = %q, want %s", m[1], got["CONST"][string(m[1])], m[2])
		}
		if bytes.HasPrefix(m[1], []byte("MG_FFI_EV_")) {
			ffiWant[string(m[2])] = string(m[1])
		}
	}
	if defs < 25 || fmt.Sprint(got["FFIEVENT"]) != fmt.Sprint(ffiWant) {
		t.Errorf("%d glue constants; ffi_events = %v\nwant %v", defs, got["FFIEVENT"], ffiWant)
	}
}

// luaProc runs a Lua server until the test ends and returns the first line
// it prints that starts with prefix.
func luaProc(t *testing.T, dir string, env []string, prefix string, args ...string) string {
	t.Helper()
	cmd := exec.Command(luajit(t), args...)
	cmd.Dir, cmd.Env = dir, env
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		select {
		case err := <-exited:
			t.Errorf("%v exited early: %v\n%s", args, err, stderr.String())
		default:
			cmd.Process.Kill()
			<-exited
		}
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	timeout := time.After(60 * time.Second) // a guard against a hang only
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("%v ended before printing %q\n%s", args, prefix, stderr.String())
			}
			if strings.HasPrefix(l, prefix) {
				go func() {
					for range lines {
					}
				}()
				return l
			}
		case <-timeout:
			t.Fatalf("%v printed no %q in 60 s\n%s", args, prefix, stderr.String())
		}
	}
}

func TestLuaServers(t *testing.T) {
	library(t)
	certs, p := writeCerts(t)
	files := t.TempDir()
	os.MkdirAll(filepath.Join(files, "static"), 0o755)
	os.WriteFile(filepath.Join(files, "hello.txt"), []byte("hello file\n"), 0o644)
	os.WriteFile(filepath.Join(files, "static", "page.txt"), []byte("a static page\n"), 0o644)
	line := luaProc(t, luaDir, luaEnv("TEST_CERTS="+certs, "TEST_FILES="+files), "PORTS", filepath.Join(luaDir, "tests", "server.lua"))
	ports := map[string]string{}
	for _, f := range strings.Fields(line)[1:] {
		k, v, _ := strings.Cut(f, "=")
		ports[k] = "127.0.0.1:" + v
	}
	tlsConf := &tls.Config{RootCAs: p.pool}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConf}}
	for _, base := range []string{"http://" + ports["http"], "https://" + ports["https"]} {
		t.Run(strings.Split(base, ":")[0], func(t *testing.T) {
			req, _ := http.NewRequest("GET", base+"/hello?a=1&b=2", nil)
			req.Header.Set("X-Test", "lua test")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.ReadAll(resp.Body)
			resp.Body.Close()
			h := resp.Header
			if resp.StatusCode != 201 || h.Get("X-Method") != "GET" || h.Get("X-Uri") != "/hello" || h.Get("X-Query") != "a=1&b=2" ||
				h.Get("X-Test") != "lua test" || !strings.Contains(h.Get("X-Names"), "x-test") {
				t.Errorf("GET: status %d, headers %v", resp.StatusCode, h)
			}
			big := make([]byte, 1<<20)
			rand.Read(big)
			sum := sha1.Sum(big)
			resp, err = client.Post(base+"/echo", "application/octet-stream", bytes.NewReader(big))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(got, big) || resp.Header.Get("X-Method") != "POST" || resp.Header.Get("X-Sha1") != hex.EncodeToString(sum[:]) {
				t.Errorf("1 MiB echo: %d bytes back, equal %v, headers %v", len(got), bytes.Equal(got, big), resp.Header)
			}
			for path, want := range map[string]string{"/chunked": "one,two,three", "/file": "hello file\n", "/static/page.txt": "a static page\n"} {
				resp, err := client.Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(got) != want {
					t.Errorf("%s: %d %q, want %q", path, resp.StatusCode, got, want)
				}
				if path == "/chunked" && !slices.Equal(resp.TransferEncoding, []string{"chunked"}) {
					t.Errorf("/chunked: transfer encoding %v", resp.TransferEncoding)
				}
			}
		})
	}
	for _, u := range []string{"ws://" + ports["http"] + "/ws", "wss://" + ports["https"] + "/ws"} {
		t.Run(strings.Split(u, ":")[0], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: client})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			if resp.Header.Get("X-Upgraded") != "lua" {
				t.Errorf("upgrade headers: %v", resp.Header)
			}
			wsEchoes(ctx, t, c, "hello lua")
			c.Close(websocket.StatusNormalClosure, "")
		})
	}
	t.Run("tcp and tls", func(t *testing.T) {
		conns := map[string]func() (net.Conn, error){
			"tcp": func() (net.Conn, error) { return net.DialTimeout("tcp", ports["tcp"], 10*time.Second) },
			"tls": func() (net.Conn, error) {
				return tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ports["tls"], tlsConf)
			},
		}
		for name, dial := range conns {
			c, err := dial()
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(30 * time.Second))
			msg := make([]byte, 65536)
			rand.Read(msg)
			go c.Write(msg)
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
				t.Errorf("%s echo: %v", name, err)
			}
			c.Close()
		}
	})
	t.Run("udp", func(t *testing.T) {
		c, err := dialUDP(t, ports["udp"])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		buf := make([]byte, 2048)
		// Datagrams may be lost: resend until one comes back.
		for i := 0; i < 50; i++ {
			c.Write([]byte("datagram"))
			c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if n, err := c.Read(buf); err == nil {
				if string(buf[:n]) != "datagram" {
					t.Errorf("udp echo: %q", buf[:n])
				}
				return
			}
		}
		t.Error("udp: no echo")
	})
}

// releaseDir makes the layout of a release archive: the library, the two
// Lua files, the generated declarations and the examples, nothing else.
func releaseDir(t *testing.T) string {
	dir := t.TempDir()
	copyFile := func(src, dst string) {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(libPath, filepath.Join(dir, filepath.Base(libPath)))
	copyFile(filepath.Join(filepath.Dir(libPath), cdefs.File), filepath.Join(dir, cdefs.File))
	for _, f := range []string{"mongoose.lua", "LibMongoose.lua"} {
		copyFile(filepath.Join(luaDir, f), filepath.Join(dir, f))
	}
	ex, _ := filepath.Glob(filepath.Join(luaDir, "examples", "*.lua"))
	for _, f := range ex {
		copyFile(f, filepath.Join(dir, "examples", filepath.Base(f)))
	}
	return dir
}

// cleanEnv is the environment without any hint where the binding is.
func cleanEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "MONGOOSE_LIBRARY=") && !strings.HasPrefix(e, "LUA_PATH=") && !strings.HasPrefix(e, "LD_LIBRARY_PATH=") {
			env = append(env, e)
		}
	}
	return env
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestLuaExamplesFromReleaseLayout(t *testing.T) {
	luajit(t)
	library(t)
	dir := releaseDir(t)
	port := freePort(t)
	luaProc(t, dir, cleanEnv(), "mongoose", "examples/http-server.lua", port)
	if got := get(t, "http://127.0.0.1:"+port+"/"); !strings.HasPrefix(got, "hello from mongoose 7.22") {
		t.Errorf("http-server.lua: %q", got)
	}
	os.MkdirAll(filepath.Join(dir, "files"), 0o755)
	os.WriteFile(filepath.Join(dir, "files", "a.txt"), []byte("file a"), 0o644)
	if got := get(t, "http://127.0.0.1:"+port+"/files/a.txt"); got != "file a" {
		t.Errorf("http-server.lua /files/a.txt: %q", got)
	}

	port = freePort(t)
	luaProc(t, dir, cleanEnv(), "WebSocket", "examples/websocket-server.lua", port)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://127.0.0.1:"+port+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.Write(ctx, websocket.MessageText, []byte("from the release layout"))
	if _, got, err := c.Read(ctx); err != nil || string(got) != "from the release layout" {
		t.Errorf("websocket-server.lua: %q %v", got, err)
	}

	port = freePort(t)
	certs, p := writeCerts(t)
	luaProc(t, dir, cleanEnv(), "https://", "examples/tls-server.lua", filepath.Join(certs, "srv.pem"), filepath.Join(certs, "srv.key"), port)
	tc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.pool}}}
	resp, err := tc.Get("https://127.0.0.1:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello over TLS\n" {
		t.Errorf("tls-server.lua: %q", body)
	}

	port = freePort(t)
	luaProc(t, dir, cleanEnv(), "TCP and UDP", "examples/tcp-udp-echo.lua", port)
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	conn.Write([]byte("tcp!"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "tcp!" {
		t.Errorf("tcp-udp-echo.lua: %q %v", buf, err)
	}

	if !hasLuv(t) {
		return
	}
	port = freePort(t)
	luaProc(t, dir, cleanEnv(), "luv and mongoose", "examples/luv-server.lua", port)
	if got := get(t, "http://127.0.0.1:"+port+"/"); !strings.HasPrefix(got, "hello from luv") {
		t.Errorf("luv-server.lua: %q", got)
	}
}

func TestLuaLoadErrors(t *testing.T) {
	lj := luajit(t)
	library(t)
	dir := releaseDir(t)
	run := func(env []string, code string) string {
		cmd := exec.Command(lj, "-e", code)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%s: no error\n%s", code, out)
		}
		return string(out)
	}
	load := `package.path = "./?.lua;" .. package.path; local m = require "mongoose"; return m.bindings`
	// A wrong MONGOOSE_LIBRARY: every path tried is named.
	out := run(append(cleanEnv(), "MONGOOSE_LIBRARY=/nonexistent/mongoose.so"), `package.path = "./?.lua;" .. package.path; require("mongoose").load()`)
	for _, want := range []string{"cannot load the mongoose library", "/nonexistent/mongoose.so", "MONGOOSE_LIBRARY"} {
		if !strings.Contains(out, want) {
			t.Errorf("bad MONGOOSE_LIBRARY: %q lacks %q", out, want)
		}
	}
	// Without the library beside mongoose.lua: the beside path and the OS
	// search path are named.
	lib := filepath.Join(dir, filepath.Base(libPath))
	os.Rename(lib, lib+".away")
	out = run(cleanEnv(), load)
	for _, want := range []string{filepath.Base(libPath) + ": no such file", "OS search path"} {
		if !strings.Contains(out, want) {
			t.Errorf("no library: %q lacks %q", out, want)
		}
	}
	os.Rename(lib+".away", lib)
	// Declarations of another ABI: both versions are named.
	cd := filepath.Join(dir, cdefs.File)
	orig, _ := os.ReadFile(cd)
	os.WriteFile(cd, bytes.Replace(orig, []byte("MG_FFI_ABI_VERSION = "), []byte("MG_FFI_ABI_VERSION = 99 + 0*"), 1), 0o644)
	out = run(cleanEnv(), load)
	if !strings.Contains(out, "ABI mismatch") || !strings.Contains(out, "ABI 99") || !strings.Contains(out, "glue ABI 3") {
		t.Errorf("ABI mismatch: %q", out)
	}
	// No declarations at all: the paths tried are named.
	os.Remove(cd)
	out = run(cleanEnv(), load)
	if !strings.Contains(out, "cannot find "+cdefs.File) || !strings.Contains(out, string(filepath.Separator)+cdefs.File) {
		t.Errorf("no cdefs: %q", out)
	}
}

// readmeLua returns the Lua snippets of the README's LuaJIT section by the
// heading above each.
func readmeLua(t *testing.T) map[string]string {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(data), "\n## LuaJIT binding\n")
	if !ok {
		t.Fatal("README.md has no LuaJIT binding section")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	out, heading := map[string]string{}, ""
	for _, part := range strings.Split(sec, "\n```") {
		if strings.HasPrefix(part, "lua\n") {
			out[heading] = strings.TrimPrefix(part, "lua\n")
			continue
		}
		if i := strings.LastIndex(part, "\n### "); i >= 0 {
			heading, _, _ = strings.Cut(part[i+5:], "\n")
		}
	}
	return out
}

func TestLuaREADME(t *testing.T) {
	lj := luajit(t)
	library(t)
	snippets := readmeLua(t)
	port := regexp.MustCompile(`\b80\d\d\b`)
	// start runs a snippet with its ports swapped for free ones.
	start := func(t *testing.T, heading string) (map[string]string, string) {
		code, ok := snippets[heading]
		if !ok {
			t.Fatalf("README: no lua snippet under %q", heading)
		}
		ports := map[string]string{}
		code = port.ReplaceAllStringFunc(code, func(p string) string {
			if ports[p] == "" {
				ports[p] = freePort(t)
			}
			return ports[p]
		})
		f := filepath.Join(t.TempDir(), "snippet.lua")
		os.WriteFile(f, []byte("io.stdout:setvbuf('no')\n"+code), 0o644)
		return ports, f
	}
	checks := map[string]func(t *testing.T, ports map[string]string){
		"Open an HTTP server": func(t *testing.T, p map[string]string) {
			if got := get(t, "http://127.0.0.1:"+p["8000"]+"/abc"); got != "you asked for /abc\n" {
				t.Errorf("got %q", got)
			}
		},
		"Upgrade HTTP to WebSocket": func(t *testing.T, p map[string]string) { wsEcho(t, "ws://127.0.0.1:"+p["8000"]+"/ws") },
		"Event handling": func(t *testing.T, p map[string]string) {
			if got := get(t, "http://127.0.0.1:"+p["8000"]+"/x"); got != "GET /x by Go-http-client/1.1\n" {
				t.Errorf("got %q", got)
			}
		},
		"Manual polling": func(t *testing.T, p map[string]string) {
			if got := get(t, "http://127.0.0.1:"+p["8000"]+"/"); !strings.HasPrefix(got, "frame ") {
				t.Errorf("got %q", got)
			}
		},
		"WebSocket, TCP and UDP servers": func(t *testing.T, p map[string]string) {
			wsEcho(t, "ws://127.0.0.1:"+p["8003"]+"/")
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+p["8001"], 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			c.Write([]byte("tcp echo"))
			buf := make([]byte, 8)
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "tcp echo" {
				t.Errorf("tcp: %q %v", buf, err)
			}
			u, err := dialUDP(t, "127.0.0.1:"+p["8002"])
			if err != nil {
				t.Fatal(err)
			}
			defer u.Close()
			got := ""
			for i := 0; i < 50 && got == ""; i++ { // datagrams may be lost: resend
				u.Write([]byte("udp echo"))
				u.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				if n, err := u.Read(buf); err == nil {
					got = string(buf[:n])
				}
			}
			if got != "udp echo" {
				t.Errorf("udp: %q", got)
			}
		},
		"Integrating with libuv": func(t *testing.T, p map[string]string) {
			if got := get(t, "http://127.0.0.1:"+p["8000"]+"/"); got != "hello from a libuv loop\n" {
				t.Errorf("got %q", got)
			}
		},
	}
	for heading, check := range checks {
		t.Run(heading, func(t *testing.T) {
			if strings.Contains(heading, "libuv") {
				peer.Need(t, peer.Luv)
			}
			ports, f := start(t, heading)
			luaProc(t, t.TempDir(), luaEnv(), "", f)
			check(t, ports)
		})
	}
	// These two end by themselves.
	t.Run("Create an event manager", func(t *testing.T) {
		_, f := start(t, "Create an event manager")
		cmd := exec.Command(lj, f)
		cmd.Env = luaEnv()
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "mongoose 7.22 with OpenSSL") ||
			!strings.Contains(string(out), "a9993e364706816aba3e25717850c26c9cd0d89d\taGVsbG8=\t3421780262") {
			t.Errorf("%v\n%s", err, out)
		}
	})
	t.Run("Polling", func(t *testing.T) {
		ports, f := start(t, "Polling")
		cmd := exec.Command(lj, f)
		cmd.Env = luaEnv()
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		base := "http://127.0.0.1:" + ports["8000"]
		var got string
		for i := 0; i < 100; i++ { // until the server listens
			resp, err := http.Get(base + "/")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got = string(b)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if got != "request 1\n" {
			t.Errorf("first request: %q", got)
		}
		if got := get(t, base+"/stop"); got != "request 2\n" {
			t.Errorf("/stop: %q", got)
		}
		if err := cmd.Wait(); err != nil || !strings.Contains(out.String(), "stopped after 2 requests") {
			t.Errorf("the loop did not end: %v\n%s", err, out.String())
		}
	})
}

func wsEcho(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.Write(ctx, websocket.MessageBinary, []byte("ws echo"))
	if typ, got, err := c.Read(ctx); err != nil || typ != websocket.MessageBinary || string(got) != "ws echo" {
		t.Errorf("ws %s: %v %q %v", url, typ, got, err)
	}
}

// layouts are structs (and fields) whose size and offsets LuaJIT must see
// as the C compiler does, on this machine's target.
var layouts = [][2]string{
	{"struct mg_connection", ""}, {"struct mg_connection", "rem"}, {"struct mg_connection", "recv"},
	{"struct mg_connection", "send"}, {"struct mg_connection", "fn_data"}, {"struct mg_connection", "data"},
	{"struct mg_mgr", ""}, {"struct mg_mgr", "timers"}, {"struct mg_mgr", "userdata"},
	{"struct mg_http_message", ""}, {"struct mg_http_message", "body"}, {"struct mg_ws_message", ""},
	{"struct mg_addr", ""}, {"struct mg_addr", "port"}, {"struct mg_iobuf", ""}, {"struct mg_str", ""},
	{"struct mg_tls_opts", ""}, {"struct mg_timer", ""}, {"struct mg_fs", ""}, {"struct mg_http_serve_opts", ""},
	{"struct mg_ffi_event", ""}, {"struct mg_ffi_event", "remote"}, {"struct mg_ffi_header", ""},
}

func TestLuaLayoutsMatchC(t *testing.T) {
	lj := luajit(t)
	needToolchain(t)
	library(t)
	tg, _ := target.Lookup(runtime.GOOS + "/" + runtime.GOARCH)
	tc, err := toolchainForTest(tg)
	if err != nil {
		t.Fatal(err)
	}
	cfg, src, z := tc.cfg, tc.src, tc.zig
	var c, lua strings.Builder
	c.WriteString("#include <stdio.h>\n#include <stddef.h>\n#include \"mongoose.h\"\n#include \"mongoose_ffi.h\"\nint main(void) {\n")
	lua.WriteString("local ffi = require 'ffi'\nrequire('mongoose').load()\n")
	for _, l := range layouts {
		if l[1] == "" {
			fmt.Fprintf(&c, "  printf(\"%s size %%zu\\n\", sizeof(%s));\n", l[0], l[0])
			fmt.Fprintf(&lua, "print(\"%s size \" .. ffi.sizeof(\"%s\"))\n", l[0], l[0])
		} else {
			fmt.Fprintf(&c, "  printf(\"%s.%s offset %%zu\\n\", offsetof(%s, %s));\n", l[0], l[1], l[0], l[1])
			fmt.Fprintf(&lua, "print(\"%s.%s offset \" .. ffi.offsetof(\"%s\", \"%s\"))\n", l[0], l[1], l[0], l[1])
		}
	}
	c.WriteString("  return 0;\n}\n")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "layout.c"), []byte(c.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "mongoose_ffi.h"), glueH, 0o644)
	os.WriteFile(filepath.Join(dir, "layout.lua"), []byte(lua.String()), 0o644)
	args := []string{"cc", "-target", tg.Zig, "-I", src, "-I", dir, "-I", filepath.Join(tc.ossl.Dir, "include"), "-o", filepath.Join(dir, "layout")}
	for _, d := range targetDefines(tg) {
		args = append(args, "-D"+d)
	}
	cc := exec.Command(z.Path, append(args, filepath.Join(dir, "layout.c"))...)
	cc.Env = append(os.Environ(), z.Env(cfg.Cache)...)
	if out, err := cc.CombinedOutput(); err != nil {
		t.Fatalf("compiling the layout program: %v\n%s", err, out)
	}
	want, err := exec.Command(filepath.Join(dir, "layout")).Output()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(lj, filepath.Join(dir, "layout.lua"))
	cmd.Env = luaEnv()
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	if string(got) != string(want) {
		t.Errorf("LuaJIT's layouts differ from C's:\nLuaJIT:\n%s\nC:\n%s", got, want)
	}
	t.Logf("%d layouts agree:\n%s", len(layouts), got)
}

// TestLuaCdefsEveryTarget generates the declarations of all five targets
// and has LuaJIT parse each: what one OS's headers hold must not break
// ffi.cdef (layouts are checked natively, above, and by each target's run).
func TestLuaCdefsEveryTarget(t *testing.T) {
	lj := luajit(t)
	needToolchain(t)
	ctx := context.Background()
	hdr := filepath.Join(t.TempDir(), "mongoose_ffi.h")
	os.WriteFile(hdr, glueH, 0o644)
	check := filepath.Join(t.TempDir(), "parse.lua")
	os.WriteFile(check, []byte(`local ffi = require "ffi"
local m = dofile(arg[1])
ffi.cdef(m.cdefs)
assert(m.events[0] == "MG_EV_ERROR" and m.constants.MG_FFI_ABI_VERSION)
print(m.target .. " parses, struct mg_connection " .. ffi.sizeof("struct mg_connection") .. " bytes here")
`), 0o644)
	for _, tg := range target.All() {
		tc, err := toolchainForTest(tg)
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		if _, err := cdefs.Generate(ctx, cdefs.Options{Zig: tc.zig.Path, Env: tc.zig.Env(tc.cfg.Cache), Triple: tg.Zig, Target: tg.String(),
			Mongoose: tc.pin.Version, Headers: []string{filepath.Join(tc.src, "mongoose.h"), hdr}, Includes: []string{filepath.Join(tc.ossl.Dir, "include")},
			Defines: targetDefines(tg), OutDir: out}); err != nil {
			t.Fatal(err)
		}
		res, err := exec.Command(lj, check, filepath.Join(out, cdefs.File)).CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", tg, err, res)
		}
		t.Log(strings.TrimSpace(string(res)))
	}
}

// hasLuv says whether luv loads: false where the target lacks it by
// declaration; a missing luv is a missing test peer.
func hasLuv(t *testing.T) bool {
	t.Helper()
	return peer.Optional(t, peer.Luv)
}

// needToolchain skips a test that compiles with the build's toolchain where
// there is none: in an emulated leg or on a prebuilt library.
func needToolchain(t *testing.T) {
	t.Helper()
	if peer.Emulated() {
		peer.Skip(t, "emulated leg: compiles with the build's toolchain; runs natively")
	}
	if prebuilt.On() {
		peer.Skip(t, prebuilt.SkipReason+": compiles with the build's toolchain")
	}
}

// dialUDP is net.Dial("udp"); under Wine Go's UDP sockets fail (an ioctl
// Wine lacks), and there unit.lua's in-process UDP echo stands in.
func dialUDP(t *testing.T, addr string) (net.Conn, error) {
	c, err := net.Dial("udp", addr)
	if err != nil && peer.Emulated() && runtime.GOOS == "windows" && strings.Contains(err.Error(), "10045") {
		peer.Skip(t, fmt.Sprintf("Go's UDP client does not work under Wine (%v); unit.lua's UDP echo covers the server", err))
	}
	return c, err
}
