package stats

import (
	"strings"
)

// Limits caps the state and the tables kept while reading.
type Limits struct {
	Messages   int // messages in the queue (new msg seen, end msg not yet)
	Deliveries int // deliveries started and not yet reported
	Domains    int // distinct recipient domains, and distinct sender domains
	Reasons    int // distinct qmail-smtpd RESULT::STAGE::REASON triples
	Exact      int // durations kept exactly per distribution before quantiles are read from buckets
}

// DefaultLimits fit a busy server: qmail-send's concurrency is at most
// a few hundred, and a queue rarely holds 100000 messages.
var DefaultLimits = Limits{Messages: 100000, Deliveries: 10000, Domains: 10000, Reasons: 500, Exact: 4096}

// Window limits the figures to lines stamped in [Since, Until), in
// nanoseconds since the UNIX epoch. A window with either bound set leaves
// out lines without a stamp.
type Window struct {
	Since, Until       int64
	HasSince, HasUntil bool
}

func (w Window) set() bool { return w.HasSince || w.HasUntil }

func (w Window) holds(ev *Event) bool {
	if !w.set() {
		return true
	}
	if !ev.HasTime {
		return false
	}
	return (!w.HasSince || ev.Time >= w.Since) && (!w.HasUntil || ev.Time < w.Until)
}

// senderKind is what a message's sender says about its bounce.
type senderKind uint8

const (
	senderUnknown senderKind = iota // no info msg line seen
	senderNormal
	senderNull         // a bounce: its bounce is a double bounce
	senderDoubleBounce // "#@[]": its bounce is discarded
)

type msgState struct {
	born    int64
	hasBorn bool
	sender  senderKind
}

type delState struct {
	msg      uint64
	ch       Channel
	start    int64
	hasStart bool
	domain   string
}

// Line classes counted in Stats.Lines.
const (
	LineSend     = iota // a qmail-send line understood
	LineSMTPD           // qmail-smtpd
	LineServer          // tcpserver or sslserver
	LineRBL             // rblsmtpd
	LineUnknown         // not understood
	LineBadStamp        // a broken time stamp
	LineOutside         // outside the window
	LineTooLong         // longer than MaxLine; its start was still read
	numLineClasses
)

// ServerKey names one listener: the program (tcpserver or sslserver) and
// the log it wrote to, since a peak or a limit of one service says nothing
// about another's.
type ServerKey struct{ Server, Log string }

// ServerStats are tcpserver's (or sslserver's) figures.
type ServerStats struct {
	OK, Deny, DenyIPLimit uint64
	Peak, Limit           int
	HasStatus             bool
}

// DomainCounts are delivery results per recipient domain.
type DomainCounts struct{ Results [numResults]uint64 }

// SenderCounts are messages and bytes per sender domain.
type SenderCounts struct{ Messages, Bytes uint64 }

// Stats accumulates the figures of a stream of log lines.
type Stats struct {
	window Window
	source string // the name of the log being read, for ServerKey

	msgs *boundedMap[uint64, msgState]
	dels *boundedMap[uint64, delState]

	Lines            [numLineClasses]uint64
	First, Last      int64 // stamps of the first and last line counted
	HasTime          bool
	NewMsgs, EndMsgs uint64
	InfoMsgs, Bytes  uint64
	Started          [2]uint64
	Results          [2][numResults]uint64
	Bounces          [4]uint64 // by senderKind of the bounced message
	TripleBounces    uint64
	Delay, XDelay    [2]histogram // new msg to result; start to result
	QTime            histogram    // new msg to end msg
	NoBirth          uint64       // results whose message's new msg was not seen
	Peak, Limit      [2]int
	HasStatus        bool
	Exits            uint64 // status: exiting
	Alerts, Warnings uint64
	RcptDomains      *table[DomainCounts]
	SenderDomains    *table[SenderCounts]
	SMTP             *table[uint64] // by "RESULT::STAGE::REASON"
	SMTPQueued       uint64         // Accept::DATA::Queued
	SMTPQueuedBytes  uint64
	Servers          map[ServerKey]*ServerStats
	RBL              [2]uint64 // temporary (4xx), permanent (5xx)
	UnmatchedResults uint64    // delivery results with no start seen
	MsgEvicted       uint64    // message state dropped at the cap
	DelEvicted       uint64    // delivery state dropped at the cap
	MsgReplaced      uint64    // new msg for a message still in the queue
	DelReplaced      uint64    // starting delivery for a delivery still in progress
	DelLost          uint64    // deliveries in progress when qmail-send exited
	SMTPOtherLines   uint64
	ServerOtherLines uint64
}

