package passwd

// yescrypt, the crypt(3) scheme "$y$" that Debian 12's libxcrypt writes
// by default, and classic scrypt as "$7$", both verified without cgo.
// Written from the algorithm's specification, Openwall's yescrypt
// (yescrypt-ref.c, its "human- and machine-readable specification", and
// yescrypt-common.c for the setting encoding). The names below follow it
// so that a reader of the reference finds each step: SMix1 and SMix2,
// BlockMix_pwxform, the S-boxes S0, S1, S2 and their write index w.
//
// The reference keeps each 64-byte block's sixteen words in a shuffled
// order (word i holds the natural word 5i mod 16) because its SIMD code
// does; pwxform reads pairs of adjacent words in that order, so the
// order is part of the algorithm and is kept here as is.

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// yescrypt's flags (yescrypt.h). A setting's flavor gives them; of the
// RW flavors only the defaults (6 pwxform rounds, gather 4, simple 2,
// 12 KiB S-boxes) are defined by the specification.
const (
	yesWORM     = 0x001
	yesRW       = 0x002
	yesDefaults = 0x0b6 // RW | ROUNDS_6 | GATHER_4 | SIMPLE_2 | SBOX_12K
	yesFlavor   = 0x3fc // the RW flavor bits
	yesPrehash  = 0x10000000
)

// pwxform's fixed parameters for the defaults.
const (
	pwxSimple = 2
	pwxGather = 4
	pwxRounds = 6
	sWidth    = 8
	pwxWords  = pwxGather * pwxSimple * 2         // 16 words, 64 bytes
	sWords    = 3 * (1 << sWidth) * pwxSimple * 2 // 3072 words, 12 KiB
	sMask     = ((1 << sWidth) - 1) * pwxSimple * 8
)

// Cost bounds: a hash in a file someone else wrote must not be able to
// take the machine. The memory bound admits what libxcrypt's highest
// cost writes (mkpasswd -R 11: N = 2^18 blocks of r = 32, 1 GiB); the
// work bound, counted in 128-byte block mixes, admits classic scrypt at
// that size (2N blocks of r).
const (
	yescryptMaxMemory = 1<<30 + 64<<20
	yescryptMaxWork   = 1 << 24
)

// ErrHashCost refuses a hash whose parameters would need more memory or
// time than the bounds above (or the process's own limits) allow.
var ErrHashCost = errors.New("hash too costly")

// yesParams are a setting's parameters.
type yesParams struct {
	flags   uint32
	n       uint64
	r, p, t uint32
}

// yesSetting is a parsed "$y$" or "$7$" setting.
type yesSetting struct {
	params yesParams
	prefix string // "$y$...$" or "$7$" plus the 11 parameter characters
	salt   string // the salt as written
	saltB  []byte // the salt the KDF takes: decoded for "$y$", as written for "$7$"
}

// atoi64 is the value of a crypt base-64 character, 64 for any other.
func atoi64(c byte) uint32 {
	switch {
	case c == '.' || c == '/':
		return uint32(c - '.')
	case '0' <= c && c <= '9':
		return uint32(c-'0') + 2
	case 'A' <= c && c <= 'Z':
		return uint32(c-'A') + 12
	case 'a' <= c && c <= 'z':
		return uint32(c-'a') + 38
	}
	return 64
}

// decodeYesUint reads one of the "$y$" setting's variable-length numbers:
// the first character tells how many follow (0-47: none, 48-55: one, up
// to 63: five), each adding six bits, and the value is offset by min.
func decodeYesUint(s string, min uint32) (uint32, string, bool) {
	if s == "" {
		return 0, s, false
	}
	c := atoi64(s[0])
	if c > 63 {
		return 0, s, false
	}
	val := uint64(min)
	start, end, chars, shift := uint32(0), uint32(47), 1, uint32(0)
	for c > end {
		val += uint64(end+1-start) << shift
		start = end + 1
		end = start + (62-end)/2
		chars++
		shift += 6
	}
	val += uint64(c-start) << shift
	if len(s) < chars {
		return 0, s, false
	}
	for i := 1; i < chars; i++ {
		c := atoi64(s[i])
		if c > 63 {
			return 0, s, false
		}
		shift -= 6
		val += uint64(c) << shift
	}
	if val > 0xffffffff {
		return 0, s, false
	}
	return uint32(val), s[chars:], true
}

