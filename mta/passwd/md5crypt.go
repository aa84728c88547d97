package passwd

import (
	"crypto/md5"
	"strings"
)

const md5Magic = "$1$"

// md5Crypt computes the "$1$" hash of password with salt (at most 8
// characters are used), as described with FreeBSD's crypt(3).
func md5Crypt(password []byte, salt string) string {
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 8 {
		salt = salt[:8]
	}
	alt := md5.New()
	alt.Write(password)
	alt.Write([]byte(salt))
	alt.Write(password)
	final := alt.Sum(nil)

	ctx := md5.New()
	ctx.Write(password)
	ctx.Write([]byte(md5Magic))
	ctx.Write([]byte(salt))
	for n := len(password); n > 0; n -= 16 {
		ctx.Write(final[:min(n, 16)])
	}
	// The original clears final here and then, oddly, uses its first
	// byte (now zero) for the one bits of the length.
	for n := len(password); n > 0; n >>= 1 {
		if n&1 != 0 {
			ctx.Write([]byte{0})
		} else if len(password) > 0 {
			ctx.Write(password[:1])
		}
	}
	final = ctx.Sum(nil)

	for i := 0; i < 1000; i++ {
		c := md5.New()
		if i&1 != 0 {
			c.Write(password)
		} else {
			c.Write(final)
		}
		if i%3 != 0 {
			c.Write([]byte(salt))
		}
		if i%7 != 0 {
			c.Write(password)
		}
		if i&1 != 0 {
			c.Write(final)
		} else {
			c.Write(password)
		}
		final = c.Sum(final[:0])
	}

	out := make([]byte, 0, 3+len(salt)+1+22)
	out = append(out, md5Magic...)
	out = append(out, salt...)
	out = append(out, '$')
	f := final
	out = appendB64(out, f[0], f[6], f[12], 4)
	out = appendB64(out, f[1], f[7], f[13], 4)
	out = appendB64(out, f[2], f[8], f[14], 4)
	out = appendB64(out, f[3], f[9], f[15], 4)
	out = appendB64(out, f[4], f[10], f[5], 4)
	out = appendB64(out, 0, 0, f[11], 2)
	return string(out)
}
