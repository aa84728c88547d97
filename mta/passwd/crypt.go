package passwd

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnsupportedHash is returned for hashes of schemes this package does
// not verify: traditional DES crypt, bcrypt, yescrypt and the like.
var ErrUnsupportedHash = errors.New("unsupported password hash scheme")

// ErrLocked is returned for an account whose hash field is empty or
// starts with "!" or "*": no password opens it.
var ErrLocked = errors.New("account locked or without password")

// Hash is a parsed crypt(3) hash string.
type Hash struct {
	Scheme  string // "1", "5" or "6"
	Rounds  int    // 0 when not given (SHA-crypt's default applies)
	Salt    string
	Sum     string // the encoded digest
	Setting string // everything up to the last '$', what Crypt needs
}

// sum lengths of each scheme's encoded digest.
var sumLen = map[string]int{"1": 22, "5": 43, "6": 86}

// ParseHash checks that h is a well-formed "$1$", "$5$" or "$6$" hash.
func ParseHash(h string) (Hash, error) {
	if h == "" || h[0] == '!' || h[0] == '*' {
		return Hash{}, ErrLocked
	}
	if !strings.HasPrefix(h, "$") {
		return Hash{}, fmt.Errorf("%w: traditional crypt", ErrUnsupportedHash)
	}
	parts := strings.Split(h[1:], "$")
	if len(parts) < 3 {
		return Hash{}, fmt.Errorf("%w: malformed hash", ErrUnsupportedHash)
	}
	var out Hash
	out.Scheme = parts[0]
	want, ok := sumLen[out.Scheme]
	if !ok {
		return Hash{}, fmt.Errorf("%w: $%.10s$", ErrUnsupportedHash, out.Scheme)
	}
	rest := parts[1:]
	if r, ok := strings.CutPrefix(rest[0], "rounds="); ok && out.Scheme != "1" {
		n, err := strconv.Atoi(r)
		if err != nil || n < shaRoundsMin || n > shaRoundsMax || strconv.Itoa(n) != r {
			return Hash{}, fmt.Errorf("%w: bad rounds", ErrUnsupportedHash)
		}
		out.Rounds = n
		rest = rest[1:]
	}
	if len(rest) != 2 {
		return Hash{}, fmt.Errorf("%w: malformed hash", ErrUnsupportedHash)
	}
	out.Salt, out.Sum = rest[0], rest[1]
	maxSalt := shaSaltMax
	if out.Scheme == "1" {
		maxSalt = 8
	}
	if len(out.Salt) > maxSalt || !isCryptB64(out.Salt) && out.Scheme == "1" {
		return Hash{}, fmt.Errorf("%w: bad salt", ErrUnsupportedHash)
	}
	if len(out.Sum) != want || !isCryptB64(out.Sum) {
		return Hash{}, fmt.Errorf("%w: bad digest", ErrUnsupportedHash)
	}
	out.Setting = h[:len(h)-len(out.Sum)-1]
	return out, nil
}

// Crypt hashes password with setting, a "$1$salt", "$5$[rounds=N$]salt"
// or "$6$[rounds=N$]salt" string (a whole hash works too: the digest is
// ignored).
func Crypt(password []byte, setting string) (string, error) {
	switch {
	case strings.HasPrefix(setting, "$1$"):
		return md5Crypt(password, setting[3:]), nil
	case strings.HasPrefix(setting, "$5$"):
		return sha256Variant.crypt(password, setting[3:]), nil
	case strings.HasPrefix(setting, "$6$"):
		return sha512Variant.crypt(password, setting[3:]), nil
	}
	return "", ErrUnsupportedHash
}

// CheckCrypt reports whether password matches the crypt hash h. A locked,
// malformed or unsupported hash is an error, never a match.
func CheckCrypt(password []byte, h string) (bool, error) {
	parsed, err := ParseHash(h)
	if err != nil {
		return false, err
	}
	got, err := Crypt(password, parsed.Setting)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(h)) == 1, nil
}
