package smtpd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quail-mta/quail/mta/qqueue"
	"github.com/quail-mta/quail/mta/recipients"
)

// Queuer starts the queue program for one message (qqueue.Start in
// production; tests may count or refuse).
type Queuer func(prog string, env []string) (*qqueue.Queue, error)

// Session is one SMTP connection.
type Session struct {
	cfg *Config
	in  *bufio.Reader
	out *bufio.Writer
	// pooledIn and pooledOut are the buffers NewSession took from the
	// pools (in and out change after STARTTLS).
	pooledIn  *bufio.Reader
	pooledOut *bufio.Writer
	conn      io.Reader // for read deadlines, when it supports them
	log       io.Writer
	env       []string // passed to the queue program
	queue     Queuer
	now       func() time.Time

	sleep func(time.Duration)

	// per connection
	tlsActive    bool
	tlsEnv       []string
	authUser     string
	authFailures int
	certRelay    bool // a verified client certificate lets it relay ($UCSPITLS "?", "@")
	ipme         []netip.Addr
	helo         string
	esmtp        bool
	errors       int
	badLineEnd   bool

	// per transaction, reset by RSET, HELO, EHLO and after DATA
	haveMail  bool
	mailFrom  string
	rcpts     []string
	sizeGiven int64
	spfHeader string // Received-SPF field for the message, "" without SPF
}

// MaxErrors is how many bad commands a client may send before the
// session is ended with 421: a client that only makes mistakes is not a
// mail client.
const MaxErrors = 20

// MaxRecipientsCeiling bounds the recipients of one message even without
// MAXRECIPIENTS, so that the list, and with it the session's memory,
// cannot grow without end.
const MaxRecipientsCeiling = 10000

// NewSession prepares a session reading r and writing w. log receives
// the one-line transaction records; env is the environment handed to the
// queue program.
func NewSession(cfg *Config, r io.Reader, w io.Writer, log io.Writer, env []string) *Session {
	in := readers.Get().(*bufio.Reader)
	in.Reset(r)
	out := writers.Get().(*bufio.Writer)
	out.Reset(timedWriter{w, cfg.Timeout})
	return &Session{
		cfg:       cfg,
		in:        in,
		out:       out,
		pooledIn:  in,
		pooledOut: out,
		conn:      r,
		log:       log,
		env:       env,
		queue:     qqueue.Start,
		now:       time.Now,
		sleep:     time.Sleep,

		tlsActive: cfg.TLSActive,
	}
}

type deadliner interface{ SetReadDeadline(time.Time) error }

// timedWriter gives each write to the client the session timeout, as
// qmail's timed writes do: a client that sends commands but never reads
// the replies would otherwise hold the process once the socket is full.
type timedWriter struct {
	w       io.Writer
	timeout time.Duration
}

func (t timedWriter) Write(p []byte) (int, error) {
	if d, ok := t.w.(interface{ SetWriteDeadline(time.Time) error }); ok && t.timeout > 0 {
		d.SetWriteDeadline(time.Now().Add(t.timeout))
	}
	return t.w.Write(p)
}

var errQuit = errors.New("quit")

// Run holds the dialogue until QUIT, end of input, a timeout or a fatal
// error. It returns nil for an orderly end.
func (s *Session) Run() error {
	defer s.release()
	return s.run()
}

// The buffers of a session come from pools and go back when it ends: a
// reused qmail-smtpd serves session after session, and 12 KiB of new
// memory for each was a good part of its allocation.
var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 8192) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}
)

// release gives the session's buffers back, empty and holding no
// connection. After STARTTLS the session reads and writes through
// others, which are left to the garbage collector.
func (s *Session) release() {
	if s.pooledIn != nil {
		s.pooledIn.Reset(nil)
		readers.Put(s.pooledIn)
	}
	if s.pooledOut != nil {
		s.pooledOut.Reset(nil)
		writers.Put(s.pooledOut)
	}
	s.pooledIn, s.pooledOut = nil, nil
}

