package objfile

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"

	"github.com/mongoose-ffi/mongoose-ffi/build/cache"
)

// StampPE replaces a PE image's link timestamp, which zig sets from the clock
// (or, with /Brepro, from the paths), with one derived from the image's other
// bytes, as /Brepro means to: the same code always gets the same stamp.
// The PE checksum is not set by zig, so nothing else depends on the field.
func StampPE(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	off, err := peTimestampOffset(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	binary.LittleEndian.PutUint32(data[off:], 0)
	sum := sha256.Sum256(data)
	copy(data[off:off+4], sum[:4])
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return cache.WriteFile(path, data, st.Mode().Perm())
}

// peTimestampOffset finds the COFF header's TimeDateStamp: after the "PE\0\0"
// signature at e_lfanew come Machine (2 bytes), NumberOfSections (2), then it.
func peTimestampOffset(data []byte) (int, error) {
	if len(data) < 0x40 || data[0] != 'M' || data[1] != 'Z' {
		return 0, fmt.Errorf("not a PE image (no MZ header)")
	}
	sig := int(binary.LittleEndian.Uint32(data[0x3c:]))
	if sig < 0x40 || sig+12 > len(data) || string(data[sig:sig+4]) != "PE\x00\x00" {
		return 0, fmt.Errorf("not a PE image (no PE signature at 0x%x)", sig)
	}
	return sig + 8, nil
}
