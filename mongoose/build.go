package mongoose

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
	"github.com/mongoose-ffi/mongoose-ffi/build/cdefs"
	"github.com/mongoose-ffi/mongoose-ffi/build/command"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/objfile"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// The glue is ours and ships in this package; mongoose itself is fetched.
// Every file of csrc/ keys the build and is copied beside mongoose's source,
// and every .c there is compiled into the library: adding a glue file is
// adding a file.
//
//go:embed csrc
var csrc embed.FS

const (
	abiHeader    = "mongoose_ffi.h"   // the glue's public header: the ABI
	compatHeader = "openssl_compat.h" // force-included when compiling mongoose.c
	apiSource    = "api.c"            // generated: preprocesses the headers
)

// glueFile is one file of csrc/.
type glueFile struct {
	name string
	data []byte
}

// glue is csrc/'s files in name order.
var glue = func() []glueFile {
	ents, err := fs.ReadDir(csrc, "csrc")
	if err != nil {
		panic(err)
	}
	var out []glueFile
	for _, e := range ents {
		data, err := fs.ReadFile(csrc, "csrc/"+e.Name())
		if err != nil {
			panic(err) // a directory: csrc/ holds files only
		}
		out = append(out, glueFile{e.Name(), data})
	}
	return out
}()

// glueH is the glue's public header.
var glueH = func() []byte {
	for _, f := range glue {
		if f.name == abiHeader {
			return f.data
		}
	}
	panic("csrc/" + abiHeader + " is missing")
}()

// glueSources are the glue's C files, each compiled on its own.
func glueSources() []string {
	var out []string
	for _, f := range glue {
		if strings.HasSuffix(f.name, ".c") {
			out = append(out, f.name)
		}
	}
	return out
}

// glueObject is the object a glue source compiles to.
func glueObject(src string) string { return strings.TrimSuffix(src, ".c") + ".o" }

// checkGlueNames refuses a glue file that would take the place of one the
// build makes or fetches beside it.
func checkGlueNames() error {
	for _, f := range glue {
		switch f.name {
		case "mongoose.c", "mongoose.h", "mongoose.o", apiSource, "api.i", "build.log":
			return fmt.Errorf("csrc/%s: the build uses that name for a file of its own; rename it", f.name)
		}
	}
	return nil
}

// Header is the glue's public header, the single description of the ABI.
func Header() []byte { return slices.Clone(glueH) }

// recipe is bumped whenever the steps below change what they produce.
const recipe = 8

// defines configure mongoose for every target: TLS is the glue's own layer
// on OpenSSL (csrc/, mongoose's MG_TLS_CUSTOM), IPv6 on; a target row adds its own
// (target.Facts.Defines).
var defines = []string{"MG_TLS=MG_TLS_CUSTOM", "MG_ENABLE_IPV6=1"}

func targetDefines(t target.Target) []string { return append(slices.Clone(defines), t.Defines...) }

// cflags are OpenSSL's code-generation flags (size, sections per function,
// unwind tables) plus these.
func cflags(t target.Target) []string {
	return append(openssl.CFlags(t), "-fPIC", "-fno-common")
}

type keyInputs struct {
	Recipe          int
	Mongoose        []string
	Glue            map[string]string // every file of csrc/ by name: its sha256
	OpenSSL         string
	Target          target.Target
	Defines, CFlags []string
	Link            []string
	Zig             string
}

