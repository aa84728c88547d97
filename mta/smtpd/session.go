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

	"github.com/quail-mta/quail/mta/logfield"
	"github.com/quail-mta/quail/mta/qqueue"
	"github.com/quail-mta/quail/mta/received"
	"github.com/quail-mta/quail/mta/recipients"
	"github.com/quail-mta/quail/mta/srs"
)

// Queuer starts the queue program for one message: qqueue.Start, unless
// Config.StartQueue names another (an in-process stand-in in tests).
type Queuer func(prog string, env []string) (qqueue.Queue, error)

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
	// binaryMIME is MAIL's BODY=BINARYMIME (RFC 3030 3): BDAT only.
	binaryMIME bool
	// bdat is the message BDAT's chunks go into, nil before the first.
	bdat *message
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
		queue:     cfg.queuer(),
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
	if s.bdat != nil {
		// The session ended inside a BDAT transaction: nothing is queued.
		s.bdat.q.Abort()
		s.bdat = nil
	}
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
	s.reply(replyGreeting(s.cfg.Greeting))
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
			s.answer(mistake(replyUnimplemented))
		} else if err := h(s, arg); err != nil {
			s.out.Flush()
			if err == errQuit {
				return nil
			}
			return err
		}
		if s.errors >= MaxErrors {
			s.reply(replyTooManyErrors)
			s.out.Flush()
			return nil
		}
	}
}

// refuseBareLF is qmail's answer to a line ending in a bare LF; the
// client is broken or attempting to smuggle, so the session ends.
func (s *Session) refuseBareLF() {
	s.reply(replyStrayNewline)
}

