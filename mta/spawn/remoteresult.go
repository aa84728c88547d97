package spawn

import "bytes"

// RemoteResult reads qmail-remote's output for one recipient as
// qmail-rspawn does (qmail-rspawn.c, report): the recipient's report (r
// accepted, h refused for good, s refused for now) and then the
// message's (K, Z or D), each a letter, text and NUL. A refused
// recipient decides the result, an accepted one takes the message's.
// The text is the recipient's report followed by the message's when the
// message's result is no better than the recipient's: an accepted
// recipient's empty text and "127.0.0.1 accepted message.\n...", a
// refused one's "... does not like recipient.\n..." and "Giving up on
// 127.0.0.1.\n". qmail-remote writes the message report alone when it
// gave up before any recipient was tried (no such host, the sender
// refused, a usage error); it then applies to the recipient. Output
// qmail-remote never writes (no report, an unknown letter, a recipient
// accepted with no message report, a message delivered with no
// recipient report) is a temporary failure, where qmail-rspawn would
// guess.
func RemoteResult(out []byte) (byte, string) {
	var rc, mc byte
	var rtext, mtext string
	for _, e := range bytes.Split(out, []byte{0}) {
		if len(e) == 0 {
			continue
		}
		switch e[0] {
		case 'r', 'h', 's':
			if rc == 0 && mc == 0 {
				rc, rtext = e[0], string(e[1:])
			}
		case 'K', 'Z', 'D':
			if mc == 0 {
				mc, mtext = e[0], string(e[1:])
			}
		default:
			return Deferral, "qmail-remote produced a malformed report. (#4.3.0)\n"
		}
	}
	// rank orders the results as qmail-rspawn does: D -1, Z 0, K 1.
	rank := map[byte]int{Failure: -1, Deferral: 0, Success: 1}
	switch rc {
	case 0:
		switch mc {
		case 0:
			return Deferral, "qmail-remote produced no report. (#4.3.0)\n"
		case Success:
			return Deferral, "qmail-remote produced no recipient report. (#4.3.0)\n"
		}
		return mc, mtext
	case 'r':
		if mc == 0 {
			return Deferral, "qmail-remote produced no message report. (#4.3.0)\n"
		}
		return mc, rtext + mtext
	}
	res := byte(Failure)
	if rc == 's' {
		res = Deferral
	}
	if mc != 0 && rank[mc] <= rank[res] {
		return res, rtext + mtext
	}
	return res, rtext
}
