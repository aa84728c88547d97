// Package qqueue is the one qmail-queue client. Every quail program that
// injects mail (qmail-smtpd, qmail-qmtpd, qmail-qmqpd, qmail-inject and
// sendmail, qmail-local's forwarding, forward, condredirect, qreceipt,
// qmail-send's bounces) hands its message to qmail-queue(8) through it,
// as qmail's programs do through qmail.c:
//
//	q, err := qqueue.Start(prog, env)  // qmail_open
//	q.Write(message)                   // qmail_put, as the message arrives
//	r := q.Close(sender, recipients)   // qmail_from, qmail_to, qmail_close
//
// or, for a message that is read from somewhere, Injection.Run.
//
// Start hands back one of two implementations of Queue, as package
// launch decides: the program as a process (the message on its
// descriptor 0, then the envelope, F sender \0 T recipient \0 ... \0, on
// descriptor 1, and with exit code 82 a custom error on descriptor 6:
// 'D' and a text for a permanent failure, 'Z' and a text for a
// temporary one), or, when that is quail's own qmail-queue and starting
// it would change nothing, its code in a goroutine of the caller. Both
// end the same way, in an exit code and perhaps a custom text, which
// Explain turns into qmail_close's text with qmail-queue(8)'s table
// (queue.Exit*).
package qqueue

import (
	"bytes"
	"io"
	"strings"

	"github.com/quail-mta/quail/internal/launch"
	"github.com/quail-mta/quail/mta/queue"
)

// Queue is one running qmail-queue.
type Queue interface {
	// Write streams message bytes. A write error (qmail-queue gave up
	// early) is remembered and the rest discarded, so that the caller
	// can keep reading its client's message and report the outcome at
	// the end, as qmail-smtpd does.
	io.Writer
	// Close ends the message, hands over the envelope and waits for the
	// verdict.
	Close(sender string, recipients []string) Result
	// Abort gives the message up: nothing is queued.
	Abort()
	// Pid is the message's qp, which qmail-smtpd reports and the
	// Received line and qmail-send's info msg line give: the program's
	// process id, or for a message queued inside the caller the number
	// queue.InProcessQP gave it.
	Pid() int
}

// Result is qmail-queue's verdict, as qmail_close reports it.
type Result struct {
	Code int    // the exit code (queue.Exit*); -1 when the program did not run to its end or was not given the message
	Text string // qmail's text, ending in its enhanced code; "" on success
	perm bool
}

// OK says whether the message is safely queued.
func (r Result) OK() bool { return r.Code == 0 }

// Permanent says whether the failure is permanent (never for success):
// qmail_close's 'D', which qmail-local turns into exit 100 and the
// servers into a 5xx reply.
func (r Result) Permanent() bool { return r.perm }

// Reason is the failure's text ("" for success).
func (r Result) Reason() string { return r.Text }

// Infected says whether quail's qmail-queue refused the message because
// its QHPSI scanner found a virus, whether it ran as a program or in
// its caller.
func (r Result) Infected() bool {
	return r.Code == queue.ExitCustom && r.perm && r.Text == queue.InfectedText
}

// Explain is qmail_close's text for an exit code (qmail-queue(8) and
// qmail.c): 11-40 and 115 are permanent, every other failure temporary.
func Explain(code int) Result {
	r := Result{Code: code}
	switch code {
	case queue.ExitOK:
		return r
	case queue.ExitAddrTooLong, queue.ExitOldTooLong:
		r.Text = "envelope address too long for qq (#5.1.3)"
	case queue.ExitRefused:
		r.Text = "mail server permanently rejected message (#5.3.0)"
	case queue.ExitNoMem:
		r.Text = "qq out of memory (#4.3.0)"
	case queue.ExitTimeout:
		r.Text = "qq timeout (#4.3.0)"
	case queue.ExitWrite:
		r.Text = "qq write error or disk full (#4.3.0)"
	case queue.ExitRead:
		r.Text = "qq read error (#4.3.0)"
	case queue.ExitConfig:
		r.Text = "qq unable to read configuration (#4.3.0)"
	case queue.ExitNetwork:
		r.Text = "qq trouble making network connection (#4.3.0)"
	case queue.ExitHome:
		r.Text = "qq trouble in home directory (#4.3.0)"
	case queue.ExitQueueDir, queue.ExitPid, queue.ExitMess, queue.ExitIntd, queue.ExitTodo:
		r.Text = "qq trouble creating files in queue (#4.3.0)"
	case queue.ExitTempRefused:
		r.Text = "mail server temporarily rejected message (#4.3.0)"
	case queue.ExitConnTimeout:
		r.Text = "connection to mail server timed out (#4.4.1)"
	case queue.ExitConnRefused:
		r.Text = "connection to mail server rejected (#4.4.1)"
	case queue.ExitConnFailed:
		r.Text = "communication with mail server failed (#4.4.2)"
	case queue.ExitBug, queue.ExitEnvelope:
		r.Text = "qq internal bug (#4.3.0)"
	case queue.ExitNoExec:
		r.Text = "unable to exec qq (#4.3.0)"
	default:
		if code >= 11 && code <= 40 {
			r.Text = "qq permanent problem (#5.3.0)"
		} else {
			r.Text = "qq temporary problem (#4.3.0)"
		}
	}
	r.perm = code >= 11 && code <= 40 || code == queue.ExitOldTooLong
	return r
}

// Envelope encodes sender and recipients as qmail-queue reads them.
func Envelope(sender string, recipients []string) []byte {
	var b bytes.Buffer
	b.WriteByte('F')
	b.WriteString(sender)
	b.WriteByte(0)
	for _, r := range recipients {
		b.WriteByte('T')
		b.WriteString(r)
		b.WriteByte(0)
	}
	b.WriteByte(0)
	return b.Bytes()
}

// verdict is how one run of qmail-queue ended, for either
// implementation: e, the text it wrote on descriptor 6, and whether the
// whole message and envelope were handed over.
func verdict(e launch.Exit, custom []byte, handedOver bool) Result {
	switch {
	case e.Err != nil:
		return Result{Code: -1, Text: "unable to run qq (#4.3.0)"}
	case e.Crashed:
		return Result{Code: -1, Text: "qq crashed (#4.3.0)"}
	case e.Code == queue.ExitCustom:
		return customResult(custom)
	case e.Code == queue.ExitOK && !handedOver:
		// As qmail_close: a message or envelope that could not be
		// handed over completely is not queued, whatever the
		// program said.
		return Explain(queue.ExitRead)
	}
	return Explain(e.Code)
}

// customResult reads descriptor 6's text: its letter says whether the
// failure is permanent.
func customResult(b []byte) Result {
	s := strings.TrimRight(string(b), "\x00\r\n")
	switch {
	case strings.HasPrefix(s, "D"):
		return Result{Code: queue.ExitCustom, perm: true, Text: s[1:]}
	case strings.HasPrefix(s, "Z"):
		return Result{Code: queue.ExitCustom, Text: s[1:]}
	}
	return Result{Code: queue.ExitCustom, Text: "qq temporary problem (#4.3.0)"}
}

// nulRefused is the result for an envelope address holding a NUL: it
// would end the address in the envelope and let the rest pass for more
// addresses, so the message is not queued.
var nulRefused = Result{Code: -1, perm: true, Text: "envelope address contains a NUL byte (#5.1.3)"}

func hasNUL(sender string, recipients []string) bool {
	if strings.IndexByte(sender, 0) >= 0 {
		return true
	}
	for _, a := range recipients {
		if strings.IndexByte(a, 0) >= 0 {
			return true
		}
	}
	return false
}
