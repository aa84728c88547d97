// Package local is qmail-local(8): it delivers one message to one local
// address by following the user's .qmail file (dot-qmail(5)), or the
// default delivery when there is none.
//
// Command line, as qmail-lspawn(8) runs it with the message on fd 0:
//
//	qmail-local [ -nN ] user homedir local dash ext domain sender defaultdelivery
//
// Report, read by qmail-lspawn: on success "did F+W+P" (files, forwards,
// programs) and, when something was forwarded, "qp PID" of the
// qmail-queue that took it, on stdout; on failure one line ending in an
// enhanced status code such as "(#4.2.1)" on stderr (a failing delivery
// program speaks for itself: its own output is the report).
//
// Exit codes: 0 delivered; 100 permanent failure (the message bounces);
// 111 temporary failure (qmail-send tries again later).
package local

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/qmailhome"
)

// Exit codes of qmail-local.
const (
	ExitOK        = 0
	ExitPermanent = 100
	ExitTemporary = 111
)

const synopsis = "[ -nN ] user homedir local dash ext domain sender aliasempty"

// failure is how a delivery ends badly: the exit code and the one-line
// report (empty when a delivery program already explained itself).
type failure struct {
	code int
	msg  string
}

func tempf(format string, a ...any) *failure {
	return &failure{ExitTemporary, fmt.Sprintf(format, a...)}
}

func permf(format string, a ...any) *failure {
	return &failure{ExitPermanent, fmt.Sprintf(format, a...)}
}

// Main is qmail-local.
func Main(inv *cli.Invocation) int {
	var out io.Writer = io.Discard
	if inv.Stdout != nil {
		out = inv.Stdout
	}
	return Run(inv, out)
}

// Run is qmail-local reporting on out instead of inv.Stdout: what
// qmail-lspawn calls when it delivers in its own process.
func Run(inv *cli.Invocation, out io.Writer) int {
	doit := true
	p := getopt.New(inv.Args, "nN")
	for {
		c, _, ok, err := p.Next()
		if err != nil {
			return inv.Usage(synopsis)
		}
		if !ok {
			break
		}
		doit = c == 'N'
	}
	args := p.Rest()
	if len(args) != 8 || !strings.HasPrefix(args[1], "/") {
		return inv.Usage(synopsis)
	}
	d := &Delivery{
		User: args[0], Home: args[1], Local: args[2], Dash: args[3], Ext: args[4],
		Host: args[5], Sender: args[6], DefaultDelivery: args[7],
		DoIt:      doit,
		QmailHome: qmailhome.Dir(inv.Getenv),
		Env:       inv.Env,
		Stdout:    out,
		Stderr:    inv.Stderr,
		Now:       time.Now(),
	}
	msg, cleanup, err := seekable(inv.Stdin)
	if err != nil {
		fmt.Fprintf(inv.Stderr, "Unable to read message: %s. (#4.3.0)\n", djberr.QmailText(err))
		return ExitTemporary
	}
	defer cleanup()
	d.Msg = msg
	if f := d.Run(); f != nil {
		if f.msg != "" {
			fmt.Fprintln(inv.Stderr, f.msg)
		}
		return f.code
	}
	return ExitOK
}

// seekable returns f if it can be rewound, as qmail-lspawn's queue file
// can; otherwise (a pipe, when qmail-local is run by hand) a copy in an
// unlinked temporary file.
func seekable(f *os.File) (*os.File, func(), error) {
	if f == nil {
		return nil, nil, fmt.Errorf("no standard input")
	}
	if _, err := f.Seek(0, io.SeekCurrent); err == nil {
		return f, func() {}, nil
	}
	t, err := os.CreateTemp("", "qmail-local")
	if err != nil {
		return nil, nil, err
	}
	os.Remove(t.Name())
	if _, err := io.Copy(t, f); err != nil {
		t.Close()
		return nil, nil, err
	}
	return t, func() { t.Close() }, nil
}
