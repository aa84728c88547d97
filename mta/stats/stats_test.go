package stats

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// A log whose ends were lost must not grow the state past its caps: the
// oldest state goes, and the loss is counted.
func TestCapsBoundState(t *testing.T) {
	var log strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&log, "%d.0 new msg %d\ninfo msg %d: bytes 1 from <s@d%d.example> qp 1 uid 1\n", 1e9+i, i, i, i)
		fmt.Fprintf(&log, "starting delivery %d: msg %d to remote r@r%d.example\n", i, i, i)
	}
	fmt.Fprintf(&log, "1000005000.0 delivery 999: success: ok/\n")
	fmt.Fprintf(&log, "delivery 0: success: evicted long ago/\n")
	s := New(Limits{Messages: 10, Deliveries: 5, Domains: 3, Reasons: 1, Exact: 2}, Window{})
	if err := s.Read(strings.NewReader(log.String())); err != nil {
		t.Fatal(err)
	}
	if s.msgs.len() != 10 || s.dels.len() != 4 {
		t.Errorf("state holds %d messages and %d deliveries; want the caps, 10 and 5-1", s.msgs.len(), s.dels.len())
	}
	if s.MsgEvicted != 990 || s.DelEvicted != 995 || s.UnmatchedResults != 1 {
		t.Errorf("evicted %d messages, %d deliveries, %d unmatched; want 990, 995, 1", s.MsgEvicted, s.DelEvicted, s.UnmatchedResults)
	}
	if len(s.SenderDomains.rows) != 3 || s.SenderDomains.overflow != 997 {
		t.Errorf("sender domains: %d rows, %d overflow; want 3 and 997", len(s.SenderDomains.rows), s.SenderDomains.overflow)
	}
	// The one delivery still known ends with a delay measured from its
	// message, which is still in the (capped) state.
	if s.Delay[Remote].count != 1 || s.Delay[Remote].max != 4001e6 || s.NoBirth != 0 {
		t.Errorf("delay count %d max %d, without birth %d; want 1, 4001 s, 0", s.Delay[Remote].count, s.Delay[Remote].max, s.NoBirth)
	}
}

// A line longer than MaxLine is read in part and counted; the next line
// is read whole.
func TestLongLine(t *testing.T) {
	s := New(DefaultLimits, Window{})
	in := "info msg 1: bytes 5 from <" + strings.Repeat("x", 3*MaxLine) + "@d> qp 1 uid 1\nnew msg 2\n"
	if err := s.Read(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if s.Lines[LineTooLong] != 1 || s.NewMsgs != 1 || s.InfoMsgs != 0 || s.Lines[LineUnknown] != 1 {
		t.Errorf("too long %d, new %d, info %d, unknown %d; want 1 1 0 1", s.Lines[LineTooLong], s.NewMsgs, s.InfoMsgs, s.Lines[LineUnknown])
	}
}

// Reading one byte at a time gives what reading at once does.
func TestReadByteAtATime(t *testing.T) {
	in := "@400000006964fe6a075bcd15 new msg 1\n@400000006964fe6b075bcd15 end msg 1\nnew msg 2"
	a, b := New(DefaultLimits, Window{}), New(DefaultLimits, Window{})
	a.Read(strings.NewReader(in))
	b.Read(oneByte{strings.NewReader(in)})
	var ra, rb strings.Builder
	a.WriteReport(&ra, 10)
	b.WriteReport(&rb, 10)
	if ra.String() != rb.String() || a.NewMsgs != 2 || a.QTime.count != 1 || a.QTime.max != 1e6 {
		t.Errorf("reports differ or figures wrong:\n%s\n%s", ra.String(), rb.String())
	}
}

type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

// qmail-send's exit ends every delivery in progress; messages stay, as
// they stay in the queue.
func TestExitForgetsDeliveries(t *testing.T) {
	s := New(DefaultLimits, Window{})
	s.Read(strings.NewReader("new msg 1\nstarting delivery 1: msg 1 to local a@b\nstatus: exiting\ndelivery 1: success: x/\nend msg 1\n"))
	if s.DelLost != 1 || s.UnmatchedResults != 1 || s.Exits != 1 || s.EndMsgs != 1 || s.msgs.len() != 0 {
		t.Errorf("lost %d unmatched %d exits %d end %d msgs %d", s.DelLost, s.UnmatchedResults, s.Exits, s.EndMsgs, s.msgs.len())
	}
}

func TestDomainOf(t *testing.T) {
	for _, c := range []struct{ why, addr, want string }{
		{"lower-cased", "U@D.Example", "d.example"},
		{"after the last @", "a@b@c.example", "c.example"},
		{"no @: the whole address", "postmaster", "postmaster"},
		{"a name in parentheses is the table's own", "x@(other)", "?other)"},
		{"control characters cannot break a report's columns", "x@a\tb", "a?b"},
		{"invalid UTF-8 is replaced", "x@a\xffb", "a?b"},
		{"at most 255 bytes", "x@" + strings.Repeat("a", 300), strings.Repeat("a", 255)},
	} {
		if got := domainOf(c.addr); got != c.want {
			t.Errorf("%s: domainOf(%q) = %q, want %q", c.why, c.addr, got, c.want)
		}
	}
}

// No input may panic or produce a report that a Prometheus scraper
// refuses.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"new msg 1\ninfo msg 1: bytes 2 from <a@b> qp 3 uid 4\nstarting delivery 1: msg 1 to remote x@y\ndelivery 1: success: ok/\nend msg 1\n",
		"qmail-smtpd: Accept::RCPT::Rcpthosts: P:ESMTP S:1:h H:h F:a T:b\ntcpserver: status: 1/40\nrblsmtpd: ::1 pid 1: 451 x\n",
		"@400000006964fe6a075bcd15 bounce msg 1 qp 2\nstatus: local 1/10 remote 2/20\n",
		"starting delivery 1: msg 1 to local \"x\\\"@\n\x00",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, top uint8) {
		s := New(Limits{Messages: 4, Deliveries: 4, Domains: 4, Reasons: 4, Exact: 3}, Window{})
		if err := s.Read(strings.NewReader(string(in))); err != nil {
			t.Fatal(err)
		}
		if s.msgs.len() > 4 || s.dels.len() > 4 {
			t.Fatalf("state beyond its caps: %d, %d", s.msgs.len(), s.dels.len())
		}
		var prom strings.Builder
		if err := s.WritePrometheus(&prom, int(top%8)); err != nil {
			t.Fatal(err)
		}
		if err := checkExposition(prom.String()); err != nil {
			t.Fatalf("%v in\n%s", err, prom.String())
		}
		if err := s.WriteReport(io.Discard, int(top%8)); err != nil {
			t.Fatal(err)
		}
	})
}

// With a window, a line without a stamp cannot be placed in it and is
// left out; without one it counts.
func TestWindowLeavesOutUnstamped(t *testing.T) {
	in := "new msg 1\n10.0 new msg 2\n20.0 new msg 3\n"
	for _, c := range []struct {
		why      string
		w        Window
		new, out uint64
	}{
		{"no window: all three", Window{}, 3, 0},
		{"since 10: the stamped ones", Window{Since: 10e9, HasSince: true}, 2, 1},
		{"until 20, exclusive", Window{Until: 20e9, HasUntil: true}, 1, 2},
	} {
		s := New(DefaultLimits, c.w)
		s.Read(strings.NewReader(in))
		if s.NewMsgs != c.new || s.Lines[LineOutside] != c.out {
			t.Errorf("%s: %d new, %d outside; want %d, %d", c.why, s.NewMsgs, s.Lines[LineOutside], c.new, c.out)
		}
	}
}
