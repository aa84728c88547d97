package multilog

import (
	"bytes"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/tai64"
)

// Exit codes of multilog (as 0.76, plus 100 for a script it cannot read).
const (
	ExitOK        = cli.ExitOK        // end of input, or SIGTERM at a line boundary
	ExitUsage     = cli.ExitPermanent // the script is not valid
	ExitTemporary = cli.ExitTemporary // a log directory or status file could not be set up
)

const (
	maxLine  = 1000     // bytes of a line that are matched, stamped into =file and kept whole
	readSize = 64 << 10 // one read of standard input
	stampLen = 26       // "@" + 24 hex digits + " "
	alertMax = 200      // bytes of a line that e prints
)

// newlines pads the line buffer back after each line.
var newlines = bytes.Repeat([]byte{'\n'}, statusLen)

// Main runs multilog with the script in inv.Args[1:], reading inv.Stdin
// until end of input or SIGTERM, and returns the exit code.
func Main(inv *cli.Invocation) int {
	s, warnings, err := ParseScript(inv.Args[1:])
	if err != nil {
		inv.Warn("%v", err)
		return inv.Usage("script")
	}
	for _, w := range warnings {
		inv.Warn("%s", w)
	}
	// 0.76 sets this umask; the modes of state, processed and the
	// directory follow from it.
	unix.Umask(022)
	m, err := newMachine(s, inv)
	if m != nil {
		defer m.stop()
	}
	if err != nil {
		return inv.Fatal(ExitTemporary, "%v", err)
	}
	for m.handleLine() {
	}
	m.quit()
	return ExitOK
}

// machine is one run of multilog: the input, its position in 0.76's
// input blocks, the line being handled, and the outputs.
type machine struct {
	script *Script
	dirs   []*logDir
	status []*statusFile
	stderr io.Writer

	line     [statusLen]byte // the line, padded with newlines as =file writes it
	alertBuf []byte

	in                 int
	buf                []byte
	pos, blockEnd, end int
	lastNL             bool // the last read ended with a newline

	pollfds    [2]unix.PollFd
	sigc       chan os.Signal
	caught     chan struct{}
	sigr, sigw int
	term, alrm atomic.Bool
}

func newMachine(s *Script, inv *cli.Invocation) (*machine, error) {
	m := &machine{script: s, stderr: inv.Stderr, in: -1, lastNL: true, sigr: -1, sigw: -1}
	copy(m.line[:], newlines)

	// Signals are caught from the start, as 0.76 blocks them, and wake
	// the poll in refill through a pipe; they are acted on only where
	// 0.76 acts on them, between reads.
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, djberr.Wrap("unable to create pipe", err)
	}
	m.sigr, m.sigw = p[0], p[1]
	m.sigc = make(chan os.Signal, 4)
	m.caught = make(chan struct{})
	signal.Notify(m.sigc, syscall.SIGTERM, syscall.SIGALRM)
	go m.catch()

	warn := inv.Warn
	for _, c := range s.Status {
		f, err := openStatus(c, warn)
		if err != nil {
			m.closeAll()
			return m, err
		}
		m.status = append(m.status, f)
	}
	for _, c := range s.Dirs {
		d, err := openLogDir(c, inv.Env, inv.Stderr, warn)
		if err != nil {
			m.closeAll()
			return m, err
		}
		d.out = make([]byte, 0, writeChunk+2*maxLine+dtBufSize)
		m.dirs = append(m.dirs, d)
	}
	if inv.Stdin != nil {
		m.in = int(inv.Stdin.Fd())
	}
	m.buf = make([]byte, readSize)
	m.alertBuf = make([]byte, 0, alertMax+4)

	return m, nil
}

func (m *machine) catch() {
	defer close(m.caught)
	for sig := range m.sigc {
		if sig == syscall.SIGTERM {
			m.term.Store(true)
		} else {
			m.alrm.Store(true)
		}
		unix.Write(m.sigw, []byte{0})
	}
}

func (m *machine) stop() {
	signal.Stop(m.sigc)
	close(m.sigc)
	<-m.caught // no write to sigw after it is closed
	unix.Close(m.sigr)
	unix.Close(m.sigw)
}

func (m *machine) closeAll() {
	for _, f := range m.status {
		f.close()
	}
	for _, d := range m.dirs {
		d.closeFds()
	}
}

// handleLine reads one line as 0.76 does (stamped when its first byte is
// there, at most 1000 bytes kept whole, a newline added at the end of
// input), runs the script over it and logs it. It reports false once the
// input is over.
func (m *machine) handleLine() bool {
	if !m.fill() {
		return false
	}
	n := 0
	if m.script.Timestamp {
		tai64.Now().AppendText(m.line[:0])
		m.line[stampLen-1] = ' '
		n = stampLen
	}
	more, long := true, false
	for {
		blk := m.buf[m.pos:m.blockEnd]
		if room := maxLine - n; len(blk) > room {
			blk = blk[:room]
		}
		if i := bytes.IndexByte(blk, '\n'); i >= 0 {
			n += copy(m.line[n:], blk[:i])
			m.pos += i + 1
			break
		}
		n += copy(m.line[n:], blk)
		m.pos += len(blk)
		if n == maxLine {
			long = true
			break
		}
		if !m.fill() {
			more = false
			break
		}
	}
	line := m.line[:n]
	m.act(line)
	for _, d := range m.dirs {
		if d.selected {
			d.put(line)
		}
	}
	if long {
		more = m.tail()
	}
	for _, d := range m.dirs {
		if d.selected {
			d.putNewline()
		}
	}
	copy(line, newlines)
	return more
}

