package pop3

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/quail-mta/quail/mta/checkpw"
	"github.com/quail-mta/quail/mta/throttle"
)

// LoginRequest is one login handed to checkpassword: the three fields of
// descriptor 3, and the streams and environment the subprogram
// (qmail-pop3d) takes over.
type LoginRequest struct {
	Method    string // "USER" or "APOP"
	User      []byte
	Secret    []byte // the password, or the APOP digest
	Timestamp []byte // the greeting's "<pid.time@host>"
	In        io.Reader
	Out       io.Writer
	Env       []string
}

// PopupConfig is what a qmail-popup session needs to know.
type PopupConfig struct {
	Hostname  string        // in the APOP timestamp
	Timestamp string        // "<pid.time@hostname>"; see Timestamp
	Timeout   time.Duration // idle limit per command; 0 for none
	RemoteIP  string        // for the log
	FailDelay time.Duration // wait before answering a failed login

	TLSMode   TLSMode
	TLS       TLSStarter // nil when STLS cannot be offered
	TLSActive bool       // TLS was on from the start

	// Login runs checkpassword and, through it, qmail-pop3d; it returns
	// when they have exited.
	Login func(LoginRequest) (checkpw.Verdict, error)

	// Throttle counts failed logins across sessions (nil: none).
	Throttle *throttle.Throttle
}

// Timestamp is qmail-popup's APOP banner token.
func Timestamp(pid int, now time.Time, hostname string) string {
	return fmt.Sprintf("<%d.%d@%s>", pid, now.Unix(), hostname)
}

// ErrAuthFailed ends a session whose login was refused: like qmail-popup,
// the client must connect again to retry.
var ErrAuthFailed = errors.New("authorization failed")

// Popup is one qmail-popup session.
type Popup struct {
	cfg  *PopupConfig
	in   *bufio.Reader
	out  *bufio.Writer
	conn io.Reader
	rawW io.Writer
	log  io.Writer
	env  []string

	tlsActive bool
	user      string
	seenUser  bool
	sleep     func(time.Duration)
}

// NewPopup prepares a session reading r and writing w; env is handed to
// checkpassword, log gets one line per login attempt.
func NewPopup(cfg *PopupConfig, r io.Reader, w io.Writer, log io.Writer, env []string) *Popup {
	return &Popup{
		cfg: cfg,
		// One byte at a time: nothing after the PASS line may be taken
		// from qmail-pop3d.
		in:        bufio.NewReaderSize(byteReader{r}, 16),
		out:       bufio.NewWriterSize(w, 1024),
		conn:      r,
		rawW:      w,
		log:       log,
		env:       env,
		tlsActive: cfg.TLSActive,
		sleep:     time.Sleep,
	}
}

var errQuit = errors.New("quit")

var popupVerbs = map[string]func(*Popup, string) error{
	"user": (*Popup).cmdUser,
	"pass": (*Popup).cmdPass,
	"apop": (*Popup).cmdApop,
	"quit": (*Popup).cmdQuit,
	"noop": (*Popup).cmdNoop,
	"capa": (*Popup).cmdCapa,
	"stls": (*Popup).cmdStls,
}

// Run holds the dialogue until a login has run its course, QUIT, end of
// input or a timeout. It returns nil after QUIT, end of input or a good
// login (whose session qmail-pop3d held), ErrAuthFailed after a refused
// one.
func (p *Popup) Run() error {
	p.reply("+OK " + p.cfg.Timestamp)
	for {
		if err := p.out.Flush(); err != nil {
			return err
		}
		verb, arg, err := readCommand(p.in, p.conn, p.cfg.Timeout)
		switch {
		case err == io.EOF:
			return nil
		case err == errLineTooLong:
			p.reply("-ERR line too long")
			p.out.Flush()
			return err
		case isTimeout(err):
			p.reply("-ERR timeout")
			p.out.Flush()
			return err
		case err != nil:
			return err
		}
		h, ok := popupVerbs[verb]
		if !ok {
			p.reply("-ERR authorization first")
			continue
		}
		if err := h(p, arg); err != nil {
			p.out.Flush()
			if err == errQuit {
				return nil
			}
			return err
		}
	}
}

func (p *Popup) reply(s string) { p.out.WriteString(s + "\r\n") }

func (p *Popup) okay() { p.reply("+OK ") }

func (p *Popup) tlsOffered() bool {
	return p.cfg.TLSMode != TLSOff && p.cfg.TLS != nil && !p.tlsActive
}

// needTLS answers a login command sent in the clear when TLS is required.
func (p *Popup) needTLS() bool {
	if p.cfg.TLSMode == TLSRequire && !p.tlsActive {
		p.reply("-ERR STLS first")
		return true
	}
	return false
}

func (p *Popup) cmdUser(arg string) error {
	if p.needTLS() {
		return nil
	}
	if arg == "" {
		p.reply("-ERR syntax error")
		return nil
	}
	p.user, p.seenUser = arg, true
	p.okay()
	return nil
}

func (p *Popup) cmdPass(arg string) error {
	if p.needTLS() {
		return nil
	}
	if !p.seenUser {
		p.reply("-ERR USER first")
		return nil
	}
	if arg == "" {
		p.reply("-ERR syntax error")
		return nil
	}
	return p.login("USER", p.user, arg)
}