// New returns empty statistics.
func New(l Limits, w Window) *Stats {
	s := &Stats{
		window:        w,
		msgs:          newBoundedMap[uint64, msgState](l.Messages),
		dels:          newBoundedMap[uint64, delState](l.Deliveries),
		RcptDomains:   newTable[DomainCounts](l.Domains),
		SenderDomains: newTable[SenderCounts](l.Domains),
		SMTP:          newTable[uint64](l.Reasons),
		Servers:       make(map[ServerKey]*ServerStats),
	}
	for _, h := range []*histogram{&s.Delay[Local], &s.Delay[Remote], &s.XDelay[Local], &s.XDelay[Remote], &s.QTime} {
		h.exactLimit = l.Exact
	}
	return s
}

// SetSource names the log the following lines come from.
func (s *Stats) SetSource(name string) { s.source = name }

// Add books one event. State (messages in the queue, deliveries in
// progress) follows every event, so a delay that began before the window
// is measured right; the figures count only events inside the window.
func (s *Stats) Add(ev *Event) {
	in := s.window.holds(ev)
	if !in {
		s.Lines[LineOutside]++
	} else {
		if ev.HasTime {
			if !s.HasTime || ev.Time < s.First {
				s.First = ev.Time
			}
			if !s.HasTime || ev.Time > s.Last {
				s.Last = ev.Time
			}
			s.HasTime = true
		}
		s.Lines[lineClass(ev.Kind)]++
	}
	switch ev.Kind {
	case NewMsg:
		s.newMsg(ev, in)
	case InfoMsg:
		s.infoMsg(ev, in)
	case StartDelivery:
		s.startDelivery(ev, in)
	case DeliveryDone:
		s.deliveryDone(ev, in)
	case EndMsg:
		m, ok := s.msgs.take(ev.Msg)
		if in {
			s.EndMsgs++
			if ok && m.hasBorn && ev.HasTime {
				s.QTime.add(ev.Time - m.born)
			}
		}
	case Bounce:
		if in {
			m, _ := s.msgs.get(ev.Msg)
			s.Bounces[m.sender]++
		}
	case TripleBounce:
		if in {
			s.TripleBounces++
		}
	case SendStatus:
		if in {
			for c := range s.Peak {
				s.Peak[c] = max(s.Peak[c], ev.Active[c])
			}
			s.Limit, s.HasStatus = ev.Limit, true
		}
	case SendExiting:
		if in {
			s.Exits++
			s.DelLost += uint64(s.dels.len())
		}
		s.dels.clear()
	case SendAlert:
		if in {
			s.Alerts++
		}
	case SendWarning:
		if in {
			s.Warnings++
		}
	default:
		if in {
			s.addListener(ev)
		}
	}
}

// addListener books the lines of the SMTP service's log.
func (s *Stats) addListener(ev *Event) {
	switch ev.Kind {
	case SMTPD:
		r := ev.SMTP
		*s.SMTP.row(r.Result + "::" + r.Stage + "::" + r.Reason)++
		if r.Result == "Accept" && r.Stage == "DATA" && r.Reason == "Queued" {
			s.SMTPQueued++
			if ev.HasBytes {
				s.SMTPQueuedBytes += uint64(ev.Bytes)
			}
		}
	case SMTPDOther:
		s.SMTPOtherLines++
	case ServerStatus, ServerOK, ServerDeny, ServerOther:
		k := ServerKey{ev.Server, s.source}
		srv := s.Servers[k]
		if srv == nil {
			srv = new(ServerStats)
			s.Servers[k] = srv
		}
		switch ev.Kind {
		case ServerStatus:
			srv.Peak = max(srv.Peak, ev.Active[0])
			srv.Limit, srv.HasStatus = ev.Limit[0], true
		case ServerOK:
			srv.OK++
		case ServerDeny:
			srv.Deny++
			if ev.IPLimit {
				srv.DenyIPLimit++
			}
		default:
			s.ServerOtherLines++
		}
	case RBL:
		if ev.RBLCode >= 500 {
			s.RBL[1]++
		} else {
			s.RBL[0]++
		}
	}
}