func (s *Session) run() error {
	if s.tlsActive {
		s.certLogin(s.env)
	}
	s.reply(220, "", s.cfg.Greeting+" ESMTP")
	for {
		if err := s.flushIfIdle(); err != nil {
			return err
		}
		line, err := s.readLine()
		if err != nil {
			return s.readFailed(err)
		}
		if s.badLineEnd {
			s.refuseBareLF()
			s.out.Flush()
			return nil
		}
		verb, arg := splitCommand(line)
		h, ok := verbs[strings.ToLower(verb)]
		if !ok {
			s.fail(502, "5.5.1", "unimplemented (#5.5.1)")
		} else if err := h(s, arg); err != nil {
			s.out.Flush()
			if err == errQuit {
				return nil
			}
			return err
		}
		if s.errors >= MaxErrors {
			s.reply(421, "4.7.0", "too many errors, closing connection (#4.7.0)")
			s.out.Flush()
			return nil
		}
	}
}

// refuseBareLF is qmail's answer to a line ending in a bare LF; the
// client is broken or attempting to smuggle, so the session ends.
func (s *Session) refuseBareLF() {
	s.reply(451, "4.5.0", "See https://cr.yp.to/docs/smtplf.html.")
}

func (s *Session) readFailed(err error) error {
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
		s.reply(451, "4.4.2", "timeout (#4.4.2)")
		s.out.Flush()
		return err
	}
	if err == errLineTooLong {
		s.reply(500, "5.5.2", "line too long (#5.5.2)")
		s.out.Flush()
		return err
	}
	if err == io.EOF {
		return nil
	}
	return err
}

// flushIfIdle sends pending replies unless more pipelined commands are
// already waiting (RFC 2920: reply in groups).
func (s *Session) flushIfIdle() error {
	if s.in.Buffered() > 0 {
		return nil
	}
	return s.out.Flush()
}

var errLineTooLong = errors.New("line too long")

// readLine reads one command line ending in CR LF and returns it without
// the line end. A line ending in a bare LF sets badLineEnd.
func (s *Session) readLine() (string, error) {
	if d, ok := s.conn.(deadliner); ok && s.cfg.Timeout > 0 {
		d.SetReadDeadline(s.now().Add(s.cfg.Timeout))
	}
	var line []byte
	for {
		chunk, err := s.in.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > s.cfg.MaxCommandLine {
			return "", errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", err
		}
		break
	}
	line = line[:len(line)-1]
	if len(line) == 0 || line[len(line)-1] != '\r' {
		s.badLineEnd = true
		return string(line), nil
	}
	return string(line[:len(line)-1]), nil
}

func splitCommand(line string) (verb, arg string) {
	if i := strings.IndexByte(line, ' '); i >= 0 {
		return line[:i], line[i+1:]
	}
	return line, ""
}

// reply writes one reply line. enh is the RFC 3463 code, sent only after
// EHLO, where ENHANCEDSTATUSCODES was announced.
func (s *Session) reply(code int, enh, text string) {
	if enh != "" && s.esmtp {
		fmt.Fprintf(s.out, "%d %s %s\r\n", code, enh, text)
		return
	}
	fmt.Fprintf(s.out, "%d %s\r\n", code, text)
}

// fail is a reply that counts as a client error.
func (s *Session) fail(code int, enh, text string) {
	s.errors++
	s.reply(code, enh, text)
}

func (s *Session) resetTransaction() {
	s.haveMail = false
	s.mailFrom = ""
	s.rcpts = nil
	s.sizeGiven = 0
	s.spfHeader = ""
}

// protocol names the session as RFC 3848 does for the Received line.
func (s *Session) protocol() string {
	if !s.esmtp {
		return "SMTP"
	}
	p := "ESMTP"
	if s.tlsActive {
		p += "S"
	}
	if s.authUser != "" {
		p += "A"
	}
	return p
}

// logf writes one transaction record:
//
//	qmail-smtpd: RESULT::STAGE::REASON: P:PROTO S:IP:HOST H:HELO F:SENDER T:RCPT [extra]
func (s *Session) logf(result, stage, reason, rcpt, extra string) {
	if s.log == nil {
		return
	}
	line := fmt.Sprintf("qmail-smtpd: %s::%s::%s: P:%s S:%s:%s H:%s F:%s T:%s",
		result, stage, reason, s.protocol(), s.cfg.RemoteIP, safeLog(s.cfg.RemoteHost),
		safeLog(s.helo), safeLog(s.mailFrom), safeLog(rcpt))
	if extra != "" {
		line += " " + extra
	}
	fmt.Fprintln(s.log, line)
}

