package smtpd

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// cmdBdat takes one chunk of a message (RFC 3030 2): "BDAT n" or "BDAT n
// LAST", then exactly n octets. The octets are read whatever the answer,
// so that none of them is ever taken for a command; a BDAT whose count
// cannot be read leaves the dialogue out of step, and the session ends.
//
// The chunks of one transaction go into one qmail-queue run, started at
// the first, with DATA's fields first (Received-SPF, Received), DATA's
// limits (databytes, Warlord, hops) and DATA's log lines; the LAST chunk
// is answered with qmail-queue's verdict as DATA's end is. A transaction
// that fails on the way (the queue cannot start, the message grows past
// databytes) is reset, and each BDAT that follows it is answered "MAIL
// first" until the client starts again.
func (s *Session) cmdBdat(arg string) error {
	n, last, ok := parseBdat(arg)
	if !ok {
		s.reply(replyBdatSyntax)
		return errQuit
	}
	var v verdict
	switch {
	case !s.haveMail:
		v = mistake(replyWantMail)
	case len(s.rcpts) == 0:
		v = mistake(replyWantRcpt)
	}
	if !v.refused() && s.bdat == nil {
		var m *message
		if m, v = s.openMessage(); !v.refused() {
			m.body = NewChunkBody(m.sink, s.limit())
			s.bdat = m
		}
	}
	s.renewDeadline()
	if v.refused() {
		if _, err := io.CopyN(&deadlineWriter{io.Discard, s}, s.in, n); err != nil {
			return s.readFailed(unexpected(err))
		}
		s.answer(v)
		if s.haveMail && len(s.rcpts) > 0 {
			s.resetTransaction()
		}
		return nil
	}
	m := s.bdat
	m.chunks++
	if err := m.body.Chunk(s.in, n); err != nil {
		return s.readFailed(err)
	}
	if !last {
		if m.body.res.TooBig {
			s.answer(reject(replyTooBig, "DATA", "Databytes").extra(s.messageExtra(m.body.res, m.chunks)))
			s.resetTransaction()
			return nil
		}
		s.reply(replyChunkOK(n))
		return nil
	}
	res, err := m.body.End()
	if err != nil {
		return err
	}
	s.bdat = nil // the verdict closes or aborts the queue
	s.answer(s.finishMessage(m, res, fmt.Sprintf(" bdat:%d", m.chunks)))
	s.resetTransaction()
	return nil
}

// messageExtra is the log line's extra fields for a BDAT message cut
// short.
func (s *Session) messageExtra(res DataResult, chunks int) string {
	return fmt.Sprintf("R:%d size:%d bdat:%d", len(s.rcpts), res.Bytes, chunks)
}

// parseBdat reads BDAT's argument: chunk-size [SP "LAST"] (RFC 3030 2),
// one space apart; LAST in any case.
func parseBdat(arg string) (n int64, last bool, ok bool) {
	size, marker, hasMarker := strings.Cut(arg, " ")
	if hasMarker {
		if !strings.EqualFold(marker, "LAST") {
			return 0, false, false
		}
		last = true
	}
	if size == "" || len(size) > 18 {
		return 0, false, false
	}
	for i := 0; i < len(size); i++ {
		if size[i] < '0' || size[i] > '9' {
			return 0, false, false
		}
	}
	n, err := strconv.ParseInt(size, 10, 64)
	return n, last, err == nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
