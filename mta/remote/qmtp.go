package remote

import (
	"bufio"
	"errors"
	"net"
	"strconv"
	"time"
)

// MaxQMTPReply bounds one QMTP response netstring.
const MaxQMTPReply = 64 << 10

// QMTP delivers the message over conn with the Quick Mail Transfer
// Protocol (https://cr.yp.to/proto/qmtp.txt): the message netstring (a
// type byte, LF, then the message with every line end as LF), the sender
// netstring, and a netstring of recipient netstrings; then one response netstring per recipient, each
// starting with K (accepted), Z (temporary failure) or D (permanent
// failure).
func QMTP(conn net.Conn, ip string, timeout time.Duration, env Envelope, msg *Message, rep *Report) Outcome {
	dc := deadlineConn{conn, timeout}
	bw := bufio.NewWriterSize(dc, 64<<10)
	br := bufio.NewReaderSize(dc, 4096)
	dropped := func(critical bool) Outcome {
		text := "Connected to " + ip + " but connection died. "
		if critical {
			text += "Possible duplicate! "
		}
		return Outcome{Temporary, text + "(#4.4.2)\n"}
	}
	body, err := msg.Reader()
	if err != nil {
		return outRead
	}
	// The message netstring starts with the message's type: LF, for lines
	// ending in LF (qmtp.txt section 4). A bare CR or a CR LF pair in the
	// stored message is written as LF too: the receiver stores the bytes
	// as it gets them, and its next hop must not find a line end that
	// this one did not see.
	bw.WriteString(strconv.FormatInt(msg.QMTPSize()+1, 10))
	bw.WriteString(":\n")
	n, _, err := copyLines(bw, body, "\n", false)
	if err != nil {
		var re readError
		if errors.As(err, &re) {
			return outRead
		}
		return dropped(false)
	}
	if n != msg.Size {
		return outRead
	}
	bw.WriteByte(',')
	bw.Write(AppendNetstring(nil, []byte(env.Sender)))
	var list []byte
	for _, rc := range env.Recips {
		list = AppendNetstring(list, []byte(rc))
	}
	bw.Write(AppendNetstring(nil, list))
	if err := bw.Flush(); err != nil {
		return dropped(false)
	}
	any := false
	for range env.Recips {
		resp, err := ReadNetstring(br, MaxQMTPReply)
		if errors.Is(err, ErrBadNetstring) || err == nil && len(resp) == 0 {
			return Outcome{Temporary, "Connected to " + ip + " but it did not speak QMTP properly. (#4.3.0)\n"}
		}
		if err != nil {
			return dropped(true)
		}
		text := string(resp[1:])
		said := "Remote host said: " + oneLine(text) + "\n"
		switch resp[0] {
		case 'K':
			rep.Recipient(Accepted, "")
			any = true
		case 'D':
			rep.Recipient(Refused, ip+" does not like recipient.\n"+said)
		case 'Z':
			rep.Recipient(Deferred, ip+" does not like recipient.\n"+said)
		default:
			return Outcome{Temporary, "Connected to " + ip + " but it did not speak QMTP properly. (#4.3.0)\n"}
		}
	}
	if !any {
		return Outcome{Permanent, "Giving up on " + ip + ".\n"}
	}
	return Outcome{Delivered, ip + " accepted message.\n"}
}
