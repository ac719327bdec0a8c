// Package objfile reads static archives and object files of the three
// formats the kit produces and checks they were built for the right target.
package objfile

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// Member is one file inside an ar archive.
type Member struct {
	Name string
	Data []byte
}

const arMagic = "!<arch>\n"

// ReadArchive parses a System V/GNU or BSD ar archive, skipping symbol tables.
func ReadArchive(path string) ([]Member, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseArchive(data, path)
}

// parseArchive returns members whose Data alias data.
func parseArchive(data []byte, path string) ([]Member, error) {
	if !bytes.HasPrefix(data, []byte(arMagic)) {
		return nil, fmt.Errorf("%s: not an ar archive", path)
	}
	var (
		out      []Member
		longName []byte // GNU "//" table
	)
	for off := len(arMagic); off+60 <= len(data); {
		hdr := data[off : off+60]
		if string(hdr[58:60]) != "`\n" {
			return nil, fmt.Errorf("%s: bad member header at offset %d", path, off)
		}
		size, err := strconv.Atoi(strings.TrimSpace(string(hdr[48:58])))
		if err != nil || off+60+size > len(data) {
			return nil, fmt.Errorf("%s: bad member size at offset %d", path, off)
		}
		body := data[off+60 : off+60+size]
		name := strings.TrimSpace(string(hdr[0:16]))
		off += 60 + size + size%2
		switch {
		case name == "//":
			longName = body
			continue
		case name == "/" || name == "/SYM64/" || strings.HasPrefix(name, "__.SYMDEF"):
			continue
		case strings.HasPrefix(name, "#1/"): // BSD: name stored before the data
			n, err := strconv.Atoi(name[3:])
			if err != nil || n > len(body) {
				return nil, fmt.Errorf("%s: bad BSD member name %q", path, name)
			}
			name, body = strings.TrimRight(string(body[:n]), "\x00"), body[n:]
			if strings.HasPrefix(name, "__.SYMDEF") {
				continue
			}
		case len(name) > 1 && name[0] == '/': // GNU: offset into the "//" table
			i, err := strconv.Atoi(name[1:])
			if err != nil || i >= len(longName) {
				return nil, fmt.Errorf("%s: bad GNU member name %q", path, name)
			}
			name = string(longName[i:])
			if j := strings.Index(name, "/\n"); j >= 0 {
				name = name[:j]
			}
		default:
			name = strings.TrimSuffix(name, "/")
		}
		out = append(out, Member{name, body})
	}
	return out, nil
}

// Describe names an object file's format and architecture, e.g. "ELF x86-64".
func Describe(data []byte) (target.Format, string, error) {
	r := bytes.NewReader(data)
	f, elfErr := elf.NewFile(r)
	if elfErr == nil {
		return target.ELF, elfArch(f.Machine), nil
	}
	m, machoErr := macho.NewFile(r)
	if machoErr == nil {
		return target.MachO, machoArch(m.Cpu), nil
	}
	p, peErr := pe.NewFile(r)
	if peErr == nil {
		return target.PE, peArch(p.Machine), nil
	}
	// A file that starts like one format but does not parse is corrupt (or
	// truncated): say which reader refused it and why.
	switch {
	case bytes.HasPrefix(data, []byte("\x7fELF")):
		return "", "", fmt.Errorf("corrupt or truncated ELF file: %w", elfErr)
	case len(data) >= 4 && (binary.LittleEndian.Uint32(data)|1 == macho.Magic64 || binary.BigEndian.Uint32(data)|1 == macho.Magic64):
		return "", "", fmt.Errorf("corrupt or truncated Mach-O file: %w", machoErr)
	case bytes.HasPrefix(data, []byte("MZ")):
		return "", "", fmt.Errorf("corrupt or truncated PE file: %w", peErr)
	}
	return "", "", fmt.Errorf("not an ELF, COFF or Mach-O object (%d bytes starting % x)", len(data), data[:min(len(data), 4)])
}

// CheckArchive checks that every object in a static archive is of the
// target's format and architecture, and returns how many there are.
func CheckArchive(path string, t target.Target) (int, error) {
	members, err := ReadArchive(path)
	if err != nil {
		return 0, err
	}
	if len(members) == 0 {
		return 0, fmt.Errorf("%s: empty archive", path)
	}
	for _, m := range members {
		format, arch, err := Describe(m.Data)
		if err != nil {
			return 0, fmt.Errorf("%s(%s): %w", path, m.Name, err)
		}
		if format != t.Format || arch != t.ObjArch {
			return 0, fmt.Errorf("%s(%s): %s %s object, want %s %s for %s", path, m.Name, format, arch, t.Format, t.ObjArch, t)
		}
	}
	return len(members), nil
}

func elfArch(m elf.Machine) string {
	switch m {
	case elf.EM_X86_64:
		return "x86-64"
	case elf.EM_AARCH64:
		return "arm64"
	}
	return m.String()
}

func machoArch(c macho.Cpu) string {
	switch c {
	case macho.CpuAmd64:
		return "x86-64"
	case macho.CpuArm64:
		return "arm64"
	}
	return c.String()
}

func peArch(m uint16) string {
	switch m {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		return "x86-64"
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return "arm64"
	}
	return fmt.Sprintf("machine %#x", m)
}

// Defined lists the global symbols an object file defines (Mach-O's leading
// underscore removed), whatever its format.
func Defined(data []byte) ([]string, error) {
	r := bytes.NewReader(data)
	var names []string
	if f, err := elf.NewFile(r); err == nil {
		syms, err := f.Symbols()
		if err != nil {
			return nil, err
		}
		for _, s := range syms {
			b := elf.ST_BIND(s.Info)
			if s.Section != elf.SHN_UNDEF && (b == elf.STB_GLOBAL || b == elf.STB_WEAK) {
				names = append(names, s.Name)
			}
		}
		return names, nil
	}
	if f, err := macho.NewFile(r); err == nil {
		if f.Symtab == nil {
			return nil, nil
		}
		for _, s := range f.Symtab.Syms {
			if s.Type&nStab == 0 && s.Type&nExt != 0 && s.Type&nTypeMask == nSect {
				names = append(names, strings.TrimPrefix(s.Name, "_"))
			}
		}
		return names, nil
	}
	if f, err := pe.NewFile(r); err == nil {
		const external = 2 // IMAGE_SYM_CLASS_EXTERNAL
		for _, s := range f.Symbols {
			if s.SectionNumber > 0 && s.StorageClass == external {
				names = append(names, s.Name)
			}
		}
		return names, nil
	}
	return nil, fmt.Errorf("not an ELF, COFF or Mach-O object")
}
