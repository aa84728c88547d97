package stats

import (
	"bytes"
)

// Kind says what a log line reports.
type Kind uint8

// The kinds of line qmail-stats understands. The formats are in the
// comments; N, D, P are decimal numbers.
const (
	Unknown       Kind = iota // anything else, garbage included
	NewMsg                    // new msg N
	InfoMsg                   // info msg N: bytes B from <SENDER> qp P uid U
	StartDelivery             // starting delivery D: msg N to local|remote RECIPIENT
	DeliveryDone              // delivery D: success|failure|deferral: TEXT, or report mangled
	EndMsg                    // end msg N
	Bounce                    // bounce msg N qp P
	TripleBounce              // triple bounce: discarding bounce/N
	SendStatus                // status: local L/LMAX remote R/RMAX
	SendExiting               // status: exiting
	SendAlert                 // alert: ...
	SendWarning               // warning: ...
	SMTPD                     // qmail-smtpd: RESULT::STAGE::REASON: P:... [size:B]
	SMTPDOther                // any other qmail-smtpd: line
	ServerStatus              // tcpserver: status: N/MAX
	ServerOK                  // tcpserver: ok PID ...
	ServerDeny                // tcpserver: deny PID ... [ip connection limit:N exceeded]
	ServerOther               // tcpserver: pid, end, warning ...
	RBL                       // rblsmtpd: IP pid PID: CODE TEXT
	numKinds
)

// Channel is qmail-send's delivery channel.
type Channel uint8

// The two channels, in qmail-send's order.
const (
	Local Channel = iota
	Remote
)

func (c Channel) String() string { return [...]string{"local", "remote"}[c] }

// Result is the outcome qmail-send logs for a delivery.
type Result uint8

// Delivery results, as qmail-send names them.
const (
	Success Result = iota
	Failure
	Deferral
	numResults
)

func (r Result) String() string { return [...]string{"success", "failure", "deferral"}[r] }

// Event is one parsed log line. Only the fields its Kind names are set.
type Event struct {
	Kind     Kind
	Time     int64 // nanoseconds since the UNIX epoch, when HasTime
	HasTime  bool
	Msg      uint64  // NewMsg, InfoMsg, StartDelivery, EndMsg, Bounce, TripleBounce
	Delivery uint64  // StartDelivery, DeliveryDone
	Channel  Channel // StartDelivery
	Result   Result  // DeliveryDone
	Addr     string  // InfoMsg: sender; StartDelivery: recipient
	Bytes    int64   // InfoMsg; SMTPD: size, when HasBytes
	HasBytes bool
	Active   [2]int // SendStatus: per channel; ServerStatus: [0]
	Limit    [2]int
	Server   string // ServerStatus, ServerOK, ServerDeny, ServerOther: tcpserver or sslserver
	IPLimit  bool   // ServerDeny: the per-IP limit, not the rules
	SMTP     SMTPRecord
	RBLCode  int // RBL: the reply code
}

// SMTPRecord is the head of a qmail-smtpd transaction line.
type SMTPRecord struct {
	Result, Stage, Reason string
}

// maxField bounds the length of a name taken from a log line into a table
// key (reason, stage, server); longer ones are garbage.
const maxField = 64

// ParseLine reads one log line without its newline. It never fails: what
// it does not understand is an Unknown event, and Bad says the line had a
// broken time stamp.
func ParseLine(line []byte) (ev Event, bad bool) {
	ns, text, ok, bad := splitStamp(line)
	ev.Time, ev.HasTime = ns, ok
	if bad {
		return ev, true
	}
	parseText(text, &ev)
	return ev, false
}

func parseText(s []byte, ev *Event) {
	var ok bool
	switch {
	case cut(&s, "new msg "):
		if ev.Msg, ok = number(s); ok {
			ev.Kind = NewMsg
		}
	case cut(&s, "info msg "):
		parseInfo(s, ev)
	case cut(&s, "starting delivery "):
		parseStart(s, ev)
	case cut(&s, "delivery "):
		parseDone(s, ev)
	case cut(&s, "end msg "):
		if ev.Msg, ok = number(s); ok {
			ev.Kind = EndMsg
		}
	case cut(&s, "bounce msg "):
		n, rest, ok := leadingNumber(s)
		if ok && (len(rest) == 0 || rest[0] == ' ') {
			ev.Msg, ev.Kind = n, Bounce
		}
	case cut(&s, "triple bounce: discarding bounce/"):
		if ev.Msg, ok = number(s); ok {
			ev.Kind = TripleBounce
		}
	case cut(&s, "status: "):
		parseSendStatus(s, ev)
	case bytes.HasPrefix(s, []byte("alert: ")):
		ev.Kind = SendAlert
	case bytes.HasPrefix(s, []byte("warning: ")):
		ev.Kind = SendWarning
	case cut(&s, "qmail-smtpd: "):
		parseSMTPD(s, ev)
	case cut(&s, "tcpserver: "):
		parseServer("tcpserver", s, ev)
	case cut(&s, "sslserver: "):
		parseServer("sslserver", s, ev)
	case cut(&s, "rblsmtpd: "):
		parseRBL(s, ev)
	}
}
