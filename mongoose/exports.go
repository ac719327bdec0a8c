package mongoose

import (
	"slices"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/cdecl"
)

// Declared lists the functions with the given prefix that a preprocessed
// translation unit declares at file scope in the named headers (matched by
// file name, wherever the preprocessor found them). Static and inline functions,
// typedefs, function pointers and variables are not exports and are skipped.
func Declared(preprocessed string, headers []string, prefix string) []string {
	var names []string
	for _, d := range cdecl.Split(preprocessed) {
		if !slices.Contains(headers, d.File) {
			continue
		}
		if n := cdecl.FunctionName(d.Text); strings.HasPrefix(n, prefix) && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}