// decodeYesFixed reads a fixed 30-bit number of "$7$": five characters,
// least significant first.
func decodeYesFixed(s string) (uint32, bool) {
	var v uint32
	for i := 0; i < 5; i++ {
		c := atoi64(s[i])
		if c > 63 {
			return 0, false
		}
		v |= c << (6 * i)
	}
	return v, true
}

// decodeYesBytes decodes the "$y$" salt: groups of four characters give
// three bytes, least significant first; a last group of two or three
// characters gives one or two, and the bits it has beyond them must be
// zero. At most 64 bytes.
func decodeYesBytes(s string) ([]byte, bool) {
	out := make([]byte, 0, 48)
	for len(s) > 0 {
		n := min(len(s), 4)
		if n == 1 {
			return nil, false
		}
		var v uint32
		for i := 0; i < n; i++ {
			c := atoi64(s[i])
			if c > 63 {
				return nil, false
			}
			v |= c << (6 * i)
		}
		nb := n * 6 / 8
		for i := 0; i < nb; i++ {
			out = append(out, byte(v))
			v >>= 8
		}
		if v != 0 || len(out) > 64 {
			return nil, false
		}
		s = s[n:]
	}
	return out, true
}

// parseYesSetting reads the parameters and salt of a "$y$" or "$7$"
// setting; s may be a whole hash (the digest after the last '$' is not
// read). The parameters must be ones the specification defines and
// within the cost bounds.
func parseYesSetting(s string) (yesSetting, error) {
	var y yesSetting
	bad := func(what string) (yesSetting, error) {
		return yesSetting{}, fmt.Errorf("%w: yescrypt: %s", ErrUnsupportedHash, what)
	}
	switch {
	case strings.HasPrefix(s, "$7$"):
		rest := s[3:]
		if len(rest) < 11 {
			return bad("short scrypt setting")
		}
		logN := atoi64(rest[0])
		if logN < 1 || logN > 63 {
			return bad("bad N")
		}
		r, ok1 := decodeYesFixed(rest[1:6])
		p, ok2 := decodeYesFixed(rest[6:11])
		if !ok1 || !ok2 {
			return bad("bad r or p")
		}
		y.params = yesParams{n: 1 << logN, r: r, p: p}
		y.prefix = s[:14]
		y.salt = rest[11:]
		if i := strings.LastIndexByte(y.salt, '$'); i >= 0 {
			y.salt = y.salt[:i]
		}
		y.saltB = []byte(y.salt)
	case strings.HasPrefix(s, "$y$"):
		rest := s[3:]
		flavor, rest, ok := decodeYesUint(rest, 0)
		if !ok {
			return bad("bad flavor")
		}
		switch {
		case flavor < yesRW:
			y.params.flags = flavor
		case flavor <= yesRW+(yesFlavor>>2):
			y.params.flags = yesRW + (flavor-yesRW)<<2
		default:
			return bad("bad flavor")
		}
		logN, rest, ok := decodeYesUint(rest, 1)
		if !ok || logN > 63 {
			return bad("bad N")
		}
		y.params.n = 1 << logN
		if y.params.r, rest, ok = decodeYesUint(rest, 1); !ok {
			return bad("bad r")
		}
		y.params.p = 1
		if rest != "" && rest[0] != '$' {
			var have uint32
			if have, rest, ok = decodeYesUint(rest, 1); !ok {
				return bad("bad parameter set")
			}
			if have&^15 != 0 {
				return bad("unknown parameters")
			}
			if have&1 != 0 {
				if y.params.p, rest, ok = decodeYesUint(rest, 2); !ok {
					return bad("bad p")
				}
			}
			if have&2 != 0 {
				if y.params.t, rest, ok = decodeYesUint(rest, 1); !ok {
					return bad("bad t")
				}
			}
			if have&4 != 0 {
				// g, hash upgrades: removed from the specification.
				return bad("hash upgrades (g) are not defined")
			}
			if have&8 != 0 {
				// NROM: a ROM shared by the system, which crypt has not.
				return bad("a ROM (NROM) cannot be used by crypt")
			}
		}
		if rest == "" || rest[0] != '$' {
			return bad("malformed setting")
		}
		rest = rest[1:]
		y.prefix = s[:len(s)-len(rest)]
		y.salt = rest
		if i := strings.LastIndexByte(rest, '$'); i >= 0 {
			y.salt = rest[:i]
		}
		b, ok := decodeYesBytes(y.salt)
		if !ok {
			return bad("bad salt")
		}
		y.saltB = b
	default:
		return bad("not a yescrypt or scrypt setting")
	}
	if err := y.params.check(); err != nil {
		return yesSetting{}, err
	}
	return y, nil
}

