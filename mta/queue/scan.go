package queue

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// Scanner is QHPSI, the qmail high-performance scanner interface of
// Spamcontrol: once the message is safely in the queue file, and before
// the envelope makes it deliverable, a virus scanner runs on the file.
// A hit removes the message and refuses it permanently; anything else
// (clean, or the scanner failing) lets it through, so that a scanner that
// is down never makes the queue lose or refuse mail.
type Scanner struct {
	Argv    []string // the scanner and its arguments; the file name follows
	HitCode int      // the exit code that means "infected" (clamscan, clamdscan: 1)
	MaxSize int64    // larger messages are not scanned; 0: no limit
	MinSize int64    // smaller messages are not scanned; 0: no limit
}

// ScannerFromEnv reads Spamcontrol's variables: QHPSI names the scanner
// (words after the first are arguments), QHPSIARG1 ... QHPSIARG9 add
// arguments, QHPSIRC is the hit code (default 1), QHPSIMAXSIZE the
// largest message scanned in bytes, QHPSIMINSIZE the smallest (as
// Spamcontrol's qmail-queue, which compares both with the queue file's
// size). It returns nil when QHPSI is unset
// or empty.
func ScannerFromEnv(lookup func(string) (string, bool)) *Scanner {
	v, ok := lookup("QHPSI")
	if !ok || strings.TrimSpace(v) == "" {
		return nil
	}
	s := &Scanner{Argv: strings.Fields(v), HitCode: 1}
	for i := 1; i <= 9; i++ {
		if a, ok := lookup("QHPSIARG" + strconv.Itoa(i)); ok && a != "" {
			s.Argv = append(s.Argv, a)
		}
	}
	if rc, ok := lookup("QHPSIRC"); ok {
		if n, err := strconv.Atoi(rc); err == nil && n > 0 && n < 256 {
			s.HitCode = n
		}
	}
	for _, v := range []struct {
		name string
		dst  *int64
	}{{"QHPSIMAXSIZE", &s.MaxSize}, {"QHPSIMINSIZE", &s.MinSize}} {
		if m, ok := lookup(v.name); ok {
			if n, err := strconv.ParseInt(m, 10, 64); err == nil && n > 0 {
				*v.dst = n
			}
		}
	}
	return s
}

// ErrInfected is the error of a message the scanner refused.
var ErrInfected = errors.New("virus found by the content scanner")

// scan runs the scanner on the queue file of the message.
func (s *Scanner) scan(path string, size int64) error {
	if s == nil || len(s.Argv) == 0 || (s.MaxSize > 0 && size > s.MaxSize) || size < s.MinSize {
		return nil
	}
	cmd := exec.Command(s.Argv[0], append(s.Argv[1:], path)...)
	// The scanner talks to nobody: its output would reach whoever runs
	// qmail-queue, which expects none.
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Exited() && ws.ExitStatus() == s.HitCode {
			return ErrInfected
		}
	}
	return nil
}

// fd6 is descriptor 6, where qmail-queue writes a custom error text
// (exit 82) when the caller gave one, as qmail-smtpd does; nil when it
// is not open.
func fd6() *os.File {
	var st syscall.Stat_t
	if syscall.Fstat(6, &st) != nil {
		return nil
	}
	return os.NewFile(6, "fd6")
}
