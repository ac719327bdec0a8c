package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	binding "github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/build/bench"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// Bench measures HTTP and WebSocket throughput of a C server on the library
// (the ceiling), the Go binding and net/http, on loopback, for this
// machine's target, whatever the selection.
type Bench struct{}

func (Bench) String() string { return "bench" }

func (Bench) Run(ctx context.Context, s *State) error {
	t, err := target.Host()
	if err != nil {
		return err
	}
	if err := s.Build(ctx, t); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "mongoose-ffi-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	lib, err := filepath.Abs(s.Libraries[t].Path)
	if err != nil {
		return err
	}
	bins, err := bench.Compile(ctx, s.Zig, s.Config.Cache, t, lib, work)
	if err != nil {
		return err
	}
	st := bench.Defaults
	if k := os.Getenv(config.BenchEnv); k != "" {
		st.Kinds = strings.Split(k, ",") // e.g. "tls-handshake,tls-resumed"
	}
	fmt.Fprintf(s.Out, "bench: %d connections, %s per figure after %s warm-up, median of %d interleaved rounds, loopback, %d CPUs\n",
		st.Conns, st.Duration, st.Warmup, st.Rounds, runtime.NumCPU())
	lua, err := bench.LuaServer(work, lib, filepath.Join("binding", "lua"), s.Out)
	if err != nil {
		return err
	}
	_, err = bench.Run(ctx, st, append([]bench.Server{
		{Name: "c", Cmd: []string{bins.C}},
		{Name: "go", Cmd: []string{bins.Go, "-port"}, Env: []string{binding.EnvLibrary + "=" + lib}},
		// net/http has no WebSocket server of its own.
		{Name: "nethttp", Cmd: []string{bins.Go, "-nethttp", "-port"}, Kinds: []string{"http", "tls-handshake", "tls-resumed"}},
	}, lua...), s.Out)
	return err
}
