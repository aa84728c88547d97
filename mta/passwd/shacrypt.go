package passwd

import (
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strconv"
	"strings"
)

// SHA-crypt parameters from Drepper's specification.
const (
	shaRoundsDefault = 5000
	shaRoundsMin     = 1000
	shaRoundsMax     = 999999999
	shaSaltMax       = 16
)

// shaVariant is what differs between "$5$" and "$6$": the hash and the
// order in which the final digest's bytes are encoded.
type shaVariant struct {
	magic string
	new   func() hash.Hash
	// order lists the byte triples (b2, b1, b0) encoded as four
	// characters each; tail is the last, shorter group.
	order [][3]int
	tail  [3]int
	tailN int
}

var sha256Variant = shaVariant{
	magic: "$5$",
	new:   sha256.New,
	order: [][3]int{
		{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14},
		{15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29},
	},
	tail:  [3]int{-1, 31, 30},
	tailN: 3,
}

var sha512Variant = shaVariant{
	magic: "$6$",
	new:   sha512.New,
	order: [][3]int{
		{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4},
		{47, 5, 26}, {6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51},
		{31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35},
		{15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19},
		{62, 20, 41},
	},
	tail:  [3]int{-1, -1, 63},
	tailN: 2,
}

// shaCrypt computes the hash of password for a setting "rounds=N$salt" or
// "salt" (the part after the magic). rounds= is echoed in the result
// when it was given, clamped to the specification's bounds.
func (v shaVariant) crypt(password []byte, setting string) string {
	rounds, custom := shaRoundsDefault, false
	if rest, ok := strings.CutPrefix(setting, "rounds="); ok {
		if i := strings.IndexByte(rest, '$'); i >= 0 {
			if n, err := strconv.ParseUint(rest[:i], 10, 64); err == nil {
				rounds = int(min(max(n, shaRoundsMin), shaRoundsMax))
				custom = true
				setting = rest[i+1:]
			}
		}
	}
	salt := setting
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > shaSaltMax {
		salt = salt[:shaSaltMax]
	}
	s := []byte(salt)
	p := password

	b := v.new()
	b.Write(p)
	b.Write(s)
	b.Write(p)
	sumB := b.Sum(nil)
	size := len(sumB)

	a := v.new()
	a.Write(p)
	a.Write(s)
	n := len(p)
	for ; n > size; n -= size {
		a.Write(sumB)
	}
	a.Write(sumB[:n])
	for n = len(p); n > 0; n >>= 1 {
		if n&1 != 0 {
			a.Write(sumB)
		} else {
			a.Write(p)
		}
	}
	sumA := a.Sum(nil)

	dp := v.new()
	for range len(p) {
		dp.Write(p)
	}
	pSeq := repeatTo(dp.Sum(nil), len(p))

	ds := v.new()
	for range 16 + int(sumA[0]) {
		ds.Write(s)
	}
	sSeq := repeatTo(ds.Sum(nil), len(s))

	c := v.new()
	for i := 0; i < rounds; i++ {
		c.Reset()
		if i&1 != 0 {
			c.Write(pSeq)
		} else {
			c.Write(sumA)
		}
		if i%3 != 0 {
			c.Write(sSeq)
		}
		if i%7 != 0 {
			c.Write(pSeq)
		}
		if i&1 != 0 {
			c.Write(sumA)
		} else {
			c.Write(pSeq)
		}
		sumA = c.Sum(sumA[:0])
	}

	out := []byte(v.magic)
	if custom {
		out = append(out, "rounds="...)
		out = strconv.AppendInt(out, int64(rounds), 10)
		out = append(out, '$')
	}
	out = append(out, salt...)
	out = append(out, '$')
	for _, t := range v.order {
		out = appendB64(out, sumA[t[0]], sumA[t[1]], sumA[t[2]], 4)
	}
	var tb [3]byte
	for i, j := range v.tail {
		if j >= 0 {
			tb[i] = sumA[j]
		}
	}
	return string(appendB64(out, tb[0], tb[1], tb[2], v.tailN))
}

// repeatTo returns n bytes made of d repeated.
func repeatTo(d []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, d[:min(len(d), n-len(out))]...)
	}
	return out
}