func (s *Session) readFailed(err error) error {
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
		s.reply(replyTimeout)
		s.out.Flush()
		return err
	}
	if err == errLineTooLong {
		s.reply(replyLineTooLong)
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

// reply writes one reply line; Session.answer is the writer for the
// replies that answer a check.
func (s *Session) reply(r Reply) {
	s.out.WriteString(r.Line(s.esmtp))
}

func (s *Session) resetTransaction() {
	s.haveMail = false
	s.mailFrom = ""
	s.rcpts = nil
	s.sizeGiven = 0
	s.spfHeader = ""
	s.binaryMIME = false
	if s.bdat != nil {
		s.bdat.q.Abort()
		s.bdat = nil
	}
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
func (s *Session) logf(r record) {
	if s.log == nil {
		return
	}
	line := fmt.Sprintf("qmail-smtpd: %s::%s::%s: P:%s S:%s:%s H:%s F:%s T:%s",
		r.result, r.stage, r.reason, s.protocol(), s.cfg.RemoteIP, safeLog(s.cfg.RemoteHost),
		safeLog(s.helo), safeLog(s.mailFrom), safeLog(r.rcpt))
	if r.extra != "" {
		line += " " + r.extra
	}
	fmt.Fprintln(s.log, line)
}

// safeLog keeps a logged field on one line and free of spaces, so the
// record stays parseable whatever a client sends.
func safeLog(v string) string { return logfield.Clean(v, 200) }

var verbs = map[string]func(*Session, string) error{
	"helo":     (*Session).cmdHelo,
	"ehlo":     (*Session).cmdEhlo,
	"mail":     (*Session).cmdMail,
	"rcpt":     (*Session).cmdRcpt,
	"data":     (*Session).cmdData,
	"bdat":     (*Session).cmdBdat,
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
	s.reply(replyHelo(s.cfg.Greeting))
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
	lines = append(lines, "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING", "BINARYMIME")
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
	s.reply(replyFlushed)
	return nil
}

func (s *Session) cmdNoop(string) error {
	s.reply(replyNoop)
	return nil
}

func (s *Session) cmdVrfy(string) error {
	s.reply(replyVrfy)
	return nil
}

func (s *Session) cmdHelp(string) error {
	s.reply(replyHelp)
	return nil
}

func (s *Session) cmdQuit(string) error {
	s.reply(replyQuit(s.cfg.Greeting))
	return errQuit
}

func (s *Session) cmdMail(arg string) error {
	addr, size, binary, v := s.mailCommand(arg)
	if v.refused() {
		s.answer(v)
		return nil
	}
	// The checks' log lines name the sender they refuse.
	s.mailFrom = addr
	if v := s.checkSender(addr); v.refused() {
		s.answer(v)
		s.mailFrom = ""
		s.spfHeader = ""
		return nil
	}
	s.haveMail = true
	s.sizeGiven = size
	s.binaryMIME = binary
	s.reply(replyMailOK)
	return nil
}

// mailCommand checks MAIL's state, path and parameters and returns the
// sender, its SIZE and whether the body is BINARYMIME.
func (s *Session) mailCommand(arg string) (addr string, size int64, binary bool, v verdict) {
	switch {
	case s.haveMail:
		return "", 0, false, mistake(replyNested)
	case s.cfg.TLSMode == TLSRequire && !s.tlsActive:
		return "", 0, false, mistake(replyTLSRequired)
	case s.cfg.Auth.Required && s.authUser == "" && s.cfg.RelayClient == nil:
		return "", 0, false, mistake(replyAuthRequired)
	}
	addr, params, _, err := ParsePath(arg, "from:")
	if err != nil {
		return "", 0, false, mistake(replySyntax)
	}
	for _, p := range params {
		k, v, _ := strings.Cut(p, "=")
		switch strings.ToUpper(k) {
		case "SIZE":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return "", 0, false, mistake(replySizeSyntax)
			}
			size = n
		case "BODY":
			switch strings.ToUpper(v) {
			case "7BIT", "8BITMIME":
			case "BINARYMIME":
				binary = true
			default:
				return "", 0, false, mistake(replyBodySyntax)
			}
		case "SMTPUTF8", "AUTH", "RET", "ENVID":
			// BODY=8BITMIME|7BIT, SMTPUTF8, AUTH=<>: accepted; qmail
			// stores bytes as they come. DSN parameters are ignored.
		default:
			return "", 0, false, mistake(replyUnsupportedParam(k))
		}
	}
	if s.cfg.Databytes > 0 && size > s.cfg.Databytes {
		// RFC 1870 6.1: refused at MAIL when the announced size is too big.
		return "", 0, false, reject(replyTooBig, "MAIL", "Size").extra("size:" + strconv.FormatInt(size, 10))
	}
	return addr, size, binary, verdict{}
}

// checkSender runs the checks of MAIL FROM in qmail-smtpd's order:
// badmailfrom and its extended lines, the HELO name, the sender's
// domain, SPF.
func (s *Session) checkSender(addr string) verdict {
	passed := s.cfg.MailFromForms.passes(addr)
	if !passed {
		bmf := ""
		if s.cfg.BadMailFrom.Match(addr) {
			bmf = "Badmailfrom"
		} else {
			bmf = s.cfg.MailFromForms.problem(addr, s.cfg.RemoteHost, s.relayAllowed())
		}
		if bmf != "" {
			return reject(replyBadMailFrom, "MAIL", bmf)
		}
	}
	if v := s.checkHelo(); v.refused() {
		return v
	}
	if v := s.checkSenderDomain(addr, passed); v.refused() {
		return v
	}
	return s.checkSPF(addr)
}

func (s *Session) cmdRcpt(arg string) error {
	addr, quoted, v := s.rcptCommand(arg)
	if v.refused() {
		s.answer(v)
		return nil
	}
	s.tarpit()
	if v := s.checkRcptLimit(addr); v.refused() {
		s.answer(v)
		return nil
	}
	how, v := s.checkRelay(addr, quoted)
	if v.refused() {
		s.answer(v)
		return nil
	}
	if v := s.checkSRS(addr); v.refused() {
		s.answer(v)
		return nil
	}
	if v := s.checkRecipient(addr); v.refused() {
		s.answer(v)
		return nil
	}
	s.rcpts = append(s.rcpts, addr+how.suffix)
	s.answer(accept(replyRcptOK, "RCPT", how.reason).rcpt(addr).extra(how.extra))
	return nil
}

// rcptCommand checks RCPT's state, path and parameters and badrcptto,
// and returns the recipient as qmail-smtpd goes on with it, and whether
// its local part was quoted.
func (s *Session) rcptCommand(arg string) (addr string, quoted bool, v verdict) {
	if !s.haveMail {
		return "", false, mistake(replyWantMail)
	}
	if s.bdat != nil {
		return "", false, mistake(replyRcptAfterBdat)
	}
	addr, params, quoted, err := ParsePath(arg, "to:")
	if err != nil || addr == "" {
		return "", false, mistake(replySyntax)
	}
	addr = s.localIPHost(addr)
	for _, p := range params {
		k, _, _ := strings.Cut(p, "=")
		if !strings.EqualFold(k, "NOTIFY") && !strings.EqualFold(k, "ORCPT") {
			// DSN's parameters are ignored as on MAIL; anything else,
			// a second path included, is not understood.
			return "", false, mistake(replyUnsupportedParam(k))
		}
	}
	if s.cfg.BadRcptTo.Match(addr) {
		return "", false, reject(replyBadRcptTo, "RCPT", "Badrcptto").rcpt(addr)
	}
	return addr, quoted, verdict{}
}

// checkRcptLimit refuses a recipient beyond $MAXRECIPIENTS or the
// ceiling.
func (s *Session) checkRcptLimit(addr string) verdict {
	limit := s.cfg.MaxRecipients
	if limit <= 0 || limit > MaxRecipientsCeiling {
		limit = MaxRecipientsCeiling
	}
	if len(s.rcpts) >= limit {
		// RFC 5321 4.5.3.1.10: a temporary reply, and not a client
		// error: the client is to send the rest in another transaction,
		// and counting these toward MaxErrors would end the session
		// with 421 and lose the recipients already accepted.
		return reject(replyTooManyRcpts, "RCPT", "Maxrecipients").rcpt(addr).uncounted()
	}
	return verdict{}
}

// relayGrant is why a recipient is accepted: the log's reason and
// extra fields, and what is appended to the address ($RELAYCLIENT).
type relayGrant struct{ reason, extra, suffix string }

// checkRelay decides whether the client may send to addr: as a relay
// client, by a certificate, logged in, or because rcpthosts lists the
// domain. The relay decision comes before the recipient check, so that
// a client that may not relay gets no checker program started for the
// foreign addresses it tries.
func (s *Session) checkRelay(addr string, quoted bool) (relayGrant, verdict) {
	switch {
	case s.cfg.RelayClient != nil:
		return relayGrant{reason: "Relayclient", suffix: *s.cfg.RelayClient}, verdict{}
	case s.certRelay:
		return relayGrant{reason: "Cert"}, verdict{}
	case s.authUser != "":
		return relayGrant{reason: "Auth", extra: "A:" + safeLog(s.authUser)}, verdict{}
	}
	if trick := relayTrick(addr, quoted); trick != "" && !s.ownLiteral(addr, trick) {
		return relayGrant{}, reject(replyAddressForm, "RCPT", "Relay_"+strings.ReplaceAll(trick, " ", "_")).rcpt(addr)
	}
	ok, err := s.cfg.Rcpthosts.Allowed(Domain(addr))
	if !strings.Contains(addr, "@") && strings.EqualFold(addr, "postmaster") {
		// RFC 5321 4.5.1: Postmaster without a domain is always
		// accepted; qmail-send makes it local with envnoathost.
		ok, err = true, nil
	}
	if err != nil {
		return relayGrant{}, answered(replyRcpthostsUnreadable)
	}
	if !ok {
		return relayGrant{}, reject(replyNoGateway, "RCPT", "Rcpthosts").rcpt(addr)
	}
	return relayGrant{reason: "Rcpthosts"}, verdict{}
}

// checkRecipient asks control/recipients about addr.
func (s *Session) checkRecipient(addr string) verdict {
	if s.cfg.Recipients == nil {
		return verdict{}
	}
	v, err := recipients.Check(s.cfg.Recipients, addr, s.env)
	switch v {
	case recipients.NoMailbox:
		r := replyNoMailbox
		if s.cfg.Recipients450 {
			r = replyNoMailbox450
		}
		return reject(r, "RCPT", "Recipients").rcpt(addr)
	case recipients.Temporary:
		reason := "Recipients_check"
		if err != nil {
			reason += " " + safeLog(err.Error())
		}
		return deferral(replyRcptTemp, "RCPT", reason).rcpt(addr)
	}
	return verdict{}
}

// checkSRS refuses a bounce to an SRS address of control/srsdomains
// whose hash does not match or whose time is up: it was never made here,
// or is too old to be answered.
func (s *Session) checkSRS(addr string) verdict {
	err := s.cfg.SRS.CheckRecipient(addr, s.now())
	switch {
	case errors.Is(err, srs.ErrExpired):
		return reject(replySRSInvalid, "RCPT", "SRS_expired").rcpt(addr)
	case srs.Invalid(err):
		return reject(replySRSInvalid, "RCPT", "SRS_invalid").rcpt(addr)
	}
	return verdict{}
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
	switch {
	case !s.haveMail:
		s.answer(mistake(replyWantMail))
		return nil
	case len(s.rcpts) == 0:
		s.answer(mistake(replyWantRcpt))
		return nil
	case s.bdat != nil:
		s.answer(mistake(replyDataAfterBdat))
		return nil
	case s.binaryMIME:
		s.answer(mistake(replyBinaryNeedsBdat))
		return nil
	}
	m, v := s.openMessage()
	if v.refused() {
		s.answer(v)
		return nil
	}
	s.reply(replyGoAhead)
	if err := s.out.Flush(); err != nil {
		m.q.Abort()
		return err
	}
	s.renewDeadline()
	res, err := ReadData(s.in, m.sink, s.limit())
	if err != nil {
		m.q.Abort()
		return s.readFailed(err)
	}
	s.answer(s.finishMessage(m, res, ""))
	s.resetTransaction()
	return nil
}

// message is one message on its way into the queue, from DATA or from
// the BDAT chunks of one transaction.
type message struct {
	q       qqueue.Queue
	sink    io.Writer // the queue and Warlord, renewing the read deadline
	warlord *Warlord
	body    *ChunkBody // BDAT's converter; nil for DATA
	chunks  int        // BDAT chunks so far
}

// openMessage starts the queue program and writes the fields qmail-smtpd
// puts first, the Received-SPF field and the Received line.
func (s *Session) openMessage() (*message, verdict) {
	q, err := s.queue(s.cfg.QueueProgram, s.env)
	if err != nil {
		return nil, deferral(replyQueueStart, "DATA", "Queue_start")
	}
	if s.spfHeader != "" {
		io.WriteString(q, s.spfHeader)
	}
	io.WriteString(q, s.receivedLine())
	m := &message{q: q, warlord: NewWarlord(s.cfg.Filters.Warlord, s.relayAllowed())}
	var sink io.Writer = q
	if m.warlord != nil {
		sink = io.MultiWriter(q, m.warlord)
	}
	m.sink = &deadlineWriter{sink, s}
	return m, verdict{}
}

// limit is the most a message may hold, -1 for no limit.
func (s *Session) limit() int64 {
	if s.cfg.Databytes > 0 {
		return s.cfg.Databytes
	}
	return -1
}

// renewDeadline gives the client another timeout period to send in.
func (s *Session) renewDeadline() {
	if d, ok := s.conn.(deadliner); ok && s.cfg.Timeout > 0 {
		// qmail's timeout is per read; deadlineWriter renews it as the
		// message streams in.
		d.SetReadDeadline(s.now().Add(s.cfg.Timeout))
	}
}

// finishMessage checks the message that arrived whole and queues it or
// refuses it: the verdict on DATA's end, or on BDAT's LAST chunk.
func (s *Session) finishMessage(m *message, res DataResult, more string) verdict {
	extra := fmt.Sprintf("R:%d size:%d", len(s.rcpts), res.Bytes)
	if res.BareLF+res.BareCR > 0 {
		extra += fmt.Sprintf(" bare_lf:%d bare_cr:%d", res.BareLF, res.BareCR)
	}
	extra += more
	if v := checkMessage(res, m.warlord, extra); v.refused() {
		m.q.Abort()
		return v
	}
	return s.queueMessage(m.q, extra)
}

// checkMessage refuses a message that came in too big, with an
// attachment Warlord refuses, or looping.
func checkMessage(res DataResult, warlord *Warlord, extra string) verdict {
	switch {
	case res.TooBig:
		return reject(replyTooBig, "DATA", "Databytes").extra(extra)
	case warlord.Hit() != "":
		return reject(replyWarlord, "DATA", "Warlord").extra(extra + " " + safeLog(warlord.Hit()))
	case res.Hops > 100:
		// MAXHOPS: refused, and not the client's error.
		return reject(replyLooping, "DATA", "Hops").extra(extra).uncounted()
	}
	return verdict{}
}

// queueMessage closes the message with its envelope and turns what
// qmail-queue said into the reply: qmail-smtpd's smtp_data after
// qmail_close.
func (s *Session) queueMessage(q qqueue.Queue, extra string) verdict {
	qp := q.Pid()
	r := q.Close(s.mailFrom, s.rcpts)
	switch {
	case r.OK():
		return accept(replyQueued(s.now().Unix(), qp), "DATA", "Queued").extra(fmt.Sprintf("%s qp:%d", extra, qp))
	case r.Infected():
		// One reply whichever way qmail-queue ran, and a log line
		// that names the finding and the scanner.
		return reject(replyQueueRefused(554, r.Text, "5.7.1"), "DATA", "Virus_found").extra(extra + " scanner:" + safeLog(s.cfg.Scanner)).uncounted()
	case r.Permanent():
		return reject(replyQueueRefused(554, r.Text, "5.3.0"), "DATA", "Queue").extra(extra + " qq:" + strconv.Itoa(r.Code)).uncounted()
	}
	return deferral(replyQueueRefused(451, r.Text, "4.3.0"), "DATA", "Queue").extra(extra + " qq:" + strconv.Itoa(r.Code))
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
	c := received.Conn{LocalHost: s.cfg.LocalHost, RemoteIP: s.cfg.RemoteIP, RemoteHost: s.cfg.RemoteHost, RemoteInfo: s.cfg.RemoteInfo}
	return received.Field(s.protocol(), s.helo, c, s.now())
}
