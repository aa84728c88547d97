// Package command parses the command addresses of an ezmlm list: the
// extension after "LIST-" that qmail-local hands a list's programs in
// $DEFAULT (and $LOCAL), as ezmlm 0.53 and ezmlm-idx 7 form them:
//
//	subscribe, unsubscribe, help, info, faq, query, get.N, list ...  ezmlm-manage
//	subscribe-box=example.org                                     for another address
//	sc.TIME.COOKIE-box=example.org                                a confirmation
//	digest-subscribe, allow-subscribe, deny-...                   the other address lists
//	return-N-box=example.org, return-N-                           ezmlm-return: a bounce
//	return-warn-TIME.COOKIE-box=..., return-probe-...             a warning or probe bounced
//	accept-TIME.PID.COOKIE, reject-TIME.PID.COOKIE                ezmlm-moderate
//
// These addresses come from anyone: each parser takes arbitrary bytes
// and returns a value or an error, never more than it was given.
package command

import (
	"errors"
	"strconv"
	"strings"
)

// ErrBadAddress is a command address the list cannot use.
var ErrBadAddress = errors.New("bad address")

// ErrTrash is a warning or probe address that is not well formed:
// ezmlm-return drops what comes to it (its die_trash).
var ErrTrash = errors.New("trash address")

// Base is which address list a request is for.
type Base int

const (
	Main   Base = iota // the list itself
	Digest             // LIST-digest-...
	Allow              // LIST-allow-...
	Deny               // LIST-deny-...
)

// Dir is the subdirectory of the base's subscribers ("." for Main).
func (b Base) Dir() string {
	return [...]string{".", "digest", "allow", "deny"}[b]
}

// Suffix is what the base adds to the list's local part ("-digest").
func (b Base) Suffix() string {
	return [...]string{"", "-digest", "-allow", "-deny"}[b]
}

// Request is an ezmlm-manage command.
type Request struct {
	Base   Base
	Action string // the command word, or "sc.TIME.COOKIE" and the like
	Target string // the address the request is about ("" for the sender)
}

// ParseManage splits $DEFAULT as ezmlm-manage does: an optional
// "digest-", "allow-" or "deny-" (any case), then the action up to the
// first '-', then the target with its last '=' made '@'.
func ParseManage(def string) (Request, error) {
	var r Request
	for _, b := range []struct {
		word string
		base Base
	}{{"digest", Digest}, {"allow", Allow}, {"deny", Deny}} {
		if len(def) >= len(b.word) && strings.EqualFold(def[:len(b.word)], b.word) {
			rest := def[len(b.word):]
			if !strings.HasPrefix(rest, "-") {
				return r, ErrBadAddress
			}
			r.Base, def = b.base, rest[1:]
			break
		}
	}
	r.Action = def
	if i := strings.IndexByte(def, '-'); i >= 0 {
		r.Action = def[:i]
		r.Target = unVERP(def[i+1:])
	}
	return r, nil
}

// unVERP makes the last '=' of a command address's target an '@'.
func unVERP(s string) string {
	if i := strings.LastIndexByte(s, '='); i >= 0 {
		return s[:i] + "@" + s[i+1:]
	}
	return s
}

// Confirm is a parsed confirmation action: "sc.TIME.COOKIE".
type Confirm struct {
	Kind   byte   // 's', 'u', 't', 'v', 'r', 'w': the letter before "c."
	When   uint64 // the time the confirmation was asked for
	Stamp  string // When as written (the cookie hashes these digits)
	Cookie string
}

// CookieLen is the length of a cookie.
const CookieLen = 20

// ParseConfirm reads an action of the form Xc.TIME[.]COOKIE: a letter,
// "c.", decimal digits, an optional '.', and exactly 20 cookie bytes.
// ok is false for any other action.
func ParseConfirm(action string) (Confirm, bool) {
	if len(action) < 3 || action[1] != 'c' || action[2] != '.' {
		return Confirm{}, false
	}
	c := Confirm{Kind: action[0]}
	rest := action[3:]
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	c.Stamp = rest[:n]
	c.When, _ = strconv.ParseUint(c.Stamp, 10, 64)
	rest = strings.TrimPrefix(rest[n:], ".")
	if len(rest) != CookieLen {
		return Confirm{}, false
	}
	c.Cookie = rest
	return c, true
}

