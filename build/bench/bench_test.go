package bench

import "testing"

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestPairedRatio(t *testing.T) {
	// The machine halves its speed in round 2: both figures follow, their
	// ratio does not. The ratio of the medians would be 72/90 = 0.8.
	r, ok := pairedRatio([]float64{90, 45, 72}, []float64{100, 50, 90})
	if !ok || r != 0.9 {
		t.Errorf("pairedRatio = %v, %v; want 0.9", r, ok)
	}
	if _, ok := pairedRatio([]float64{1}, []float64{0}); ok {
		t.Error("pairedRatio with no usable round reported a ratio")
	}
}
