// Command mongoose-ffi checks mongoose libraries built by mongoose-ffi, or
// any mongoose shared library.
//
//	mongoose-ffi verify [-target os/arch] [-exports FILE] LIBRARY...
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/build/verify"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

var commands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"verify": verifyCmd,
}

func usage(stderr io.Writer) int {
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(stderr, "usage: mongoose-ffi <command> [arguments]\ncommands: %s\n", strings.Join(names, ", "))
	return 2
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usage(stderr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "mongoose-ffi: unknown command %q\n", args[0])
		return usage(stderr)
	}
	return cmd(args[1:], stdout, stderr)
}

// Without an exports list, a library must at least be a mongoose.
var minimalExports = []string{"mg_mgr_init", "mg_mgr_poll"}

func verifyCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	targetName := fs.String("target", "", "os/arch the libraries are for (default: from each file)")
	exportsFile := fs.String("exports", "", "file listing the required exports, one per line (default: "+verify.ExportsFile+" beside each library)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mongoose-ffi verify [-target os/arch] [-exports FILE] LIBRARY...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	var reports []*verify.Report
	for _, lib := range fs.Args() {
		r, err := check(lib, *targetName, *exportsFile)
		if err != nil {
			fmt.Fprintf(stderr, "mongoose-ffi verify: %v\n", err)
			return 2
		}
		reports = append(reports, r)
	}
	verify.PrintTable(stdout, reports)
	for _, r := range reports {
		if !r.OK() {
			return 1
		}
	}
	return 0
}

func check(lib, targetName, exportsFile string) (*verify.Report, error) {
	var t target.Target
	if targetName != "" {
		var ok bool
		if t, ok = target.Lookup(targetName); !ok {
			return nil, fmt.Errorf("-target %q: unknown; valid targets: %s", targetName, strings.Join(target.Names(), ", "))
		}
	} else {
		l, err := verify.Open(lib)
		if err != nil {
			return nil, err
		}
		var ok bool
		if t, ok = l.Target(); !ok {
			return nil, fmt.Errorf("%s: %s %s is none of the kit's targets; name one with -target", lib, l.Format, l.Arch)
		}
	}
	expected := minimalExports
	file := exportsFile
	if file == "" {
		file = filepath.Join(filepath.Dir(lib), verify.ExportsFile)
	}
	if names, err := verify.ReadExports(file); err == nil {
		expected = names
	} else if exportsFile != "" {
		return nil, fmt.Errorf("-exports: %w", err)
	}
	return verify.Check(lib, t, expected)
}
