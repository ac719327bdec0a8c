package verify

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"strings"
)

func readELF(data []byte, l *Library) error {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return err
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		return err
	}
	for _, s := range syms {
		typ, bind := elf.ST_TYPE(s.Info), elf.ST_BIND(s.Info)
		if s.Section == elf.SHN_UNDEF || elf.ST_VISIBILITY(s.Other) != elf.STV_DEFAULT ||
			(bind != elf.STB_GLOBAL && bind != elf.STB_WEAK) ||
			(typ != elf.STT_FUNC && typ != elf.STT_OBJECT && typ != elf.STT_GNU_IFUNC) {
			continue
		}
		l.Exports = append(l.Exports, s.Name)
	}
	l.Imports, err = f.ImportedLibraries()
	return err
}

func readPE(data []byte, l *Library) error {
	f, err := pe.NewFile(bytes.NewReader(data))
	if err != nil {
		return err
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		return fmt.Errorf("not a 64-bit PE image")
	}
	// debug/pe reads imports but not exports: walk the export directory.
	if dir := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT]; dir.Size > 0 {
		ed, err := rva(f, dir.VirtualAddress, 40)
		if err != nil {
			return err
		}
		n := binary.LittleEndian.Uint32(ed[24:])     // NumberOfNames
		names := binary.LittleEndian.Uint32(ed[32:]) // AddressOfNames
		if n > uint32(len(data)/4) {
			return fmt.Errorf("export directory claims %d names, more than the file can hold", n)
		}
		table, err := rva(f, names, 4*n)
		if err != nil {
			return err
		}
		for i := uint32(0); i < n; i++ {
			name, err := cstring(f, binary.LittleEndian.Uint32(table[4*i:]))
			if err != nil {
				return err
			}
			l.Exports = append(l.Exports, name)
		}
	}
	syms, err := f.ImportedSymbols() // "name:dll"
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, s := range syms {
		_, dll, _ := strings.Cut(s, ":")
		if d := strings.ToLower(dll); !seen[d] {
			seen[d] = true
			l.Imports = append(l.Imports, dll)
		}
	}
	return nil
}

// rva reads n bytes at a relative virtual address. Sums are 64-bit: a
// corrupt header must not wrap around into a valid range.
func rva(f *pe.File, addr, n uint32) ([]byte, error) {
	for _, s := range f.Sections {
		if addr >= s.VirtualAddress && uint64(addr)+uint64(n) <= uint64(s.VirtualAddress)+uint64(max(s.VirtualSize, s.Size)) {
			data, err := s.Data()
			if err != nil {
				return nil, err
			}
			off := uint64(addr - s.VirtualAddress)
			if off+uint64(n) > uint64(len(data)) {
				return nil, fmt.Errorf("RVA %#x+%d beyond section %s's data", addr, n, s.Name)
			}
			return data[off : off+uint64(n)], nil
		}
	}
	return nil, fmt.Errorf("RVA %#x is in no section", addr)
}

func cstring(f *pe.File, addr uint32) (string, error) {
	for _, s := range f.Sections {
		if addr >= s.VirtualAddress && uint64(addr) < uint64(s.VirtualAddress)+uint64(max(s.VirtualSize, s.Size)) {
			data, err := s.Data()
			if err != nil {
				return "", err
			}
			if uint64(addr-s.VirtualAddress) >= uint64(len(data)) {
				return "", fmt.Errorf("name at RVA %#x beyond section %s's data", addr, s.Name)
			}
			b := data[addr-s.VirtualAddress:]
			if i := bytes.IndexByte(b, 0); i >= 0 {
				return string(b[:i]), nil
			}
			return "", fmt.Errorf("unterminated name at RVA %#x", addr)
		}
	}
	return "", fmt.Errorf("RVA %#x is in no section", addr)
}