// safeLog keeps a logged field on one line and free of spaces, so the
// record stays parseable whatever a client sends.
func safeLog(v string) string {
	if len(v) > 200 {
		v = v[:200] + "..."
	}
	b := []byte(v)
	for i, c := range b {
		if c <= ' ' || c >= 127 {
			b[i] = '?'
		}
	}
	return string(b)
}

var verbs = map[string]func(*Session, string) error{
	"helo":     (*Session).cmdHelo,
	"ehlo":     (*Session).cmdEhlo,
	"mail":     (*Session).cmdMail,
	"rcpt":     (*Session).cmdRcpt,
	"data":     (*Session).cmdData,
	"rset":     (*Session).cmdRset,
	"noop":     (*Session).cmdNoop,
	"vrfy":     (*Session).cmdVrfy,
	"help":     (*Session).cmdHelp,
	"quit":     (*Session).cmdQuit,
	"starttls": (*Session).cmdStarttls,
	"auth":     (*Session).cmdAuth,
}

func (s *Session) cmdHelo(arg string) error {
	s.helo = strings.TrimSpace(arg)
	s.esmtp = false
	s.resetTransaction()
	s.reply(250, "", s.cfg.Greeting)
	return nil
}

func (s *Session) cmdEhlo(arg string) error {
	s.helo = strings.TrimSpace(arg)
	s.esmtp = true
	s.resetTransaction()
	lines := []string{s.cfg.Greeting, "PIPELINING", "8BITMIME"}
	if s.cfg.Databytes > 0 {
		lines = append(lines, "SIZE "+strconv.FormatInt(s.cfg.Databytes, 10))
	} else {
		lines = append(lines, "SIZE")
	}
	lines = append(lines, "ENHANCEDSTATUSCODES", "SMTPUTF8")
	if s.tlsOffered() {
		lines = append(lines, "STARTTLS")
	}
	if s.authOffered() && s.authUser == "" {
		lines = append(lines, "AUTH "+s.cfg.authLine())
	}
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		fmt.Fprintf(s.out, "250%s%s\r\n", sep, l)
	}
	return nil
}

func (s *Session) cmdRset(string) error {
	s.resetTransaction()
	s.reply(250, "2.0.0", "flushed")
	return nil
}

func (s *Session) cmdNoop(string) error {
	s.reply(250, "2.0.0", "ok")
	return nil
}

func (s *Session) cmdVrfy(string) error {
	s.reply(252, "2.1.5", "send some mail, i'll try my best")
	return nil
}

func (s *Session) cmdHelp(string) error {
	s.reply(214, "2.0.0", "quail home page: https://github.com/quail-mta/quail")
	return nil
}

func (s *Session) cmdQuit(string) error {
	s.reply(221, "2.0.0", s.cfg.Greeting)
	return errQuit
}

