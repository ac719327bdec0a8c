// Package cdefs generates the LuaJIT FFI declarations of one target's library:
// the C declarations of mongoose.h and the glue header as LuaJIT's ffi.cdef
// accepts them (with every system type they need, as the target's headers
// define it: struct layouts differ by OS), mongoose's MG_EV_* names by number
// and the glue's constants, written as mongoose_cdefs.lua beside the library.
package cdefs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/cdecl"
)

// File is the name of the generated module, beside the library.
const File = "mongoose_cdefs.lua"

// Options are the explicit inputs of Generate.
type Options struct {
	Zig      string   // the zig binary
	Env      []string // its environment (added to the process's)
	Triple   string   // zig target triple, e.g. x86_64-linux-gnu.2.28
	Target   string   // label, e.g. linux/amd64
	Mongoose string   // mongoose's version, for the header comment
	Headers  []string // mongoose.h and mongoose_ffi.h: their declarations are the roots
	Includes []string // further include directories (OpenSSL's)
	Defines  []string // the library build's defines, NAME or NAME=VALUE
	Exports  []string // the library's exports; other functions are left out (nil keeps all)
	OutDir   string   // where File is written
}

// Generate preprocesses the headers for the target and writes File into
// o.OutDir; it returns the file's path.
func Generate(ctx context.Context, o Options) (string, error) {
	work, err := os.MkdirTemp("", "mongoose-cdefs-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	var src strings.Builder
	args := []string{"cc", "-target", o.Triple, "-E"}
	var roots []string
	for _, h := range o.Headers {
		abs, err := filepath.Abs(h)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&src, "#include %q\n", abs)
		args = append(args, "-I"+filepath.Dir(abs))
		roots = append(roots, filepath.Base(abs))
	}
	for _, i := range o.Includes {
		args = append(args, "-I"+i)
	}
	for _, d := range o.Defines {
		args = append(args, "-D"+d)
	}
	c := filepath.Join(work, "cdefs.c")
	if err := os.WriteFile(c, []byte(src.String()), 0o644); err != nil {
		return "", err
	}
	pre, err := run(ctx, o, append(slices.Clone(args), c))
	if err != nil {
		return "", err
	}
	macros, err := run(ctx, o, append(slices.Clone(args), "-dM", c))
	if err != nil {
		return "", err
	}
	g, err := Build(pre, macros, roots, o.Exports)
	if err != nil {
		return "", fmt.Errorf("cdefs for %s: %w", o.Target, err)
	}
	out := filepath.Join(o.OutDir, File)
	return out, os.WriteFile(out, g.Lua(o.Target, o.Mongoose), 0o644)
}

