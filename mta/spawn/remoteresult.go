package spawn

import "bytes"

// RemoteResult reads qmail-remote's output for one recipient: the
// recipient's report (r accepted, h refused for good, s refused for now)
// and then the message's (K, Z or D), each a letter, text and NUL. A
// refused recipient decides the result; an accepted one takes the
// message's. Anything else is a temporary failure.
func RemoteResult(out []byte) (byte, string) {
	// Entries are NUL-terminated: at most one recipient report (r, h, s)
	// and one message report (K, Z, D). qmail-remote writes the message
	// report alone when it gave up before any recipient was tried (no
	// such host, the sender refused, a usage error); it then applies to
	// the recipient, as qmail-rspawn takes it.
	var rc, mc byte
	var rtext, mtext string
	for _, e := range bytes.Split(out, []byte{0}) {
		if len(e) == 0 {
			continue
		}
		switch e[0] {
		case 'r', 'h', 's':
			if rc == 0 {
				rc, rtext = e[0], string(e[1:])
			}
		case 'K', 'Z', 'D':
			if mc == 0 {
				mc, mtext = e[0], string(e[1:])
			}
		default:
			return Deferral, "qmail-remote produced a malformed report. (#4.3.0)"
		}
	}
	switch rc {
	case 'h':
		return Failure, rtext
	case 's':
		return Deferral, rtext
	}
	switch mc {
	case 'K':
		if rc == 'r' {
			return Success, mtext
		}
		return Deferral, "qmail-remote produced no recipient report. (#4.3.0)"
	case 'D':
		return Failure, mtext
	case 'Z':
		return Deferral, mtext
	}
	if rc == 0 {
		return Deferral, "qmail-remote produced no report. (#4.3.0)"
	}
	return Deferral, "qmail-remote produced no message report. (#4.3.0)"
}