// Bounce is what ezmlm-return reads from the address a bounce came to
// (the part after "LIST-return-").
type Bounce struct {
	Kind   BounceKind
	Msg    uint64 // the message that bounced (KindMessage, KindReport)
	When   uint64 // the warning's or probe's time
	Stamp  string
	Cookie string
	Addr   string // the subscriber (all kinds but KindReport)
}

// BounceKind is what bounced.
type BounceKind int

const (
	KindMessage BounceKind = iota + 1 // a post to one subscriber: N-box=domain
	KindReport                        // a post, the address in the report: N- (qmail's own bounce)
	KindWarn                          // a warning: warn-TIME.COOKIE-box=domain
	KindProbe                         // a probe: probe-TIME.COOKIE-box=domain
)

// ParseReturn reads ezmlm-return's $DEFAULT.
func ParseReturn(def string) (Bounce, error) {
	for _, k := range []struct {
		word string
		kind BounceKind
	}{{"warn-", KindWarn}, {"probe-", KindProbe}} {
		rest, ok := strings.CutPrefix(def, k.word)
		if !ok {
			continue
		}
		b := Bounce{Kind: k.kind}
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		b.Stamp = rest[:n]
		b.When, _ = strconv.ParseUint(b.Stamp, 10, 64)
		rest, ok = strings.CutPrefix(rest[n:], ".")
		if !ok || len(rest) < CookieLen+1 || rest[CookieLen] != '-' || strings.IndexByte(rest[:CookieLen], '-') >= 0 {
			return Bounce{}, ErrTrash
		}
		b.Cookie = rest[:CookieLen]
		b.Addr = unVERP(rest[CookieLen+1:])
		return b, nil
	}
	n := 0
	for n < len(def) && def[n] >= '0' && def[n] <= '9' {
		n++
	}
	if n == 0 || n >= len(def) || def[n] != '-' {
		return Bounce{}, ErrBadAddress
	}
	msg, err := strconv.ParseUint(def[:n], 10, 64)
	if err != nil {
		return Bounce{}, ErrBadAddress
	}
	rest := def[n+1:]
	if rest == "" {
		return Bounce{Kind: KindReport, Msg: msg}, nil
	}
	return Bounce{Kind: KindMessage, Msg: msg, Addr: unVERP(rest)}, nil
}

// Moderation is an accept or reject request for a stored post.
type Moderation struct {
	Accept bool
	Base   string // the stored post's name: TIME.PID
	Cookie string
}

// ParseModerate reads ezmlm-moderate's request from $LOCAL and
// $DEFAULT: the word before $DEFAULT is "accept" or "reject", and the
// rest is TIME.PID.COOKIE.
func ParseModerate(local, def string) (Moderation, error) {
	if len(local) < len(def)+2 || !strings.HasSuffix(local, def) {
		return Moderation{}, ErrBadAddress
	}
	head := local[:len(local)-len(def)-1] // up to the '-' before $DEFAULT, not included
	i := strings.LastIndexByte(head, '-')
	if i < 0 {
		return Moderation{}, ErrBadAddress
	}
	var m Moderation
	switch head[i+1:] {
	case "accept":
		m.Accept = true
	case "reject":
	default:
		return Moderation{}, ErrBadAddress
	}
	dot1 := strings.IndexByte(def, '.')
	if dot1 < 0 {
		return Moderation{}, ErrBadAddress
	}
	dot2 := strings.IndexByte(def[dot1+1:], '.')
	if dot2 < 0 {
		return Moderation{}, ErrBadAddress
	}
	dot2 += dot1 + 1
	m.Base, m.Cookie = def[:dot2], def[dot2+1:]
	if len(m.Cookie) != CookieLen || !allDigits(def[:dot1]) || !allDigits(def[dot1+1:dot2]) {
		return Moderation{}, ErrBadAddress
	}
	return m, nil
}

// allDigits says whether s is a nonempty decimal number: a stored
// post's name never reaches outside the moderation queue.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
