package stats

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// Every bucket's range must map back to it, and the ranges must tile the
// values without gaps, or quantiles would land in the wrong place.
func TestBucketsTile(t *testing.T) {
	next := uint64(0)
	for i := range histBuckets {
		low, width := bucketRange(i)
		if low != next {
			t.Fatalf("bucket %d starts at %d, want %d", i, low, next)
		}
		for _, v := range []uint64{low, low + width - 1} {
			if got := bucketOf(v); got != i {
				t.Fatalf("bucketOf(%d) = %d, want %d", v, got, i)
			}
		}
		if low >= histExact && width*128 > low {
			t.Fatalf("bucket %d [%d,+%d) wider than 1/128 of its start", i, low, width)
		}
		next = low + width
	}
	if next != histClamp+1 {
		t.Fatalf("buckets end at %d, want %d", next, histClamp+1)
	}
}

func TestQuantileExactAndBucketed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var vals []uint64
	exact := histogram{exactLimit: 10000}
	bucketed := histogram{}
	for range 5000 {
		us := rng.Uint64N(3_600_000_000) // up to an hour
		vals = append(vals, us)
		exact.add(int64(us) * 1000)
		bucketed.add(int64(us) * 1000)
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.9, 0.99, 1} {
		rank := int(q*5000+0.999999) - 1
		want := vals[rank]
		if got := exact.quantile(q); got != want {
			t.Errorf("exact quantile(%v) = %d, want %d", q, got, want)
		}
		got := bucketed.quantile(q)
		if diff := max(got, want) - min(got, want); diff*128 > want {
			t.Errorf("bucketed quantile(%v) = %d, want %d within 1/128", q, got, want)
		}
	}
	if exact.max != vals[len(vals)-1] || exact.min != vals[0] {
		t.Errorf("min, max = %d, %d; want %d, %d", exact.min, exact.max, vals[0], vals[len(vals)-1])
	}
}

func TestHistogramEdges(t *testing.T) {
	for _, c := range []struct {
		why      string
		ns       []int64
		limit    int
		mean, p5 uint64
		max      uint64
	}{
		{"no values: zeros", nil, 10, 0, 0, 0},
		{"a clock gone back counts as zero", []int64{-5e9}, 10, 0, 0, 0},
		{"nanoseconds are cut to microseconds", []int64{1999}, 10, 1, 1, 1},
		{"beyond 2^42 µs is clamped", []int64{1 << 62}, 10, histClamp, histClamp, histClamp},
		{"past the exact limit the median is its bucket's middle, [1998848, 2007040)", []int64{1e9, 2e9, 3e9}, 2, 2e6, 2002944, 3e6},
	} {
		h := histogram{exactLimit: c.limit}
		for _, ns := range c.ns {
			h.add(ns)
		}
		if h.mean() != c.mean || h.quantile(0.5) != c.p5 || h.max != c.max {
			t.Errorf("%s: mean %d median %d max %d; want %d %d %d", c.why, h.mean(), h.quantile(0.5), h.max, c.mean, c.p5, c.max)
		}
	}
}
