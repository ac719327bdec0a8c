package debian

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/command"
)

// Suite is the Debian release whose source packages the kit fetches.
const Suite = "trixie"

// SourceFiles downloads the files of Debian's source package pkg whose
// orig tarball is orig (e.g. luajit_2.1.0+openresty20250117.orig.tar.xz)
// into dir with apt-get source, through a private apt state that leaves the
// system's alone; the mirror is the one the system's apt already uses.
// Mirrors sometimes list files they no longer hold: what arrives is kept,
// and the caller checks it against its pin.
func SourceFiles(ctx context.Context, dir, pkg, orig string) error {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("apt-get not found")
	}
	mirror, security := Mirrors()
	if mirror == "" {
		return fmt.Errorf("no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d")
	}
	state, err := os.MkdirTemp("", "mongoose-ffi-apt-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(state)
	for _, d := range []string{"lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(state, d), 0o755); err != nil {
			return err
		}
	}
	signedBy := ""
	if _, err := os.Stat("/usr/share/keyrings/debian-archive-keyring.gpg"); err == nil {
		signedBy = " [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"
	}
	list := fmt.Sprintf("deb-src%s %s %s main\ndeb-src%s %s %s-updates main\n", signedBy, mirror, Suite, signedBy, mirror, Suite)
	if security != "" {
		list += fmt.Sprintf("deb-src%s %s %s-security main\n", signedBy, security, Suite)
	}
	sources := filepath.Join(state, "sources.list")
	if err := os.WriteFile(sources, []byte(list), 0o644); err != nil {
		return err
	}
	opts := []string{"-o", "Dir::Etc::SourceList=" + sources, "-o", "Dir::Etc::SourceParts=" + filepath.Join(state, "none"),
		"-o", "Dir::State::Lists=" + filepath.Join(state, "lists"), "-o", "Dir::Cache=" + filepath.Join(state, "cache"),
		"-o", "Debug::NoLocking=1",
		"-o", "APT::Sandbox::User=root"} // the private dirs belong to us, not _apt
	run := func(dir, name string, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, name, append(opts, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return out, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, command.LastLines(string(out), 6))
		}
		return out, nil
	}
	if _, err := run(state, "apt-get", "-q", "update"); err != nil {
		return err
	}
	out, err := run(state, "apt-cache", "showsrc", pkg)
	if err != nil {
		return err
	}
	versions := Versions(out, orig)
	if len(versions) == 0 {
		return fmt.Errorf("the Debian %s index lists no %s source package with %s", Suite, pkg, orig)
	}
	var errs []string
	for _, v := range versions {
		_, err := run(dir, "apt-get", "-q", "source", "--download-only", pkg+"="+v)
		if _, serr := os.Stat(filepath.Join(dir, orig)); serr == nil {
			return nil // the orig tarball is all the caller needs
		}
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	return fmt.Errorf("no listed version gave %s:\n%s", orig, strings.Join(errs, "\n"))
}

// Versions lists the source package versions, from apt-cache showsrc
// output, whose orig tarball is orig.
func Versions(showsrc []byte, orig string) []string {
	var out []string
	for _, rec := range bytes.Split(showsrc, []byte("\n\n")) {
		v := ""
		for _, line := range strings.Split(string(rec), "\n") {
			if s, ok := strings.CutPrefix(line, "Version: "); ok {
				v = strings.TrimSpace(s)
			}
		}
		if v != "" && bytes.Contains(rec, []byte(" "+orig+"\n")) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
