// Package subtool holds the programs that work on a subscriber list by
// hand: ezmlm-sub and ezmlm-unsub (add and remove addresses, logged as
// "+manual" and "-manual"), ezmlm-list (print them) and ezmlm-issubn
// (test whether $SENDER is on one of several lists), with the command
// lines of ezmlm-idx 7: "dir [subdir] addresses", where subdir is a
// second argument without '@' ("mod", "digest", "allow", "deny").
// An address list directory given as dir itself (ezmlm 0.53's
// "ezmlm-sub dir/mod box@domain") works too.
package subtool

import (
	"bufio"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
	"github.com/quail-mta/quail/mta/ezmlm/mail"
)

// Sub is ezmlm-sub.
func Sub(inv *cli.Invocation) int { return subunsub(inv, true) }

// Unsub is ezmlm-unsub.
func Unsub(inv *cli.Invocation) int { return subunsub(inv, false) }

func subunsub(inv *cli.Invocation, add bool) int {
	usage := "[-mMnNvV] [-t tag] dir [subdir] [box@domain ...]"
	named, tag := false, "manual"
	p := getopt.New(inv.Args, "h:HmMnNS:t:vV")
	for {
		c, arg, more, err := p.Next()
		if err != nil {
			return inv.Usage(usage)
		}
		if !more {
			break
		}
		switch c {
		case 'n':
			named = true
		case 'N':
			named = false
		case 't':
			tag = arg
		}
	}
	rest := p.Rest()
	if len(rest) < 1 {
		return inv.Usage(usage)
	}
	db, rest := database(rest)
	event := "-" + tag
	if add {
		event = "+" + tag
	}
	do := func(addr, comment string) error {
		var err error
		if add {
			_, err = db.Add(addr, event, comment)
		} else {
			_, err = db.Remove(addr, event)
		}
		return err
	}
	if len(rest) > 0 {
		for i := 0; i < len(rest); i++ {
			comment := ""
			if named && i+1 < len(rest) {
				comment = rest[i+1]
			}
			if err := do(rest[i], comment); err != nil {
				return mail.Report(inv, err)
			}
			if named {
				i++
			}
		}
		return cli.ExitOK
	}
	sc := bufio.NewScanner(inv.Stdin)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		addr, comment := line, ""
		if named {
			if i := strings.IndexAny(line, " \t,"); i >= 0 {
				addr, comment = line[:i], line[i+1:]
			}
		}
		if err := do(addr, comment); err != nil {
			return mail.Report(inv, err)
		}
	}
	if err := sc.Err(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read input: %v", err)
	}
	return cli.ExitOK
}

// database is the subscriber list dir names, with the second argument
// as its subdirectory when it has no '@'.
func database(args []string) (*listdir.DB, []string) {
	dir := args[0]
	if len(args) > 1 && !strings.Contains(args[1], "@") {
		sub := args[1]
		if !filepath.IsAbs(sub) {
			sub = filepath.Join(dir, sub)
		}
		return &listdir.DB{Dir: sub}, args[2:]
	}
	return &listdir.DB{Dir: dir}, args[1:]
}

// List is ezmlm-list.
func List(inv *cli.Invocation) int {
	usage := "[-mMnNvV] [-S subdb] dir [subdir]"
	count := false
	p := getopt.New(inv.Args, "mMnNS:vV")
	for {
		c, _, more, err := p.Next()
		if err != nil {
			return inv.Usage(usage)
		}
		if !more {
			break
		}
		switch c {
		case 'n':
			count = true
		case 'N':
			count = false
		}
	}
	rest := p.Rest()
	if len(rest) < 1 {
		return inv.Usage(usage)
	}
	db, _ := database(rest)
	w := bufio.NewWriter(inv.Stdout)
	n, err := db.Each(0, listdir.Files-1, func(a string) error {
		if !count {
			_, err := w.WriteString(a + "\n")
			return err
		}
		return nil
	})
	if err != nil {
		return mail.Report(inv, err)
	}
	if count {
		fmt.Fprintf(w, "%d\n", n)
	}
	if err := w.Flush(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to write to standard output: %v", err)
	}
	return cli.ExitOK
}

// IsSubN is ezmlm-issubn: exit 0 if $SENDER is on one of the lists, 99
// if on none; -n turns the answer round.
func IsSubN(inv *cli.Invocation) int {
	usage := "[-nN] dir [subdir ...]"
	negate := false
	p := getopt.New(inv.Args, "mMnNS:vV")
	for {
		c, _, more, err := p.Next()
		if err != nil {
			return inv.Usage(usage)
		}
		if !more {
			break
		}
		switch c {
		case 'n':
			negate = true
		case 'N':
			negate = false
		}
	}
	rest := p.Rest()
	if len(rest) < 1 {
		return inv.Usage(usage)
	}
	sender, ok := mail.Sender(inv)
	if !ok {
		return inv.Fatal(cli.ExitPermanent, "SENDER not set")
	}
	dirs := []string{rest[0]}
	if len(rest) > 1 {
		dirs = dirs[:0]
		for _, d := range rest[1:] {
			if !filepath.IsAbs(d) {
				d = filepath.Join(rest[0], d)
			}
			dirs = append(dirs, d)
		}
	}
	found := false
	for _, d := range dirs {
		_, is, err := (&listdir.DB{Dir: d}).IsSub(sender)
		if err != nil {
			return mail.Report(inv, err)
		}
		if is {
			found = true
			break
		}
	}
	if found != negate {
		return cli.ExitOK
	}
	return mail.ExitSkip
}
