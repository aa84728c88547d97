// Package splogger is qmail 1.03's splogger(8): it reads log lines (such as
// qmail-send's, when qmail-start is told "qmail-start ./Mailbox splogger
// qmail") and hands each one to syslog.
//
// What splogger.c does with a line, and so what Copy does:
//
//   - bytes below 32 or above 126 become '?' (syslog daemons cut at NUL);
//   - an empty line is not logged;
//   - a line is sent in pieces of at most MaxPiece bytes; the first piece
//     goes out as "STAMP TEXT", every further piece of the same line as
//     "STAMP+TEXT" with the same stamp and priority, so a reader can join
//     them again;
//   - STAMP is the time the first piece was sent, as UNIX seconds, a dot
//     and six digits of microseconds ("1700000000.123456"), the form
//     qmailanalog's tools read;
//   - the priority is LOG_WARNING for a line starting "warning:", LOG_ALERT
//     for one starting "alert:", LOG_INFO otherwise.
//
// Syslog writes the records to the local syslog socket the way glibc's
// openlog(3) and syslog(3) do.
package splogger

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
)

// Priorities splogger uses (syslog.h).
const (
	LogAlert   = 1
	LogWarning = 4
	LogInfo    = 6
)

// Facilities (syslog.h), already shifted into place.
const (
	LogUser = 1 << 3
	LogMail = 2 << 3
)

// MaxPiece is the most bytes of a line one record carries: splogger.c's
// 800-byte buffer less its terminating NUL.
const MaxPiece = 799

// Record is one syslog(3) call.
type Record struct {
	Priority int    // LogInfo, LogWarning or LogAlert
	Text     string // "STAMP TEXT" or "STAMP+TEXT"
}

// Stamp is splogger's time stamp: UNIX seconds, '.', microseconds in six
// digits.
func Stamp(t time.Time) string {
	us := t.Nanosecond() / 1000
	s := strconv.FormatInt(t.Unix(), 10) + "."
	u := strconv.Itoa(us)
	return s + strings.Repeat("0", 6-len(u)) + u
}

// Copy reads lines from r and emits their records, with now as the clock.
// A last line without its newline is logged too (splogger.c drops it). It
// returns nil at end of input and the read error otherwise.
func Copy(r io.Reader, emit func(Record), now func() time.Time) error {
	br, ok := r.(io.ByteReader)
	if !ok {
		br = bufio.NewReaderSize(r, 4096)
	}
	var (
		buf   = make([]byte, 0, MaxPiece)
		cont  bool   // a piece of this line has been sent
		stamp string // defined if cont
		pri   int    // defined if cont
	)
	flush := func() {
		if len(buf) == 0 {
			return
		}
		if cont {
			emit(Record{pri, stamp + "+" + string(buf)})
		} else {
			stamp = Stamp(now())
			pri = LogInfo
			switch {
			case hasPrefix(buf, "warning:"):
				pri = LogWarning
			case hasPrefix(buf, "alert:"):
				pri = LogAlert
			}
			emit(Record{pri, stamp + " " + string(buf)})
			cont = true
		}
		buf = buf[:0]
	}
	for {
		c, err := br.ReadByte()
		if err != nil {
			flush()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if c == '\n' {
			flush()
			cont = false
			continue
		}
		if len(buf) == MaxPiece {
			flush()
		}
		if c < 32 || c > 126 {
			c = '?'
		}
		buf = append(buf, c)
	}
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

// Facility is the facility for splogger's second argument: the number
// scanned from its leading digits (none is 0) shifted into place. As
// glibc's openlog takes it, a value beyond the facility field (above 127)
// leaves the default, LOG_USER.
func Facility(arg string) int {
	n := 0
	for i := 0; i < len(arg) && arg[i] >= '0' && arg[i] <= '9'; i++ {
		n = n*10 + int(arg[i]-'0')
		if n > 127 {
			return LogUser
		}
	}
	return n << 3
}

// Main is splogger [ tag [ fac ] ]: tag defaults to "splogger", fac to 2
// (LOG_MAIL). It exits 0 at end of input, 111 when its input cannot be
// read. Records syslog does not take are lost, as with syslog(3).
func Main(inv *cli.Invocation) int {
	tag, fac := "splogger", LogMail
	if len(inv.Args) > 1 {
		tag = inv.Args[1]
		if len(inv.Args) > 2 {
			fac = Facility(inv.Args[2])
		}
	}
	sl := &Syslog{Path: DevLog, Tag: tag, Facility: fac}
	defer sl.Close()
	err := Copy(inv.Stdin, func(r Record) { sl.Send(r.Priority, r.Text, time.Now()) }, time.Now)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read input: %v", err)
	}
	return cli.ExitOK
}
