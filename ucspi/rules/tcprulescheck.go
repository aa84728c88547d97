package rules

import (
	"bufio"
	"os"
	"strings"

	"github.com/colinmarc/cdb"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
)

// TCPRulesCheck is tcprulescheck(1): tcprulescheck rules.cdb. It looks up
// the connection described by $TCPREMOTEIP (default 0.0.0.0),
// $TCPREMOTEHOST and $TCPREMOTEINFO as tcpserver would and prints the rule
// that applies:
//
//	rule KEY:
//	set environment variable VAR=value   (one per variable, in order)
//	deny connection | allow connection
//
// or "default:" and "allow connection" when no rule matches. Like 0.88 it
// stops at a deny record, so variables listed after it are not shown. A
// variable that is set but empty takes part in the lookup, as in 0.88.
//
// Exit codes: 0 answered; 100 usage; 111 the cdb cannot be read.
func TCPRulesCheck(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return inv.Usage("rules.cdb")
	}
	path := inv.Args[1]
	ip, ok := inv.Getenv("TCPREMOTEIP")
	if !ok {
		ip = "0.0.0.0"
	}
	var host, info *string
	if h, ok := inv.Getenv("TCPREMOTEHOST"); ok {
		host = &h
	}
	if i, ok := inv.Getenv("TCPREMOTEINFO"); ok {
		info = &i
	}

	f, err := os.Open(path)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read %s: %s", path, djberr.Text(err))
	}
	defer f.Close()
	db, err := cdb.New(f, nil)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read %s: %s", path, djberr.Text(cdbError(f, err)))
	}
	key, value, found, err := find(db.Get, ip, host, info)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read %s: %s", path, djberr.Text(cdbError(f, err)))
	}

	out := bufio.NewWriter(inv.Stdout)
	if !found {
		out.WriteString("default:\nallow connection\n")
	} else {
		writeCheck(out, key, value)
	}
	if err := out.Flush(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to write output: %s", djberr.Text(err))
	}
	return cli.ExitOK
}

// writeCheck renders one matched rule the way 0.88's tcprulescheck does.
func writeCheck(out *bufio.Writer, key string, value []byte) {
	// A CIDR key's leading newline only keeps it apart from 0.88 keys; the
	// rest is the rule as the administrator would write it.
	out.WriteString("rule " + strings.TrimPrefix(key, "\n") + ":\n")
	for _, rec := range records(value) {
		if len(rec) == 0 {
			continue
		}
		switch rec[0] {
		case 'D':
			out.WriteString("deny connection\n")
			return
		case '+':
			out.WriteString("set environment variable ")
			out.Write(rec[1:])
			out.WriteString("\n")
		}
	}
	out.WriteString("allow connection\n")
}