// tail copies the rest of a long line to the selected directories; it is
// neither matched nor shown by e or =file.
func (m *machine) tail() bool {
	for {
		if !m.fill() {
			return false
		}
		blk := m.buf[m.pos:m.blockEnd]
		i := bytes.IndexByte(blk, '\n')
		seg := blk
		if i >= 0 {
			seg = blk[:i]
		}
		for _, d := range m.dirs {
			if d.selected {
				d.putBytes(seg)
			}
		}
		if i >= 0 {
			m.pos += i + 1
			return true
		}
		m.pos += len(blk)
	}
}

// act runs the script's actions, left to right, over line.
func (m *machine) act(line []byte) {
	sel := true
	for i := range m.script.actions {
		a := &m.script.actions[i]
		switch a.kind {
		case actSelect:
			if !sel && Match(a.pattern, line) {
				sel = true
			}
		case actDeselect:
			if sel && Match(a.pattern, line) {
				sel = false
			}
		case actAlert:
			if sel {
				m.alert(line)
			}
		case actStatus:
			if sel {
				m.status[a.index].write(m.line[:])
			}
		case actDir:
			m.dirs[a.index].selected = sel
		}
	}
}

func (m *machine) alert(line []byte) {
	b := m.alertBuf[:0]
	if len(line) > alertMax {
		b = append(b, line[:alertMax]...)
		b = append(b, "...\n"...)
	} else {
		b = append(b, line...)
		b = append(b, '\n')
	}
	m.stderr.Write(b)
}

// fill makes sure an input byte is at m.pos. Crossing one of 0.76's
// 1024-byte input blocks flushes the directories' small buffers as 0.76
// does before each read; it reports false at the end of input.
func (m *machine) fill() bool {
	if m.pos < m.blockEnd {
		return true
	}
	if m.pos < m.end {
		for _, d := range m.dirs {
			d.flush()
		}
		m.blockEnd = min(m.pos+dtInSize, m.end)
		return true
	}
	return m.refill()
}

// refill is 0.76's flushread: everything logged so far goes to disk, a
// pending SIGALRM or an old enough current rotates, and after SIGTERM the
// input ends at the next newline, read a byte at a time so that nothing
// after it is taken from standard input.
func (m *machine) refill() bool {
	for _, d := range m.dirs {
		d.flush()
		d.drain()
	}
	for {
		m.rotateDue()
		want := len(m.buf)
		if m.term.Load() {
			if m.lastNL {
				return false
			}
			want = 1
		}
		if m.in < 0 {
			return false
		}
		if !m.wait() {
			continue
		}
		n, err := unix.Read(m.in, m.buf[:want])
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if n <= 0 {
			// 0.76 takes a read error for the end of input too.
			return false
		}
		m.pos, m.end = 0, n
		m.blockEnd = min(n, dtInSize)
		m.lastNL = m.buf[n-1] == '\n'
		return true
	}
}

// rotateDue rotates every directory after SIGALRM, and those whose
// current has reached its age limit.
func (m *machine) rotateDue() {
	var b [16]byte
	for {
		if n, _ := unix.Read(m.sigr, b[:]); n <= 0 {
			break
		}
	}
	all := m.alrm.Swap(false)
	now := time.Now()
	for _, d := range m.dirs {
		if all || (d.cfg.MaxAge > 0 && !d.since.IsZero() && now.Sub(d.since) >= d.cfg.MaxAge) {
			d.forceRotate()
		}
	}
}

// wait blocks until standard input is readable, a signal came, or a
// current reaches its age limit; it reports whether input is readable.
func (m *machine) wait() bool {
	timeout := -1
	now := time.Now()
	for _, d := range m.dirs {
		if d.cfg.MaxAge > 0 && !d.since.IsZero() {
			left := d.since.Add(d.cfg.MaxAge).Sub(now)
			ms := int((left + time.Millisecond - 1) / time.Millisecond)
			if ms < 0 {
				ms = 0
			}
			if timeout < 0 || ms < timeout {
				timeout = ms
			}
		}
	}
	fds := m.pollfds[:]
	fds[0] = unix.PollFd{Fd: int32(m.in), Events: unix.POLLIN}
	fds[1] = unix.PollFd{Fd: int32(m.sigr), Events: unix.POLLIN}
	n, err := unix.Poll(fds, timeout)
	if err != nil || n == 0 {
		return false
	}
	return fds[0].Revents != 0
}

// quit ends the run: every directory flushed, synced and marked clean.
func (m *machine) quit() {
	for _, d := range m.dirs {
		d.close()
	}
	for _, f := range m.status {
		f.close()
	}
}