func run(ctx context.Context, o Options, args []string) (string, error) {
	cmd := exec.CommandContext(ctx, o.Zig, args...)
	cmd.Env = append(os.Environ(), o.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("zig %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// Generated is what goes into the Lua module.
type Generated struct {
	Decls     []string         // one declaration a line, in dependency order
	Events    map[int]string   // mongoose's MG_EV_* by number
	FFIEvents map[int]string   // the glue's MG_FFI_EV_* by number
	Constants map[string]int64 // MG_FFI_* and MG_EV_* values
}

type decl struct {
	text    string
	file    string // base name of the header it came from
	defines []string
	uses    []string
}

// builtin names LuaJIT defines itself (bool is a keyword there).
var builtin = map[string]bool{"bool": true, "size_t": true, "ssize_t": false, "ptrdiff_t": true, "intptr_t": true,
	"uintptr_t": true, "wchar_t": true, "va_list": true, "__builtin_va_list": true, "__gnuc_va_list": true,
	"int8_t": true, "int16_t": true, "int32_t": true, "int64_t": true,
	"uint8_t": true, "uint16_t": true, "uint32_t": true, "uint64_t": true}

// unsupported marks declarations LuaJIT's C parser rejects.
var unsupported = regexp.MustCompile(`\b(__int128|__int128_t|__uint128_t|_Float16|_Float32|_Float64|_Float128|_Float32x|_Float64x|__float128|__bf16|_Static_assert|static_assert|__typeof__|typeof|_Atomic|_Alignas|__auto_type|_Complex|_Decimal\d+)\b`)

var (
	ident     = regexp.MustCompile(`\b(?:(struct|union|enum)\s+)?([A-Za-z_][A-Za-z0-9_]*)`)
	tagDef    = regexp.MustCompile(`\b(struct|union|enum)\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)\s*)*\{`)
	space     = regexp.MustCompile(`\s+`)
	declspec  = regexp.MustCompile(`__declspec\s*\(\s*\w+\s*\)`)
	funcPtrTD = regexp.MustCompile(`\(\s*(?:__\w+\s+)?\*+\s*([A-Za-z_]\w*)\s*\)\s*\(`)
	define    = regexp.MustCompile(`^#define\s+(MG_(?:FFI|EV)_[A-Z0-9_]+)\s+(.+)$`)
)

var keywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`auto break case char const continue default do double else enum extern float for goto if
		inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void
		volatile while _Bool __restrict __restrict__ __inline __inline__ __extension__ __attribute__ __asm__ __asm
		__const __signed__ __volatile__ __declspec __cdecl __stdcall __fastcall __unaligned __ptr64 __w64`) {
		keywords[k] = true
	}
}

// clean makes a declaration one line LuaJIT accepts, or "" to drop it.
func clean(d string) string {
	d = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(d), ";"))
	d = declspec.ReplaceAllString(d, " ")
	d = cdecl.Attribute.ReplaceAllStringFunc(d, func(a string) string {
		if strings.Contains(a, "packed") || strings.Contains(a, "aligned") {
			return a // layout
		}
		return " "
	})
	d = strings.TrimSpace(space.ReplaceAllString(d, " "))
	if d == "" || cdecl.IsFunctionBody(d) || unsupported.MatchString(d) {
		return ""
	}
	for _, w := range strings.Fields(d) {
		if w == "static" || w == "_Noreturn" || w == "__inline" || w == "inline" || w == "__inline__" {
			return ""
		}
	}
	return d + ";"
}

// analyse fills in what a declaration defines and uses.
func analyse(d *decl) {
	t := d.text
	for _, m := range tagDef.FindAllStringSubmatch(t, -1) {
		d.defines = append(d.defines, m[1]+" "+m[2])
	}
	// Enum constants.
	for _, body := range enumBodies(t) {
		for _, item := range strings.Split(body, ",") {
			if f := strings.Fields(strings.SplitN(item, "=", 2)[0]); len(f) == 1 {
				d.defines = append(d.defines, f[0])
			}
		}
	}
	if strings.HasPrefix(t, "typedef ") || strings.Contains(t, " typedef ") {
		d.defines = append(d.defines, typedefNames(t)...)
	}
	for _, m := range ident.FindAllStringSubmatch(t, -1) {
		name := m[2]
		if m[1] != "" {
			name = m[1] + " " + m[2]
		} else if keywords[name] {
			continue
		}
		if !slices.Contains(d.uses, name) {
			d.uses = append(d.uses, name)
		}
	}
}

func enumBodies(t string) []string {
	var out []string
	for i := 0; ; {
		j := strings.Index(t[i:], "enum")
		if j < 0 {
			return out
		}
		i += j + 4
		rest := strings.TrimLeft(t[i:], " ")
		k := strings.IndexAny(rest, "{;,)")
		if k < 0 || rest[k] != '{' {
			continue
		}
		e := strings.Index(rest[k:], "}")
		if e < 0 {
			return out
		}
		out = append(out, rest[k+1:k+e])
	}
}

