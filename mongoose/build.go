package mongoose

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
	"github.com/mongoose-ffi/mongoose-ffi/build/cdefs"
	"github.com/mongoose-ffi/mongoose-ffi/build/config"
	"github.com/mongoose-ffi/mongoose-ffi/build/objfile"
	"github.com/mongoose-ffi/mongoose-ffi/build/step"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/zig"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// The glue is ours and ships in this package; mongoose itself is fetched.
var (
	//go:embed csrc/mongoose_ffi.c
	glueC []byte
	//go:embed csrc/mongoose_ffi.h
	glueH []byte
	//go:embed csrc/openssl_compat.h
	compatH []byte
)

// Header is the glue's public header, the single description of the ABI.
func Header() []byte { return slices.Clone(glueH) }

// recipe is bumped whenever the steps below change what they produce.
const recipe = 6

// defines configure mongoose for every target: OpenSSL for TLS, IPv6 on.
var defines = []string{"MG_TLS=MG_TLS_OPENSSL", "MG_ENABLE_IPV6=1"}

// osDefines are per-OS additions: mongoose calls rand_s on Windows, which
// mingw's stdlib.h declares only when asked.
var osDefines = map[string][]string{"windows": {"_CRT_RAND_S"}}

// cflags are OpenSSL's code-generation flags (size, sections per function,
// unwind tables) plus these.
func cflags(goos string) []string {
	return append(openssl.CFlags(goos), "-fPIC", "-fno-common")
}

// linkFlags are per object format.
var linkFlags = map[target.Format][]string{
	target.ELF:   {"-Wl,--version-script=mongoose.map", "-Wl,--gc-sections", "-Wl,-soname,mongoose.so", "-s", "-lpthread"},
	target.PE:    {"mongoose.def", "-Wl,--gc-sections", "-s", "-lws2_32", "-liphlpapi", "-ladvapi32", "-lcrypt32", "-luser32", "-lbcrypt"},
	target.MachO: {"-Wl,-dead_strip", "-s", "-Wl,-install_name,@rpath/mongoose.dylib"},
}

// Library is one target's built library and what goes beside it.
type Library struct {
	Target  target.Target
	Dir     string // out/<os>_<arch>
	Path    string // the library in Dir
	Exports []string
	Cached  bool
}

// Manifest is the JSON written beside each library.
type Manifest struct {
	Target   string            `json:"target"`
	Mongoose string            `json:"mongoose"`
	OpenSSL  string            `json:"openssl"`
	Zig      string            `json:"zig"`
	ABI      string            `json:"abi_header_sha256"`
	Inputs   map[string]string `json:"inputs_sha256"`
	Key      string            `json:"key"`
	Size     int64             `json:"size"`
	Exports  int               `json:"exports"`
	Seconds  float64           `json:"build_seconds"`
}

type keyInputs struct {
	Recipe            int
	Mongoose          []string
	Glue, Hdr, Compat string
	OpenSSL           string
	Target            target.Target
	Defines, CFlags   []string
	Link              []string
	Zig               string
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// Build makes the shared library for every selected target into
// outRoot/<os>_<arch>/, skipping targets whose inputs are unchanged.
func Build(ctx context.Context, cfg *config.Config, outRoot string) ([]Library, error) {
	pin, err := Pin()
	if err != nil {
		return nil, err
	}
	src, err := Sources(ctx, cfg.Cache, cfg.Out)
	if err != nil {
		return nil, err
	}
	ossl, err := openssl.Build(ctx, cfg)
	if err != nil {
		return nil, err
	}
	z, err := zig.Ensure(ctx, cfg.Cache, cfg.Out)
	if err != nil {
		return nil, err
	}
	osslPin, _ := openssl.Pin()
	var libs []Library
	for i, t := range cfg.Targets {
		var mg []string
		for _, f := range pin.Files {
			mg = append(mg, f.SHA256)
		}
		key := cache.Key(keyInputs{recipe, mg, sum(glueC), sum(glueH), sum(compatH), ossl[i].Key, t,
			append(slices.Clone(defines), osDefines[t.OS]...), cflags(t.OS), linkFlags[t.Format], z.Version})
		entry := filepath.Join(cfg.Cache, "lib", pin.Version, t.Dir()+"-"+key)
		b := &builder{ctx: ctx, cfg: cfg, z: z, t: t, src: src, ossl: ossl[i].Dir, key: key,
			man: Manifest{Target: t.String(), Mongoose: pin.Version, OpenSSL: osslPin.Version, Zig: z.Version, ABI: sum(glueH), Key: key,
				Inputs: map[string]string{"mongoose.c": pin.File("mongoose.c").SHA256, "mongoose.h": pin.File("mongoose.h").SHA256,
					"mongoose_ffi.c": sum(glueC), "mongoose_ffi.h": sum(glueH)}}}
		cached := cache.Exists(entry)
		if cached {
			fmt.Fprintf(cfg.Out, "mongoose %s: up to date (%s)\n", t, entry)
		} else if err := cache.Publish(entry, b.build); err != nil {
			return nil, err
		}
		lib, err := install(entry, filepath.Join(outRoot, t.Dir()), t)
		if err != nil {
			return nil, err
		}
		lib.Cached = cached
		libs = append(libs, lib)
	}
	return libs, nil
}

// install copies a cache entry's files to the output directory.
func install(entry, dir string, t target.Target) (Library, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Library{}, err
	}
	ents, err := os.ReadDir(entry)
	if err != nil {
		return Library{}, err
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(entry, e.Name()))
		if err != nil {
			return Library{}, err
		}
		perm := os.FileMode(0o644)
		if e.Name() == t.Library {
			perm = 0o755
		}
		if err := cache.WriteFile(filepath.Join(dir, e.Name()), data, perm); err != nil {
			return Library{}, err
		}
	}
	exports, err := ReadExports(filepath.Join(dir, ExportsFile))
	return Library{Target: t, Dir: dir, Path: filepath.Join(dir, t.Library), Exports: exports}, err
}

