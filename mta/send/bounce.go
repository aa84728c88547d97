package send

import (
	"bytes"
	"io"
	"os"
	"strings"
	"time"

	"github.com/quail-mta/quail/mta/received"
)

// DoubleBounceSender is the envelope sender of a double bounce; a bounce
// of a message from it is discarded (a triple bounce).
const DoubleBounceSender = "#@[]"

// BounceReport formats one failed recipient for bounce/N: a QSBMF
// paragraph, "<address>:" then the report, one line per '/'-free line of
// the report, then an empty line.
func BounceReport(addr, text string) []byte {
	var b bytes.Buffer
	b.WriteString("<" + addr + ">:\n")
	text = strings.TrimRight(strings.ReplaceAll(text, "\r", ""), "\n")
	b.WriteString(text)
	b.WriteString("\n\n")
	return b.Bytes()
}

// BounceEnvelope decides where the bounce of a message from sender goes:
// to the sender with the null sender, or, if the message was itself a
// bounce, to doublebounceto@doublebouncehost with sender "#@[]". ok is
// false when the bounce is to be discarded: a bounce of a double bounce,
// or a double bounce when doublebounceto is empty.
func (c *Config) BounceEnvelope(sender string) (from, to string, double, ok bool) {
	switch sender {
	case DoubleBounceSender:
		return "", "", true, false
	case "":
		if c.DoubleBounceTo == "" {
			return "", "", true, false
		}
		return DoubleBounceSender, c.DoubleBounceTo + "@" + c.DoubleBounceHost, true, true
	}
	return "", sender, false, true
}

// BounceHeader writes the head and explanation of a bounce in QSBMF
// (qmail-send's bounce message format): the paragraphs of reports follow,
// then the break line and a copy of the message.
func (c *Config) BounceHeader(to string, double bool, now time.Time) []byte {
	var b bytes.Buffer
	b.WriteString("Date: " + received.Date822(now) + "\n")
	b.WriteString("From: " + c.BounceFrom + "@" + c.BounceHost + "\n")
	b.WriteString("To: " + to + "\n")
	if double {
		b.WriteString("Subject: failure notice (double bounce)\n")
	} else {
		b.WriteString("Subject: failure notice\n")
	}
	b.WriteString("\n")
	b.WriteString("Hi. This is the qmail-send program at " + c.Me + ".\n")
	b.WriteString("The message below could not be delivered to the addresses that follow.\n")
	b.WriteString("The failure is permanent: there will be no further attempt.\n\n")
	return b.Bytes()
}

// StrippedNote ends the copy of a message cut at bouncemaxbytes, in the
// words of the patch that brought the control file (as sagredo's qmail
// and indimail-mta write it).
const StrippedNote = "\n\n--- End of message stripped.\n"

// BounceCopy is the copy of the message a bounce carries: all of it, or,
// with limit not negative (control/bouncemaxbytes), its first limit
// bytes followed by StrippedNote when the message is longer. The patch
// appends the note also to a message of exactly limit bytes, which
// loses nothing; quail only when something was left out.
func BounceCopy(mess *os.File, limit int64) (io.Reader, error) {
	if limit < 0 {
		return mess, nil
	}
	fi, err := mess.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() <= limit {
		return mess, nil
	}
	return io.MultiReader(io.LimitReader(mess, limit), strings.NewReader(StrippedNote)), nil
}

// BounceBreak ends the reports and starts the copy of the message, with
// the Return-Path the message had.
func BounceBreak(sender string) []byte {
	return []byte("--- Below this line is a copy of the message.\n\nReturn-Path: <" + sender + ">\n")
}
