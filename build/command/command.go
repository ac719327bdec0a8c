// Package command runs the long external commands of a build (Configure, make,
// the linker) with their output in a log file and a heartbeat on the console.
package command

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Heartbeat is how often a still-running command says so.
var Heartbeat = 30 * time.Second

// Cmd is one logged command.
type Cmd struct {
	Label string   // e.g. "openssl linux/amd64: make"
	Dir   string   // working directory
	Env   []string // added to the environment
	Log   string   // log file, appended to
	Args  []string // command and arguments
}

// Run runs c, reporting on out. On failure the error carries the last lines
// of the log and the log's path.
func Run(ctx context.Context, out io.Writer, c Cmd) error {
	logf, err := os.OpenFile(c.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n$ %s\n", strings.Join(c.Args, " "))
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	fmt.Fprintf(out, "%s\n", c.Label)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(out, "%s: still running (%s)\n", c.Label, time.Since(start).Round(time.Second))
			}
		}
	}()
	err = cmd.Run()
	close(done)
	if err != nil {
		logf.Sync()
		return fmt.Errorf("%s failed after %s: %w\n--- last lines of %s ---\n%s\n--- full log: %s",
			c.Label, time.Since(start).Round(time.Second), err, c.Log, Tail(c.Log, 30), c.Log)
	}
	return nil
}

// Tail returns the last n lines of a file.
func Tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(LastLines(string(data), n), "\n")
	// Compiler command lines run to kilobytes; the message is at the end.
	for i, l := range lines {
		if len(l) > 300 {
			lines[i] = l[:150] + " ... " + l[len(l)-145:]
		}
	}
	return strings.Join(lines, "\n")
}

// LastLines returns the last n lines of text, without a final newline.
func LastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
