// Package source obtains pinned third-party sources: it finds them in the
// cache, in a local copy, upstream or through a fallback, and refuses any byte
// that does not match the pin.
package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"
)

// Pin describes one third-party source release, as written in a pin file.
type Pin struct {
	Name      string     `json:"name"`
	Version   string     `json:"version"`
	License   string     `json:"license"`
	Homepage  string     `json:"homepage"`
	Files     []File     `json:"files"`
	Signature *Signature `json:"signature,omitempty"`
}

// File is one pinned file and the places it may be downloaded from.
type File struct {
	Name   string   `json:"name"`
	SHA256 string   `json:"sha256"`
	URLs   []string `json:"urls"`
	// Aliases are other names the same bytes go by in local copies and
	// fallbacks, e.g. Debian's openssl_3.5.7.orig.tar.gz.
	Aliases []string `json:"aliases,omitempty"`
}

// Signature says which file carries a detached OpenPGP signature of which
// other file, and whose keys may have made it.
type Signature struct {
	File         string   `json:"file"`
	Sig          string   `json:"signature"`
	Fingerprints []string `json:"fingerprints"`
}

var (
	hexSHA256   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	fingerprint = regexp.MustCompile(`^[0-9A-F]{40}$`)
)

// Parse decodes and validates a pin file; origin names it in errors.
func Parse(data []byte, origin string) (*Pin, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Pin
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: %w", origin, err)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", origin, err)
	}
	return &p, nil
}

func (p *Pin) validate() error {
	if p.Name == "" || p.Version == "" {
		return fmt.Errorf("name and version are required")
	}
	if len(p.Files) == 0 {
		return fmt.Errorf("no files pinned")
	}
	seen := map[string]bool{}
	for _, f := range p.Files {
		for _, n := range append([]string{f.Name}, f.Aliases...) {
			if n == "" || n != path.Base(n) || strings.ContainsAny(n, `\/`) || n == "." || n == ".." {
				return fmt.Errorf("file name %q must be a plain file name", n)
			}
			if seen[n] {
				return fmt.Errorf("file name %q appears twice", n)
			}
			seen[n] = true
		}
		if !hexSHA256.MatchString(f.SHA256) {
			return fmt.Errorf("%s: sha256 %q is not 64 lower-case hex digits", f.Name, f.SHA256)
		}
		if len(f.URLs) == 0 {
			return fmt.Errorf("%s: no upstream URL", f.Name)
		}
		for _, u := range f.URLs {
			if !strings.HasPrefix(u, "https://") {
				return fmt.Errorf("%s: URL %q is not https", f.Name, u)
			}
		}
	}
	if s := p.Signature; s != nil {
		if p.File(s.File) == nil || p.File(s.Sig) == nil {
			return fmt.Errorf("signature names files %q and %q, which must both be pinned", s.File, s.Sig)
		}
		if len(s.Fingerprints) == 0 {
			return fmt.Errorf("signature: no key fingerprints")
		}
		for _, fp := range s.Fingerprints {
			if !fingerprint.MatchString(fp) {
				return fmt.Errorf("signature: fingerprint %q is not 40 upper-case hex digits", fp)
			}
		}
	}
	return nil
}

// File returns the pinned file with the given name, or nil.
func (p *Pin) File(name string) *File {
	for i := range p.Files {
		if p.Files[i].Name == name {
			return &p.Files[i]
		}
	}
	return nil
}

// String names the release, e.g. "openssl 3.5.7".
func (p *Pin) String() string { return p.Name + " " + p.Version }
