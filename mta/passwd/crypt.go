package passwd

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnsupportedHash is returned for hashes of schemes this package does
// not verify: traditional DES crypt, bcrypt, gost-yescrypt and the like.
var ErrUnsupportedHash = errors.New("unsupported password hash scheme")

// ErrLocked is returned for an account whose hash field is empty or
// starts with "!" or "*": no password opens it.
var ErrLocked = errors.New("account locked or without password")

// Hash is a parsed crypt(3) hash string.
type Hash struct {
	Scheme  string // "1", "5", "6", "y" (yescrypt) or "7" (scrypt)
	Rounds  int    // 0 when not given (SHA-crypt's default applies)
	Salt    string
	Sum     string // the encoded digest
	Setting string // everything up to the last '$', what Crypt needs
}

// sum lengths of each scheme's encoded digest.
var sumLen = map[string]int{"1": 22, "5": 43, "6": 86}

// schemeNames name the crypt(3) schemes this package does not verify,
// for messages.
var schemeNames = map[string]string{
	"2a": "bcrypt", "2b": "bcrypt", "2y": "bcrypt", "2x": "bcrypt",
	"gy": "gost-yescrypt", "sha1": "PBKDF1-SHA1", "md5": "SunMD5",
	"3": "NT-Hash", "sm3y": "sm3-yescrypt", "sm3": "sm3crypt",
}

// ParseHash checks that h is a well-formed "$1$", "$5$", "$6$", "$y$" or
// "$7$" hash. A yescrypt or scrypt hash whose parameters exceed the cost
// bounds is refused with ErrHashCost.
func ParseHash(h string) (Hash, error) {
	if h == "" || h[0] == '!' || h[0] == '*' {
		return Hash{}, ErrLocked
	}
	if !strings.HasPrefix(h, "$") {
		if h[0] == '_' {
			return Hash{}, fmt.Errorf("%w: BSDi extended DES crypt", ErrUnsupportedHash)
		}
		return Hash{}, fmt.Errorf("%w: traditional DES crypt", ErrUnsupportedHash)
	}
	if strings.HasPrefix(h, "$y$") || strings.HasPrefix(h, "$7$") {
		return parseYesHash(h)
	}
	parts := strings.Split(h[1:], "$")
	if len(parts) < 3 {
		return Hash{}, fmt.Errorf("%w: malformed hash", ErrUnsupportedHash)
	}
	var out Hash
	out.Scheme = parts[0]
	want, ok := sumLen[out.Scheme]
	if !ok {
		if name, ok := schemeNames[out.Scheme]; ok {
			return Hash{}, fmt.Errorf("%w: %s", ErrUnsupportedHash, name)
		}
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

// parseYesHash is ParseHash for "$y$" and "$7$": the setting as
// parseYesSetting reads it, then '$' and a 43-character digest.
func parseYesHash(h string) (Hash, error) {
	i := strings.LastIndexByte(h, '$')
	sum := h[i+1:]
	if len(sum) != 43 || !isCryptB64(sum) {
		return Hash{}, fmt.Errorf("%w: bad digest", ErrUnsupportedHash)
	}
	y, err := parseYesSetting(h)
	if err != nil {
		return Hash{}, err
	}
	if len(y.prefix)+len(y.salt) != i {
		return Hash{}, fmt.Errorf("%w: malformed hash", ErrUnsupportedHash)
	}
	return Hash{Scheme: h[1:2], Salt: y.salt, Sum: sum, Setting: h[:i]}, nil
}

// Crypt hashes password with setting, a "$1$salt", "$5$[rounds=N$]salt",
// "$6$[rounds=N$]salt", "$y$params$salt" or "$7$params salt" string (a
// whole hash works too: the digest is ignored).
func Crypt(password []byte, setting string) (string, error) {
	switch {
	case strings.HasPrefix(setting, "$y$"), strings.HasPrefix(setting, "$7$"):
		return yescryptCrypt(password, setting)
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
