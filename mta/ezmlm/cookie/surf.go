package cookie

import "encoding/binary"

// surf is djb's SURF function ("Simple Unpredictable Random Function",
// 1997): 384 bits of input and a 1024-bit seed give 256 bits of output,
// in two passes of sixteen rounds over twelve 32-bit words.
func surf(out *[8]uint32, in *[12]uint32, seed *[32]uint32) {
	var t [12]uint32
	for i := range t {
		t[i] = in[i] ^ seed[12+i]
	}
	for i := range out {
		out[i] = seed[24+i]
	}
	x := t[11]
	var sum uint32
	rot := [4]uint{5, 7, 9, 13}
	for pass := 0; pass < 2; pass++ {
		for r := 0; r < 16; r++ {
			sum += 0x9e3779b9
			for i := 0; i < 12; i++ {
				b := rot[i&3]
				t[i] += ((x ^ seed[i]) + sum) ^ (x<<b | x>>(32-b))
				x = t[i]
			}
		}
		for i := range out {
			out[i] ^= t[i+4]
		}
	}
}

// pcs is the SURF-based hash of ezmlm's surfpcs: bytes are gathered
// 32 at a time into the low eight input words (little-endian), a 128-bit
// block counter fills the other four, and the outputs are summed.
type pcs struct {
	seed [32]uint32
	sum  [8]uint32
	in   [12]uint32
	buf  [32]byte
	todo int
	// fold, when set, makes add skip spaces and tabs and move ASCII
	// capitals 32 places down (ezmlm-idx's makehash; see Hash).
	fold bool
}

func newPCS(seed *[32]uint32, fold bool) *pcs {
	return &pcs{seed: *seed, fold: fold}
}

func (s *pcs) add(p []byte) {
	for _, c := range p {
		if s.fold {
			if c == ' ' || c == '\t' {
				continue
			}
			if c >= 'A' && c <= 'Z' {
				c -= 'a' - 'A'
			}
		}
		s.addByte(c)
	}
}

func (s *pcs) addByte(c byte) {
	s.buf[s.todo] = c
	s.todo++
	if s.todo < 32 {
		return
	}
	s.todo = 0
	for i := 0; i < 8; i++ {
		s.in[i] = binary.LittleEndian.Uint32(s.buf[4*i:])
	}
	for i := 8; i < 12; i++ {
		s.in[i]++
		if s.in[i] != 0 {
			break
		}
	}
	var out [8]uint32
	surf(&out, &s.in, &s.seed)
	for i := range s.sum {
		s.sum[i] += out[i]
	}
}

// out ends the hash: a '.', zero bytes up to the block's end, then one
// more SURF of the sums.
func (s *pcs) out() [32]byte {
	s.addByte('.')
	for s.todo != 0 {
		s.addByte(0)
	}
	var in [12]uint32
	copy(in[:8], s.sum[:])
	var out [8]uint32
	surf(&out, &in, &s.seed)
	var h [32]byte
	for i, w := range out {
		binary.LittleEndian.PutUint32(h[4*i:], w)
	}
	return h
}
