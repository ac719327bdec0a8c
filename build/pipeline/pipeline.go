// Package pipeline is the kit's whole order of work, as data: the stages
// below run in the order Stages lists them, over one shared State that holds
// the configuration (read once), the pinned sources, zig (found once) and
// every per-target result, keyed by target. A stage reads what earlier
// stages put in the State and adds its own; no stage calls another.
//
// Each mage target runs one stage; Run runs first the stages it needs
// (Needs, transitively), in Stages' order, and each stage at most once per
// invocation.
// Stages that need a library of their own (bench, the emulator legs) get it
// from State.Build, which runs the build stages for those targets only.
//
// Adding a stage: write a small type with String and Run(ctx, *State) in its
// own file of this package (or a package of its own, with a one-line type
// here), keep its results in a State field (per target: a map keyed by
// target.Target), add it to Stages in order and to Needs with the stages it
// reads, and add a one-line mage target calling Run with it. A stage that must skip (a
// tool is missing) returns testrun.Skip's error, which prints one banner and
// matches ErrSkip: Run does not count it as a failure.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/testrun"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// Stages is the order of work. The build stages (up to Build) make the
// libraries; the ones after them use what the build made.
var Stages = []Stage{
	Preflight{},    // a release only: snapshot or publish, refused before any work
	Sources{},      // obtain and verify the pinned mongoose and OpenSSL sources
	Zig{},          // find or install the pinned zig
	OpenSSL{},      // static OpenSSL per target
	Build{},        // the mongoose library per target, installed into out/
	Prebuilt{},     // or, instead of building, out/'s libraries checked against the pins
	Verify{},       // check out/'s libraries
	LuaJIT{},       // a luajit for targets with no LuaJIT package, for their native tests
	Lint{},         // gofmt, go vet, staticcheck, actionlint
	Test{},         // every module's tests, short fuzzing, then other targets' under emulators
	Release{},      // a release only: GoReleaser's archives, SBOM and checksums in dist/
	Bench{},        // throughput of C, the Go and Lua bindings and net/http; TLS handshakes
	Reproducible{}, // two fresh builds compared byte for byte
}

// Needs names the stages each stage reads the results of; Run runs them
// first. A need is always earlier in Stages (pipeline_test.go checks).
var Needs = map[Stage][]Stage{
	OpenSSL{}:      {Sources{}, Zig{}},
	Build{}:        {Sources{}, Zig{}, OpenSSL{}},
	LuaJIT{}:       {Zig{}},
	Test{}:         {Prebuilt{}, Lint{}},
	Release{}:      {Preflight{}, Sources{}, Build{}, Verify{}, Test{}},
	Reproducible{}: {Sources{}, Zig{}},
}

// Plan is stage after the stages it needs, transitively, in Stages' order.
func Plan(stage Stage) []Stage {
	want := map[Stage]bool{}
	var add func(Stage)
	add = func(st Stage) {
		if want[st] {
			return
		}
		want[st] = true
		for _, n := range Needs[st] {
			add(n)
		}
	}
	add(stage)
	var plan []Stage
	for _, st := range Stages {
		if want[st] {
			plan = append(plan, st)
		}
	}
	return plan
}

// buildStages are the stages that make a library: Sources up to Build.
var buildStages = Stages[slices.Index(Stages, Stage(Sources{})) : slices.Index(Stages, Stage(Build{}))+1]

// Stage is one step of the pipeline.
type Stage interface {
	String() string
	Run(ctx context.Context, s *State) error
}

// ErrSkip is matched (errors.Is) by a stage's error when it could not run
// here and said so loudly (testrun.Skip) instead of failing.
var ErrSkip = testrun.ErrSkipped

// OutDir is where libraries are installed, relative to the repository root.
const OutDir = "out"

// State is what the stages share. Fields are filled by the stage named in
// their comment; a stage reads only fields of stages before it in Stages.
type State struct {
	Config  *config.Config  // read once, before any stage
	Out     io.Writer       // every stage's progress (Config.Out)
	OutDir  string          // where Build installs
	Targets []target.Target // what the build stages work on: Config.Targets, or one stage's own

	MongoosePin, OpenSSLPin *source.Pin // Sources
	MongooseSrc, OpenSSLSrc string      // Sources: verified cache directories
	Zig                     *zig.Zig    // Zig

	OpenSSL   map[target.Target]openssl.Result   // OpenSSL
	Libraries map[target.Target]mongoose.Library // Build, or Prebuilt
	Prebuilt  PrebuiltState                      // Prebuilt: whether out/'s libraries are tested as they are

	Release *ReleasePlan // Preflight

	done map[string]bool
}

// NewState reads the configuration; out replaces its progress writer when
// not nil.
func NewState(out io.Writer) (*State, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	if out != nil {
		cfg.Out = out
	}
	return &State{Config: cfg, Out: cfg.Out, OutDir: OutDir, Targets: cfg.Targets,
		OpenSSL: map[target.Target]openssl.Result{}, Libraries: map[target.Target]mongoose.Library{},
		done: map[string]bool{}}, nil
}

var (
	mu     sync.Mutex
	shared *State
)

// Run runs stage over the invocation's State (made on first use), after
// the stages it needs (Plan), each unless it already ran. Stages run one at
// a time, even when mage runs targets in parallel.
func Run(ctx context.Context, stage Stage) error {
	mu.Lock()
	defer mu.Unlock()
	s, err := sharedState()
	if err != nil {
		return err
	}
	if !slices.Contains(Stages, stage) {
		return fmt.Errorf("stage %s is not in pipeline.Stages; add it there, in order", stage)
	}
	for _, st := range Plan(stage) {
		if err := s.Run(ctx, st); err != nil {
			return err
		}
	}
	return nil
}

// Config is the invocation's configuration, for targets outside the
// pipeline (the container's).
func Config() (*config.Config, error) {
	mu.Lock()
	defer mu.Unlock()
	s, err := sharedState()
	if err != nil {
		return nil, err
	}
	return s.Config, nil
}

func sharedState() (*State, error) {
	if shared == nil {
		s, err := NewState(nil)
		if err != nil {
			return nil, err
		}
		shared = s
	}
	return shared, nil
}

// Run runs one stage of Stages over s, once.
func (s *State) Run(ctx context.Context, stage Stage) error {
	if !slices.Contains(Stages, stage) {
		return fmt.Errorf("stage %s is not in pipeline.Stages; add it there, in order", stage)
	}
	if s.done[stage.String()] {
		return nil
	}
	err := stage.Run(ctx, s)
	if errors.Is(err, ErrSkip) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", stage, err)
	}
	s.done[stage.String()] = true
	return nil
}

// Build runs the build stages for targets only, whatever the selection:
// the stages that need a library of their own (bench, other targets'
// tests) use it. Work done before, for any target, is not done again.
func (s *State) Build(ctx context.Context, targets ...target.Target) error {
	saved := s.Targets
	s.Targets = targets
	defer func() { s.Targets = saved }()
	for _, st := range buildStages {
		if err := st.Run(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", st, err)
		}
	}
	return nil
}

// need fails clearly when a stage reads what an earlier stage has not made:
// Needs lacks an entry.
func need(stage Stage, made bool) error {
	if made {
		return nil
	}
	return fmt.Errorf("needs the %s stage to run first (add it to pipeline.Needs)", stage)
}