// Mach-O load commands debug/macho leaves raw.
const (
	lcReqDyld          = 0x80000000
	lcLoadWeakDylib    = 0x18 | lcReqDyld
	lcReexportDylib    = 0x1f | lcReqDyld
	lcLoadUpwardDylib  = 0x23 | lcReqDyld
	lcDyldInfo         = 0x22
	lcDyldInfoOnly     = 0x22 | lcReqDyld
	lcDyldExportsTrie  = 0x33 | lcReqDyld
	linkerSynthesized  = "__mh_dylib_header ___dso_handle"
	machoSymbolPrefix  = "_"
	dylibNameOffsetPos = 8
)

func readMachO(data []byte, l *Library) error {
	f, err := macho.NewFile(bytes.NewReader(data))
	if err != nil {
		return err
	}
	le := binary.LittleEndian
	for _, load := range f.Loads {
		raw := load.Raw()
		if len(raw) < 16 {
			continue
		}
		switch cmd := le.Uint32(raw); cmd {
		case uint32(macho.LoadCmdDylib), lcLoadWeakDylib, lcReexportDylib, lcLoadUpwardDylib:
			off := le.Uint32(raw[dylibNameOffsetPos:])
			if int(off) < len(raw) {
				name := raw[off:]
				if i := bytes.IndexByte(name, 0); i >= 0 {
					name = name[:i]
				}
				l.Imports = append(l.Imports, string(name))
			}
		case lcDyldInfo, lcDyldInfoOnly, lcDyldExportsTrie:
			var off, size uint32
			if cmd == lcDyldExportsTrie {
				off, size = le.Uint32(raw[8:]), le.Uint32(raw[12:])
			} else if len(raw) >= 48 {
				off, size = le.Uint32(raw[40:]), le.Uint32(raw[44:])
			}
			if size == 0 {
				continue
			}
			if uint64(off)+uint64(size) > uint64(len(data)) {
				return fmt.Errorf("export trie out of bounds")
			}
			names, err := exportTrie(data[off : off+size])
			if err != nil {
				return err
			}
			for _, n := range names {
				if !strings.Contains(linkerSynthesized, n) {
					l.Exports = append(l.Exports, strings.TrimPrefix(n, machoSymbolPrefix))
				}
			}
		}
	}
	return nil
}

// exportTrie lists the names in a Mach-O export trie: each node holds its
// terminal info size (ULEB128), the info, then its edges (a label and the
// child's offset).
func exportTrie(trie []byte) ([]string, error) {
	var names []string
	type node struct {
		off    uint64
		prefix string
	}
	stack := []node{{0, ""}}
	visited := map[uint64]bool{}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visited[n.off] {
			return nil, fmt.Errorf("export trie has a loop")
		}
		visited[n.off] = true
		p := int(n.off)
		info, p, err := uleb(trie, p)
		if err != nil {
			return nil, err
		}
		if info > 0 {
			names = append(names, n.prefix)
		}
		if info >= uint64(len(trie)-p) { // also keeps p from overflowing
			return nil, fmt.Errorf("export trie truncated")
		}
		p += int(info)
		if p >= len(trie) {
			return nil, fmt.Errorf("export trie truncated")
		}
		edges := int(trie[p])
		p++
		for i := 0; i < edges; i++ {
			end := bytes.IndexByte(trie[p:], 0)
			if end < 0 {
				return nil, fmt.Errorf("export trie label unterminated")
			}
			label := string(trie[p : p+end])
			p += end + 1
			var child uint64
			if child, p, err = uleb(trie, p); err != nil {
				return nil, err
			}
			if child >= uint64(len(trie)) {
				return nil, fmt.Errorf("export trie edge out of bounds")
			}
			stack = append(stack, node{child, n.prefix + label})
		}
	}
	return names, nil
}

func uleb(b []byte, p int) (uint64, int, error) {
	var v uint64
	for shift := uint(0); p < len(b) && shift < 64; shift += 7 {
		c := b[p]
		p++
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, p, nil
		}
	}
	return 0, p, fmt.Errorf("bad ULEB128 in export trie")
}
