package stats

import (
	"math/bits"
	"slices"
)

// A histogram keeps a distribution of durations in fixed memory: values
// in microseconds, exact below 256 µs, then 128 buckets per power of two,
// so a quantile read from it is within 0.8% of the true one. Until more
// than exactLimit values came, it also keeps them all and its quantiles
// are exact. Sum, minimum and maximum are always exact. Everything is
// integer arithmetic, so the same input gives the same figures on every
// machine.
type histogram struct {
	count      uint64
	sumMicro   uint64
	min, max   uint64
	buckets    [histBuckets]uint64
	exactLimit int
	exact      []uint64 // every value, while count <= exactLimit
}

const (
	histSubBits = 7  // 128 buckets per power of two
	histTopBits = 42 // values are clamped below 2^42 µs, about 50 days
	histExact   = 2 << histSubBits
	histBuckets = histExact + (histTopBits-histSubBits-1)<<histSubBits
	histClamp   = 1<<histTopBits - 1
)

// add records a duration given in nanoseconds; negative ones (a clock that
// went back between two lines) count as zero.
func (h *histogram) add(ns int64) {
	us := uint64(0)
	if ns > 0 {
		us = uint64(ns / 1000)
	}
	if us > histClamp {
		us = histClamp
	}
	if h.count == 0 || us < h.min {
		h.min = us
	}
	if us > h.max {
		h.max = us
	}
	h.count++
	h.sumMicro += us
	h.buckets[bucketOf(us)]++
	if h.count <= uint64(h.exactLimit) {
		h.exact = append(h.exact, us)
	} else {
		h.exact = nil
	}
}

func bucketOf(us uint64) int {
	if us < histExact {
		return int(us)
	}
	shift := bits.Len64(us) - histSubBits - 1
	return histExact + (shift-1)<<histSubBits + int(us>>shift) - 1<<histSubBits
}

// bucketRange is the smallest value of bucket i and its width.
func bucketRange(i int) (low, width uint64) {
	if i < histExact {
		return uint64(i), 1
	}
	j := i - histExact
	shift := j>>histSubBits + 1
	return uint64(j&(1<<histSubBits-1)+1<<histSubBits) << shift, 1 << shift
}

// quantile returns the q-quantile (0 < q <= 1) in microseconds by nearest
// rank: the ceil(q*count)-th value, or, once the values are no longer
// kept, the middle of the bucket holding it, within the exact minimum and
// maximum.
func (h *histogram) quantile(q float64) uint64 {
	if h.count == 0 {
		return 0
	}
	rank := uint64(q * float64(h.count))
	if float64(rank) < q*float64(h.count) {
		rank++
	}
	rank = min(max(rank, 1), h.count)
	if uint64(len(h.exact)) == h.count {
		sorted := slices.Clone(h.exact)
		slices.Sort(sorted)
		return sorted[rank-1]
	}
	seen := uint64(0)
	for i, n := range h.buckets {
		seen += n
		if seen >= rank {
			low, width := bucketRange(i)
			v := low + width/2
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}

// mean is the exact average in microseconds.
func (h *histogram) mean() uint64 {
	if h.count == 0 {
		return 0
	}
	return h.sumMicro / h.count
}