func (s *Session) cmdMail(arg string) error {
	if s.haveMail {
		s.fail(503, "5.5.1", "nested MAIL command (#5.5.1)")
		return nil
	}
	if s.cfg.TLSMode == TLSRequire && !s.tlsActive {
		s.fail(530, "5.7.0", "Must issue a STARTTLS command first (#5.7.0)")
		return nil
	}
	if s.cfg.Auth.Required && s.authUser == "" && s.cfg.RelayClient == nil {
		s.fail(530, "5.7.0", "authentication required (#5.7.1)")
		return nil
	}
	addr, params, _, err := ParsePath(arg, "from:")
	if err != nil {
		s.fail(555, "5.5.4", "syntax error (#5.5.4)")
		return nil
	}
	var size int64
	for _, p := range params {
		k, v, _ := strings.Cut(p, "=")
		switch strings.ToUpper(k) {
		case "SIZE":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				s.fail(501, "5.5.4", "syntax error in SIZE (#5.5.4)")
				return nil
			}
			size = n
		case "BODY":
			if !strings.EqualFold(v, "7BIT") && !strings.EqualFold(v, "8BITMIME") {
				s.fail(555, "5.5.4", "unsupported BODY type (#5.5.4)")
				return nil
			}
		case "SMTPUTF8", "AUTH", "RET", "ENVID":
			// BODY=8BITMIME|7BIT, SMTPUTF8, AUTH=<>: accepted; qmail
			// stores bytes as they come. DSN parameters are ignored.
		default:
			s.fail(555, "5.5.4", "unsupported parameter "+safeLog(k)+" (#5.5.4)")
			return nil
		}
	}
	if s.cfg.Databytes > 0 && size > s.cfg.Databytes {
		s.fail(552, "5.3.4", "sorry, that message size exceeds my databytes limit (#5.3.4)")
		s.logf("Reject", "MAIL", "Size", "", "size:"+strconv.FormatInt(size, 10))
		return nil
	}
	passed := s.cfg.MailFromForms.passes(addr)
	bmf := ""
	switch {
	case passed:
	case s.cfg.BadMailFrom.Match(addr):
		bmf = "Badmailfrom"
	default:
		bmf = s.cfg.MailFromForms.problem(addr, s.cfg.RemoteHost, s.relayAllowed())
	}
	if bmf != "" {
		s.mailFrom = addr
		s.fail(553, "5.7.1", "sorry, your envelope sender is in my badmailfrom list (#5.7.1)")
		s.logf("Reject", "MAIL", bmf, "", "")
		s.mailFrom = ""
		return nil
	}
	s.mailFrom = addr
	if reason, temp := s.heloProblem(); reason != "" {
		result := "Reject"
		if temp {
			result = "Defer"
			s.reply(451, "4.4.3", "sorry, unable to check your HELO/EHLO greeting, try again later (#4.4.3)")
		} else {
			s.fail(553, "5.7.1", "sorry, your HELO/EHLO greeting is not acceptable here (#5.7.1)")
		}
		s.logf(result, "MAIL", reason, "", "")
		s.mailFrom = ""
		return nil
	}
	if reason, temp := s.senderProblem(addr, passed); reason != "" {
		result := "Reject"
		if temp {
			result = "Defer"
			s.reply(451, "4.4.3", "sorry, unable to check your envelope sender domain, try again later (#4.4.3)")
		} else if reason == "Badmailfromunknown" {
			s.fail(553, "5.7.1", "sorry, your envelope sender is not accepted from hosts without reverse DNS (#5.7.1)")
		} else {
			s.fail(553, "5.1.8", "sorry, your envelope sender domain must exist (#5.1.8)")
		}
		s.logf(result, "MAIL", reason, "", "")
		s.mailFrom = ""
		return nil
	}
	if code, enh, text := s.spfAction(addr); code != 0 {
		result := "Reject"
		if code >= 500 {
			s.fail(code, enh, text)
		} else {
			result = "Defer"
			s.reply(code, enh, text)
		}
		s.logf(result, "MAIL", "SPF", "", "")
		s.mailFrom = ""
		s.spfHeader = ""
		return nil
	}
	s.haveMail = true
	s.sizeGiven = size
	s.reply(250, "2.1.0", "ok")
	return nil
}