func lineClass(k Kind) int {
	switch k {
	case Unknown:
		return LineUnknown
	case SMTPD, SMTPDOther:
		return LineSMTPD
	case ServerStatus, ServerOK, ServerDeny, ServerOther:
		return LineServer
	case RBL:
		return LineRBL
	}
	return LineSend
}

func (s *Stats) newMsg(ev *Event, in bool) {
	replaced, evicted := s.msgs.put(ev.Msg, msgState{born: ev.Time, hasBorn: ev.HasTime})
	if replaced {
		s.MsgReplaced++
	}
	if evicted {
		s.MsgEvicted++
	}
	if in {
		s.NewMsgs++
	}
}

func (s *Stats) infoMsg(ev *Event, in bool) {
	kind := senderNormal
	switch ev.Addr {
	case "":
		kind = senderNull
	case "#@[]":
		kind = senderDoubleBounce
	}
	m, ok := s.msgs.get(ev.Msg)
	if ok {
		m.sender = kind
		s.msgs.put(ev.Msg, m)
	} else if _, evicted := s.msgs.put(ev.Msg, msgState{sender: kind}); evicted {
		s.MsgEvicted++
	}
	if in {
		s.InfoMsgs++
		s.Bytes += uint64(ev.Bytes)
		row := s.SenderDomains.row(senderDomain(ev.Addr))
		row.Messages++
		row.Bytes += uint64(ev.Bytes)
	}
}

func (s *Stats) startDelivery(ev *Event, in bool) {
	d := delState{msg: ev.Msg, ch: ev.Channel, start: ev.Time, hasStart: ev.HasTime, domain: domainOf(ev.Addr)}
	replaced, evicted := s.dels.put(ev.Delivery, d)
	if replaced {
		s.DelReplaced++
	}
	if evicted {
		s.DelEvicted++
	}
	if in {
		s.Started[ev.Channel]++
	}
}

func (s *Stats) deliveryDone(ev *Event, in bool) {
	d, ok := s.dels.take(ev.Delivery)
	if !in {
		return
	}
	if !ok {
		s.UnmatchedResults++
		return
	}
	s.Results[d.ch][ev.Result]++
	s.RcptDomains.row(d.domain).Results[ev.Result]++
	if !ev.HasTime {
		return
	}
	if d.hasStart {
		s.XDelay[d.ch].add(ev.Time - d.start)
	}
	if m, ok := s.msgs.get(d.msg); ok && m.hasBorn {
		s.Delay[d.ch].add(ev.Time - m.born)
	} else {
		s.NoBirth++
	}
}

// domainOf is the lower-cased part of an address after its last "@", or
// the whole address when it has none.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		addr = addr[i+1:]
	}
	if len(addr) > 255 {
		addr = addr[:255]
	}
	if strings.HasPrefix(addr, "(") {
		addr = "?" + addr[1:]
	}
	// A copy, so that the table and the delivery state do not keep the
	// whole log line alive (Map and ToLower may return their argument).
	return strings.Clone(strings.Map(printable, strings.ToLower(strings.ToValidUTF8(addr, "?"))))
}

// printable keeps a name from a log line on one cell of a report: control
// characters become '?'.
func printable(r rune) rune {
	if r < ' ' || r == 127 {
		return '?'
	}
	return r
}

// senderDomain names the null sender "(null)", and the double-bounce
// sender "#@[]" by its domain "[]".
func senderDomain(addr string) string {
	if addr == "" {
		return nullSender
	}
	return domainOf(addr)
}

// Names in parentheses are the tables' own: no domain taken from a log
// starts with '('.
const (
	nullSender = "(null)"
	otherRows  = "(other)"
)
