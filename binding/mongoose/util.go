package mongoose

import "fmt"

// Base64 encodes b with mongoose's encoder (standard alphabet, padded).
func (l *Library) Base64(b []byte) string {
	out := make([]byte, (len(b)+2)/3*4+1)
	n := l.funcs.b64enc(ptr(b), uint64(len(b)), &out[0], uint64(len(out)))
	return string(out[:n])
}

// Base64Decode decodes standard, padded base64.
func (l *Library) Base64Decode(s string) ([]byte, error) {
	out := make([]byte, len(s)/4*3+4)
	n := l.funcs.b64dec(ptr([]byte(s)), uint64(len(s)), &out[0], uint64(len(out)))
	if n < 0 {
		return nil, fmt.Errorf("mongoose: base64: %s", l.funcs.strerror(int32(n)))
	}
	return out[:n], nil
}

// CRC32 continues an IEEE CRC-32 (start with 0).
func (l *Library) CRC32(crc uint32, b []byte) uint32 {
	return l.funcs.crc32(crc, ptr(b), uint64(len(b)))
}

// MD5 hashes b.
func (l *Library) MD5(b []byte) (sum [16]byte) {
	l.funcs.md5(ptr(b), uint64(len(b)), &sum[0])
	return sum
}

// SHA1 hashes b.
func (l *Library) SHA1(b []byte) (sum [20]byte) {
	l.funcs.sha1(ptr(b), uint64(len(b)), &sum[0])
	return sum
}

// SetLogLevel sets mongoose's log level, 0 (none) to 4 (verbose).
func (l *Library) SetLogLevel(level int) { l.funcs.logLevel(int32(level)) }
