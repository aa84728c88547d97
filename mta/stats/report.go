package stats

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteReport writes the figures for a reader: sections for what the
// logs held, tables aligned, domains limited to the top n.
func (s *Stats) WriteReport(w io.Writer, n int) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format, a...) }
	L := s.Lines
	p("qmail-stats report\n")
	if s.HasTime {
		p("period\t%s to %s\n", stampText(s.First), stampText(s.Last))
	} else {
		p("period\tno time-stamped line counted\n")
	}
	p("lines\t%d qmail-send, %d qmail-smtpd, %d tcpserver, %d rblsmtpd, %d not understood\n",
		L[LineSend], L[LineSMTPD], L[LineServer], L[LineRBL], L[LineUnknown])
	p("skipped lines\t%d bad time stamp, %d outside the window, %d too long (read in part)\n",
		L[LineBadStamp], L[LineOutside], L[LineTooLong])
	if L[LineSend] > 0 {
		s.reportSend(p, n)
	}
	if L[LineSMTPD] > 0 {
		s.reportSMTPD(p)
	}
	if L[LineServer] > 0 || L[LineRBL] > 0 {
		s.reportServers(p)
	}
	p("\nstate dropped\n")
	p("  message state evicted at the cap\t%d\n", s.MsgEvicted)
	p("  delivery state evicted at the cap\t%d\n", s.DelEvicted)
	p("  new msg for a message in the queue\t%d\n", s.MsgReplaced)
	p("  starting delivery for one in progress\t%d\n", s.DelReplaced)
	p("  deliveries in progress at exit\t%d\n", s.DelLost)
	p("  results with no starting delivery\t%d\n", s.UnmatchedResults)
	p("  table overflow (recipient domains, sender domains, reasons)\t%d, %d, %d\n",
		s.RcptDomains.overflow, s.SenderDomains.overflow, s.SMTP.overflow)
	return tw.Flush()
}

type printer func(format string, a ...any)

func (s *Stats) reportSend(p printer, n int) {
	p("\nmessages\n")
	p("  new\t%d\n", s.NewMsgs)
	p("  info (sender and size known)\t%d\n", s.InfoMsgs)
	p("  bytes\t%d\n", s.Bytes)
	p("  completed\t%d\n", s.EndMsgs)
	p("  bounces\t%d single, %d double, %d of unknown sender\n",
		s.Bounces[senderNormal], s.Bounces[senderNull], s.Bounces[senderUnknown]+s.Bounces[senderDoubleBounce])
	p("  triple bounces discarded\t%d\n", s.TripleBounces)

	p("\ndeliveries\tlocal\tremote\ttotal\n")
	p("  started\t%d\t%d\t%d\n", s.Started[Local], s.Started[Remote], s.Started[Local]+s.Started[Remote])
	for r, name := range resultNames {
		a, b := s.Results[Local][r], s.Results[Remote][r]
		p("  %s\t%d\t%d\t%d\n", name, a, b, a+b)
	}

	p("\ndelays in seconds\tcount\taverage\tmedian\t90%%\tmax\n")
	row := func(name string, h *histogram) {
		if h.count == 0 {
			p("  %s\t0\t-\t-\t-\t-\n", name)
			return
		}
		p("  %s\t%d\t%s\t%s\t%s\t%s\n", name, h.count, seconds(h.mean()),
			seconds(h.quantile(0.5)), seconds(h.quantile(0.9)), seconds(h.max))
	}
	row("local, new msg to result", &s.Delay[Local])
	row("remote, new msg to result", &s.Delay[Remote])
	row("local, start to result", &s.XDelay[Local])
	row("remote, start to result", &s.XDelay[Remote])
	row("new msg to end msg", &s.QTime)
	p("  results of messages whose new msg was not seen\t%d\n", s.NoBirth)

	p("\nconcurrency\tlocal\tremote\n")
	if s.HasStatus {
		p("  peak\t%d\t%d\n", s.Peak[Local], s.Peak[Remote])
		p("  limit\t%d\t%d\n", s.Limit[Local], s.Limit[Remote])
	} else {
		p("  no status lines\n")
	}

	p("\nrecipient domains (top %d)\tsuccess\tfailure\tdeferral\n", n)
	rows, rest, restUsed := s.RcptDomains.top(n, weightDomain, sumDomain)
	for _, r := range rows {
		p("  %s\t%d\t%d\t%d\n", r.name, r.v.Results[Success], r.v.Results[Failure], r.v.Results[Deferral])
	}
	if restUsed {
		p("  (other)\t%d\t%d\t%d\n", rest.Results[Success], rest.Results[Failure], rest.Results[Deferral])
	}

	p("\nsender domains (top %d)\tmessages\tbytes\n", n)
	srows, srest, srestUsed := s.SenderDomains.top(n, weightSender, sumSender)
	for _, r := range srows {
		p("  %s\t%d\t%d\n", r.name, r.v.Messages, r.v.Bytes)
	}
	if srestUsed {
		p("  (other)\t%d\t%d\n", srest.Messages, srest.Bytes)
	}

	p("\nqmail-send\n")
	p("  alerts\t%d\n", s.Alerts)
	p("  warnings\t%d\n", s.Warnings)
	p("  exits\t%d\n", s.Exits)
}

func (s *Stats) reportSMTPD(p printer) {
	p("\nqmail-smtpd\n")
	p("  messages queued\t%d\n", s.SMTPQueued)
	p("  bytes queued\t%d\n", s.SMTPQueuedBytes)
	p("  other lines\t%d\n", s.SMTPOtherLines)
	p("\nqmail-smtpd decisions\tcount\n")
	rows, rest, restUsed := s.SMTP.top(-1, weightCount, sumCount)
	slices.SortFunc(rows, func(a, b namedRow[uint64]) int { return strings.Compare(a.name, b.name) })
	for _, r := range rows {
		p("  %s\t%d\n", r.name, *r.v)
	}
	if restUsed {
		p("  (other)\t%d\n", rest)
	}
}

func (s *Stats) reportServers(p printer) {
	for _, k := range s.serverKeys() {
		srv := s.Servers[k]
		p("\n%s, log %s\n", k.Server, k.Log)
		p("  connections\t%d\n", srv.OK)
		p("  denied\t%d (%d at the per-IP limit)\n", srv.Deny, srv.DenyIPLimit)
		if srv.HasStatus {
			p("  concurrency peak\t%d of %d\n", srv.Peak, srv.Limit)
		}
	}
	if s.Lines[LineRBL] > 0 {
		p("\nrblsmtpd\n")
		p("  refused\t%d temporarily (4xx), %d permanently (5xx)\n", s.RBL[0], s.RBL[1])
	}
}