func (s *Session) cmdRcpt(arg string) error {
	if !s.haveMail {
		s.fail(503, "5.5.1", "MAIL first (#5.5.1)")
		return nil
	}
	addr, params, quoted, err := ParsePath(arg, "to:")
	if err != nil || addr == "" {
		s.fail(555, "5.5.4", "syntax error (#5.5.4)")
		return nil
	}
	addr = s.localIPHost(addr)
	for _, p := range params {
		k, _, _ := strings.Cut(p, "=")
		if !strings.EqualFold(k, "NOTIFY") && !strings.EqualFold(k, "ORCPT") {
			// DSN's parameters are ignored as on MAIL; anything else,
			// a second path included, is not understood.
			s.fail(555, "5.5.4", "unsupported parameter "+safeLog(k)+" (#5.5.4)")
			return nil
		}
	}
	if s.cfg.BadRcptTo.Match(addr) {
		s.fail(553, "5.7.1", "sorry, your envelope recipient is in my badrcptto list (#5.7.1)")
		s.logf("Reject", "RCPT", "Badrcptto", addr, "")
		return nil
	}
	s.tarpit()
	limit := s.cfg.MaxRecipients
	if limit <= 0 || limit > MaxRecipientsCeiling {
		limit = MaxRecipientsCeiling
	}
	if len(s.rcpts) >= limit {
		// RFC 5321 4.5.3.1.10: a temporary reply, and not a client
		// error: the client is to send the rest in another transaction,
		// and counting these toward MaxErrors would end the session
		// with 421 and lose the recipients already accepted.
		s.reply(452, "4.5.3", "sorry, too many recipients (#4.5.3)")
		s.logf("Reject", "RCPT", "Maxrecipients", addr, "")
		return nil
	}
	// The relay decision comes first: a client that may not relay gets
	// no checker program started for the foreign addresses it tries.
	if s.cfg.RelayClient != nil {
		if !s.recipientKnown(addr) {
			return nil
		}
		s.rcpts = append(s.rcpts, addr+*s.cfg.RelayClient)
		s.reply(250, "2.1.5", "ok")
		s.logf("Accept", "RCPT", "Relayclient", addr, "")
		return nil
	}
	if s.certRelay {
		if !s.recipientKnown(addr) {
			return nil
		}
		s.rcpts = append(s.rcpts, addr)
		s.reply(250, "2.1.5", "ok")
		s.logf("Accept", "RCPT", "Cert", addr, "")
		return nil
	}
	if s.authUser != "" {
		if !s.recipientKnown(addr) {
			return nil
		}
		s.rcpts = append(s.rcpts, addr)
		s.reply(250, "2.1.5", "ok")
		s.logf("Accept", "RCPT", "Auth", addr, "A:"+safeLog(s.authUser))
		return nil
	}
	if trick := relayTrick(addr, quoted); trick != "" && !s.ownLiteral(addr, trick) {
		s.fail(553, "5.7.1", "sorry, that address form is not accepted here (#5.7.1)")
		s.logf("Reject", "RCPT", "Relay_"+strings.ReplaceAll(trick, " ", "_"), addr, "")
		return nil
	}
	ok, err := s.cfg.domainAllowed(Domain(addr))
	if !strings.Contains(addr, "@") && strings.EqualFold(addr, "postmaster") {
		// RFC 5321 4.5.1: Postmaster without a domain is always
		// accepted; qmail-send makes it local with envnoathost.
		ok, err = true, nil
	}
	if err != nil {
		s.reply(451, "4.3.0", "unable to read controls (#4.3.0)")
		return nil
	}
	if !ok {
		s.fail(553, "5.7.1", "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)")
		s.logf("Reject", "RCPT", "Rcpthosts", addr, "")
		return nil
	}
	if !s.recipientKnown(addr) {
		return nil
	}
	s.rcpts = append(s.rcpts, addr)
	s.reply(250, "2.1.5", "ok")
	s.logf("Accept", "RCPT", "Rcpthosts", addr, "")
	return nil
}

// recipientKnown asks control/recipients about addr and answers the
// client when the address is refused.
func (s *Session) recipientKnown(addr string) bool {
	if s.cfg.Recipients == nil {
		return true
	}
	v, err := recipients.Check(s.cfg.Recipients, addr, s.env)
	switch v {
	case recipients.NoMailbox:
		if s.cfg.Recipients450 {
			s.fail(450, "4.1.1", "sorry, no mailbox here by that name (#4.1.1)")
		} else {
			s.fail(550, "5.1.1", "sorry, no mailbox here by that name (#5.1.1)")
		}
		s.logf("Reject", "RCPT", "Recipients", addr, "")
		return false
	case recipients.Temporary:
		s.reply(451, "4.3.0", "sorry, unable to verify that recipient, try again later (#4.3.0)")
		reason := "Recipients_check"
		if err != nil {
			reason += " " + safeLog(err.Error())
		}
		s.logf("Defer", "RCPT", reason, addr, "")
		return false
	}
	return true
}

// relayAllowed says whether the client may relay: RELAYCLIENT, a login,
// or a verified client certificate.
func (s *Session) relayAllowed() bool {
	return s.cfg.RelayClient != nil || s.authUser != "" || s.certRelay
}

