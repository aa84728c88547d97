package passwd

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/subtle"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Secret schemes of the virtual-user file's password field.
const (
	SchemePlain   = "{PLAIN}"    // the password itself
	SchemeCramMD5 = "{CRAM-MD5}" // HMAC-MD5 inner and outer states, hex
)

// ErrBadSecret reports a password field in no known scheme.
var ErrBadSecret = errors.New("unknown password scheme")

// Secret is a virtual user's stored password in one of three forms.
type Secret struct {
	Plain string // SchemePlain: verifies USER/PASS, APOP and CRAM-MD5
	Cram  []byte // SchemeCramMD5: 32 bytes; verifies USER/PASS and CRAM-MD5
	Crypt string // "$1$", "$5$", "$6$", "$y$", "$7$": verifies USER/PASS only
}

// ParseSecret reads a password field.
func ParseSecret(field string) (Secret, error) {
	switch {
	case strings.HasPrefix(field, SchemePlain):
		return Secret{Plain: field[len(SchemePlain):]}, nil
	case strings.HasPrefix(field, SchemeCramMD5):
		b, err := hex.DecodeString(field[len(SchemeCramMD5):])
		if err != nil || len(b) != 32 {
			return Secret{}, fmt.Errorf("%w: {CRAM-MD5} needs 64 hex digits", ErrBadSecret)
		}
		return Secret{Cram: b}, nil
	case strings.HasPrefix(field, "$"):
		if _, err := ParseHash(field); err != nil {
			return Secret{}, err
		}
		return Secret{Crypt: field}, nil
	}
	return Secret{}, ErrBadSecret
}

// String gives the field back in its file form.
func (s Secret) String() string {
	switch {
	case s.Cram != nil:
		return SchemeCramMD5 + hex.EncodeToString(s.Cram)
	case s.Crypt != "":
		return s.Crypt
	}
	return SchemePlain + s.Plain
}

// CramMD5Secret returns the {CRAM-MD5} form of password: the MD5 chaining
// values after the HMAC key block XOR ipad, then after XOR opad, each as
// four little-endian 32-bit words. Anyone holding it can answer CRAM-MD5
// challenges and log in, but cannot recover the password itself.
func CramMD5Secret(password []byte) Secret {
	key := password
	if len(key) > 64 {
		s := md5.Sum(key)
		key = s[:]
	}
	var ipad, opad [64]byte
	copy(ipad[:], key)
	copy(opad[:], key)
	for i := range ipad {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	out := append(md5State(ipad[:]), md5State(opad[:])...)
	return Secret{Cram: out}
}

// md5State runs MD5's compression over one 64-byte block and returns the
// chaining values, read from the marshalled state of crypto/md5.
func md5State(block []byte) []byte {
	h := md5.New()
	h.Write(block)
	m, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic(err) // crypto/md5 always marshals
	}
	// Layout: "md5\x01", a, b, c, d (big-endian), buffer, length.
	out := make([]byte, 16)
	for i := range 4 {
		binary.LittleEndian.PutUint32(out[4*i:], binary.BigEndian.Uint32(m[4+4*i:]))
	}
	return out
}

// resumeMD5 returns an MD5 hash positioned after one 64-byte block whose
// chaining values are state.
func resumeMD5(state []byte) (interface {
	Write([]byte) (int, error)
	Sum([]byte) []byte
}, error) {
	m := make([]byte, 0, 4+16+64+8)
	m = append(m, "md5\x01"...)
	for i := range 4 {
		m = binary.BigEndian.AppendUint32(m, binary.LittleEndian.Uint32(state[4*i:]))
	}
	m = append(m, make([]byte, 64)...)
	m = binary.BigEndian.AppendUint64(m, 64)
	h := md5.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(m); err != nil {
		return nil, err
	}
	return h, nil
}

// CheckPassword reports whether password opens the secret.
func (s Secret) CheckPassword(password []byte) bool {
	switch {
	case s.Crypt != "":
		ok, _ := CheckCrypt(password, s.Crypt)
		return ok
	case s.Cram != nil:
		return subtle.ConstantTimeCompare(CramMD5Secret(password).Cram, s.Cram) == 1
	}
	return subtle.ConstantTimeCompare(password, []byte(s.Plain)) == 1
}

// CheckAPOP reports whether digest is MD5(timestamp password) in hex, as
// RFC 1939's APOP sends it. Only a clear password can be checked.
func (s Secret) CheckAPOP(timestamp, digest []byte) bool {
	if s.Crypt != "" || s.Cram != nil || len(timestamp) == 0 {
		return false
	}
	sum := md5.Sum(append(append([]byte{}, timestamp...), s.Plain...))
	return hexEqual(sum[:], digest)
}

// CanCRAM reports whether the secret can answer a CRAM-MD5 challenge:
// a clear password or its HMAC-MD5 states can, a crypt hash cannot.
func (s Secret) CanCRAM() bool { return s.Crypt == "" }

// CheckCRAM reports whether digest is HMAC-MD5(password, challenge) in
// hex (RFC 2195).
func (s Secret) CheckCRAM(challenge, digest []byte) bool {
	var sum []byte
	switch {
	case s.Crypt != "":
		return false
	case s.Cram != nil:
		inner, err1 := resumeMD5(s.Cram[:16])
		outer, err2 := resumeMD5(s.Cram[16:])
		if err1 != nil || err2 != nil {
			return false
		}
		inner.Write(challenge)
		outer.Write(inner.Sum(nil))
		sum = outer.Sum(nil)
	default:
		m := hmac.New(md5.New, []byte(s.Plain))
		m.Write(challenge)
		sum = m.Sum(nil)
	}
	return hexEqual(sum, digest)
}

// hexEqual compares sum with a hex digest of either case.
func hexEqual(sum, digest []byte) bool {
	want := []byte(hex.EncodeToString(sum))
	got := []byte(strings.ToLower(string(digest)))
	return subtle.ConstantTimeCompare(want, got) == 1
}
