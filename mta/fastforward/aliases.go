package fastforward

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/quail-mta/quail/internal/cdbmake"
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/token822"
)

// MaxAddress is the longest recipient address the formats allow.
const MaxAddress = 800

// Entries splits an aliases text into its instructions as newaliases
// reads /etc/aliases: a line that starts with a space or a tab, or is
// empty, continues the one before; an instruction (or comment) starting
// with # is dropped. Each instruction keeps its newlines, as the
// original quotes it in a parse error. A last line without its newline
// is not read, as in the original.
func Entries(r io.Reader, each func(entry []byte) error) error {
	br := bufio.NewReaderSize(r, 1024)
	var line []byte
	for {
		next, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return &ReadError{err}
		}
		match := err == nil
		if match && next[0] == '\n' {
			continue
		}
		if match && (next[0] == ' ' || next[0] == '\t') {
			line = append(line, next...)
			continue
		}
		if len(line) > 0 && line[0] != '#' {
			if err := each(line); err != nil {
				return err
			}
		}
		if !match {
			return nil
		}
		line = append(line[:0:0], next...)
	}
}

// ReadError is a failure to read the input, as opposed to one to
// write the output.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// Alias is one compiled instruction of /etc/aliases.
type Alias struct {
	Target   string // as written, with an @ added when it had none
	Full     string // Target completed as a recipient address
	Commands []byte // NUL-ended commands, rightmost first as newaliases writes them
}

// ParseAlias compiles one instruction as newaliases does. A nil Alias
// with no error is an instruction with nothing in it.
func ParseAlias(entry []byte, d Defaults) (*Alias, error) {
	parseErr := fail(111, "unable to parse this line: %s", entry)
	toks, ok := token822.Parse(entry)
	if !ok {
		return nil, parseErr
	}
	var a Alias
	err := token822.List(toks, true, func(it token822.Item) error {
		text := it.Text()
		if it.Include {
			if len(text) == 0 {
				return fail(111, "empty :include: filenames not permitted")
			}
			if bytes.IndexByte(text, 0) >= 0 {
				return fail(111, "NUL not permitted in :include: filenames")
			}
			if text[0] != '.' && text[0] != '/' {
				a.Commands = append(a.Commands, "./"...)
			}
			a.Commands = append(a.Commands, text...)
			a.Commands = append(a.Commands, ".bin\x00"...)
			return nil
		}
		if len(text) == 0 {
			return fail(111, "empty recipient addresses not permitted")
		}
		hasAt := it.HasAt()
		if !hasAt && text[0] == '/' {
			return fail(111, "file delivery %s not supported", text)
		}
		if !hasAt && text[0] == '|' {
			if bytes.IndexByte(text, 0) >= 0 {
				return fail(111, "NUL not permitted in program names")
			}
			a.Commands = append(a.Commands, '!')
			a.Commands = append(a.Commands, text[1:]...)
			a.Commands = append(a.Commands, 0)
			return nil
		}
		// The address before this one (to its right) was a recipient,
		// not the target: it goes into the commands.
		if a.Target != "" {
			a.Commands = append(a.Commands, '&')
			a.Commands = append(a.Commands, a.Full...)
			a.Commands = append(a.Commands, 0)
		}
		a.Target = string(text)
		if !hasAt {
			a.Target += "@"
		}
		a.Full = a.Target
		if strings.HasSuffix(a.Full, "@") {
			a.Full += d.Host
		}
		a.Full = d.Complete(a.Full)
		if len(a.Full) > MaxAddress {
			return fail(100, "addresses over 800 bytes are not permitted")
		}
		if strings.IndexByte(a.Full, 0) >= 0 {
			return fail(111, "NUL not permitted in recipient addresses")
		}
		return nil
	})
	if errors.Is(err, token822.ErrParse) {
		return nil, parseErr
	}
	if err != nil {
		return nil, err
	}
	if len(a.Commands) == 0 {
		if a.Target != "" {
			return nil, parseErr
		}
		return nil, nil
	}
	if a.Target == "" {
		return nil, parseErr
	}
	return &a, nil
}

// Records adds the alias's records to a forwarding database: the owner
// of list, for a target owner-list, then the target's commands.
func (a *Alias) Records(add func(key, value []byte) error) error {
	if owner, ok := strings.CutPrefix(a.Target, "owner-"); ok {
		if err := add(lower("?"+owner), []byte(a.Full)); err != nil {
			return err
		}
	}
	return add(lower(":"+a.Target), a.Commands)
}

func lower(s string) []byte {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return b
}

// CompileAliases reads an aliases text and adds its records.
func CompileAliases(r io.Reader, d Defaults, add func(key, value []byte) error) error {
	return Entries(r, func(entry []byte) error {
		a, err := ParseAlias(entry, d)
		if err != nil || a == nil {
			return err
		}
		return a.Records(add)
	})
}

// writeCDB builds cdb through tmp as setforward and newaliases do:
// created (truncated), filled, fsync'd, closed and renamed. A fill error
// that is not a *Failure is a write error.
func writeCDB(path, tmp string, fill func(add func(key, value []byte) error) error) error {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fail(111, "unable to create %s: %s", tmp, djberr.Text(err))
	}
	w := cdbmake.New(f)
	err = fill(w.Add)
	var ff *Failure
	if errors.As(err, &ff) {
		f.Close()
		return ff
	}
	if err == nil {
		err = w.Finish()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(111, "unable to write to %s: %s", tmp, djberr.Text(err))
	}
	return rename(tmp, path)
}

func rename(tmp, path string) error {
	// syscall's rename, not os.Rename, which turns rename(2)'s EISDIR
	// into EEXIST.
	if err := syscall.Rename(tmp, path); err != nil {
		return fail(111, "unable to move %s to %s: %s", tmp, path, djberr.Text(err))
	}
	// Past the original: the rename itself is made to last.
	durable.SyncDir(filepath.Dir(path))
	return nil
}

// report prints a program's failure and returns its exit code.
func report(inv *cli.Invocation, err error) int {
	if err == nil {
		return 0
	}
	var ff *Failure
	if !errors.As(err, &ff) {
		ff = fail(111, "%s", err.Error())
	}
	io.WriteString(inv.Stderr, inv.Name+": fatal: "+ff.Text+"\n")
	return ff.Code
}

// NewAliases is newaliases(1): etc/aliases to etc/aliases.cdb through
// etc/aliases.tmp (etc is /etc but in tests), with the controls of the
// qmail home. The database is always world-readable.
func NewAliases(inv *cli.Invocation, etc string) int {
	syscall.Umask(0o33)
	return report(inv, newAliases(qmailhome.Dir(inv.Getenv), etc))
}

func newAliases(home, etc string) error {
	d, err := ReadDefaults(home)
	if err != nil {
		return err
	}
	src := filepath.Join(etc, "aliases")
	f, err := os.Open(src)
	if err != nil {
		return fail(111, "unable to read %s: %s", src, djberr.Text(err))
	}
	defer f.Close()
	tmp := filepath.Join(etc, "aliases.tmp")
	return writeCDB(filepath.Join(etc, "aliases.cdb"), tmp, func(add func(k, v []byte) error) error {
		err := CompileAliases(f, d, add)
		var re *ReadError
		if errors.As(err, &re) {
			return fail(111, "unable to read %s: %s", src, djberr.Text(re.Err))
		}
		return err
	})
}
