package tcpto

import (
	"bufio"
	"strconv"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
)

// QmailTcpto is qmail-tcpto(8): it prints one line per remembered address,
// IPv4 first, in qmail's words:
//
//	1.2.3.4 timed out 125 seconds ago; # recent timeouts: 2
//
// Exit codes: 0 printed, 111 the table could not be read.
func QmailTcpto(inv *cli.Invocation) int {
	home := qmailhome.Dir(inv.Getenv)
	now := time.Now()
	w := bufio.NewWriter(inv.Stdout)
	for _, t := range []Table{IPv4(home), IPv6(home)} {
		entries, err := t.Entries()
		if err != nil {
			w.Flush()
			return inv.Fatal(cli.ExitTemporary, "unable to read %s: %v", t.Path, err)
		}
		for _, e := range entries {
			w.WriteString(Format(e, now))
		}
	}
	if err := w.Flush(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to write output: %v", err)
	}
	return 0
}

// Format renders one entry as qmail-tcpto prints it. A time in the future
// prints as a huge age, as qmail's unsigned subtraction does.
func Format(e Entry, now time.Time) string {
	age := uint32(now.Unix() - e.When.Unix())
	return e.IP.String() + " timed out " + strconv.FormatUint(uint64(age), 10) +
		" seconds ago; # recent timeouts: " + strconv.Itoa(e.Errors) + "\n"
}

// QmailTcpok is qmail-tcpok(8): it forgets every unresponsive address, so
// that the next qmail-remote tries them all. Exit codes: 0 done, 111 the
// table could not be written.
func QmailTcpok(inv *cli.Invocation) int {
	home := qmailhome.Dir(inv.Getenv)
	for _, t := range []Table{IPv4(home), IPv6(home)} {
		if err := t.Clear(); err != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to clear %s: %v", t.Path, err)
		}
	}
	return 0
}
