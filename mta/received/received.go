// Package received writes what qmail's received.c and date822fmt.c
// write: the Received field a server puts at the top of each message it
// accepts (qmail-smtpd, qmail-qmtpd, qmail-qmqpd), and the RFC 822 date
// of qmail's own header fields and bounces.
package received

import (
	"strconv"
	"strings"
	"time"
)

// Conn names the two ends of the connection a message came in on, as
// the UCSPI variables do (TCPLOCALHOST, TCPREMOTEIP, TCPREMOTEHOST,
// TCPREMOTEINFO) with qmail's defaults already applied.
type Conn struct {
	LocalHost, RemoteIP, RemoteHost, RemoteInfo string
}

// Field is received.c's field, ending in "\n":
//
//	Received: from HOST (HELO NAME) (INFO@IP)
//	  by LOCAL with PROTOCOL; DATE
//
// The HELO part appears only when helo is given and differs from the
// client's host name (a protocol without HELO passes ""); every name is
// filtered as received.c's safeput does.
func Field(protocol, helo string, c Conn, t time.Time) string {
	var b strings.Builder
	b.WriteString("Received: from ")
	b.WriteString(safe(c.RemoteHost))
	if helo != "" && !strings.EqualFold(helo, c.RemoteHost) {
		b.WriteString(" (HELO ")
		b.WriteString(safe(helo))
		b.WriteString(")")
	}
	b.WriteString(" (")
	if c.RemoteInfo != "" {
		b.WriteString(safe(c.RemoteInfo))
		b.WriteString("@")
	}
	b.WriteString(safe(c.RemoteIP))
	b.WriteString(")\n  by ")
	b.WriteString(safe(c.LocalHost))
	b.WriteString(" with ")
	b.WriteString(protocol)
	b.WriteString("; ")
	b.WriteString(Date822(t))
	b.WriteString("\n")
	return b.String()
}

// safe replaces what received.c's safeput does not let into a header.
func safe(v string) string {
	b := []byte(v)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte(".@%+/=:-", c) >= 0:
		default:
			b[i] = '?'
		}
	}
	return string(b)
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// Date822 formats t as qmail's date822fmt does, in UTC, the day of the
// month and the year without padding: "2 Nov 2026 03:04:05 -0000".
func Date822(t time.Time) string {
	t = t.UTC()
	b := make([]byte, 0, 32)
	b = strconv.AppendInt(b, int64(t.Day()), 10)
	b = append(b, ' ')
	b = append(b, months[t.Month()-1]...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(t.Year()), 10)
	b = append(b, ' ')
	b = append2(b, t.Hour(), ':')
	b = append2(b, t.Minute(), ':')
	b = append2(b, t.Second(), ' ')
	return string(append(b, "-0000"...))
}

// append2 appends n in two digits and then sep.
func append2(b []byte, n int, sep byte) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10), sep)
}
