package qmtpd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/quail-mta/quail/internal/cdbmake"
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
)

// NewmrhMain is qmail-newmrh (qmail-newmrh(8)): it turns
// control/morercpthosts, one domain a line, into control/morercpthosts.cdb,
// which qmail-smtpd and qmail-qmtpd consult after control/rcpthosts. Each
// line is lowercased and loses trailing spaces and tabs; empty lines and
// lines starting with '#' are skipped. Keys have empty values. The table
// is written to control/morercpthosts.tmp, fsync'd and renamed, so readers
// see the old table or the new one.
//
// Exit status: 0 when the new table is in place, 111 on any error.
func NewmrhMain(inv *cli.Invocation) int {
	syscall.Umask(0o033) // qmail-newmrh's: the servers' user must read the table
	home := qmailhome.Dir(inv.Getenv)
	if st, err := os.Stat(home); err != nil || !st.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return inv.Fatal(cli.ExitTemporary, "unable to chdir to %s: %v", home, err)
	}
	ctl := filepath.Join(home, "control")
	src, err := os.Open(filepath.Join(ctl, "morercpthosts"))
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read control/morercpthosts: %v", err)
	}
	defer src.Close()
	err = cdbmake.WriteFileVia(filepath.Join(ctl, "morercpthosts.cdb"), filepath.Join(ctl, "morercpthosts.tmp"),
		func(add func(k, v []byte) error) error {
			return MoreRcpthosts(src, func(domain []byte) error { return add(domain, nil) })
		})
	var re *ReadError
	switch {
	case errors.As(err, &re):
		return inv.Fatal(cli.ExitTemporary, "unable to read control/morercpthosts: %v", re.Err)
	case err != nil:
		return inv.Fatal(cli.ExitTemporary, "unable to write to control/morercpthosts.tmp: %v", err)
	}
	return 0
}

// ReadError is a failure to read the source file, told apart from a
// failure to write the table.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }

// MoreRcpthosts reads morercpthosts lines as qmail-newmrh does and hands
// each domain to add. A read error is a *ReadError; add's errors are
// passed through.
func MoreRcpthosts(r io.Reader, add func(domain []byte) error) error {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return &ReadError{err}
		}
		line = bytes.ToLower(bytes.TrimRight(line, " \t\n"))
		if len(line) > 0 && line[0] != '#' {
			if aerr := add(line); aerr != nil {
				return aerr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}
