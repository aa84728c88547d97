package stats

import (
	"bytes"
)

// cut removes prefix from the front of *s and says whether it was there.
func cut(s *[]byte, prefix string) bool {
	if len(*s) < len(prefix) || string((*s)[:len(prefix)]) != prefix {
		return false
	}
	*s = (*s)[len(prefix):]
	return true
}

// leadingNumber reads the decimal number at the front of s. Numbers that
// do not fit 63 bits are refused rather than wrapped.
func leadingNumber(s []byte) (n uint64, rest []byte, ok bool) {
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n >= 1<<59 {
			return 0, s, false
		}
		n = n*10 + uint64(s[i]-'0')
	}
	return n, s[i:], i > 0
}

// number reads s as a whole decimal number.
func number(s []byte) (uint64, bool) {
	n, rest, ok := leadingNumber(s)
	return n, ok && len(rest) == 0
}

// parseInfo reads "N: bytes B from <SENDER> qp P uid U". The sender may
// hold anything but a newline, "> qp " included, so the last "> qp " ends
// it; a line cut short after the sender still gives the sender.
func parseInfo(s []byte, ev *Event) {
	n, s, ok := leadingNumber(s)
	if !ok || !cut(&s, ": bytes ") {
		return
	}
	b, s, ok := leadingNumber(s)
	if !ok || !cut(&s, " from <") {
		return
	}
	end := bytes.LastIndex(s, []byte("> qp "))
	if end < 0 {
		if end = bytes.LastIndexByte(s, '>'); end < 0 {
			return
		}
	}
	ev.Kind, ev.Msg, ev.Bytes, ev.HasBytes, ev.Addr = InfoMsg, n, int64(b), true, string(s[:end])
}

// parseStart reads "D: msg N to local|remote RECIPIENT".
func parseStart(s []byte, ev *Event) {
	d, s, ok := leadingNumber(s)
	if !ok || !cut(&s, ": msg ") {
		return
	}
	n, s, ok := leadingNumber(s)
	if !ok {
		return
	}
	switch {
	case cut(&s, " to local "):
		ev.Channel = Local
	case cut(&s, " to remote "):
		ev.Channel = Remote
	default:
		return
	}
	ev.Kind, ev.Delivery, ev.Msg, ev.Addr = StartDelivery, d, n, string(s)
}

// parseDone reads "D: success: TEXT" and its failure and deferral forms,
// and qmail 1.03's "D: report mangled, will defer", a deferral too.
func parseDone(s []byte, ev *Event) {
	d, s, ok := leadingNumber(s)
	if !ok || !cut(&s, ": ") {
		return
	}
	switch {
	case cut(&s, "success:"):
		ev.Result = Success
	case cut(&s, "failure:"):
		ev.Result = Failure
	case cut(&s, "deferral:"), cut(&s, "report mangled, will defer"):
		ev.Result = Deferral
	default:
		return
	}
	ev.Kind, ev.Delivery = DeliveryDone, d
}

// parseSendStatus reads "local L/LMAX remote R/RMAX" or "exiting".
func parseSendStatus(s []byte, ev *Event) {
	if string(s) == "exiting" {
		ev.Kind = SendExiting
		return
	}
	if !cut(&s, "local ") {
		return
	}
	l, lmax, s, ok := fraction(s)
	if !ok || !cut(&s, " remote ") {
		return
	}
	r, rmax, s, ok := fraction(s)
	if !ok || len(s) != 0 {
		return
	}
	ev.Kind, ev.Active, ev.Limit = SendStatus, [2]int{l, r}, [2]int{lmax, rmax}
}

// fraction reads "N/M".
func fraction(s []byte) (n, m int, rest []byte, ok bool) {
	a, s, ok := leadingNumber(s)
	if !ok || !cut(&s, "/") {
		return 0, 0, s, false
	}
	b, s, ok := leadingNumber(s)
	if !ok || a >= 1<<31 || b >= 1<<31 {
		return 0, 0, s, false
	}
	return int(a), int(b), s, true
}

// parseSMTPD reads "RESULT::STAGE::REASON: P:PROTO ... [R:N size:B ...]".
// A line of another shape from qmail-smtpd is SMTPDOther.
func parseSMTPD(s []byte, ev *Event) {
	ev.Kind = SMTPDOther
	head, fields, _ := bytes.Cut(s, []byte(": "))
	parts := bytes.Split(head, []byte("::"))
	if len(parts) != 3 {
		return
	}
	var r string
	switch string(parts[0]) {
	case "Accept":
		r = "Accept"
	case "Reject":
		r = "Reject"
	case "Defer":
		r = "Defer"
	default:
		return
	}
	if !field(parts[1]) || !field(parts[2]) {
		return
	}
	ev.Kind = SMTPD
	ev.SMTP = SMTPRecord{Result: r, Stage: string(parts[1]), Reason: string(parts[2])}
	for _, f := range bytes.Fields(fields) {
		if cut(&f, "size:") {
			if b, ok := number(f); ok {
				ev.Bytes, ev.HasBytes = int64(b), true
			}
		}
	}
}

// field says whether a stage or reason is a plausible name: not empty,
// short, printable, no blanks.
func field(s []byte) bool {
	if len(s) == 0 || len(s) > maxField {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c >= 127 {
			return false
		}
	}
	return true
}

// parseServer reads tcpserver's (or sslserver's) -v lines.
func parseServer(name string, s []byte, ev *Event) {
	ev.Server = name
	ev.Kind = ServerOther
	switch {
	case cut(&s, "status: "):
		n, m, rest, ok := fraction(s)
		if ok && len(rest) == 0 {
			ev.Kind, ev.Active[0], ev.Limit[0] = ServerStatus, n, m
		}
	case cut(&s, "ok "):
		if _, _, ok := leadingNumber(s); ok {
			ev.Kind = ServerOK
		}
	case cut(&s, "deny "):
		if _, _, ok := leadingNumber(s); ok {
			ev.Kind = ServerDeny
			ev.IPLimit = bytes.Contains(s, []byte(" ip connection limit:"))
		}
	}
}

// parseRBL reads "IP pid PID: CODE TEXT".
func parseRBL(s []byte, ev *Event) {
	_, after, found := bytes.Cut(s, []byte(" pid "))
	if !found {
		return
	}
	_, after, ok := leadingNumber(after)
	if !ok || !cut(&after, ": ") {
		return
	}
	code, after, ok := leadingNumber(after)
	if !ok || code < 200 || code > 599 || (len(after) > 0 && after[0] != ' ') {
		return
	}
	ev.Kind, ev.RBLCode = RBL, int(code)
}