// typedefNames are the names a typedef declares ("typedef int A, *PA").
func typedefNames(t string) []string {
	t = strings.TrimSuffix(t, ";")
	if i := strings.LastIndex(t, "}"); i >= 0 {
		t = t[i+1:] // the names follow the body
	} else if i := strings.LastIndex(t, "typedef "); i >= 0 {
		t = t[i+len("typedef "):]
	}
	var names []string
	depth, from := 0, 0
	for i := 0; i <= len(t); i++ {
		if i < len(t) {
			switch t[i] {
			case '(', '[':
				depth++
				continue
			case ')', ']':
				depth--
				continue
			case ',':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		}
		if n := declaratorName(t[from:i]); n != "" {
			names = append(names, n)
		}
		from = i + 1
	}
	return names
}

func declaratorName(t string) string {
	if m := funcPtrTD.FindStringSubmatch(t); m != nil {
		return m[1]
	}
	// Drop trailing array bounds, then take the last identifier.
	for strings.HasSuffix(strings.TrimSpace(t), "]") {
		t = strings.TrimSpace(t)
		t = t[:strings.LastIndex(t, "[")]
	}
	ids := identOnly.FindAllString(t, -1)
	if len(ids) == 0 {
		return ""
	}
	return ids[len(ids)-1]
}

var identOnly = regexp.MustCompile(`[A-Za-z_]\w*`)

// Build selects the declarations of the root headers (functions only if
// exported) and every system declaration they need, and reads the constants.
func Build(pre, macros string, roots, exports []string) (*Generated, error) {
	all := cdecl.Split(pre)
	var ds []*decl
	for _, d := range all {
		isRoot := slices.Contains(roots, d.File)
		t := clean(d.Text)
		if t == "" {
			continue
		}
		nd := &decl{text: t, file: d.File}
		analyse(nd)
		if isRoot {
			if fn := cdecl.FunctionName(t); fn != "" && exports != nil && !slices.Contains(exports, fn) {
				continue
			}
		}
		ds = append(ds, nd)
	}
	// Who defines what; a full definition wins over a typedef of the same tag.
	defs := map[string][]int{}
	for i, d := range ds {
		for _, n := range d.defines {
			defs[n] = append(defs[n], i)
		}
	}
	keep := make([]bool, len(ds))
	var queue []int
	for i, d := range ds {
		if slices.Contains(roots, d.file) {
			keep[i] = true
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, u := range ds[i].uses {
			if builtin[u] {
				continue
			}
			for _, j := range defs[u] {
				if !keep[j] {
					keep[j] = true
					queue = append(queue, j)
				}
			}
		}
	}
	seen := map[string]bool{}
	g := &Generated{Events: map[int]string{}, FFIEvents: map[int]string{}, Constants: map[string]int64{}}
	for i, d := range ds {
		if !keep[i] || seen[d.text] {
			continue // headers may repeat an identical typedef
		}
		seen[d.text] = true
		if strings.HasPrefix(d.text, "typedef") && slices.ContainsFunc(d.defines, func(n string) bool { return builtin[n] }) {
			continue
		}
		g.Decls = append(g.Decls, d.text)
		if slices.Contains(roots, d.file) {
			for _, body := range enumBodies(d.text) {
				if strings.Contains(body, "MG_EV_ERROR") {
					if err := enumValues(body, g); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	if len(g.Events) == 0 {
		return nil, fmt.Errorf("no MG_EV_* enum in the headers")
	}
	// Bodies may name other constants: evaluate until nothing more resolves.
	pending := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(macros))
	for sc.Scan() {
		if m := define.FindStringSubmatch(sc.Text()); m != nil && strings.HasPrefix(m[1], "MG_FFI_") {
			pending[m[1]] = m[2]
		}
	}
	for progress := true; progress; {
		progress = false
		for name, body := range pending {
			v, ok := intExpr(body, g.Constants)
			if !ok {
				continue // not (yet) an integer constant (MG_FFI_API never is)
			}
			g.Constants[name] = v
			if strings.HasPrefix(name, "MG_FFI_EV_") {
				g.FFIEvents[int(v)] = name
			}
			delete(pending, name)
			progress = true
		}
	}
	if _, ok := g.Constants["MG_FFI_ABI_VERSION"]; !ok {
		return nil, fmt.Errorf("no MG_FFI_ABI_VERSION among the glue's macros")
	}
	return g, nil
}

func enumValues(body string, g *Generated) error {
	next := int64(0)
	for _, item := range strings.Split(body, ",") {
		name, val, has := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if has {
			v, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), "()"), 0, 64)
			if err != nil {
				return fmt.Errorf("enum %s = %q: %w", name, val, err)
			}
			next = v
		}
		g.Constants[name] = next
		g.Events[int(next)] = name
		next++
	}
	return nil
}

// Lua renders the module.
func (g *Generated) Lua(target, version string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "-- Generated by mongoose-ffi's build (build/cdefs) from the preprocessed mongoose.h (mongoose %s)\n", version)
	fmt.Fprintf(&b, "-- and mongoose_ffi.h for %s. Do not edit: regenerated with the library.\n", target)
	b.WriteString("return {\n")
	fmt.Fprintf(&b, "  target = %q,\n  mongoose = %q,\n", target, version)
	text := strings.Join(g.Decls, "\n") + "\n"
	eq := ""
	for strings.Contains(text, "]"+eq+"]") {
		eq += "="
	}
	fmt.Fprintf(&b, "  cdefs = [%s[\n%s]%s],\n", eq, text, eq)
	writeNames(&b, "events", g.Events)
	writeNames(&b, "ffi_events", g.FFIEvents)
	b.WriteString("  constants = {\n")
	names := make([]string, 0, len(g.Constants))
	for n := range g.Constants {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "    %s = %d,\n", n, g.Constants[n])
	}
	b.WriteString("  },\n}\n")
	return b.Bytes()
}