// ExportsFile lists a library's exports, one per line, beside it.
const ExportsFile = "exports.txt"

// ReadExports reads an exports file, skipping blank lines and # comments.
func ReadExports(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			names = append(names, l)
		}
	}
	return names, nil
}

type builder struct {
	work      string // the build directory, once build has made it
	ctx       context.Context
	cfg       *config.Config
	z         *zig.Zig
	t         target.Target
	src, ossl string
	key       string
	man       Manifest
}

// run runs one step in the work directory, logging to build.log there.
func (b *builder) run(what string, args ...string) error {
	return step.Run(b.ctx, io.Discard, step.Cmd{Label: fmt.Sprintf("mongoose %s: %s", b.t, what),
		Dir: b.work, Env: b.z.Env(b.cfg.Cache), Log: filepath.Join(b.work, "build.log"), Args: args})
}

// cc is the compile command with every flag, defines and include path.
func (b *builder) cc() []string {
	args := append([]string{b.z.Path, "cc", "-target", b.t.Zig}, cflags(b.t.OS)...)
	args = append(args, "-I"+b.src, "-I"+b.work, "-I"+filepath.Join(b.ossl, "include"),
		// Paths must not leak into the binary (__FILE__ in mongoose's logs).
		"-ffile-prefix-map="+b.src+"=mongoose", "-ffile-prefix-map="+b.work+"=glue")
	for _, d := range append(slices.Clone(defines), osDefines[b.t.OS]...) {
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
	for name, data := range map[string][]byte{"mongoose_ffi.c": glueC, "mongoose_ffi.h": glueH, "openssl_compat.h": compatH,
		"api.c": []byte("#include \"mongoose.h\"\n#include \"mongoose_ffi.h\"\n")} {
		if err := os.WriteFile(filepath.Join(work, name), data, 0o644); err != nil {
			return err
		}
	}
	b.work = work
	fmt.Fprintf(b.cfg.Out, "mongoose %s: compile\n", t)
	run, cc := b.run, b.cc
	pre := filepath.Join(work, "api.i")
	if err := run("preprocess headers", append(cc(), "-E", "api.c", "-o", pre)...); err != nil {
		return err
	}
	if err := run("compile mongoose.c", append(cc(), "-include", "openssl_compat.h",
		"-w", "-c", filepath.Join(b.src, "mongoose.c"), "-o", "mongoose.o")...); err != nil {
		return err
	}
	if err := run("compile mongoose_ffi.c", append(cc(),
		"-Wall", "-Wextra", "-Werror", "-c", "mongoose_ffi.c", "-o", "mongoose_ffi.o")...); err != nil {
		return err
	}
	exports, err := b.exports(work, pre)
	if err != nil {
		return err
	}
	if err := b.writeExportList(work, exports); err != nil {
		return err
	}
	fmt.Fprintf(b.cfg.Out, "mongoose %s: link (%d exports)\n", t, len(exports))
	objs := []string{"mongoose.o", "mongoose_ffi.o", filepath.Join(b.ossl, "lib", "libssl.a"), filepath.Join(b.ossl, "lib", "libcrypto.a")}
	if t.Format == target.MachO {
		if objs, err = b.demote(work, objs, exports); err != nil {
			return err
		}
	}
	args := append([]string{b.z.Path, "cc", "-target", t.Zig}, "-shared", "-o", filepath.Join(out, t.Library))
	args = append(append(args, objs...), linkFlags[t.Format]...)
	if err := run("link", args...); err != nil {
		return err
	}
	if t.Format == target.PE {
		if err := objfile.StampPE(filepath.Join(out, t.Library)); err != nil {
			return err
		}
	}
	// zig writes an import library beside a DLL; users of the FFI need none.
	os.Remove(filepath.Join(out, strings.TrimSuffix(t.Library, ".dll")+".lib"))
	// The LuaJIT binding's declarations, for this target's layouts.
	if _, err := cdefs.Generate(b.ctx, cdefs.Options{Zig: b.z.Path, Env: b.z.Env(b.cfg.Cache), Triple: t.Zig, Target: t.String(), Mongoose: b.man.Mongoose,
		Headers: []string{filepath.Join(b.src, "mongoose.h"), filepath.Join(work, "mongoose_ffi.h")}, Includes: []string{filepath.Join(b.ossl, "include")},
		Defines: append(slices.Clone(defines), osDefines[t.OS]...), Exports: exports, OutDir: out}); err != nil {
		return err
	}
	for name, data := range map[string][]byte{"mongoose_ffi.h": glueH, ExportsFile: []byte(strings.Join(exports, "\n") + "\n")} {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			return err
		}
	}
	st, err := os.Stat(filepath.Join(out, t.Library))
	if err != nil {
		return err
	}
	b.man.Size, b.man.Exports, b.man.Seconds = st.Size(), len(exports), float64(time.Since(start).Milliseconds())/1000
	m, _ := json.MarshalIndent(b.man, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "manifest.json"), append(m, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(b.cfg.Out, "mongoose %s: built %s, %.2f MB, %d exports, in %s\n", t, t.Library, float64(st.Size())/1e6, len(exports), time.Since(start).Round(time.Second))
	return os.RemoveAll(work)
}

// exports is every mg_ function the headers declare and the objects define.
// A glue function declared but not defined is a build error; mongoose
// declares some functions only its other configurations define.
func (b *builder) exports(work, pre string) ([]string, error) {
	text, err := os.ReadFile(pre)
	if err != nil {
		return nil, err
	}
	declared := Declared(string(text), []string{"mongoose.h", "mongoose_ffi.h"}, "mg_")
	defined := map[string]bool{}
	for _, o := range []string{"mongoose.o", "mongoose_ffi.o"} {
		data, err := os.ReadFile(filepath.Join(work, o))
		if err != nil {
			return nil, err
		}
		names, err := objfile.Defined(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", o, err)
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
		return nil, fmt.Errorf("mongoose_ffi.h declares functions mongoose_ffi.c does not define: %s", strings.Join(missing, ", "))
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

// writeExportList writes the list in the linker's form for the target.
func (b *builder) writeExportList(work string, exports []string) error {
	var buf bytes.Buffer
	switch b.t.Format {
	case target.ELF:
		buf.WriteString("{\n  global:\n")
		for _, e := range exports {
			fmt.Fprintf(&buf, "    %s;\n", e)
		}
		buf.WriteString("  local: *;\n};\n")
		return os.WriteFile(filepath.Join(work, "mongoose.map"), buf.Bytes(), 0o644)
	case target.PE:
		buf.WriteString("LIBRARY mongoose\nEXPORTS\n")
		for _, e := range exports {
			fmt.Fprintf(&buf, "  %s\n", e)
		}
		return os.WriteFile(filepath.Join(work, "mongoose.def"), buf.Bytes(), 0o644)
	}
	return nil // Mach-O: applied to the objects, see demote
}

// demote copies the objects and archives and makes every defined symbol
// not in exports private extern: zig's Mach-O linker ignores
// -exported_symbols_list but honours private externs.
func (b *builder) demote(work string, objs, exports []string) ([]string, error) {
	keep := map[string]bool{}
	for _, e := range exports {
		keep[e] = true
	}
	// Common symbols escape demotion: define each one in C instead (a
	// definition takes a common's place), so that it can be hidden.
	var defs strings.Builder
	for _, o := range objs {
		src := o
		if !filepath.IsAbs(o) {
			src = filepath.Join(work, o)
		}
		commons, err := objfile.MachOCommons(src)
		if err != nil {
			return nil, err
		}
		for _, c := range commons {
			fmt.Fprintf(&defs, "__attribute__((aligned(%d))) char %s[%d];\n", 1<<c.AlignShift, c.Name, c.Size)
		}
	}
	if defs.Len() > 0 {
		if err := os.WriteFile(filepath.Join(work, "commons.c"), []byte(defs.String()), 0o644); err != nil {
			return nil, err
		}
		if err := b.run("define common symbols", append(b.cc(), "-c", "commons.c", "-o", "commons.o")...); err != nil {
			return nil, err
		}
		objs = append(objs, "commons.o")
	}
	var out []string
	for _, o := range objs {
		src := o
		if !filepath.IsAbs(o) {
			src = filepath.Join(work, o)
		}
		dst := filepath.Join(work, "hidden-"+filepath.Base(o))
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return nil, err
		}
		if _, err := objfile.DemoteMachOFile(dst, func(n string) bool { return keep[n] }); err != nil {
			return nil, err
		}
		out = append(out, dst)
	}
	return out, nil
}