// check refuses parameters the specification does not define and those
// beyond the cost bounds.
func (pr yesParams) check() error {
	bad := func(what string) error {
		return fmt.Errorf("%w: yescrypt: %s", ErrUnsupportedHash, what)
	}
	rw := pr.flags&yesRW != 0
	switch {
	case pr.flags == 0 && pr.t != 0:
		return bad("t with classic scrypt")
	case pr.flags != 0 && pr.flags != yesWORM && pr.flags != yesDefaults:
		return bad("a pwxform flavor the specification does not define")
	case pr.n < 4 || pr.r < 1 || pr.p < 1:
		// N=2 is within the specification, but Debian's libxcrypt
		// refuses it (seen with mkpasswd): no such hash is ever written.
		return bad("N, r or p too small")
	case uint64(pr.r)*uint64(pr.p) >= 1<<30:
		return bad("r*p too large")
	case rw && pr.n/uint64(pr.p) <= 1:
		return bad("N/p too small")
	}
	mem, work, ok := pr.cost()
	if !ok || mem > yescryptMaxMemory || work > yescryptMaxWork {
		return fmt.Errorf("%w: yescrypt N=%d r=%d p=%d t=%d exceeds the bounds (%d MiB of memory, %d block mixes)",
			ErrHashCost, pr.n, pr.r, pr.p, pr.t, yescryptMaxMemory>>20, uint64(yescryptMaxWork))
	}
	return nil
}

// cost is the memory in bytes and the work in 128-byte block mixes that
// the parameters need; ok is false when either overflows.
func (pr yesParams) cost() (mem, work uint64, ok bool) {
	r, p, n := uint64(pr.r), uint64(pr.p), pr.n
	if n > 1<<40 || r > 1<<30 || p > 1<<30 {
		return 0, 0, false
	}
	mem = 128*r*n + 128*r*p + 256*r
	var loops uint64
	if pr.flags&yesRW != 0 {
		// SMix1 over all N blocks, the lanes' second loops, and the
		// S-boxes' filling (96 mixes of one block per lane).
		mem += 4 * sWords * p
		loops = n + p*nloopAll(n/p, pr.t, pr.flags)
		work = 96 * p
	} else {
		// Classic scrypt and WORM mix each of the p lanes in full.
		loops = p * (n + nloopAll(n, pr.t, pr.flags))
	}
	hi, lo := bits.Mul64(loops, r)
	if hi != 0 || lo+work < lo {
		return 0, 0, false
	}
	return mem, lo + work, true
}

// nloopAll is the length of SMix's second loop for a lane of n blocks
// (the specification's fNloop, before rounding to even).
func nloopAll(n uint64, t uint32, flags uint32) uint64 {
	l := n
	switch {
	case flags&yesRW != 0 && t <= 1:
		if t == 1 {
			l *= 2
		}
		l = (l + 2) / 3
	case flags&yesRW != 0:
		l *= uint64(t) - 1
	case t != 0:
		if t == 1 {
			l += (l + 1) / 2
		}
		l *= uint64(t)
	}
	return l
}

// checkLimit refuses, before allocating, memory the process's limits
// would not let it have: Go cannot recover from a failed allocation, and
// a checker under softlimit should say why it cannot check rather than
// crash.
func checkLimit(need uint64) error {
	var size, data uint64 // pages: the address space, and data plus stack
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 6 {
			size, _ = strconv.ParseUint(f[0], 10, 64)
			data, _ = strconv.ParseUint(f[5], 10, 64)
		}
	}
	page := uint64(os.Getpagesize())
	for _, l := range []struct {
		res  int
		used uint64
	}{{syscall.RLIMIT_AS, size * page}, {syscall.RLIMIT_DATA, data * page}} {
		var lim syscall.Rlimit
		if syscall.Getrlimit(l.res, &lim) != nil || lim.Cur == ^uint64(0) {
			continue
		}
		if l.used+need+32<<20 > lim.Cur {
			return fmt.Errorf("%w: yescrypt needs %d MiB, more than the process's memory limit leaves", ErrHashCost, need>>20)
		}
	}
	return nil
}

