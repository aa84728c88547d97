// Package badtypes is qmail-badmimetypes and qmail-badloadertypes, the
// programs of Spamcontrol and s/qmail that compile the text tables of
// qmail-smtpd's Warlord check (control/badmimetypes, control/badloadertypes)
// into the constant databases qmail-smtpd reads (badmimetypes.cdb,
// badloadertypes.cdb); see their man pages in s/qmail
// (qmail-badmimetypes(8), qmail-badloadertypes(8)) and Spamcontrol's.
//
// A line starting with '#' is a comment; of every other line the first
// significant characters are a key with an empty value: 9 for the types
// (the base64 text of a file's first bytes), 5 for the loaders. Shorter
// lines are skipped.
package badtypes

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/quail-mta/quail/internal/cdbmake"
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
)

// Table is one of the two tables.
type Table struct {
	Name string // control file, "badmimetypes"
	Len  int    // significant characters of a key
}

// The tables, with the key lengths of Spamcontrol's qmail-smtpd
// (MIMETYPE_LEN 9, LOADER_LEN 5).
var (
	MimeTypes   = Table{"badmimetypes", 9}
	LoaderTypes = Table{"badloadertypes", 5}
)

// ReadError is a failure to read the text, told apart from one to write
// the table.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }

// Keys reads the text and hands each key to add, in the order of the
// lines.
func (t Table) Keys(r io.Reader, add func(key []byte) error) error {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return &ReadError{err}
		}
		if len(line) >= t.Len && line[0] != '#' && !isEnd(line[:t.Len]) {
			if aerr := add(line[:t.Len]); aerr != nil {
				return aerr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// isEnd reports a key that runs into the line's end: the line was
// shorter than the key.
func isEnd(key []byte) bool {
	for _, c := range key {
		if c == '\n' {
			return true
		}
	}
	return false
}

// Main is the program for table t: it reads control/NAME of the qmail
// home and writes control/NAME.cdb through control/NAME.tmp, fsync'd and
// renamed, so qmail-smtpd sees the old table or the new one.
//
// Arguments are ignored, as by the originals. Exit status: 0 when the
// new table is in place, 111 on any error, as the originals.
func (t Table) Main(inv *cli.Invocation) int {
	syscall.Umask(0o033) // the originals': qmail-smtpd's user must read the table
	home := qmailhome.Dir(inv.Getenv)
	if st, err := os.Stat(home); err != nil || !st.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return inv.Fatal(cli.ExitTemporary, "unable to chdir to %s: %v", home, err)
	}
	ctl := filepath.Join(home, "control")
	src, err := os.Open(filepath.Join(ctl, t.Name))
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read control/%s: %v", t.Name, cause(err))
	}
	defer src.Close()
	err = cdbmake.WriteFileVia(filepath.Join(ctl, t.Name+".cdb"), filepath.Join(ctl, t.Name+".tmp"),
		func(add func(k, v []byte) error) error {
			return t.Keys(src, func(key []byte) error { return add(key, nil) })
		})
	var re *ReadError
	switch {
	case errors.As(err, &re):
		return inv.Fatal(cli.ExitTemporary, "unable to read control/%s: %v", t.Name, cause(re.Err))
	case err != nil:
		return inv.Fatal(cli.ExitTemporary, "unable to write to control/%s.tmp: %v", t.Name, cause(err))
	}
	return 0
}

// cause is the system's reason without the path the message names
// already.
func cause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
