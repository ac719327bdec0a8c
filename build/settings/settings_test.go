package settings

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const root = "../.."

// TestREADMETable: README's Environment table is Markdown's, row for row.
func TestREADMETable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Environment\n")
	if !ok {
		t.Fatal("README.md has no ## Environment section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var rows []string
	for _, l := range strings.Split(section, "\n") {
		if strings.HasPrefix(l, "|") {
			rows = append(rows, l)
		}
	}
	if got, want := strings.Join(rows, "\n")+"\n", Markdown(); got != want {
		t.Errorf("README's Environment table is not build/settings' (paste this):\n%s", want)
	}
}

// envName is what a constant naming a variable looks like.
var envName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*_?$`)

// TestEveryVariableIsDeclared: each variable the kit's code reads, by a
// constant named *Env* or a literal given to os.Getenv or os.LookupEnv, is
// in All; and each entry of All is read somewhere.
func TestEveryVariableIsDeclared(t *testing.T) {
	declared := map[string]bool{}
	for _, s := range All {
		if declared[s.Name] {
			t.Errorf("%s is in the table twice", s.Name)
		}
		declared[s.Name] = true
	}
	found := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "tools" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "out" || d.Name() == "dist") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if !strings.Contains(name.Name, "Env") || i >= len(n.Values) {
						continue
					}
					if v, ok := stringLit(n.Values[i]); ok && envName.MatchString(v) {
						found[v] = path
					}
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Getenv" || sel.Sel.Name == "LookupEnv") && len(n.Args) == 1 {
					if v, ok := stringLit(n.Args[0]); ok && v != "PATH" {
						found[v] = path
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, path := range found {
		if !declared[name] {
			t.Errorf("%s reads %s, which build/settings does not declare", path, name)
		}
	}
	for _, s := range All {
		if _, ok := found[s.Name]; !ok && !slices.Contains([]string{"GH_TOKEN"}, s.Name) {
			t.Errorf("build/settings declares %s, which no code reads by a constant or literal", s.Name)
		}
	}
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	v, err := strconv.Unquote(lit.Value)
	return v, err == nil
}

func TestPrintHidesTokens(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "secret-value")
	t.Setenv("MONGOOSE_FFI_JOBS", "3")
	var b strings.Builder
	Print(&b)
	if strings.Contains(b.String(), "secret-value") {
		t.Error("env printed the token")
	}
	if !regexp.MustCompile(`(?m)^MONGOOSE_FFI_JOBS +3 `).MatchString(b.String()) {
		t.Errorf("env does not show MONGOOSE_FFI_JOBS=3:\n%s", b.String())
	}
}
