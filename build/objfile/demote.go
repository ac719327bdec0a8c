package objfile

import (
	"bytes"
	"debug/macho"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
)

// Mach-O constants (<mach-o/loader.h>, <mach-o/nlist.h>).
const (
	machoMagic64 = 0xfeedfacf
	lcSymtab     = 0x2
	nStab        = 0xe0
	nPExt        = 0x10
	nTypeMask    = 0x0e
	nSect        = 0x0e
	nUndf        = 0x00
	nExt         = 0x01
)

// DemoteMachO marks every defined external symbol of a 64-bit Mach-O object
// private extern unless keep says otherwise, editing data in place, and
// returns how many it demoted. zig's Mach-O linker ignores
// -exported_symbols_list but honours private externs, so this is how a
// dylib's export list is applied.
func DemoteMachO(data []byte, keep func(name string) bool) (int, error) {
	le := binary.LittleEndian
	if len(data) < 32 || le.Uint32(data) != machoMagic64 {
		return 0, fmt.Errorf("not a 64-bit little-endian Mach-O object")
	}
	ncmds := le.Uint32(data[16:])
	off := 32
	for i := uint32(0); i < ncmds; i++ {
		if off+8 > len(data) {
			return 0, fmt.Errorf("load command %d out of bounds", i)
		}
		cmd, size := le.Uint32(data[off:]), int(le.Uint32(data[off+4:]))
		if cmd == lcSymtab {
			return demoteSymtab(data, data[off:off+size], keep)
		}
		if size < 8 {
			return 0, fmt.Errorf("load command %d has size %d", i, size)
		}
		off += size
	}
	return 0, nil // no symbols
}

func demoteSymtab(data, cmd []byte, keep func(string) bool) (int, error) {
	le := binary.LittleEndian
	symoff, nsyms := int(le.Uint32(cmd[8:])), int(le.Uint32(cmd[12:]))
	stroff, strsize := int(le.Uint32(cmd[16:])), int(le.Uint32(cmd[20:]))
	if symoff+16*nsyms > len(data) || stroff+strsize > len(data) {
		return 0, fmt.Errorf("symbol table out of bounds")
	}
	strtab := data[stroff : stroff+strsize]
	n := 0
	for i := 0; i < nsyms; i++ {
		sym := data[symoff+16*i : symoff+16*i+16]
		typ := sym[4]
		// Defined symbols, and common ones (undefined with a size), which
		// the linker turns into definitions: OPENSSL_ia32cap_P is one.
		common := typ&nTypeMask == nUndf && le.Uint64(sym[8:]) != 0
		if typ&nStab != 0 || typ&nExt == 0 || (typ&nTypeMask != nSect && !common) || typ&nPExt != 0 {
			continue
		}
		strx := int(le.Uint32(sym))
		if strx >= len(strtab) {
			return 0, fmt.Errorf("symbol %d: name out of bounds", i)
		}
		name := strtab[strx:]
		if j := bytes.IndexByte(name, 0); j >= 0 {
			name = name[:j]
		}
		if !keep(strings.TrimPrefix(string(name), "_")) {
			sym[4] = typ | nPExt
			n++
		}
	}
	return n, nil
}

// DemoteMachOFile applies DemoteMachO to an object file or to every member
// of an ar archive, rewriting the file through a temporary copy.
func DemoteMachOFile(path string, keep func(string) bool) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var objs [][]byte
	if bytes.HasPrefix(data, []byte(arMagic)) {
		members, err := parseArchive(data, path)
		if err != nil {
			return 0, err
		}
		for _, m := range members {
			objs = append(objs, m.Data) // aliases data: edits land in place
		}
	} else {
		objs = [][]byte{data}
	}
	total := 0
	for _, o := range objs {
		n, err := DemoteMachO(o, keep)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		total += n
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return 0, err
	}
	return total, os.Rename(tmp, path)
}

// Common is a Mach-O common symbol: a tentative definition the linker
// allocates, with its size and alignment (a power of two).
type Common struct {
	Name       string
	Size       uint64
	AlignShift uint8
}

// MachOCommons lists the external common symbols of a Mach-O object or of
// every object in an archive. zig's Mach-O linker exports them even when
// private extern, so the build defines them itself, where demotion works.
func MachOCommons(path string) ([]Common, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	objs := [][]byte{data}
	if bytes.HasPrefix(data, []byte(arMagic)) {
		members, err := parseArchive(data, path)
		if err != nil {
			return nil, err
		}
		objs = objs[:0]
		for _, m := range members {
			objs = append(objs, m.Data)
		}
	}
	var out []Common
	for _, o := range objs {
		f, err := macho.NewFile(bytes.NewReader(o))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if f.Symtab == nil {
			continue
		}
		for _, s := range f.Symtab.Syms {
			if s.Type&nStab == 0 && s.Type&nExt != 0 && s.Type&nTypeMask == nUndf && s.Value != 0 {
				out = append(out, Common{strings.TrimPrefix(s.Name, "_"), s.Value, uint8(s.Desc>>8) & 0x0f})
			}
		}
	}
	return out, nil
}
