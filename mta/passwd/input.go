package passwd

import (
	"bytes"
	"errors"
	"io"
)

// MaxInput is the checkpassword interface's limit on descriptor 3.
const MaxInput = 512

// Input is what a checkpassword program reads on descriptor 3. For
// qmail-popup's USER/PASS it is user, password, timestamp; for APOP user,
// digest, timestamp; for qmail-smtpd's PLAIN and LOGIN user, password and
// nothing; for CRAM-MD5 user, challenge, digest.
type Input struct {
	User, Secret, Extra []byte
}

// ErrMisuse means descriptor 3 did not carry the fields the interface
// requires (exit 2).
var ErrMisuse = errors.New("malformed checkpassword input")

// ErrTooLong means descriptor 3 carried more than MaxInput bytes; like
// djb's checkpassword, that is a refused login (exit 1).
var ErrTooLong = errors.New("checkpassword input too long")

// ReadInput reads descriptor 3 to its end.
func ReadInput(r io.Reader) (Input, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return Input{}, err
	}
	if len(b) > MaxInput {
		return Input{}, ErrTooLong
	}
	return ParseInput(b)
}

// ParseInput splits the fields. The user and the secret must each end in
// a NUL; the third field may lack its terminator.
func ParseInput(b []byte) (Input, error) {
	user, rest, ok := bytes.Cut(b, []byte{0})
	if !ok {
		return Input{}, ErrMisuse
	}
	secret, rest, ok := bytes.Cut(rest, []byte{0})
	if !ok {
		return Input{}, ErrMisuse
	}
	extra, _, _ := bytes.Cut(rest, []byte{0})
	return Input{User: user, Secret: secret, Extra: extra}, nil
}

// LooksLikeCRAM tells a CRAM-MD5 triple (challenge, then a 32-digit hex
// digest) from USER/PASS and APOP, whose third field is a "<...>"
// timestamp or empty: only qmail-smtpd's CRAM-MD5 puts a digest last.
func (in Input) LooksLikeCRAM() bool {
	if len(in.Extra) != 32 || len(in.Secret) < 2 || in.Secret[0] != '<' || in.Secret[len(in.Secret)-1] != '>' {
		return false
	}
	for _, c := range in.Extra {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
