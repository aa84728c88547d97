package rblsmtpd

import "strconv"

// maxText is the longest reply text 0.88 sends; the rest is cut.
const maxText = 200

// replyLine is the SMTP reply for a blocked client without its CRLF: the
// code, a space and the text cut to maxText bytes, every byte outside
// 32..126 replaced by '?' (so no CR, LF or 8-bit byte reaches the client or
// the log).
func replyLine(code int, text string) string {
	if len(text) > maxText {
		text = text[:maxText]
	}
	b := make([]byte, 0, 4+len(text))
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c < 32 || c > 126 {
			c = '?'
		}
		b = append(b, c)
	}
	return string(b)
}

// logLine is the one line logged for a blocked or dropped client:
// "rblsmtpd: IP pid PID: REPLY". The address is printed as $TCPREMOTEIP has
// it, with bytes outside 32..126 made '?' so the line stays one line.
func logLine(ip string, pid int, reply string) string {
	b := []byte("rblsmtpd: ")
	for i := 0; i < len(ip); i++ {
		c := ip[i]
		if c < 32 || c > 126 {
			c = '?'
		}
		b = append(b, c)
	}
	b = append(b, " pid "...)
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, ": "...)
	b = append(b, reply...)
	b = append(b, '\n')
	return string(b)
}

// scanUlong reads leading decimal digits as djb's scan_ulong does: "60s" is
// 60, "x" is 0. The value saturates instead of wrapping.
func scanUlong(s string) uint64 {
	var n uint64
	for i := 0; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if n > (1<<64-1-d)/10 {
			return 1<<64 - 1
		}
		n = n*10 + d
	}
	return n
}