// yescryptCrypt computes the whole hash string for password and setting
// s (a setting or a whole hash).
func yescryptCrypt(password []byte, s string) (string, error) {
	y, err := parseYesSetting(s)
	if err != nil {
		return "", err
	}
	mem, _, _ := y.params.cost()
	if err := checkLimit(mem); err != nil {
		return "", err
	}
	dk := yescryptKDF(password, y.saltB, y.params, 32)
	out := make([]byte, 0, len(y.prefix)+len(y.salt)+1+43)
	out = append(out, y.prefix...)
	out = append(out, y.salt...)
	out = append(out, '$')
	for i := 0; i < len(dk); i += 3 {
		var b [3]byte
		n := copy(b[:], dk[i:])
		out = appendB64(out, b[2], b[1], b[0], (8*n+5)/6)
	}
	return string(out), nil
}

// yescryptKDF is yescrypt_kdf: for the RW flavor with a large enough N
// the password is first replaced by a yescrypt of it at N/64.
func yescryptKDF(password, salt []byte, pr yesParams, dkLen int) []byte {
	if pr.flags&yesRW != 0 && pr.n/uint64(pr.p) >= 0x100 && pr.n/uint64(pr.p)*uint64(pr.r) >= 0x20000 {
		pre := pr
		pre.flags |= yesPrehash
		pre.n >>= 6
		pre.t = 0
		password = yescryptBody(password, salt, pre, 32)
	}
	return yescryptBody(password, salt, pr, dkLen)
}

