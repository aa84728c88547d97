package usertools

import (
	"bufio"
	"io"
	"os"
	"os/exec"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/pathexec"
	"github.com/quail-mta/quail/mta/internal/tempfail"
)

const prelineUsage = "cmd [ arg ... ]"

// Preline is preline(1): it runs cmd with the message on its standard
// input preceded by the UFLINE, RPLINE and DTLINE that qmail-local sets
// (-f, -r, -d leave one out; -F, -R, -D put it back), for programs that
// expect an mbox-style message. It exits with cmd's exit code.
func Preline(inv *cli.Invocation) int {
	var lines [3]string
	for i, k := range []string{"UFLINE", "RPLINE", "DTLINE"} {
		v, ok := inv.Getenv(k)
		if !ok {
			return inv.Usage(prelineUsage)
		}
		lines[i] = v
	}
	use := [3]bool{true, true, true}
	p := getopt.New(inv.Args, "frdFRD")
	for {
		c, _, ok, err := p.Next()
		if err != nil {
			return inv.Usage(prelineUsage)
		}
		if !ok {
			break
		}
		switch c {
		case 'f', 'F':
			use[0] = c == 'F'
		case 'r', 'R':
			use[1] = c == 'R'
		case 'd', 'D':
			use[2] = c == 'D'
		}
	}
	argv := p.Rest()
	if len(argv) == 0 {
		return inv.Usage(prelineUsage)
	}
	path, err := pathexec.Lookup(argv[0], inv.Env)
	if err != nil {
		code := cli.ExitPermanent
		if tempfail.Temporary(err) {
			code = cli.ExitTemporary
		}
		return inv.Fatal(code, "unable to run %s: %s", argv[0], djberr.QmailText(err))
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to create pipe: %s", djberr.QmailText(err))
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
		code := cli.ExitPermanent
		if tempfail.Temporary(err) {
			code = cli.ExitTemporary
		}
		return inv.Fatal(code, "unable to run %s: %s", argv[0], djberr.QmailText(err))
	}
	pr.Close()
	bw := bufio.NewWriterSize(pw, 64<<10)
	for i, l := range lines {
		if use[i] {
			bw.WriteString(l)
		}
	}
	_, cerr := io.Copy(bw, inv.Stdin)
	if cerr == nil {
		cerr = bw.Flush()
	}
	pw.Close()
	code, crashed := waitCode(cmd.Wait())
	if cerr != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to copy input: %s", djberr.QmailText(cerr))
	}
	if crashed {
		return inv.Fatal(cli.ExitTemporary, "child crashed")
	}
	return code
}
