// Package srs is the Sender Rewriting Scheme as Shevek's libsrs2 writes
// and reads it, the form postsrsd, s/qmail's srsforward and srsreverse
// and Postfix's SRS daemons share, so that one secret works in all of
// them:
//
//	SRS0=HHHH=TT=orig.example=user@forwarder.example
//	SRS1=HHHH=first.example==HHHH=TT=orig.example=user@second.example
//
// SRS0 is a sender rewritten once: HHHH is a keyed hash, TT a timestamp
// in days, then the original domain and local part. A forwarder that
// gets an SRS0 (or SRS1) sender makes an SRS1 address of it instead of
// wrapping it again: the first forwarder's domain and the rest of the
// SRS0 address after "SRS0", under a hash of its own, so that a bounce
// goes back through the first forwarder, who alone can check the SRS0
// part.
//
// The hash is HMAC-SHA1 keyed with the secret over the fields in lower
// case (ASCII), the first HashLength characters of its base64 form; it
// is compared without regard to case. The timestamp is the day number
// (Unix time / 86400) modulo 1024 in two base32 characters (A-Z, 2-7);
// an address is expired MaxAge days after it. The separator after SRS0
// or SRS1 may be '=', '+' or '-'; the others are always '='.
package srs

import (
	"crypto/hmac"
	"crypto/sha1"
	"strings"
	"time"
)

// Defaults of libsrs2 and postsrsd.
const (
	DefaultHashLength = 4
	DefaultMaxAge     = 21 // days
)

// Separators are the characters allowed after SRS0 and SRS1.
const Separators = "=-+"

const (
	stampChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	stampBits   = 5
	stampSlots  = 1 << (2 * stampBits) // two characters: 1024 days
	hashChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	secondsADay = 24 * 60 * 60
)

// Codec makes and checks SRS addresses with a set of secrets.
type Codec struct {
	// Secrets: the first makes hashes, every one is accepted when an
	// address is checked (so a secret can be changed without losing the
	// bounces of the last MaxAge days).
	Secrets []string
	// Separator after SRS0 and SRS1 in addresses made; 0 means '='.
	Separator byte
	// HashLength is the length of hashes made (0: 4); HashMin the
	// shortest accepted (0: HashLength).
	HashLength, HashMin int
	// MaxAge is how many days an address stays valid (0: 21).
	MaxAge int
	// AlwaysRewrite rewrites a sender whose domain is the forwarder's
	// own too (postsrsd -A).
	AlwaysRewrite bool
}

func (c *Codec) separator() byte {
	if c.Separator == 0 {
		return '='
	}
	return c.Separator
}

func (c *Codec) hashLength() int {
	if c.HashLength <= 0 {
		return DefaultHashLength
	}
	return min(c.HashLength, 27) // what 20 bytes of SHA-1 give
}

func (c *Codec) hashMin() int {
	if c.HashMin <= 0 {
		return c.hashLength()
	}
	return c.HashMin
}

func (c *Codec) maxAge() int {
	if c.MaxAge <= 0 {
		return DefaultMaxAge
	}
	return c.MaxAge
}

// IsSRS says whether addr (or its local part) has the SRS0 or SRS1
// form: the tag in any case and a separator.
func IsSRS(addr string) bool {
	if len(addr) < 5 || !strings.EqualFold(addr[:3], "SRS") {
		return false
	}
	return (addr[3] == '0' || addr[3] == '1') && strings.IndexByte(Separators, addr[4]) >= 0
}

// hasTag says whether local starts with tag (any case) and a separator.
func hasTag(local, tag string) bool {
	return len(local) >= 5 && strings.EqualFold(local[:4], tag) && strings.IndexByte(Separators, local[4]) >= 0
}

// Forward rewrites sender for a message that alias (a domain, or an
// address whose domain is taken) forwards. A sender in alias's own
// domain is returned unchanged (unless AlwaysRewrite); an SRS0 or SRS1
// sender becomes SRS1; any other becomes SRS0.
func (c *Codec) Forward(sender, alias string, now time.Time) (string, error) {
	if len(c.Secrets) == 0 {
		return "", ErrNoSecrets
	}
	if i := strings.LastIndexByte(alias, '@'); i >= 0 {
		alias = alias[i+1:]
	}
	user, host, ok := strings.Cut(sender, "@")
	if !ok {
		return "", ErrNoAt
	}
	if user == "" || host == "" || strings.ContainsAny(host, "@=") {
		// Its SRS form could not be reversed.
		return "", syntaxError("sender address cannot be rewritten")
	}
	if !c.AlwaysRewrite && strings.EqualFold(host, alias) {
		return sender, nil
	}
	sep := string(c.separator())
	switch {
	case hasTag(user, "SRS1"):
		// SRS1=HASH=first==...: keep the first forwarder and its part,
		// under a new hash.
		rest := user[5:]
		if rest == "" {
			return "", syntaxError("no hash in SRS1 address")
		}
		_, rest, ok := strings.Cut(rest, "=")
		if !ok {
			return "", syntaxError("no host in SRS1 address")
		}
		first, part, ok := strings.Cut(rest, "=")
		if !ok {
			return "", syntaxError("no user in SRS1 address")
		}
		return "SRS1" + sep + c.hash(0, first, part) + "=" + first + "=" + part + "@" + alias, nil
	case hasTag(user, "SRS0"):
		// The SRS0 part from its separator on, and its forwarder.
		part := user[4:]
		return "SRS1" + sep + c.hash(0, host, part) + "=" + host + "=" + part + "@" + alias, nil
	}
	stamp := Timestamp(now)
	return "SRS0" + sep + c.hash(0, stamp, host, user) + "=" + stamp + "=" + host + "=" + user + "@" + alias, nil
}

