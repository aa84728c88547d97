package send

import (
	"os"
	"time"
)

// chanSkip is qmail-send.c's chanskip: the c in birth + (isqrt(age) + c)^2.
var chanSkip = [2]int64{Local: 10, Remote: 20}

// NextRetry is qmail-send's schedule (qmail-send.c, nextretry): the next
// attempt of a delivery on channel ch, for a message born at birth whose
// round of deliveries began at now, is at birth + (isqrt(age) + c)^2
// seconds, age being now - birth in whole seconds (0 if now is before
// birth) and c 10 for local and 20 for remote deliveries. Times are
// whole seconds, as qmail's are: the birth is the info file's mtime.
func NextRetry(birth, now time.Time, ch Channel) time.Time {
	b, n := birth.Unix(), int64(0)
	if age := now.Unix() - b; age > 0 {
		n = isqrt(age)
	}
	n += chanSkip[ch]
	return time.Unix(b+n*n, 0)
}

// isqrt is the largest y with y*y <= x, for x >= 0: qmail-send.c's
// squareroot, bit by bit, with 32 bits of result where qmail's has 16
// (enough there for ages up to 2^32 seconds).
func isqrt(x int64) int64 {
	var y, yy int64
	for j := 31; j >= 0; j-- {
		// (y + 2^j)^2 = yy + y*2^(j+1) + 2^2j
		if d := y<<(j+1) + 1<<(2*j); d <= x-yy {
			y += 1 << j
			yy += d
		}
	}
	return y
}

// recordRetry writes a channel's next attempt into the access and
// modification times of its local/N or remote/N file, where qmail 1.03
// keeps it (qmail-send.c, pqfinish) and where loadMessage reads it back
// at the next start: a restart does not retry early. qmail writes the
// times when it exits; quail writes them at each deferral, so that a
// crash keeps the schedule too.
func (s *Sender) recordRetry(m *message, ch Channel, t time.Time) {
	if m.unwritten {
		return // nothing on disk yet: the retry is repeated at a restart
	}
	path := s.chanFile(m.id, ch)
	if err := os.Chtimes(path, t, t); err != nil {
		s.log.line("warning: unable to utime " + s.queueName(path) + "; message will be retried too soon")
	}
}
