package serialmail

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/pathexec"
)

// Lifetime is maildirsmtp's and maildirqmtp's -t: two weeks.
const Lifetime = "1209600"

// sibling is the path of program next to the running one, as the
// original scripts name their programs by the directory they were
// installed in; without it, the program is looked for through PATH.
func sibling(program string) string {
	exe, err := os.Executable()
	if err == nil {
		p := filepath.Join(filepath.Dir(exe), program)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return program
}

// MaildirSMTP is maildirsmtp(1): maildirsmtp dir prefix host helohost runs
//
//	maildirserial -b -t 1209600 -- dir prefix \
//	  tcpclient -RHl0 -- host 25 serialsmtp prefix helohost
func MaildirSMTP(inv *cli.Invocation) int {
	if len(inv.Args) < 5 {
		fmt.Fprintln(inv.Stderr, "maildirsmtp: usage: maildirsmtp dir prefix host helohost")
		return 100
	}
	a := inv.Args
	return execute(inv, sibling("maildirserial"), "-b", "-t", Lifetime, "--", a[1], a[2],
		sibling("tcpclient"), "-RHl0", "--", a[3], "25", sibling("serialsmtp"), a[2], a[4])
}

// MaildirQMTP is maildirqmtp(1): maildirqmtp dir prefix host runs
//
//	maildirserial -b -t 1209600 -- dir prefix \
//	  tcpclient -RHl0 -- host 209 serialqmtp prefix
func MaildirQMTP(inv *cli.Invocation) int {
	if len(inv.Args) < 4 {
		fmt.Fprintln(inv.Stderr, "maildirqmtp: usage: maildirqmtp dir prefix host")
		return 100
	}
	a := inv.Args
	return execute(inv, sibling("maildirserial"), "-b", "-t", Lifetime, "--", a[1], a[2],
		sibling("tcpclient"), "-RHl0", "--", a[3], "209", sibling("serialqmtp"), a[2])
}

func execute(inv *cli.Invocation, argv ...string) int {
	err := pathexec.Exec(argv, inv.Env)
	fmt.Fprintf(inv.Stderr, "%s: fatal: unable to run %s: %s\n", inv.Name, argv[0], djberr.Text(err))
	return 111
}