// yescryptBody is yescrypt_kdf_body without a ROM.
func yescryptBody(password, salt []byte, pr yesParams, dkLen int) []byte {
	r, p := int(pr.r), int(pr.p)
	rw := pr.flags&yesRW != 0
	if pr.flags != 0 {
		key := "yescrypt-prehash"
		if pr.flags&yesPrehash == 0 {
			key = "yescrypt"
		}
		password = hmacSHA256([]byte(key), password)
	}
	b := pbkdf2SHA256(password, salt, 128*r*p)
	if pr.flags != 0 {
		// From here on the "password" is the first 32 bytes of B (and,
		// with RW, an HMAC of them made in SMix).
		password = append([]byte(nil), b[:32]...)
	}
	v := make([]uint32, 32*r*int(pr.n))
	xy := make([]uint32, 64*r)
	if rw {
		ctx := make([]pwxformCtx, p)
		for i := range ctx {
			ctx[i].s = make([]uint32, sWords)
		}
		smix(b, r, pr.n, p, pr.t, pr.flags, v, xy, ctx, password)
	} else {
		for i := 0; i < p; i++ {
			smix(b[128*r*i:128*r*(i+1)], r, pr.n, 1, pr.t, pr.flags, v, xy, nil, nil)
		}
	}
	dk := pbkdf2SHA256(password, b, max(dkLen, 32))
	if pr.flags != 0 && pr.flags&yesPrehash == 0 {
		// As SCRAM's (RFC 5802) ClientKey and StoredKey, so that
		// everything before could be done by a client.
		clientKey := hmacSHA256(dk[:32], []byte("Client Key"))
		stored := sha256.Sum256(clientKey)
		copy(dk, stored[:])
	}
	return dk[:dkLen]
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

func pbkdf2SHA256(password, salt []byte, n int) []byte {
	out, err := pbkdf2.Key(sha256.New, string(password), salt, 1, n)
	if err != nil {
		panic(err) // only for key lengths far beyond the cost bounds
	}
	return out
}

// pwxformCtx is one lane's S-boxes: s holds S2, S1 and S0 (offsets s2,
// s1, s0 in words, rotated after every pwxform) and w is the next pair of
// S2 that pwxform writes.
type pwxformCtx struct {
	s          []uint32
	s0, s1, s2 int
	w          int
}

// smix is SMix for p lanes of B (128r bytes each); with RW each lane
// first fills its S-boxes, and lane 0 turns passwd into an HMAC of it
// keyed with the end of its block.
func smix(b []byte, r int, n uint64, p int, t uint32, flags uint32, v, xy []uint32, ctx []pwxformCtx, passwd []byte) {
	s := 32 * r
	rw := flags&yesRW != 0
	nchunk := n / uint64(p)
	all := nloopAll(nchunk, t, flags)
	var nrw uint64
	if rw {
		nrw = all / uint64(p)
	}
	nchunk &^= 1
	all = (all + 1) &^ 1
	nrw = (nrw + 1) &^ 1
	vchunk := uint64(0)
	for i := 0; i < p; i++ {
		np := nchunk
		if i == p-1 {
			np = n - vchunk
		}
		bp := b[128*r*i : 128*r*(i+1)]
		vp := v[int(vchunk)*s:]
		var c *pwxformCtx
		if rw {
			c = &ctx[i]
			smix1(bp, 1, sWords/32, false, c.s, xy, nil)
			c.s2, c.s1, c.s0, c.w = 0, sWords/3, 2*sWords/3, 0
			if i == 0 {
				copy(passwd, hmacSHA256(bp[128*r-64:128*r], passwd))
			}
		}
		smix1(bp, r, np, rw, vp, xy, c)
		smix2(bp, r, p2floor(np), nrw, rw, vp, xy, c)
		vchunk += nchunk
	}
	for i := 0; i < p; i++ {
		var c *pwxformCtx
		if rw {
			c = &ctx[i]
		}
		smix2(b[128*r*i:128*r*(i+1)], r, n, all-nrw, false, v, xy, c)
	}
}

// load reads 2r blocks of B into x in the shuffled word order.
func load(x []uint32, b []byte, r int) {
	for k := 0; k < 2*r; k++ {
		for i := 0; i < 16; i++ {
			x[k*16+i] = binary.LittleEndian.Uint32(b[4*(k*16+i*5%16):])
		}
	}
}

// store writes x back into B in the natural order.
func store(b []byte, x []uint32, r int) {
	for k := 0; k < 2*r; k++ {
		for i := 0; i < 16; i++ {
			binary.LittleEndian.PutUint32(b[4*(k*16+i*5%16):], x[k*16+i])
		}
	}
}

// smix1 is SMix1: fill V with n successive states of X; with RW each
// step also mixes in an earlier state.
func smix1(b []byte, r int, n uint64, rw bool, v, xy []uint32, c *pwxformCtx) {
	s := 32 * r
	x, y := xy[:s], xy[s:2*s]
	load(x, b, r)
	for i := uint64(0); i < n; i++ {
		copy(v[int(i)*s:int(i+1)*s], x)
		if rw && i > 1 {
			j := wrap(integerify(x, r), i)
			xorWords(x, v[int(j)*s:int(j+1)*s])
		}
		blockMix(x, y, r, c)
	}
	store(b, x, r)
}

// smix2 is SMix2: nloop steps that each mix in V_j for j taken from X
// (n a power of two); with RW the result is written back to V_j.
func smix2(b []byte, r int, n, nloop uint64, rw bool, v, xy []uint32, c *pwxformCtx) {
	s := 32 * r
	x, y := xy[:s], xy[s:2*s]
	load(x, b, r)
	for i := uint64(0); i < nloop; i++ {
		j := integerify(x, r) & (n - 1)
		vj := v[int(j)*s : int(j+1)*s]
		xorWords(x, vj)
		if rw {
			copy(vj, x)
		}
		blockMix(x, y, r, c)
	}
	store(b, x, r)
}

func blockMix(x, y []uint32, r int, c *pwxformCtx) {
	if c != nil {
		blockMixPwxform(x, c, r)
	} else {
		blockMixSalsa8(x, y, r)
	}
}

// integerify is the last 64-byte block's first 64 bits, little-endian
// (natural words 0 and 1 are shuffled words 0 and 13).
func integerify(x []uint32, r int) uint64 {
	last := x[(2*r-1)*16:]
	return uint64(last[13])<<32 | uint64(last[0])
}

// p2floor is the largest power of two not above x.
func p2floor(x uint64) uint64 {
	if x == 0 {
		return 0
	}
	return 1 << (63 - bits.LeadingZeros64(x))
}

// wrap maps x into 0..i-1, onto the latest p2floor(i) entries.
func wrap(x, i uint64) uint64 {
	n := p2floor(i)
	return x&(n-1) + (i - n)
}

func xorWords(dst, src []uint32) {
	for i := range dst {
		dst[i] ^= src[i]
	}
}

// blockMixSalsa8 is scrypt's BlockMix with salsa20/8: each block is the
// salsa of itself xor the previous result, and the results are put
// even ones first.
func blockMixSalsa8(b, y []uint32, r int) {
	var x [16]uint32
	copy(x[:], b[(2*r-1)*16:])
	for i := 0; i < 2*r; i++ {
		xorWords(x[:], b[i*16:(i+1)*16])
		salsa20(&x, 8)
		copy(y[i*16:], x[:])
	}
	for i := 0; i < r; i++ {
		copy(b[i*16:(i+1)*16], y[2*i*16:])
		copy(b[(i+r)*16:(i+r+1)*16], y[(2*i+1)*16:])
	}
}

// blockMixPwxform is BlockMix_pwxform: every 64-byte block through
// pwxform, chained, and the last one through salsa20/2.
func blockMixPwxform(b []uint32, c *pwxformCtx, r int) {
	var x [16]uint32
	r1 := 2 * r // 128r bytes in blocks of pwxWords*4 = 64
	copy(x[:], b[(r1-1)*pwxWords:])
	for i := 0; i < r1; i++ {
		if r1 > 1 {
			xorWords(x[:], b[i*pwxWords:(i+1)*pwxWords])
		}
		pwxform(&x, c)
		copy(b[i*pwxWords:], x[:])
	}
	last := (*[16]uint32)(b[(r1-1)*16 : r1*16])
	salsa20(last, 2)
}

// pwxform transforms one 64-byte block, four lanes of two 64-bit words,
// with six rounds of multiplications and S-box lookups; the middle
// rounds write their results into S2, and then the S-boxes rotate.
func pwxform(x *[16]uint32, c *pwxformCtx) {
	s0 := c.s[c.s0 : c.s0+sWords/3]
	s1 := c.s[c.s1 : c.s1+sWords/3]
	s2 := c.s[c.s2 : c.s2+sWords/3]
	w := c.w
	for i := 0; i < pwxRounds; i++ {
		for j := 0; j < pwxGather; j++ {
			lane := x[4*j : 4*j+4]
			p0 := int(lane[0]&sMask) >> 2
			p1 := int(lane[1]&sMask) >> 2
			for k := 0; k < pwxSimple; k++ {
				a := uint64(s0[p0+2*k+1])<<32 | uint64(s0[p0+2*k])
				bb := uint64(s1[p1+2*k+1])<<32 | uint64(s1[p1+2*k])
				v := uint64(lane[2*k+1])*uint64(lane[2*k]) + a
				v ^= bb
				lane[2*k], lane[2*k+1] = uint32(v), uint32(v>>32)
				if i != 0 && i != pwxRounds-1 {
					s2[2*w], s2[2*w+1] = uint32(v), uint32(v>>32)
					w++
				}
			}
		}
	}
	c.s0, c.s1, c.s2 = c.s2, c.s0, c.s1
	c.w = w & ((1<<sWidth)*pwxSimple - 1)
}

// salsa20 applies the Salsa20 core with the given number of rounds to a
// block kept in the shuffled order, adding the input as Salsa20 does.
func salsa20(b *[16]uint32, rounds int) {
	var x [16]uint32
	for i := 0; i < 16; i++ {
		x[i*5%16] = b[i]
	}
	qr := func(a, b, c, d int) {
		x[b] ^= bits.RotateLeft32(x[a]+x[d], 7)
		x[c] ^= bits.RotateLeft32(x[b]+x[a], 9)
		x[d] ^= bits.RotateLeft32(x[c]+x[b], 13)
		x[a] ^= bits.RotateLeft32(x[d]+x[c], 18)
	}
	for i := 0; i < rounds; i += 2 {
		qr(0, 4, 8, 12) // columns
		qr(5, 9, 13, 1)
		qr(10, 14, 2, 6)
		qr(15, 3, 7, 11)
		qr(0, 1, 2, 3) // rows
		qr(5, 6, 7, 4)
		qr(10, 11, 8, 9)
		qr(15, 12, 13, 14)
	}
	for i := 0; i < 16; i++ {
		b[i] += x[i*5%16]
	}
}
