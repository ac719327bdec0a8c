// Package repro checks that the build is reproducible: it builds the selected
// targets twice from scratch, each in a fresh copy of the checkout at a
// different path with an empty cache, and compares the libraries byte for
// byte, with each other and with the ones already in out/.
package repro

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// Inputs are what the fresh builds share with the caller: verified sources
// and the pinned zig. They are inputs, not outputs, so sharing them does not
// weaken the check.
type Inputs struct {
	MongooseSrc, OpenSSLSrc, Zig string
}

// Row is one target's outcome. Out is the hash of the library already in
// out/, or "" when there is none built from the same inputs.
type Row struct {
	Target  target.Target
	A, B    string
	Out     string
	OutNote string
}

// OK reports whether every comparable build is identical.
func (r Row) OK() bool { return r.A == r.B && (r.Out == "" || r.Out == r.A) }

// Run builds twice and compares. repo is the checkout to copy; outRoot is its
// out/ directory. The fresh directories are removed unless a build fails or
// the libraries differ, when they are kept for inspection.
func Run(ctx context.Context, cfg *config.Config, in Inputs, repo, outRoot string) ([]Row, error) {
	files, err := checkoutFiles(ctx, repo)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, t := range cfg.Targets {
		names = append(names, t.String())
	}
	var roots [2]string
	keep := false
	defer func() {
		for _, r := range roots {
			if r == "" {
				continue
			}
			if keep {
				fmt.Fprintf(cfg.Out, "reproducible: kept %s for inspection\n", r)
			} else {
				os.RemoveAll(r)
			}
		}
	}()
	for i := range roots {
		// Different path names on purpose: no absolute path may reach a library.
		root, err := os.MkdirTemp("", fmt.Sprintf("mongoose-ffi-repro-%c-", 'a'+i))
		if err != nil {
			return nil, err
		}
		roots[i] = root
		src := filepath.Join(root, "src")
		if err := copyFiles(repo, src, files); err != nil {
			return nil, err
		}
		fmt.Fprintf(cfg.Out, "reproducible: build %c of %s in %s (empty cache)\n", 'A'+i, strings.Join(names, ","), root)
		start := time.Now()
		cmd := exec.CommandContext(ctx, "go", "tool", "mage", "build")
		cmd.Dir = src
		cmd.Env = append(os.Environ(),
			cache.EnvVar+"="+filepath.Join(root, "cache"),
			mongoose.LocalEnv+"="+in.MongooseSrc, openssl.LocalEnv+"="+in.OpenSSLSrc, zig.EnvVar+"="+in.Zig,
			config.TargetsEnv+"="+strings.Join(names, ","))
		cmd.Stdout = &prefixWriter{w: cfg.Out, prefix: fmt.Sprintf("[%c] ", 'A'+i), bol: true}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Run(); err != nil {
			keep = true
			return nil, fmt.Errorf("reproducible: build %c failed: %w", 'A'+i, err)
		}
		fmt.Fprintf(cfg.Out, "reproducible: build %c took %s\n", 'A'+i, time.Since(start).Round(time.Second))
	}
	var rows []Row
	for _, t := range cfg.Targets {
		r := Row{Target: t}
		a := filepath.Join(roots[0], "src", "out", t.Dir())
		b := filepath.Join(roots[1], "src", "out", t.Dir())
		if r.A, err = source.FileSHA256(filepath.Join(a, t.Library)); err != nil {
			return nil, err
		}
		if r.B, err = source.FileSHA256(filepath.Join(b, t.Library)); err != nil {
			return nil, err
		}
		r.Out, r.OutNote = compareOut(filepath.Join(outRoot, t.Dir()), a, t)
		if !r.OK() {
			keep = true
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// compareOut hashes out/'s library when its manifest names the same input
// key as the fresh build; otherwise it says why it was not compared.
func compareOut(dir, fresh string, t target.Target) (hash, note string) {
	have, err := manifestKey(dir)
	if err != nil {
		return "", "none"
	}
	want, err := manifestKey(fresh)
	if err != nil || have != want {
		return "", "other inputs"
	}
	h, err := source.FileSHA256(filepath.Join(dir, t.Library))
	if err != nil {
		return "", "unreadable"
	}
	return h, ""
}

func manifestKey(dir string) (string, error) {
	m, err := mongoose.ReadManifest(dir)
	if err != nil {
		return "", err
	}
	if m.Key == "" {
		return "", fmt.Errorf("%s: no key", dir)
	}
	return m.Key, nil
}

// Print writes one line per target and says whether all are identical.
func Print(w io.Writer, rows []Row) {
	fmt.Fprintf(w, "%-14s %-16s %-16s %-16s %s\n", "TARGET", "BUILD A", "BUILD B", "OUT/", "RESULT")
	for _, r := range rows {
		out := short(r.Out)
		if r.Out == "" {
			out = "(" + r.OutNote + ")"
		}
		res := "identical"
		if !r.OK() {
			res = "DIFFERENT"
		}
		fmt.Fprintf(w, "%-14s %-16s %-16s %-16s %s\n", r.Target, short(r.A), short(r.B), out, res)
	}
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// checkoutFiles lists the checkout's files as git sees them: tracked and
// untracked, minus ignored ones (out/, caches, secrets).
func checkoutFiles(ctx context.Context, repo string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("reproducible copies the checkout with git ls-files, which failed in %s: %w", repo, err)
	}
	return strings.Split(strings.TrimRight(string(out), "\x00"), "\x00"), nil
}

func copyFiles(from, to string, files []string) error {
	for _, f := range files {
		src := filepath.Join(from, f)
		st, err := os.Lstat(src)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree, or not a plain file
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, st.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

// prefixWriter marks each line of a build's output with the build's letter.
type prefixWriter struct {
	w      io.Writer
	prefix string
	bol    bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		if p.bol {
			if _, err := io.WriteString(p.w, p.prefix); err != nil {
				return 0, err
			}
			p.bol = false
		}
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, p.bol = b[:i+1], true
		}
		if _, err := p.w.Write(line); err != nil {
			return 0, err
		}
		b = b[len(line):]
	}
	return n, nil
}
