package passwd

// cryptAlphabet is the base-64 alphabet of crypt(3) hashes; unlike RFC
// 4648 it starts with "./" and the bytes are taken least significant
// first.
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// appendB64 appends n characters encoding the 24-bit value b2<<16|b1<<8|b0,
// low six bits first.
func appendB64(dst []byte, b2, b1, b0 byte, n int) []byte {
	w := uint32(b2)<<16 | uint32(b1)<<8 | uint32(b0)
	for ; n > 0; n-- {
		dst = append(dst, cryptAlphabet[w&0x3f])
		w >>= 6
	}
	return dst
}

// isCryptB64 reports whether s uses only the crypt alphabet.
func isCryptB64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '.' || c == '/' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}
