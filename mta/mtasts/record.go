package mtasts

import (
	"errors"
	"strings"
)

// Errors of FindRecord and ParseRecord.
var (
	ErrNoRecord  = errors.New("no MTA-STS record")
	ErrManyRecs  = errors.New("more than one MTA-STS record")
	ErrBadRecord = errors.New("malformed MTA-STS record")
)

// RecordName is the owner of domain's TXT record.
func RecordName(domain string) string { return "_mta-sts." + domain }

// FindRecord picks domain's record from the TXT strings at its name:
// those that do not start with "v=STSv1" are discarded, and exactly one
// must be left (RFC 8461 section 3.1). It returns the policy id.
func FindRecord(txts []string) (string, error) {
	var found []string
	for _, t := range txts {
		if strings.HasPrefix(t, "v=STSv1") {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return "", ErrNoRecord
	case 1:
		return ParseRecord(found[0])
	}
	return "", ErrManyRecs
}

// ParseRecord reads one record and returns its id (RFC 8461 section 3.1):
//
//	v=STSv1; id=20160831085700Z;
//
// The version comes first; fields are separated by ';' with optional
// white space around them; the id is 1 to 32 letters and digits; other
// fields are extensions (a name of a letter or digit then up to 31
// letters, digits, '_', '-' or '.'; a value of printable bytes other
// than '=', ';' and space) and ignored. The first id counts.
func ParseRecord(txt string) (string, error) {
	fields := strings.Split(txt, ";")
	if strings.TrimRight(fields[0], " \t") != "v=STSv1" {
		return "", ErrBadRecord
	}
	id := ""
	for i, f := range fields[1:] {
		f = strings.Trim(f, " \t")
		if f == "" && i == len(fields)-2 {
			break // the optional trailing ';'
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok || !extName(name) || !extValue(value) {
			return "", ErrBadRecord
		}
		if name == "id" && id == "" {
			if len(value) > 32 || !alnum(value) {
				return "", ErrBadRecord
			}
			id = value
		}
	}
	if id == "" {
		return "", ErrBadRecord
	}
	return id, nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return s != ""
}

func extName(s string) bool {
	if s == "" || len(s) > 32 || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func extValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '=' || c == ';' {
			return false
		}
	}
	return s != ""
}
