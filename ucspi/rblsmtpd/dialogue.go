package rblsmtpd

import (
	"errors"
	"io"
	"os"
)

// The fixed replies of the blocked dialogue.
const (
	greeting = "220 rblsmtpd.local\r\n"
	okReply  = "250 rblsmtpd.local\r\n"
	byeReply = "221 rblsmtpd.local\r\n"

	// pregreetReply answers a client that talks before the greeting.
	pregreetReply = "554 SMTP protocol violation\r\n"
)

// serve holds the blocked dialogue on in and out: the greeting, then one
// reply per command line until QUIT or the end of input. reply is the
// complete 451/553 line with its CRLF. A read that fails, times out included,
// ends the dialogue quietly, as 0.88's alarm does; a write error is returned.
func serve(in io.Reader, out io.Writer, reply string) error {
	if _, err := io.WriteString(out, greeting); err != nil {
		return err
	}
	cr := newCommandReader(in)
	for {
		v, err := cr.next()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded) {
				return nil
			}
			return err
		}
		var line string
		switch v {
		case verbQuit:
			_, err := io.WriteString(out, byeReply)
			return err
		case verbAccept:
			line = okReply
		default:
			line = reply
		}
		if _, err := io.WriteString(out, line); err != nil {
			return err
		}
	}
}
