//go:build ignore
// +build ignore

package main

import (
	_context "context"
	_flag "flag"
	_fmt "fmt"
	_io "io"
	_log "log"
	_os "os"
	_signal "os/signal"
	_filepath "path/filepath"
	_sort "sort"
	_strconv "strconv"
	_strings "strings"
	_syscall "syscall"
	_tabwriter "text/tabwriter"
	_time "time"
	
)

func main() {
	// Use local types and functions in order to avoid name conflicts with additional magefiles.
	type arguments struct {
		Verbose       bool          // print out log statements
		List          bool          // print out a list of targets
		Help          bool          // print out help for a specific target
		Timeout       _time.Duration // set a timeout to running the targets
		Args          []string      // args contain the non-flag command-line arguments
	}

	parseBool := func(env string) bool {
		val := _os.Getenv(env)
		if val == "" {
			return false
		}		
		b, err := _strconv.ParseBool(val)
		if err != nil {
			_log.Printf("warning: environment variable %s is not a valid bool value: %v", env, val)
			return false
		}
		return b
	}

	parseDuration := func(env string) _time.Duration {
		val := _os.Getenv(env)
		if val == "" {
			return 0
		}		
		d, err := _time.ParseDuration(val)
		if err != nil {
			_log.Printf("warning: environment variable %s is not a valid duration value: %v", env, val)
			return 0
		}
		return d
	}
	args := arguments{}
	fs := _flag.FlagSet{}
	fs.SetOutput(_os.Stdout)

	// default flag set with ExitOnError and auto generated PrintDefaults should be sufficient
	fs.BoolVar(&args.Verbose, "v", parseBool("MAGEFILE_VERBOSE"), "show verbose output when running targets")
	fs.BoolVar(&args.List, "l", parseBool("MAGEFILE_LIST"), "list targets for this binary")
	fs.BoolVar(&args.Help, "h", parseBool("MAGEFILE_HELP"), "print out help for a specific target")
	fs.DurationVar(&args.Timeout, "t", parseDuration("MAGEFILE_TIMEOUT"), "timeout in duration parsable format (e.g. 5m30s)")
	fs.Usage = func() {
		_fmt.Fprintf(_os.Stdout, `
%s [options] [target]

Commands:
  -l    list targets in this binary
  -h    show this help

Options:
  -h    show description of a target
  -t <string>
        timeout in duration parsable format (e.g. 5m30s)
  -v    show verbose output when running targets
 `[1:], _filepath.Base(_os.Args[0]))
	}
	if err := fs.Parse(_os.Args[1:]); err != nil {
		// flag will have printed out an error already.
		return
	}
	args.Args = fs.Args()
	if args.Help && len(args.Args) == 0 {
		fs.Usage()
		return
	}
		
	var printName = func(str string) string {
	// color is ANSI color type
	type color int

	// If you add/change/remove any items in this constant,
	// you will need to run "stringer -type=color" in this directory again.
	// NOTE: Please keep the list in an alphabetical order.
	const (
		black color = iota
		red
		green
		yellow
		blue
		magenta
		cyan
		white
		brightblack
		brightred
		brightgreen
		brightyellow
		brightblue
		brightmagenta
		brightcyan
		brightwhite
	)

	// AnsiColor are ANSI color codes for supported terminal colors.
	var ansiColor = map[color]string{
		black:         "\u001b[30m",
		red:           "\u001b[31m",
		green:         "\u001b[32m",
		yellow:        "\u001b[33m",
		blue:          "\u001b[34m",
		magenta:       "\u001b[35m",
		cyan:          "\u001b[36m",
		white:         "\u001b[37m",
		brightblack:   "\u001b[30;1m",
		brightred:     "\u001b[31;1m",
		brightgreen:   "\u001b[32;1m",
		brightyellow:  "\u001b[33;1m",
		brightblue:    "\u001b[34;1m",
		brightmagenta: "\u001b[35;1m",
		brightcyan:    "\u001b[36;1m",
		brightwhite:   "\u001b[37;1m",
	}

	const colorName = "blackredgreenyellowbluemagentacyanwhitebrightblackbrightredbrightgreenbrightyellowbrightbluebrightmagentabrightcyanbrightwhite"

	var colorIndex = [...]uint8{0, 5, 8, 13, 19, 23, 30, 34, 39, 50, 59, 70, 82, 92, 105, 115, 126}

	colorToLowerString := func(i color) string {
		if i < 0 || i >= color(len(colorIndex)-1) {
			return "color(" + _strconv.FormatInt(int64(i), 10) + ")"
		}
		return colorName[colorIndex[i]:colorIndex[i+1]]
	}

	// ansiColorReset is an ANSI color code to reset the terminal color.
	const ansiColorReset = "\033[0m"

	// defaultTargetAnsiColor is a default ANSI color for colorizing targets.
	// It is set to Cyan as an arbitrary color, because it has a neutral meaning
	var defaultTargetAnsiColor = ansiColor[cyan]

	getAnsiColor := func(color string) (string, bool) {
		colorLower := _strings.ToLower(color)
		for k, v := range ansiColor {
			colorConstLower := colorToLowerString(k)
			if colorConstLower == colorLower {
				return v, true
			}
		}
		return "", false
	}

	// Terminals which  don't support color:
	//
	//	TERM=vt100
	//	TERM=cygwin
	//	TERM=xterm-mono
	var noColorTerms = map[string]bool{
		"vt100":      false,
		"cygwin":     false,
		"xterm-mono": false,
	}

	// terminalSupportsColor checks if the current console supports color output
	//
	// Supported:
	//
	//	linux, mac, or windows's ConEmu, Cmder, putty, git-bash.exe, pwsh.exe
	//
	// Not supported:
	//
	//	windows cmd.exe, powerShell.exe
	terminalSupportsColor := func() bool {
		envTerm := _os.Getenv("TERM")
		if _, ok := noColorTerms[envTerm]; ok {
			return false
		}
		return true
	}

	// enableColor reports whether the user has requested to enable a color output.
	enableColor := func() bool {
		b, _ := _strconv.ParseBool(_os.Getenv("MAGEFILE_ENABLE_COLOR"))
		return b
	}

	// targetColor returns the ANSI color which should be used to colorize targets.
	targetColor := func() string {
		s, exists := _os.LookupEnv("MAGEFILE_TARGET_COLOR")
		if exists {
			if c, ok := getAnsiColor(s); ok {
				return c
			}
		}
		return defaultTargetAnsiColor
	}

	// store the color terminal variables, so that the detection isn't repeated for each target
	var enableColorValue = enableColor() && terminalSupportsColor()
	var targetColorValue = targetColor()

	if enableColorValue {
		return _fmt.Sprintf("%s%s%s", targetColorValue, str, ansiColorReset)
	}

	return str
}


	list := func() error {
		_fmt.Println(`Mage targets of mongoose-ffi. Each is a one-liner over a package under build/, openssl/ or mongoose/; run them with 'go tool mage <target>'.
`)
		targets := map[string]string{
			"artifacts:download": "fetches the current branch's latest successful CI libraries (MONGOOSE_FFI_RUN picks a run) into out/, verified.",
			"bench": "measures HTTP and WebSocket throughput: C on the library, the Go binding, net/http.",
			"build": "builds the mongoose library for every selected target into out/<os>_<arch>/.",
			"docker:base": "makes the Dockerfile's base image exist: present, pulled, or made with debootstrap.",
			"docker:build": "builds and verifies the libraries inside the image.",
			"docker:image": "builds the toolchain image, tagged by a hash of what defines it.",
			"docker:release": "runs 'release' inside the image, with the commit and version read on the host.",
			"docker:run": "runs the mage targets in MONGOOSE_FFI_DOCKER_ARGS inside the image.",
			"docker:test": "runs every test inside the image, Windows under Wine and arm64 under QEMU included.",
			"fuzz": "runs every fuzz target for MONGOOSE_FFI_FUZZTIME each (default 60s).",
			"lint": "runs gofmt, go vet, staticcheck and actionlint (with shellcheck where installed).",
			"openssl": "builds static OpenSSL for every selected target (MONGOOSE_FFI_TARGETS).",
			"prebuilt": "takes out/<host>/'s library, checked against the pins and verified, instead of building (MONGOOSE_FFI_PREBUILT=1).",
			"release": "runs sources, openssl, build, verify and test, then GoReleaser: a snapshot into dist/, or on a clean vX.Y.Z tag with GITHUB_TOKEN a published release and the binding/vX.Y.Z tag.",
			"reproducible": "builds the selected targets twice from scratch and compares the libraries.",
			"soak": "runs the Go binding's server under mixed load for MONGOOSE_FFI_SOAK (default 60s).",
			"sources": "obtains and verifies the pinned mongoose and OpenSSL sources into the cache.",
			"test": "runs lint and every test, including the cached integration builds.",
			"verify": "checks the built libraries: format, exports, no OpenSSL symbols, only system imports.",
			"zig": "installs the pinned zig compiler into the cache if it is not there.",
		}

		keys := make([]string, 0, len(targets))
		for name := range targets {
			keys = append(keys, name)
		}
		_sort.Strings(keys)

		_fmt.Println("Targets:")
		w := _tabwriter.NewWriter(_os.Stdout, 0, 4, 4, ' ', 0)
		for _, name := range keys {
			_fmt.Fprintf(w, "  %v\t%v\n", printName(name), targets[name])
		}
		err := w.Flush()
		return err
	}

	var ctx _context.Context
	ctxCancel := func(){}

	// by deferring in a closure, we let the cancel function get replaced
	// by the getContext function.
	defer func() {
		ctxCancel()
	}()

	getContext := func() (_context.Context, func()) {
		if ctx == nil {
			if args.Timeout != 0 {
				ctx, ctxCancel = _context.WithTimeout(_context.Background(), args.Timeout)
			} else {
				ctx, ctxCancel = _context.WithCancel(_context.Background())
			}
		}

		return ctx, ctxCancel
	}

	runTarget := func(logger *_log.Logger, fn func(_context.Context) error) interface{} {
		var err interface{}
		ctx, cancel := getContext()
		d := make(chan interface{})
		go func() {
			defer func() {
				err := recover()
				d <- err
			}()
			err := fn(ctx)
			d <- err
		}()
		sigCh := make(chan _os.Signal, 1)
		_signal.Notify(sigCh, _syscall.SIGINT)
		select {
		case <-sigCh:
			logger.Println("cancelling mage targets, waiting up to 5 seconds for cleanup...")
			cancel()
			cleanupCh := _time.After(5 * _time.Second)

			select {
			// target exited by itself
			case err = <-d:
				return err
			// cleanup timeout exceeded
			case <-cleanupCh:
				return _fmt.Errorf("cleanup timeout exceeded")
			// second SIGINT received
			case <-sigCh:
				logger.Println("exiting mage")
				return _fmt.Errorf("exit forced")
			}
		case <-ctx.Done():
			cancel()
			e := ctx.Err()
			_fmt.Printf("ctx err: %v\n", e)
			return e
		case err = <-d:
			// we intentionally don't cancel the context here, because
			// the next target will need to run with the same _context.
			return err
		}
	}
	// This is necessary in case there aren't any targets, to avoid an unused
	// variable error.
	_ = runTarget

	handleError := func(logger *_log.Logger, err interface{}) {
		if err != nil {
			logger.Printf("Error: %+v\n", err)
			type code interface {
				ExitStatus() int
			}
			if c, ok := err.(code); ok {
				_os.Exit(c.ExitStatus())
			}
			_os.Exit(1)
		}
	}
	_ = handleError

	// Set MAGEFILE_VERBOSE so mg.Verbose() reflects the flag value.
	if args.Verbose {
		_os.Setenv("MAGEFILE_VERBOSE", "1")
	} else {
		_os.Setenv("MAGEFILE_VERBOSE", "0")
	}

	_log.SetFlags(0)
	if !args.Verbose {
		_log.SetOutput(_io.Discard)
	}
	logger := _log.New(_os.Stderr, "", 0)
	if args.List {
		if err := list(); err != nil {
			_log.Println(err)
			_os.Exit(1)
		}
		return
	}

	if args.Help {
		if len(args.Args) < 1 {
			logger.Println("no target specified")
			_os.Exit(2)
		}
		switch _strings.ToLower(args.Args[0]) {
			case "artifacts:download":
				_fmt.Println("Download fetches the current branch's latest successful CI libraries (MONGOOSE_FFI_RUN picks a run) into out/, verified.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage artifacts:download\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "bench":
				_fmt.Println("Bench measures HTTP and WebSocket throughput: C on the library, the Go binding, net/http.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage bench\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "build":
				_fmt.Println("Build builds the mongoose library for every selected target into out/<os>_<arch>/.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage build\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "docker:base":
				_fmt.Println("Base makes the Dockerfile's base image exist: present, pulled, or made with debootstrap.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage docker:base\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "docker:build":
				_fmt.Println("Build builds and verifies the libraries inside the image.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage docker:build\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "docker:image":
				_fmt.Println("Image builds the toolchain image, tagged by a hash of what defines it.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage docker:image\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "docker:release":
				_fmt.Println("Release runs 'release' inside the image, with the commit and version read on the host.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage docker:release\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "docker:run":
				_fmt.Println("Run runs the mage targets in MONGOOSE_FFI_DOCKER_ARGS inside the image.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage docker:run\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "docker:test":
				_fmt.Println("Test runs every test inside the image, Windows under Wine and arm64 under QEMU included.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage docker:test\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "fuzz":
				_fmt.Println("Fuzz runs every fuzz target for MONGOOSE_FFI_FUZZTIME each (default 60s).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage fuzz\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "lint":
				_fmt.Println("Lint runs gofmt, go vet, staticcheck and actionlint (with shellcheck where installed).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage lint\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "openssl":
				_fmt.Println("Openssl builds static OpenSSL for every selected target (MONGOOSE_FFI_TARGETS).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage openssl\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "prebuilt":
				_fmt.Println("Prebuilt takes out/<host>/'s library, checked against the pins and verified, instead of building (MONGOOSE_FFI_PREBUILT=1).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage prebuilt\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "release":
				_fmt.Println("Release runs sources, openssl, build, verify and test, then GoReleaser: a snapshot into dist/, or on a clean vX.Y.Z tag with GITHUB_TOKEN a published release and the binding/vX.Y.Z tag.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage release\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "reproducible":
				_fmt.Println("Reproducible builds the selected targets twice from scratch and compares the libraries.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage reproducible\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "soak":
				_fmt.Println("Soak runs the Go binding's server under mixed load for MONGOOSE_FFI_SOAK (default 60s).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage soak\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "sources":
				_fmt.Println("Sources obtains and verifies the pinned mongoose and OpenSSL sources into the cache.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage sources\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "test":
				_fmt.Println("Test runs lint and every test, including the cached integration builds.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage test\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "verify":
				_fmt.Println("Verify checks the built libraries: format, exports, no OpenSSL symbols, only system imports.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage verify\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			case "zig":
				_fmt.Println("Zig installs the pinned zig compiler into the cache if it is not there.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage zig\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
			default:
				logger.Printf("Unknown target: %q\n", args.Args[0])
				_os.Exit(2)
		}
	}
	if len(args.Args) < 1 {
		if err := list(); err != nil {
			logger.Println("Error:", err)
			_os.Exit(1)
		}
		return
	}
	for x := 0; x < len(args.Args); {
		target := args.Args[x]
		x++

		// resolve aliases
		switch _strings.ToLower(target) {
		
		}

		switch _strings.ToLower(target) {
		
			case "artifacts:download":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Artifacts:Download\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Artifacts:Download")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Artifacts{}.Download(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "bench":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Bench\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Bench")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Bench(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "build":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Build\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Build")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Build(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "docker:base":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Docker:Base\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Docker:Base")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Docker{}.Base(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "docker:build":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Docker:Build\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Docker:Build")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Docker{}.Build(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "docker:image":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Docker:Image\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Docker:Image")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Docker{}.Image(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "docker:release":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Docker:Release\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Docker:Release")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Docker{}.Release(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "docker:run":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Docker:Run\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Docker:Run")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Docker{}.Run(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "docker:test":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Docker:Test\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Docker:Test")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Docker{}.Test(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "fuzz":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Fuzz\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Fuzz")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Fuzz(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "lint":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Lint\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Lint")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Lint(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "openssl":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Openssl\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Openssl")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Openssl(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "prebuilt":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Prebuilt\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Prebuilt")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Prebuilt(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "release":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Release\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Release")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Release(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "reproducible":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Reproducible\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Reproducible")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Reproducible(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "soak":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Soak\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Soak")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Soak(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "sources":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Sources\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Sources")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Sources(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "test":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Test\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Test")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Test(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "verify":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Verify\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Verify")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Verify(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
			case "zig":
				expected := x + 0
				if expected > len(args.Args) {
					// note that expected and args at this point include the arg for the target itself
					// so we subtract 1 here to show the number of args without the target.
					logger.Printf("not enough arguments for target \"Zig\", expected %v, got %v\n", expected-1, len(args.Args)-1)
					_os.Exit(2)
				}
				if args.Verbose {
					logger.Println("Running target:", "Zig")
				}
				
				wrapFn := func(ctx _context.Context) error {
					return Zig(ctx)
				}
				ret := runTarget(logger, wrapFn)
				handleError(logger, ret)
		
		default:
			logger.Printf("Unknown target specified: %q\n", target)
			_os.Exit(2)
		}
	}
}




