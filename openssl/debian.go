package openssl

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/debian"
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/build/step"
)

// Debian ships upstream's release tarball and signature unchanged as the
// orig files of its source package; trixie carries OpenSSL 3.5.
const debianSuite = "trixie"

// debianFallback fetches the pinned release through Debian's source package
// with apt-get, using a private apt state so the system's is left alone.
func debianFallback(pin *source.Pin) source.Fallback {
	return source.Fallback{
		Name: "Debian source package openssl/" + debianSuite + " (apt-get source)",
		Fetch: func(ctx context.Context, dir string) error {
			if _, err := exec.LookPath("apt-get"); err != nil {
				return fmt.Errorf("apt-get not found")
			}
			mirror, security := debian.Mirrors()
			if mirror == "" {
				return fmt.Errorf("no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d")
			}
			return aptSource(ctx, dir, mirror, security, pin.Version)
		},
	}
}

func aptSource(ctx context.Context, dir, mirror, security, version string) error {
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
	list := fmt.Sprintf("deb-src%s %s %s main\ndeb-src%s %s %s-updates main\n", signedBy, mirror, debianSuite, signedBy, mirror, debianSuite)
	if security != "" {
		list += fmt.Sprintf("deb-src%s %s %s-security main\n", signedBy, security, debianSuite)
	}
	sources := filepath.Join(state, "sources.list")
	if err := os.WriteFile(sources, []byte(list), 0o644); err != nil {
		return err
	}
	opts := []string{
		"-o", "Dir::Etc::SourceList=" + sources,
		"-o", "Dir::Etc::SourceParts=" + filepath.Join(state, "none"),
		"-o", "Dir::State::Lists=" + filepath.Join(state, "lists"),
		"-o", "Dir::Cache=" + filepath.Join(state, "cache"),
		"-o", "Debug::NoLocking=1",
		"-o", "APT::Sandbox::User=root", // the private dirs belong to us, not _apt
	}
	run := func(dir string, name string, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, name, append(opts, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return out, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, step.LastLines(string(out), 6))
		}
		return out, nil
	}
	if _, err := run(state, "apt-get", "-q", "update"); err != nil {
		return err
	}
	out, err := run(state, "apt-cache", "showsrc", "openssl")
	if err != nil {
		return err
	}
	versions := debianVersions(out, version)
	if len(versions) == 0 {
		return fmt.Errorf("the Debian %s index lists no openssl source package with upstream %s", debianSuite, version)
	}
	// Mirrors sometimes list a version whose files are gone (404): try each.
	var errs []string
	for _, v := range versions {
		if _, err := run(dir, "apt-get", "-q", "source", "--download-only", "openssl="+v); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		return nil
	}
	return fmt.Errorf("every listed version failed:\n%s", strings.Join(errs, "\n"))
}

// debianVersions lists the source package versions, from apt-cache showsrc
// output, whose orig tarball is the given upstream version.
func debianVersions(showsrc []byte, upstream string) []string {
	var out []string
	orig := "openssl_" + upstream + ".orig.tar.gz"
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
