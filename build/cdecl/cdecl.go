// Package cdecl reads a preprocessed C translation unit: it cuts it into
// file-scope declarations, each tagged with the header it starts in, and
// names the function a declaration declares. The export list
// (mongoose.Declared) and the Lua declarations (build/cdefs) both read the
// headers through it.
package cdecl

import (
	"bufio"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Decl is one file-scope declaration (or function definition) and the base
// name of the file it starts in.
type Decl struct{ Text, File string }

var (
	// lineMarker is a preprocessor line marker: # 42 "path/to/file.h" 1,
	// or #line 42 "file.h" (MSVC-style).
	lineMarker = regexp.MustCompile(`^#\s*(?:line\s+)?\d+\s+"((?:[^"\\]|\\.)*)"`)
	// Attribute is a GCC attribute, nested parentheses included.
	Attribute = regexp.MustCompile(`__attribute__\s*\(\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)\)`)
	callName  = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*\(`)
)

// Split cuts preprocessed text into file-scope declarations: text up to a
// ';' outside braces and parentheses, or a function body's closing brace.
// String and character literals are copied whole (they may hold ; or
// braces); directives other than line markers (#pragma) are dropped.
func Split(pre string) []Decl {
	var out []Decl
	var cur strings.Builder
	file, start := "", ""
	depth, paren := 0, 0
	sc := bufio.NewScanner(strings.NewReader(pre))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			if m := lineMarker.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
				f, err := strconv.Unquote(`"` + m[1] + `"`)
				if err != nil {
					f = m[1]
				}
				file = path.Base(filepath.ToSlash(strings.ReplaceAll(f, `\`, `/`)))
			}
			continue
		}
		for i := 0; i < len(line); i++ {
			ch := line[i]
			if cur.Len() == 0 && (ch == ' ' || ch == '\t') {
				continue
			}
			if cur.Len() == 0 {
				start = file
			}
			cur.WriteByte(ch)
			switch ch {
			case '"', '\'':
				for i++; i < len(line); i++ {
					cur.WriteByte(line[i])
					if line[i] == '\\' && i+1 < len(line) {
						i++
						cur.WriteByte(line[i])
					} else if line[i] == ch {
						break
					}
				}
			case '(':
				paren++
			case ')':
				paren--
			case '{':
				depth++
			case '}':
				depth--
				if depth == 0 && paren == 0 && IsFunctionBody(cur.String()) {
					out = append(out, Decl{Text: cur.String(), File: start})
					cur.Reset()
				}
			case ';':
				if depth == 0 && paren == 0 {
					out = append(out, Decl{Text: cur.String(), File: start})
					cur.Reset()
				}
			}
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
	}
	return out
}

// IsFunctionBody reports whether d is a function definition: its text up
// to the first brace ends with a parameter list.
func IsFunctionBody(d string) bool {
	head, _, ok := strings.Cut(d, "{")
	if !ok {
		return false
	}
	head = strings.TrimSpace(Attribute.ReplaceAllString(head, " "))
	return strings.HasSuffix(head, ")")
}

// FunctionName returns the function a declaration or definition declares
// with external linkage, or "": typedefs, static functions, struct, union
// and enum definitions, and variables (function pointers too) declare none.
func FunctionName(d string) string {
	d = Attribute.ReplaceAllString(d, " ")
	words := strings.Fields(d)
	if len(words) == 0 || slices.Contains(words, "typedef") || slices.Contains(words, "static") {
		return ""
	}
	if strings.Contains(d, "{") && !IsFunctionBody(d) {
		return ""
	}
	m := callName.FindStringSubmatchIndex(d)
	if m == nil {
		return ""
	}
	// "int (*fp)(void)" declares a variable.
	if strings.HasPrefix(strings.TrimLeft(d[m[1]:], " \t\n"), "*") {
		return ""
	}
	return d[m[2]:m[3]]
}