func writeNames(b *bytes.Buffer, field string, m map[int]string) {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	fmt.Fprintf(b, "  %s = {\n", field)
	for _, k := range keys {
		fmt.Fprintf(b, "    [%d] = %q,\n", k, m[k])
	}
	b.WriteString("  },\n")
}

// intSuffix is C's unsigned/long suffix on an integer literal.
var intSuffix = regexp.MustCompile(`\b(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]+\b`)

// intExpr evaluates a macro's body when it is an integer constant
// expression (literals with C suffixes, arithmetic, earlier constants),
// such as (16u * 1024u * 1024u).
func intExpr(body string, known map[string]int64) (int64, bool) {
	e, err := parser.ParseExpr(intSuffix.ReplaceAllString(strings.TrimSpace(body), "$1"))
	if err != nil {
		return 0, false
	}
	v := evalConst(e, known)
	if v.Kind() != constant.Int {
		return 0, false
	}
	return constant.Int64Val(v)
}

func evalConst(e ast.Expr, known map[string]int64) constant.Value {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.INT {
			return constant.MakeFromLiteral(e.Value, e.Kind, 0)
		}
	case *ast.Ident:
		if v, ok := known[e.Name]; ok {
			return constant.MakeInt64(v)
		}
	case *ast.ParenExpr:
		return evalConst(e.X, known)
	case *ast.UnaryExpr:
		if x := evalConst(e.X, known); x.Kind() == constant.Int && (e.Op == token.SUB || e.Op == token.ADD) {
			return constant.UnaryOp(e.Op, x, 0)
		}
	case *ast.BinaryExpr:
		x, y := evalConst(e.X, known), evalConst(e.Y, known)
		if x.Kind() != constant.Int || y.Kind() != constant.Int {
			break
		}
		switch e.Op {
		case token.SHL, token.SHR:
			if n, ok := constant.Uint64Val(y); ok {
				return constant.Shift(x, e.Op, uint(n))
			}
		case token.ADD, token.SUB, token.MUL, token.REM, token.AND, token.OR, token.XOR:
			return constant.BinaryOp(x, e.Op, y)
		case token.QUO:
			if constant.Sign(y) != 0 {
				return constant.BinaryOp(x, token.QUO_ASSIGN, y) // integer division
			}
		}
	}
	return constant.MakeUnknown()
}
