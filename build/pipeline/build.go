package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// Sources obtains and verifies every pinned third-party source.
type Sources struct{}

func (Sources) String() string { return "sources" }

func (Sources) Run(ctx context.Context, s *State) error {
	if s.MongooseSrc != "" {
		return nil
	}
	var err error
	if s.MongoosePin, err = mongoose.Pin(); err != nil {
		return err
	}
	if s.OpenSSLPin, err = openssl.Pin(); err != nil {
		return err
	}
	if s.MongooseSrc, err = mongoose.Sources(ctx, s.MongoosePin, s.Config.Cache, s.Out); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "verified: %s\n", s.MongooseSrc)
	if s.OpenSSLSrc, err = openssl.Sources(ctx, s.OpenSSLPin, s.Config.Cache, s.Out); err != nil {
		s.MongooseSrc = ""
		return err
	}
	fmt.Fprintf(s.Out, "verified: %s\n", s.OpenSSLSrc)
	return nil
}

// Zig finds or installs the pinned zig.
type Zig struct{}

func (Zig) String() string { return "zig" }

func (Zig) Run(ctx context.Context, s *State) error {
	if s.Zig != nil {
		return nil
	}
	z, err := zig.Ensure(ctx, s.Config.Cache, s.Out)
	if err != nil {
		return err
	}
	s.Zig = z
	fmt.Fprintf(s.Out, "zig %s: %s\n", z.Version, z.Path)
	return nil
}

// OpenSSL builds static OpenSSL for each target.
type OpenSSL struct{}

func (OpenSSL) String() string { return "openssl" }

func (OpenSSL) Run(ctx context.Context, s *State) error {
	if err := errors.Join(need(Sources{}, s.OpenSSLSrc != ""), need(Zig{}, s.Zig != nil)); err != nil {
		return err
	}
	start := time.Now()
	b := &openssl.Builder{Config: s.Config, Zig: s.Zig, Pin: s.OpenSSLPin, Release: s.OpenSSLSrc}
	n := 0
	for _, t := range s.Targets {
		if _, ok := s.OpenSSL[t]; ok {
			continue
		}
		r, err := b.Build(ctx, t)
		if err != nil {
			return err
		}
		s.OpenSSL[t] = r
		n++
	}
	if n > 0 {
		fmt.Fprintf(s.Out, "openssl: %d targets ready in %s\n", n, time.Since(start).Round(10*time.Millisecond))
	}
	return nil
}

// Build builds the mongoose library for each target into out/.
type Build struct{}

func (Build) String() string { return "build" }

func (Build) Run(ctx context.Context, s *State) error {
	if err := errors.Join(need(Sources{}, s.MongooseSrc != ""), need(Zig{}, s.Zig != nil)); err != nil {
		return err
	}
	start := time.Now()
	b := &mongoose.Builder{Config: s.Config, Zig: s.Zig, Pin: s.MongoosePin, Sources: s.MongooseSrc}
	n := 0
	for _, t := range s.Targets {
		if _, ok := s.Libraries[t]; ok {
			continue
		}
		ossl, ok := s.OpenSSL[t]
		if err := need(OpenSSL{}, ok); err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		l, err := b.Build(ctx, t, ossl, s.OutDir)
		if err != nil {
			return err
		}
		s.Libraries[t] = l
		st, err := os.Stat(l.Path)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.Out, "%-14s %-34s %6.2f MB %4d exports\n", l.Target, l.Path, float64(st.Size())/1e6, len(l.Exports))
		n++
	}
	if n > 0 {
		fmt.Fprintf(s.Out, "build: %d targets ready in %s\n", n, time.Since(start).Round(10*time.Millisecond))
	}
	return nil
}

// Verify checks the libraries in out/: format, exports, no OpenSSL symbols,
// only system libraries imported. It reads out/, not the State: it checks
// what is there, built in this run or before.
type Verify struct{}

func (Verify) String() string { return "verify" }

func (Verify) Run(ctx context.Context, s *State) error {
	var reports []*verify.Report
	for _, t := range s.Targets {
		dir := filepath.Join(s.OutDir, t.Dir())
		exports, err := verify.ReadExports(filepath.Join(dir, verify.ExportsFile))
		if err != nil {
			return fmt.Errorf("%s: %w; run `go tool mage build` first", t, err)
		}
		r, err := verify.Check(filepath.Join(dir, t.Library), t, exports)
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	verify.PrintTable(s.Out, reports)
	for _, r := range reports {
		if !r.OK() {
			return fmt.Errorf("%s failed", r.Target)
		}
	}
	return nil
}
