// Package control reads qmail's control files (qmail-control(5)) from the
// control directory of a qmail home, with qmail's rules:
//
//   - a missing file means "use the default"; any other read error is a
//     temporary failure the caller reports with exit 111;
//   - a one-line setting is the file's first line with trailing blanks
//     (spaces, tabs, CR) removed;
//   - a list is every line with trailing blanks removed, skipping empty
//     lines and lines starting with '#';
//   - a number must be the whole line, decimal.
//
// Each program reads its settings at start (and qmail-send again on
// SIGHUP); nothing is cached here.
package control

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/quail-mta/quail/internal/rawsys"
)

// MaxFileSize bounds what is read of one control file; a larger file is
// an administrator's mistake, reported rather than swallowed.
const MaxFileSize = 64 << 20

// Dir is a qmail control directory.
type Dir struct {
	Path string // e.g. /var/qmail/control
}

// Open returns the control directory of the qmail home.
func Open(qmailhome string) Dir {
	return Dir{Path: filepath.Join(qmailhome, "control")}
}

// ErrMissing is returned by Required for a control file that does not
// exist.
var ErrMissing = errors.New("file does not exist")

func (d Dir) read(name string) ([]byte, bool, error) {
	p := filepath.Join(d.Path, name)
	// rawsys: a bare descriptor, which os.Open would first try to add to
	// the runtime's poller; qmail-smtpd reads a dozen files per session.
	b, err := rawsys.ReadFile(p, MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Op == "read" {
		return nil, false, fmt.Errorf("unable to read %s: %w", p, pe.Err)
	}
	if err != nil {
		return nil, false, err
	}
	if len(b) > MaxFileSize {
		return nil, false, fmt.Errorf("unable to read %s: file too large", p)
	}
	return b, true, nil
}

// Line returns the first line of the named file, or def when the file does
// not exist. present says whether the file existed.
func (d Dir) Line(name, def string) (value string, present bool, err error) {
	b, ok, err := d.read(name)
	if err != nil || !ok {
		return def, false, err
	}
	return FirstLine(b), true, nil
}

// Required returns the first line of a file that must exist (control/me);
// a missing file gives an error wrapping ErrMissing.
func (d Dir) Required(name string) (string, error) {
	v, ok, err := d.Line(name, "")
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("unable to read %s: %w", filepath.Join(d.Path, name), ErrMissing)
	}
	return v, nil
}

// Lines returns the list in the named file; nil when it does not exist.
func (d Dir) Lines(name string) ([]string, error) {
	lines, _, err := d.List(name)
	return lines, err
}

// List is Lines that also says whether the file exists, for a list whose
// absence means something else than an empty one (control/rcpthosts).
func (d Dir) List(name string) (lines []string, present bool, err error) {
	b, ok, err := d.read(name)
	if err != nil || !ok {
		return nil, false, err
	}
	return ListLines(b), true, nil
}

// Int returns the number in the named file, or def when it does not exist.
func (d Dir) Int(name string, def int) (int, error) {
	b, ok, err := d.read(name)
	if err != nil || !ok {
		return def, err
	}
	n, err := ParseInt(FirstLine(b))
	if err != nil {
		return def, fmt.Errorf("unable to parse %s: %w", filepath.Join(d.Path, name), err)
	}
	return n, nil
}

// FirstLine returns the first line of b without its trailing blanks.
func FirstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return string(trimTrailing(b))
}

// ListLines returns every meaningful line of b.
func ListLines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), MaxFileSize)
	for sc.Scan() {
		line := trimTrailing(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		out = append(out, string(line))
	}
	return out
}

// ParseInt reads a control file number: optional leading blanks, decimal
// digits, nothing after them.
func ParseInt(s string) (int, error) {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return 0, errors.New("empty number")
	}
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return int(n), nil
}

func trimTrailing(b []byte) []byte {
	for len(b) > 0 {
		switch b[len(b)-1] {
		case ' ', '\t', '\r':
			b = b[:len(b)-1]
			continue
		}
		break
	}
	return b
}
