// Package logfield keeps what a client sent from breaking the one-line
// records the network servers log (qmail-smtpd's "Accept::RCPT::..."
// lines, qmail-pop3d's and qmail-popup's), which qmail-stats and other
// log readers split on spaces.
package logfield

// Clean returns v as one field: every byte that is a control byte, a
// space or not ASCII becomes '?', and a value longer than max bytes is
// cut there and marked with "...".
func Clean(v string, max int) string {
	if len(v) > max {
		v = v[:max] + "..."
	}
	b := []byte(v)
	for i, c := range b {
		if c <= ' ' || c >= 127 {
			b[i] = '?'
		}
	}
	return string(b)
}
