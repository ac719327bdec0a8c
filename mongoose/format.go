package mongoose

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/objfile"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// format is how linking the library differs between object formats: the
// per-format values a target row points at through its Format.
type format struct {
	// exportList names the file telling the linker what to export, written
	// by writeList into the work directory ("": none, see prepare).
	exportList string
	writeList  func(exports []string) []byte
	link       []string // linker flags after the objects
	// prepare turns the objects before linking (nil: linked as they are).
	prepare func(b *builder, objs, exports []string) ([]string, error)
	// finish fixes the linked library in dir (nil: nothing to fix).
	finish func(dir string, t target.Target) error
}

// The linker's export lists, by file name.
const (
	versionScript = "mongoose.map"
	moduleDef     = "mongoose.def"
)

var formats = map[target.Format]format{
	target.ELF: {
		exportList: versionScript, writeList: versionScriptText,
		link: []string{"-Wl,--version-script=" + versionScript, "-Wl,--gc-sections", "-Wl,-soname,mongoose.so", "-s", "-lpthread"},
	},
	target.PE: {
		exportList: moduleDef, writeList: moduleDefText,
		link:   []string{moduleDef, "-Wl,--gc-sections", "-s", "-lws2_32", "-liphlpapi", "-ladvapi32", "-lcrypt32", "-luser32", "-lbcrypt"},
		finish: finishPE,
	},
	// zig's Mach-O linker ignores -exported_symbols_list: see demote.
	target.MachO: {
		link:    []string{"-Wl,-dead_strip", "-s", "-Wl,-install_name,@rpath/mongoose.dylib"},
		prepare: (*builder).demote,
	},
}

// formatOf returns the values for a target's format.
func formatOf(t target.Target) (format, error) {
	f, ok := formats[t.Format]
	if !ok {
		return format{}, fmt.Errorf("%s: no link recipe for object format %q; add one to mongoose/format.go", t, t.Format)
	}
	return f, nil
}

// versionScriptText is a GNU ld version script exporting exactly exports.
func versionScriptText(exports []string) []byte {
	var buf bytes.Buffer
	buf.WriteString("{\n  global:\n")
	for _, e := range exports {
		fmt.Fprintf(&buf, "    %s;\n", e)
	}
	buf.WriteString("  local: *;\n};\n")
	return buf.Bytes()
}

// moduleDefText is a module-definition file exporting exactly exports.
func moduleDefText(exports []string) []byte {
	var buf bytes.Buffer
	buf.WriteString("LIBRARY mongoose\nEXPORTS\n")
	for _, e := range exports {
		fmt.Fprintf(&buf, "  %s\n", e)
	}
	return buf.Bytes()
}

// finishPE stamps the DLL reproducibly and drops the import library zig
// writes beside it: users of the FFI need none.
func finishPE(dir string, t target.Target) error {
	if err := objfile.StampPE(filepath.Join(dir, t.Library)); err != nil {
		return err
	}
	os.Remove(filepath.Join(dir, strings.TrimSuffix(t.Library, ".dll")+".lib"))
	return nil
}

// demote copies the objects and archives and makes every defined symbol
// not in exports private extern: zig's Mach-O linker ignores
// -exported_symbols_list but honours private externs.
func (b *builder) demote(objs, exports []string) ([]string, error) {
	keep := map[string]bool{}
	for _, e := range exports {
		keep[e] = true
	}
	// Common symbols escape demotion: define each one in C instead (a
	// definition takes a common's place), so that it can be hidden.
	var defs strings.Builder
	for _, o := range objs {
		commons, err := objfile.MachOCommons(b.inWork(o))
		if err != nil {
			return nil, err
		}
		for _, c := range commons {
			fmt.Fprintf(&defs, "__attribute__((aligned(%d))) char %s[%d];\n", 1<<c.AlignShift, c.Name, c.Size)
		}
	}
	if defs.Len() > 0 {
		if err := os.WriteFile(filepath.Join(b.work, "commons.c"), []byte(defs.String()), 0o644); err != nil {
			return nil, err
		}
		if err := b.run("define common symbols", append(b.cc(), "-c", "commons.c", "-o", "commons.o")...); err != nil {
			return nil, err
		}
		objs = append(objs, "commons.o")
	}
	var out []string
	for _, o := range objs {
		dst := filepath.Join(b.work, "hidden-"+filepath.Base(o))
		data, err := os.ReadFile(b.inWork(o))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return nil, err
		}
		if _, err := objfile.DemoteMachOFile(dst, func(n string) bool { return keep[n] }); err != nil {
			return nil, fmt.Errorf("hiding symbols in %s: %w", o, err)
		}
		out = append(out, dst)
	}
	return out, nil
}

// inWork resolves an object named relative to the work directory.
func (b *builder) inWork(o string) string {
	if filepath.IsAbs(o) {
		return o
	}
	return filepath.Join(b.work, o)
}
