package usertools

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/pathexec"
	"github.com/quail-mta/quail/mta/internal/tempfail"
)

// QsmhookArgs expands qsmhook's sendmail-style escapes in one argument:
// %g is the envelope sender, %h the recipient's host, %u the recipient's
// local part, %% a percent sign; any other escape, and a percent sign that
// ends the argument, vanish (qsmhook.c).
func QsmhookArgs(arg, sender, host, recip string) string {
	var b strings.Builder
	esc := false
	for i := 0; i < len(arg); i++ {
		c := arg[i]
		if !esc {
			if c == '%' {
				esc = true
			} else {
				b.WriteByte(c)
			}
			continue
		}
		esc = false
		switch c {
		case '%':
			b.WriteByte('%')
		case 'g':
			b.WriteString(sender)
		case 'h':
			b.WriteString(host)
		case 'u':
			b.WriteString(recip)
		}
	}
	return b.String()
}

// Qsmhook is qmail 1.03's qsmhook, undocumented there: it runs a delivery
// program written for sendmail's mailer interface from a .qmail file,
//
//	|qsmhook [ -lnP ] [ -x prefix ] program [ arg ... ]
//
// with %g, %h and %u in the arguments replaced by SENDER, HOST and LOCAL
// (QsmhookArgs), and the message on the program's standard input after
// UFLINE (unless -n), RPLINE (with -P) and DTLINE (with -l). -x drops
// prefix from the front of LOCAL, in any case, when it is there; -D, -F,
// -M, -m and -s are sendmail's and ignored. It exits with the program's
// exit code: 100 for a usage error (or one of DTLINE, RPLINE, UFLINE,
// LOCAL, HOST, SENDER unset) and for a program that cannot be found, 111
// for a temporary failure, a crash or a message that cannot be read.
func Qsmhook(inv *cli.Invocation) int {
	var vars [6]string
	for i, k := range []string{"DTLINE", "RPLINE", "UFLINE", "LOCAL", "HOST", "SENDER"} {
		v, ok := inv.Getenv(k)
		if !ok {
			return inv.Fatal(cli.ExitPermanent, "incorrect usage")
		}
		vars[i] = v
	}
	dtline, rpline, ufline, recip, host, sender := vars[0], vars[1], vars[2], vars[3], vars[4], vars[5]
	useUF, useRP, useDT := true, false, false
	p := getopt.New(inv.Args, "DFlMmnPsx:")
	for {
		c, arg, ok, err := p.Next()
		if err != nil {
			return cli.ExitPermanent
		}
		if !ok {
			break
		}
		switch c {
		case 'l':
			useDT = true
		case 'n':
			useUF = false
		case 'P':
			useRP = true
		case 'x':
			if len(recip) >= len(arg) && strings.EqualFold(recip[:len(arg)], arg) {
				recip = recip[len(arg):]
			}
		}
	}
	argv := p.Rest()
	if len(argv) == 0 {
		return inv.Fatal(cli.ExitPermanent, "incorrect usage")
	}
	for i, a := range argv {
		argv[i] = QsmhookArgs(a, sender, host, recip)
	}
	cannotRun := func(err error) int {
		if tempfail.Temporary(err) {
			return inv.Fatal(cli.ExitTemporary, "temporary problem: %v", err)
		}
		return inv.Fatal(cli.ExitPermanent, "command not found: %v", err)
	}
	path, err := pathexec.Lookup(argv[0], inv.Env)
	if err != nil {
		return cannotRun(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "temporary problem: %v", err)
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Env = inv.Env
	cmd.Stdin = pr
	cmd.Stdout = inv.Stdout
	cmd.Stderr = inv.Stderr
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return cannotRun(err)
	}
	pr.Close()
	bw := bufio.NewWriterSize(pw, 64<<10)
	if useUF {
		bw.WriteString(ufline)
	}
	if useRP {
		bw.WriteString(rpline)
	}
	if useDT {
		bw.WriteString(dtline)
	}
	// Only a failure to read the message counts: a program that stops
	// reading early (a broken pipe) is judged by its exit code.
	in := &readErr{r: inv.Stdin}
	io.Copy(bw, in)
	bw.Flush()
	pw.Close()
	code, crashed := waitCode(cmd.Wait())
	if in.err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read message: %v", in.err)
	}
	if crashed {
		return inv.Fatal(cli.ExitTemporary, "temporary problem: child crashed")
	}
	return code
}

// readErr keeps the read error of a copy apart from its write errors.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}
