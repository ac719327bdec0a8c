package mongoose

import (
	"bufio"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// lineMarker is a preprocessor line marker: # 42 "path/to/file.h" 1
var lineMarker = regexp.MustCompile(`^# \d+ "((?:[^"\\]|\\.)*)"`)

// Declared lists the functions with the given prefix that a preprocessed
// translation unit declares at file scope in the named headers (matched by
// file name, wherever the preprocessor found them). Static and inline functions,
// typedefs, function pointers and variables are not exports and are skipped.
func Declared(preprocessed string, headers []string, prefix string) []string {
	var text strings.Builder
	in := false
	sc := bufio.NewScanner(strings.NewReader(preprocessed))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if m := lineMarker.FindStringSubmatch(line); m != nil {
			file, err := strconv.Unquote(`"` + m[1] + `"`)
			if err != nil {
				file = m[1]
			}
			in = slices.Contains(headers, path.Base(filepath.ToSlash(file)))
			continue
		}
		if in && !strings.HasPrefix(line, "#") {
			text.WriteString(line)
			text.WriteByte('\n')
		}
	}
	var names []string
	for _, d := range declarations(text.String()) {
		if n := functionName(d); strings.HasPrefix(n, prefix) && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// declarations splits C source into file-scope declarations: text up to a
// ';' outside braces, or a function body's closing brace.
func declarations(src string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 && isFunctionDefinition(src[start:i]) {
				out = append(out, src[start:i+1])
				start = i + 1
			}
		case ';':
			if depth == 0 {
				out = append(out, src[start:i])
				start = i + 1
			}
		}
	}
	return out
}

func isFunctionDefinition(d string) bool {
	head, _, _ := strings.Cut(d, "{")
	f := strings.Fields(head)
	return strings.Contains(head, "(") && len(f) > 0 && !slices.Contains([]string{"struct", "union", "enum", "typedef"}, f[0])
}

var (
	attribute = regexp.MustCompile(`__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)`)
	callName  = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*\(`)
)

// functionName returns the name a declaration declares as a function, or "".
func functionName(d string) string {
	d = attribute.ReplaceAllString(d, " ")
	words := strings.Fields(d)
	if len(words) == 0 || slices.Contains(words, "typedef") || slices.Contains(words, "static") {
		return ""
	}
	if strings.Contains(d, "{") && !isFunctionDefinition(d) {
		return "" // a struct, union or enum definition
	}
	m := callName.FindStringSubmatchIndex(d)
	if m == nil {
		return ""
	}
	// "int (*fp)(void)" declares a variable; "(" right after a type is one too.
	rest := strings.TrimLeft(d[m[1]:], " \t\n")
	if strings.HasPrefix(rest, "*") {
		return ""
	}
	return d[m[2]:m[3]]
}
