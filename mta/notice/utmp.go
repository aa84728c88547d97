package notice

import (
	"bytes"
	"encoding/binary"
	"io"
)

// UtmpFile is where the logged-in users are listed (glibc's _PATH_UTMP).
const UtmpFile = "/var/run/utmp"

// Login is one record of the utmp file that names a logged-in user.
type Login struct {
	User string // ut_user
	Line string // ut_line: the terminal, relative to /dev
}

// The layout of glibc's struct utmp on Linux (bits/utmp.h, 384 bytes on
// every 64-bit and 32-bit target): ut_type, a short, at 0; ut_line[32] at
// 8; ut_user[32] at 44; the rest (host, exit status, session, time,
// address) is not needed here.
const (
	utmpSize    = 384
	utmpLineOff = 8
	utmpUserOff = 44
	utmpNameLen = 32
	userProcess = 7 // USER_PROCESS: a user's login
)

// ReadUtmp returns the USER_PROCESS records of a utmp file, in order. A
// short last record is ignored, as getutent(3) ignores it.
func ReadUtmp(r io.Reader) ([]Login, error) {
	var out []Login
	rec := make([]byte, utmpSize)
	for {
		if _, err := io.ReadFull(r, rec); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return out, nil
			}
			return out, err
		}
		if int16(binary.NativeEndian.Uint16(rec[0:2])) != userProcess {
			continue
		}
		out = append(out, Login{
			User: cString(rec[utmpUserOff : utmpUserOff+utmpNameLen]),
			Line: cString(rec[utmpLineOff : utmpLineOff+utmpNameLen]),
		})
	}
}

// cString is a fixed-size field up to its first NUL.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
