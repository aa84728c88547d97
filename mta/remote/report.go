package remote

import (
	"bufio"
	"io"
	"strings"
)

// Result letters of qmail-remote(8). Per recipient: Accepted, Refused
// (permanently) and Deferred (temporarily). For the message, after the
// recipients: Delivered, Temporary and Permanent.
const (
	Accepted byte = 'r'
	Refused  byte = 'h'
	Deferred byte = 's'

	Delivered byte = 'K'
	Temporary byte = 'Z'
	Permanent byte = 'D'
)

// Outcome is the message's result: a letter and qmail-style text.
type Outcome struct {
	Code byte
	Text string
}

// Report writes qmail-remote's answer to qmail-rspawn: each report is a
// letter, text and a NUL. Text never holds a NUL (it becomes '?', as in
// qmail).
type Report struct {
	w *bufio.Writer
}

// NewReport writes to w.
func NewReport(w io.Writer) *Report { return &Report{w: bufio.NewWriter(w)} }

// Recipient reports on one recipient, in argument order.
func (r *Report) Recipient(code byte, text string) { r.put(code, text) }

// Done reports the message's result and flushes. Nothing may follow.
func (r *Report) Done(o Outcome) error {
	r.put(o.Code, o.Text)
	return r.w.Flush()
}

func (r *Report) put(code byte, text string) {
	r.w.WriteByte(code)
	r.w.WriteString(strings.ReplaceAll(text, "\x00", "?"))
	r.w.WriteByte(0)
}

// safe is qmail's outsafe: bytes outside 33-126 become '?'.
func safe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 33 || c > 126 {
			b[i] = '?'
		}
	}
	return string(b)
}

// remoteSaid is qmail's outsmtptext: the reply that explains an outcome.
func remoteSaid(r Reply) string {
	if r.Text == "" {
		return ""
	}
	return "Remote host said: " + r.Text
}

// Outcomes that do not depend on a connection, in qmail-remote's words.
var (
	outUsage       = Outcome{Permanent, "I (qmail-remote) was invoked improperly. (#5.3.5)\n"}
	outNoConn      = Outcome{Temporary, "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"}
	outNoQMTPConn  = Outcome{Temporary, "Sorry, I wasn't able to establish a QMTP connection. (#4.4.1)\n"}
	outRead        = Outcome{Temporary, "Unable to read message. (#4.3.0)\n"}
	outDNSTemp     = Outcome{Temporary, "Sorry, I couldn't find any host by that name. (#4.1.2)\n"}
	outControl     = Outcome{Temporary, "Unable to read control files. (#4.3.0)\n"}
	outHome        = Outcome{Temporary, "Unable to switch to home directory. (#4.3.0)\n"}
	outPartialLine = Outcome{Permanent, "SMTP cannot transfer messages with partial final lines. (#5.6.2)\n"}
	outNoMX        = Outcome{Permanent, "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n"}
	outAmbigMX     = Outcome{Permanent, "Sorry. Although I'm listed as a best-preference MX or A for that host,\n" +
		"it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n"}
)

func outDNSPerm(host string) Outcome {
	return Outcome{Permanent, "Sorry, I couldn't find any host named " + safe(host) + ". (#5.1.2)\n"}
}

func outNullMX(host string) Outcome {
	return Outcome{Permanent, "Sorry, " + safe(host) + " does not accept mail (null MX). (#5.1.10)\n"}
}
