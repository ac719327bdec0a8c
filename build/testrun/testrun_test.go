package testrun

import "testing"

func TestMajorVersion(t *testing.T) {
	for v, want := range map[string]int{
		"wine-8.0 (Debian 8.0~repack-4)": 8,
		"wine-10.0":                      10,
		"qemu-aarch64 version 9.2.0":     9,
		"unknown":                        0,
	} {
		if got := majorVersion(v); got != want {
			t.Errorf("majorVersion(%q) = %d, want %d", v, got, want)
		}
	}
}