func (p *Popup) cmdApop(arg string) error {
	if p.needTLS() {
		return nil
	}
	user, digest, ok := strings.Cut(arg, " ")
	if !ok || user == "" {
		p.reply("-ERR syntax error")
		return nil
	}
	return p.login("APOP", user, digest)
}

// login runs checkpassword with qmail-pop3d behind it. Whatever the
// outcome, this session is over afterwards. A client the login throttle
// refuses (package throttle) is answered without a check.
func (p *Popup) login(method, user, secret string) error {
	td, terr := p.cfg.Throttle.Check(p.cfg.RemoteIP, user)
	p.throttleWarn(terr)
	if td.Refused {
		p.logf("qmail-popup: login throttled user=%s ip=%s method=%s throttle=%s:%d", safeLog(user), safeLog(p.cfg.RemoteIP), method, td.By, seconds(td.Retry))
		p.reply("-ERR too many failed logins, try again later")
		p.out.Flush()
		return ErrAuthFailed
	}
	if err := p.out.Flush(); err != nil {
		return err
	}
	v, err := p.cfg.Login(LoginRequest{
		Method: method, User: []byte(user), Secret: []byte(secret),
		Timestamp: []byte(p.cfg.Timestamp),
		In:        p.conn, Out: p.rawW, Env: p.env,
	})
	result, note, delay := "ok", "", p.cfg.FailDelay
	switch v {
	case checkpw.Good:
		p.throttleWarn(p.cfg.Throttle.Succeeded(p.cfg.RemoteIP, user))
	case checkpw.Bad:
		result = "failed"
		td, terr := p.cfg.Throttle.Failed(p.cfg.RemoteIP, user)
		p.throttleWarn(terr)
		delay = max(delay, td.Delay)
		if td.Blocked {
			note = fmt.Sprintf(" throttle=%s:%d", td.By, seconds(td.Retry))
		}
	default:
		result = "deferred"
	}
	if p.log != nil {
		line := fmt.Sprintf("qmail-popup: login %s user=%s ip=%s method=%s%s", result, safeLog(user), safeLog(p.cfg.RemoteIP), method, note)
		if err != nil {
			line += " reason=" + safeLog(err.Error())
		}
		fmt.Fprintln(p.log, line)
	}
	switch {
	case v == checkpw.Good:
		return errQuit
	case err != nil && isCrash(err):
		p.reply("-ERR aack, child crashed")
	default:
		// Slow down guessing; the client has to reconnect anyway.
		p.sleep(delay)
		p.reply("-ERR authorization failed")
	}
	p.out.Flush()
	return ErrAuthFailed
}

func (p *Popup) logf(format string, a ...any) {
	if p.log != nil {
		fmt.Fprintf(p.log, format+"\n", a...)
	}
}

// throttleWarn logs trouble with the throttle's state; the login goes on
// as if there were no throttle.
func (p *Popup) throttleWarn(err error) {
	if err != nil {
		p.logf("qmail-popup: warning: login throttle: %s", strings.ReplaceAll(err.Error(), "\n", " "))
	}
}

func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// isCrash recognises checkpw.Check's report of a checkpassword program
// killed by a signal.
func isCrash(err error) bool { return strings.HasSuffix(err.Error(), " crashed") }

func (p *Popup) cmdQuit(string) error {
	p.okay()
	return errQuit
}

func (p *Popup) cmdNoop(string) error {
	p.okay()
	return nil
}

// cmdCapa lists what this session offers (RFC 2449), TOP and UIDL
// included because qmail-pop3d answers them after the login. USER is
// left out while STLS is required and TLS is not on: RFC 2449 6.7 makes
// USER the capability of the USER and PASS commands, and a client does
// not send them to a server that does not list it.
func (p *Popup) cmdCapa(string) error {
	p.reply("+OK capability list follows")
	caps := []string{"TOP", "UIDL", "USER", "PIPELINING"}
	if p.cfg.TLSMode == TLSRequire && !p.tlsActive {
		caps = []string{"TOP", "UIDL", "PIPELINING"}
	}
	if p.tlsOffered() {
		caps = append(caps, "STLS")
	}
	caps = append(caps, "IMPLEMENTATION quail")
	for _, c := range caps {
		p.reply(c)
	}
	p.reply(".")
	return nil
}

func (p *Popup) cmdStls(arg string) error {
	if p.tlsActive {
		p.reply("-ERR TLS already active")
		return nil
	}
	if !p.tlsOffered() {
		p.reply("-ERR authorization first")
		return nil
	}
	p.reply("+OK begin TLS negotiation")
	if err := p.out.Flush(); err != nil {
		return err
	}
	// Input is read a byte at a time, so nothing the client pipelined
	// after STLS has been taken: it stays on the connection, where the
	// TLS server reads it as handshake bytes and fails, rather than it
	// being run as a command inside TLS (CVE-2011-0411). Drop anything
	// buffered all the same.
	p.in.Discard(p.in.Buffered())
	env, r, w, err := p.cfg.TLS.StartTLS()
	if err != nil {
		return err
	}
	p.tlsActive = true
	p.env = append(append([]string{}, p.env...), env...)
	p.in = bufio.NewReaderSize(byteReader{r}, 16)
	p.out = bufio.NewWriterSize(w, 1024)
	p.conn, p.rawW = r, w
	// RFC 2595: the client starts over, as if it had just connected.
	p.user, p.seenUser = "", false
	return nil
}
