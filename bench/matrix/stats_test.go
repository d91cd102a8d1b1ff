package matrix

import "testing"

func TestSummarize(t *testing.T) {
	for _, c := range []struct {
		xs     []float64
		median float64
		spread float64
	}{
		{[]float64{3, 1, 2}, 2, 0.5},
		{[]float64{10, 30, 20, 40}, 25, 0.6},
		{[]float64{7}, 7, 0},
	} {
		s := summarize(c.xs)
		if s.Median != c.median || s.Spread() != c.spread || s.N != len(c.xs) {
			t.Errorf("summarize(%v) = %+v, spread %v; want median %v, spread %v", c.xs, s, s.Spread(), c.median, c.spread)
		}
	}
	if s := summarize(nil); s.N != 0 {
		t.Errorf("summarize(nil) = %+v, want N 0", s)
	}
}
