package fuzz

import "testing"

func TestSpurious(t *testing.T) {
	race := "--- FAIL: FuzzHTTP (4.02s)\n    context deadline exceeded\nFAIL\n"
	crash := "--- FAIL: FuzzHTTP (1.00s)\n    server_test.go:42: after the input, a good request got \"\"\n    Failing input written to testdata/fuzz/FuzzHTTP/abc\n"
	seeds := map[string]bool{"seed-1": true}
	if !spurious(race, seeds, seeds) {
		t.Error("the deadline race with no new input was taken for a finding")
	}
	if spurious(race, seeds, map[string]bool{"seed-1": true, "abc": true}) {
		t.Error("a run that saved an input was taken for the race")
	}
	if spurious(crash, seeds, seeds) {
		t.Error("a real failure was taken for the race")
	}
}
