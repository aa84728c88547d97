// Package dane is the client side of DANE for SMTP (RFC 7672): which TLSA
// records (RFC 6698, with the updates of RFC 7671 and RFC 7218's names)
// an SMTP client may use, how it finds them, and how it checks the
// certificate chain a server presents against them.
//
// What RFC 7672 asks, and where it is done:
//   - TLSA records count only when the MX answer, the exchanger's address
//     records and the TLSA answer are all authenticated by DNSSEC (section
//     2.2); the caller checks the first two, Lookup the third;
//   - a record is usable when its usage is DANE-TA(2) or DANE-EE(3), its
//     selector Cert(0) or SPKI(1) and its matching type Full(0),
//     SHA2-256(1) or SHA2-512(2) with data of the digest's length
//     (sections 2.2 and 3.1; PKIX-TA(0) and PKIX-EE(1) are not for SMTP,
//     section 3.1.3);
//   - usable records mean authenticated TLS or no delivery to that host;
//     authenticated TLSA records none of which is usable mean TLS without
//     authentication (section 2.2); a TLSA lookup that fails makes the host
//     unusable for now (section 2.2.1);
//   - DANE-EE(3) matches the server's own certificate and ignores its names
//     and dates (section 3.1.1); DANE-TA(2) matches a certificate of the
//     chain the server sent, which must then issue the server's
//     certificate, valid now and carrying one of the reference identifiers
//     (sections 3.1.2 and 3.2.3: the TLSA base domain, which quail takes to
//     be the MX host name as the MX record gives it).
//
// quail does not validate DNSSEC itself; see dnsclient for what the AD bit
// it trusts means.
package dane

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Certificate usages, selectors and matching types (RFC 7218 names).
const (
	UsagePKIXTA = 0
	UsagePKIXEE = 1
	UsageDANETA = 2
	UsageDANEEE = 3

	SelectorCert = 0
	SelectorSPKI = 1

	MatchFull   = 0
	MatchSHA256 = 1
	MatchSHA512 = 2
)

// Record is one TLSA record.
type Record struct {
	Usage, Selector, MatchingType uint8
	Data                          []byte
}

// Usable reports whether an SMTP client may use the record (RFC 7672
// section 2.2, 3.1).
func (r Record) Usable() bool {
	if r.Usage != UsageDANETA && r.Usage != UsageDANEEE {
		return false
	}
	if r.Selector != SelectorCert && r.Selector != SelectorSPKI {
		return false
	}
	switch r.MatchingType {
	case MatchFull:
		return len(r.Data) > 0
	case MatchSHA256:
		return len(r.Data) == sha256.Size
	case MatchSHA512:
		return len(r.Data) == sha512.Size
	}
	return false
}

// String is the record's data in presentation form, "3 1 1 <hex>" (RFC
// 6698 section 2.2), as TLS-RPT's policy-string shows it.
func (r Record) String() string {
	return strconv.Itoa(int(r.Usage)) + " " + strconv.Itoa(int(r.Selector)) + " " +
		strconv.Itoa(int(r.MatchingType)) + " " + hex.EncodeToString(r.Data)
}

// ErrSyntax reports text that is not a TLSA record's presentation form.
var ErrSyntax = errors.New("not a TLSA record")

// MaxData bounds the association data Parse accepts: a full certificate
// is rarely over 4 KiB; 64 KiB is what a DNS record can hold at all.
const MaxData = 65535

// Parse reads a record in presentation form: three decimal fields of 0 to
// 255 and the association data in hexadecimal, which may be broken up by
// white space as in a zone file (RFC 6698 section 2.2). It does not judge
// usability; Usable does.
func Parse(s string) (Record, error) {
	f := strings.Fields(s)
	if len(f) < 4 {
		return Record{}, ErrSyntax
	}
	var n [3]uint8
	for i := range n {
		v, err := strconv.ParseUint(f[i], 10, 8)
		if err != nil || f[i][0] == '+' {
			return Record{}, ErrSyntax
		}
		n[i] = uint8(v)
	}
	h := strings.Join(f[3:], "")
	if len(h)/2 > MaxData {
		return Record{}, ErrSyntax
	}
	data, err := hex.DecodeString(h)
	if err != nil || len(data) == 0 {
		return Record{}, ErrSyntax
	}
	return Record{Usage: n[0], Selector: n[1], MatchingType: n[2], Data: data}, nil
}

// Usable returns the records of rs an SMTP client may use, in order.
func Usable(rs []Record) []Record {
	var out []Record
	for _, r := range rs {
		if r.Usable() {
			out = append(out, r)
		}
	}
	return out
}

// matches says whether the certificate (its DER and its
// SubjectPublicKeyInfo) is the one the record names.
func (r Record) matches(raw, spki []byte) bool {
	b := raw
	if r.Selector == SelectorSPKI {
		b = spki
	}
	switch r.MatchingType {
	case MatchFull:
		return bytes.Equal(b, r.Data)
	case MatchSHA256:
		d := sha256.Sum256(b)
		return bytes.Equal(d[:], r.Data)
	case MatchSHA512:
		d := sha512.Sum512(b)
		return bytes.Equal(d[:], r.Data)
	}
	return false
}

// Error is a failed DANE check: what went wrong and its TLS-RPT result
// type.
type Error struct {
	Result string // a result type of TLS-RPT (package tlsrpt)
	Reason string
}

func (e *Error) Error() string { return e.Reason }

func fail(result, format string, args ...any) error {
	return &Error{Result: result, Reason: fmt.Sprintf(format, args...)}
}