// glueSums is the sha256 of every file of csrc/, by name.
func glueSums() map[string]string {
	out := map[string]string{}
	for _, f := range glue {
		out[f.name] = sum(f.data)
	}
	return out
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// Builder builds the library from verified mongoose sources (see Sources)
// and a target's OpenSSL, with zig.
type Builder struct {
	Config  *config.Config
	Zig     *zig.Zig
	Pin     *source.Pin
	Sources string // the directory Sources returned
}

// Build makes the shared library for one target into outRoot/<os>_<arch>/,
// unless the cache holds a build from the same inputs.
func (bd *Builder) Build(ctx context.Context, t target.Target, ossl openssl.Result, outRoot string) (Library, error) {
	cfg, pin, z := bd.Config, bd.Pin, bd.Zig
	f, err := formatOf(t)
	if err != nil {
		return Library{}, err
	}
	// Only what is compiled keys the build: the pinned LICENSE is not.
	mg := []string{pin.File("mongoose.c").SHA256, pin.File("mongoose.h").SHA256}
	key := cache.Key(keyInputs{recipe, mg, glueSums(), ossl.Key, t, targetDefines(t), cflags(t), f.link, z.Version})
	entry := filepath.Join(cfg.Cache, "lib", pin.Version, t.Dir()+"-"+key)
	b := &builder{ctx: ctx, cfg: cfg, z: z, t: t, f: f, src: bd.Sources, ossl: ossl.Dir, key: key,
		man: Manifest{Target: t.String(), Mongoose: pin.Version, OpenSSL: ossl.Version, Zig: z.Version, ABI: sum(glueH), Key: key,
			Inputs: inputs(pin)}}
	made, err := cache.Make(entry, cfg.Out, func() error { return cache.Publish(entry, b.build) })
	if err != nil {
		return Library{}, err
	}
	if !made {
		fmt.Fprintf(cfg.Out, "mongoose %s: up to date (%s)\n", t, entry)
	}
	return install(entry, filepath.Join(outRoot, t.Dir()), t)
}

type builder struct {
	work      string // the build directory, once build has made it
	ctx       context.Context
	cfg       *config.Config
	z         *zig.Zig
	t         target.Target
	f         format
	src, ossl string
	key       string
	man       Manifest
}

// run runs one step in the work directory, logging to build.log there, with
// the same progress and heartbeat as every other long step.
func (b *builder) run(what string, args ...string) error {
	return command.Run(b.ctx, b.cfg.Out, command.Cmd{Label: fmt.Sprintf("mongoose %s: %s", b.t, what),
		Dir: b.work, Env: b.z.Env(b.cfg.Cache), Log: filepath.Join(b.work, "build.log"), Args: args})
}

// cc is the compile command with every flag, defines and include path.
func (b *builder) cc() []string {
	args := append([]string{b.z.Path, "cc", "-target", b.t.Zig}, cflags(b.t)...)
	args = append(args, "-I"+b.src, "-I"+b.work, "-I"+filepath.Join(b.ossl, "include"),
		// Paths must not leak into the binary (__FILE__ in mongoose's logs).
		"-ffile-prefix-map="+b.src+"=mongoose", "-ffile-prefix-map="+b.work+"=glue")
	for _, d := range targetDefines(b.t) {
		args = append(args, "-D"+d)
	}
	return args
}

func (b *builder) build(out string) error {
	start := time.Now()
	t := b.t
	work := filepath.Join(b.cfg.Cache, "work", "mongoose-"+t.Dir()+"-"+b.key)
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	if err := checkGlueNames(); err != nil {
		return err
	}
	files := append(slices.Clone(glue), glueFile{apiSource, []byte("#include \"mongoose.h\"\n#include \"" + abiHeader + "\"\n")})
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(work, f.name), f.data, 0o644); err != nil {
			return err
		}
	}
	b.work = work
	run, cc := b.run, b.cc
	pre := filepath.Join(work, "api.i")
	if err := run("preprocess headers", append(cc(), "-E", apiSource, "-o", pre)...); err != nil {
		return err
	}
	if err := run("compile mongoose.c", append(cc(), "-include", compatHeader,
		"-w", "-c", filepath.Join(b.src, "mongoose.c"), "-o", "mongoose.o")...); err != nil {
		return err
	}
	objs := []string{"mongoose.o"}
	for _, src := range glueSources() {
		if err := run("compile "+src, append(cc(),
			"-Wall", "-Wextra", "-Werror", "-c", src, "-o", glueObject(src))...); err != nil {
			return err
		}
		objs = append(objs, glueObject(src))
	}
	exports, err := b.exports(work, pre, objs)
	if err != nil {
		return err
	}
	if b.f.exportList != "" {
		if err := os.WriteFile(filepath.Join(work, b.f.exportList), b.f.writeList(exports), 0o644); err != nil {
			return err
		}
	}
	for _, l := range openssl.Libs {
		objs = append(objs, filepath.Join(b.ossl, "lib", l))
	}
	if b.f.prepare != nil {
		if objs, err = b.f.prepare(b, objs, exports); err != nil {
			return err
		}
	}
	args := append([]string{b.z.Path, "cc", "-target", t.Zig}, "-shared", "-o", filepath.Join(out, t.Library))
	args = append(append(args, objs...), b.f.link...)
	if err := run(fmt.Sprintf("link (%d exports)", len(exports)), args...); err != nil {
		return err
	}
	if b.f.finish != nil {
		if err := b.f.finish(out, t); err != nil {
			return err
		}
	}
	// The LuaJIT binding's declarations, for this target's layouts.
	if _, err := cdefs.Generate(b.ctx, cdefs.Options{Zig: b.z.Path, Env: b.z.Env(b.cfg.Cache), Triple: t.Zig, Target: t.String(), Mongoose: b.man.Mongoose,
		Headers: []string{filepath.Join(b.src, "mongoose.h"), filepath.Join(work, abiHeader)}, Includes: []string{filepath.Join(b.ossl, "include")},
		Defines: targetDefines(t), Exports: exports, OutDir: out}); err != nil {
		return err
	}
	for name, data := range map[string][]byte{abiHeader: glueH, verify.ExportsFile: []byte(strings.Join(exports, "\n") + "\n")} {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			return err
		}
	}
	st, err := os.Stat(filepath.Join(out, t.Library))
	if err != nil {
		return err
	}
	b.man.Size, b.man.Exports, b.man.Seconds = st.Size(), len(exports), float64(time.Since(start).Milliseconds())/1000
	if err := b.man.write(out); err != nil {
		return err
	}
	fmt.Fprintf(b.cfg.Out, "mongoose %s: built %s, %.2f MB, %d exports, in %s\n", t, t.Library, float64(st.Size())/1e6, len(exports), time.Since(start).Round(time.Second))
	return os.RemoveAll(work)
}

// exports is every mg_ function the headers declare and the objects define.
// A glue function declared but not defined is a build error; mongoose
// declares some functions only its other configurations define.
func (b *builder) exports(work, pre string, objs []string) ([]string, error) {
	text, err := os.ReadFile(pre)
	if err != nil {
		return nil, err
	}
	declared := Declared(string(text), []string{"mongoose.h", abiHeader}, "mg_")
	defined := map[string]bool{}
	for _, o := range objs {
		data, err := os.ReadFile(filepath.Join(work, o))
		if err != nil {
			return nil, err
		}
		names, err := objfile.Defined(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o, err)
		}
		for _, n := range names {
			defined[n] = true
		}
	}
	var out, missing []string
	for _, n := range declared {
		switch {
		case defined[n]:
			out = append(out, n)
		case strings.HasPrefix(n, "mg_ffi_"):
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s declares functions no glue source (csrc/*.c) defines: %s", abiHeader, strings.Join(missing, ", "))
	}
	// What the original mongoose-ffi exported and mongoose still declares
	// must stay exported.
	for _, n := range LegacyExports() {
		if slices.Contains(declared, n) && !defined[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("mongoose.h declares these functions of the original mongoose-ffi API, but the build does not define them: %s", strings.Join(missing, ", "))
	}
	return out, nil
}