// Reverse returns the address an SRS address stands for: the original
// sender for SRS0 (after its hash and timestamp are checked), the first
// forwarder's SRS0 address for SRS1 (after its hash is checked). The
// domain of addr is not looked at.
func (c *Codec) Reverse(addr string, now time.Time) (string, error) {
	if !IsSRS(addr) {
		return "", ErrNotSRS
	}
	if len(c.Secrets) == 0 {
		return "", ErrNoSecrets
	}
	user, _, _ := strings.Cut(addr, "@")
	if hasTag(user, "SRS1") {
		hash := user[5:]
		if hash == "" {
			return "", syntaxError("no hash in SRS1 address")
		}
		hash, rest, ok := strings.Cut(hash, "=")
		if !ok {
			return "", syntaxError("no host in SRS1 address")
		}
		host, part, ok := strings.Cut(rest, "=")
		if !ok {
			return "", syntaxError("no user in SRS1 address")
		}
		if err := c.checkHash(hash, host, part); err != nil {
			return "", err
		}
		return "SRS0" + part + "@" + host, nil
	}
	hash := user[5:]
	if hash == "" {
		return "", syntaxError("no hash in SRS0 address")
	}
	hash, rest, ok := strings.Cut(hash, "=")
	if !ok || rest == "" {
		return "", syntaxError("no timestamp in SRS0 address")
	}
	stamp, rest, ok := strings.Cut(rest, "=")
	if !ok || rest == "" {
		return "", syntaxError("no host in SRS0 address")
	}
	host, local, ok := strings.Cut(rest, "=")
	if !ok || local == "" {
		return "", syntaxError("no user in SRS0 address")
	}
	if err := c.checkStamp(stamp, now); err != nil {
		return "", err
	}
	if err := c.checkHash(hash, stamp, host, local); err != nil {
		return "", err
	}
	return local + "@" + host, nil
}

// Timestamp is the two-character day stamp of now.
func Timestamp(now time.Time) string {
	day := now.Unix() / secondsADay
	return string([]byte{stampChars[(day>>stampBits)&(1<<stampBits-1)], stampChars[day&(1<<stampBits-1)]})
}

func (c *Codec) checkStamp(stamp string, now time.Time) error {
	then := 0
	for i := 0; i < len(stamp); i++ {
		k := strings.IndexByte(stampChars, upper(stamp[i]))
		if k < 0 {
			return syntaxError("bad character in SRS timestamp")
		}
		then = (then<<stampBits | k) % (1 << 30) // a long stamp cannot overflow
	}
	today := int((now.Unix() / secondsADay) % stampSlots)
	for today < then {
		today += stampSlots
	}
	if today > then+c.maxAge() {
		return ErrExpired
	}
	return nil
}

func (c *Codec) checkHash(hash string, fields ...string) error {
	if len(hash) < c.hashMin() {
		return ErrHashShort
	}
	if len(hash) <= c.hashLength() {
		for i := range c.Secrets {
			if strings.EqualFold(hash, c.hash(i, fields...)[:len(hash)]) {
				return nil
			}
		}
	}
	return ErrBadHash
}

// hash is the base64 text of HMAC-SHA1 with secret i over the fields in
// lower case, cut to HashLength characters.
func (c *Codec) hash(i int, fields ...string) string {
	m := hmac.New(sha1.New, []byte(c.Secrets[i]))
	for _, f := range fields {
		m.Write([]byte(lowerASCII(f)))
	}
	sum := m.Sum(nil)
	n := c.hashLength()
	out := make([]byte, 0, n)
	var acc uint32
	bits := 0
	for _, b := range sum {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 6 && len(out) < n {
			bits -= 6
			out = append(out, hashChars[(acc>>bits)&63])
		}
	}
	return string(out)
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}