// localIPHost replaces the domain of addr, when it is an address literal
// naming one of this host's addresses, with control/localiphost, as
// qmail-smtpd does before rcpthosts (qmail-smtpd(8), qmail-control(5)):
// box@[127.0.0.1] is box@me then.
func (s *Session) localIPHost(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || !strings.HasPrefix(addr[at+1:], "[") || !strings.HasSuffix(addr, "]") || s.cfg.LocalIPHost == "" {
		return addr
	}
	lit := strings.TrimPrefix(strings.ToLower(addr[at+2:len(addr)-1]), "ipv6:")
	ip, err := netip.ParseAddr(lit)
	if err != nil {
		return addr
	}
	if s.ipme == nil {
		s.ipme = localAddrs(s.cfg.LocalIP)
	}
	for _, a := range s.ipme {
		if a == ip.Unmap() {
			return addr[:at+1] + s.cfg.LocalIPHost
		}
	}
	return addr
}

// localAddrs are the addresses of this host's interfaces (qmail's ipme)
// and the one the connection came in on.
func localAddrs(local string) []netip.Addr {
	out := []netip.Addr{}
	if a, err := netip.ParseAddr(local); err == nil {
		out = append(out, a.Unmap())
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out
}

// ownLiteral allows an address literal naming this server itself (its
// own IP as tcpserver reports it, or a literal listed in rcpthosts).
func (s *Session) ownLiteral(addr, trick string) bool {
	if trick != "address literal" {
		return false
	}
	d := Domain(addr)
	if s.cfg.LocalIP != "" && (d == "["+s.cfg.LocalIP+"]" || d == "[ipv6:"+s.cfg.LocalIP+"]") {
		return true
	}
	return s.cfg.Rcpthosts.Has(d)
}

func (s *Session) cmdData(string) error {
	if !s.haveMail {
		s.fail(503, "5.5.1", "MAIL first (#5.5.1)")
		return nil
	}
	if len(s.rcpts) == 0 {
		s.fail(503, "5.5.1", "RCPT first (#5.5.1)")
		return nil
	}
	q, err := s.queue(s.cfg.QueueProgram, s.env)
	if err != nil {
		s.reply(451, "4.3.0", "qq temporary problem (#4.3.0)")
		s.logf("Defer", "DATA", "Queue_start", "", "")
		return nil
	}
	s.reply(354, "", "go ahead")
	if err := s.out.Flush(); err != nil {
		q.Abort()
		return err
	}
	if s.spfHeader != "" {
		io.WriteString(q, s.spfHeader)
	}
	io.WriteString(q, s.receivedLine())
	limit := int64(-1)
	if s.cfg.Databytes > 0 {
		limit = s.cfg.Databytes
	}
	if d, ok := s.conn.(deadliner); ok && s.cfg.Timeout > 0 {
		// qmail's timeout is per read; a deadline per DATA is coarser,
		// so allow one timeout's worth per 64 KiB of databytes too.
		d.SetReadDeadline(s.now().Add(s.cfg.Timeout))
	}
	var sink io.Writer = q
	warlord := NewWarlord(s.cfg.Filters.Warlord, s.relayAllowed())
	if warlord != nil {
		sink = io.MultiWriter(q, warlord)
	}
	res, err := ReadData(s.in, &deadlineWriter{sink, s}, limit)
	if err != nil {
		q.Abort()
		return s.readFailed(err)
	}
	extra := fmt.Sprintf("R:%d size:%d", len(s.rcpts), res.Bytes)
	if res.BareLF+res.BareCR > 0 {
		extra += fmt.Sprintf(" bare_lf:%d bare_cr:%d", res.BareLF, res.BareCR)
	}
	switch {
	case res.TooBig:
		q.Abort()
		s.fail(552, "5.3.4", "sorry, that message size exceeds my databytes limit (#5.3.4)")
		s.logf("Reject", "DATA", "Databytes", "", extra)
	case warlord.Hit() != "":
		q.Abort()
		s.fail(554, "5.7.1", "sorry, this message contains an attachment type we do not accept (#5.3.4)")
		s.logf("Reject", "DATA", "Warlord", "", extra+" "+safeLog(warlord.Hit()))
	case res.Hops > 100:
		q.Abort()
		s.reply(554, "5.4.6", "too many hops, this message is looping (#5.4.6)")
		s.logf("Reject", "DATA", "Hops", "", extra)
	default:
		qp := q.Pid()
		r := q.Close(s.mailFrom, s.rcpts)
		switch {
		case r.OK():
			s.reply(250, "2.0.0", fmt.Sprintf("ok %d qp %d", s.now().Unix(), qp))
			s.logf("Accept", "DATA", "Queued", "", fmt.Sprintf("%s qp:%d", extra, qp))
		case r.Infected():
			// One reply whichever way qmail-queue ran, and a log line
			// that names the finding and the scanner.
			s.reply(554, enhancedOf(r.Text, "5.7.1"), r.Text)
			s.logf("Reject", "DATA", "Virus_found", "", extra+" scanner:"+safeLog(s.cfg.Scanner))
		case r.Permanent:
			s.reply(554, enhancedOf(r.Text, "5.3.0"), r.Text)
			s.logf("Reject", "DATA", "Queue", "", extra+" qq:"+strconv.Itoa(r.Code))
		default:
			s.reply(451, enhancedOf(r.Text, "4.3.0"), r.Text)
			s.logf("Defer", "DATA", "Queue", "", extra+" qq:"+strconv.Itoa(r.Code))
		}
	}
	s.resetTransaction()
	return nil
}

// enhancedOf is the RFC 3463 code qmail's text carries at its end as
// "(#x.y.z)", so that both codes of a reply agree; def when it has none.
func enhancedOf(text, def string) string {
	i := strings.LastIndex(text, "(#")
	if i < 0 || !strings.HasSuffix(text, ")") {
		return def
	}
	code := text[i+2 : len(text)-1]
	parts := strings.Split(code, ".")
	if len(parts) != 3 || (parts[0] != "4" && parts[0] != "5") || (def[0] != parts[0][0]) {
		return def
	}
	for _, p := range parts[1:] {
		if _, err := strconv.Atoi(p); err != nil || len(p) > 3 {
			return def
		}
	}
	return code
}

// deadlineWriter extends the read deadline while a message streams in,
// so a large message on a slow line is not cut off by one overall
// deadline: every 16 KiB read (ReadData's buffer), kept or discarded
// beyond databytes, earns another timeout period.
type deadlineWriter struct {
	w io.Writer
	s *Session
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	if dl, ok := d.s.conn.(deadliner); ok && d.s.cfg.Timeout > 0 {
		dl.SetReadDeadline(d.s.now().Add(d.s.cfg.Timeout))
	}
	return d.w.Write(p)
}

// receivedLine is qmail's Received field (received.c), with the RFC 3848
// protocol name after EHLO.
func (s *Session) receivedLine() string {
	return received(s.protocol(), s.helo, s.cfg.LocalHost, s.cfg.RemoteIP, s.cfg.RemoteHost, s.cfg.RemoteInfo, s.now())
}

// received writes the field; the HELO name appears only when it differs
// from the client's host name.
func received(protocol, helo, localHost, remoteIP, remoteHost, remoteInfo string, t time.Time) string {
	var b strings.Builder
	b.WriteString("Received: from ")
	b.WriteString(safeHeader(remoteHost))
	if helo != "" && !strings.EqualFold(helo, remoteHost) {
		b.WriteString(" (HELO ")
		b.WriteString(safeHeader(helo))
		b.WriteString(")")
	}
	b.WriteString(" (")
	if remoteInfo != "" {
		b.WriteString(safeHeader(remoteInfo))
		b.WriteString("@")
	}
	b.WriteString(safeHeader(remoteIP))
	b.WriteString(")\n  by ")
	b.WriteString(safeHeader(localHost))
	b.WriteString(" with ")
	b.WriteString(protocol)
	b.WriteString("; ")
	b.WriteString(Date822(t))
	b.WriteString("\n")
	return b.String()
}

// safeHeader replaces what qmail's received.c does not let into a header.
func safeHeader(v string) string {
	b := []byte(v)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte(".@%+/=:-", c) >= 0:
		default:
			b[i] = '?'
		}
	}
	return string(b)
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// Date822 formats t as qmail's date822fmt does: "22 Nov 2026 03:04:05 -0000".
func Date822(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%d %s %d %02d:%02d:%02d -0000", t.Day(), months[t.Month()-1], t.Year(), t.Hour(), t.Minute(), t.Second())
}
