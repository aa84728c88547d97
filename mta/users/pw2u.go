package users

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/control"
)

// HomeStrategy is what qmail-pw2u does about an account's home directory.
type HomeStrategy int

// The -H, -h and -o choices.
const (
	HomeIgnore  HomeStrategy = iota // -H: do not look
	HomeStop                        // -h: a missing home is fatal, a foreign one skipped
	HomeSkipBad                     // -o (default): skip missing or foreign homes
)

// Pw2u is a run of qmail-pw2u(8): options, and the users/ files.
type Pw2u struct {
	DashColon  string       // "-:", or "-/:" with -/
	AllowUpper bool         // -u: keep account names with uppercase letters
	Home       HomeStrategy // -o, -h, -H
	Break      string       // the extension separator ("" with -C)
	Alias      string       // the alias account, "alias"

	Include   map[string]bool     // users/include, nil when absent
	Exclude   map[string]bool     // users/exclude, nil when absent
	MailNames map[string][]string // users/mailnames, nil when absent
	Subusers  []byte              // users/subusers, nil when absent
	Append    []byte              // users/append, nil when absent
}

// Pw2uError is a failure that stops qmail-pw2u (exit 111).
type Pw2uError struct{ Msg string }

func (e *Pw2uError) Error() string { return e.Msg }

type account struct {
	name, uid, gid, home string
}

// uugh is ":user:uid:gid:home:", the part every assign line shares.
func (a account) uugh() string {
	return ":" + a.name + ":" + a.uid + ":" + a.gid + ":" + a.home + ":"
}

// Convert reads passwd(5) lines from r and writes users/assign lines to w:
// for each account kept, "=name" and, with a break character, "+name-"
// for each of its mail names (users/mailnames, else its account name); a
// "+" catch-all for the alias account; then users/subusers and
// users/append, and the final ".".
func (p *Pw2u) Convert(r io.Reader, w io.Writer) error {
	bw := bufio.NewWriter(w)
	br := bufio.NewReader(r)
	all := map[string]string{}
	sawAlias := false
	for {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return &Pw2uError{"unable to read input: " + err.Error()}
		}
		if len(line) > 0 {
			a, keep, perr := p.account(strings.TrimSuffix(line, "\n"))
			if perr != nil {
				return perr
			}
			if keep {
				all[strings.ToLower(a.name)] = a.uugh()
				if a.name == p.Alias {
					fmt.Fprintf(bw, "+%s%s:\n", a.uugh(), p.DashColon)
					sawAlias = true
				}
				names := []string{a.name}
				if p.MailNames != nil {
					if m, ok := p.MailNames[strings.ToLower(a.name)]; ok {
						names = m
					}
				}
				for _, n := range names {
					if n == "" {
						continue
					}
					fmt.Fprintf(bw, "=%s%s::\n", n, a.uugh())
					if p.Break != "" {
						fmt.Fprintf(bw, "+%s%s%s%s:\n", n, p.Break, a.uugh(), p.DashColon)
					}
				}
			}
		}
		if err == io.EOF {
			break
		}
	}
	if !sawAlias {
		return &Pw2uError{"unable to find " + p.Alias + " user"}
	}
	if p.Subusers != nil {
		if err := p.subusers(bw, all); err != nil {
			return err
		}
	}
	bw.Write(p.Append)
	bw.WriteString(".\n")
	if err := bw.Flush(); err != nil {
		return &Pw2uError{"unable to write output: " + err.Error()}
	}
	return nil
}

// account decides about one passwd line as qmail-pw2u's doaccount does.
func (p *Pw2u) account(line string) (account, bool, error) {
	if strings.IndexByte(line, 0) >= 0 {
		return account{}, false, nil
	}
	f := strings.SplitN(line, ":", 7)
	if len(f) < 7 {
		return account{}, false, nil
	}
	a := account{name: f[0], uid: f[2], gid: f[3], home: f[5]}
	uid, _ := scanUint([]byte(a.uid))
	if uid == 0 {
		return account{}, false, nil
	}
	if !p.AllowUpper && strings.ToLower(a.name) != a.name {
		return account{}, false, nil
	}
	if p.Include != nil && !p.Include[strings.ToLower(a.name)] {
		return account{}, false, nil
	}
	if p.Exclude != nil && p.Exclude[strings.ToLower(a.name)] {
		return account{}, false, nil
	}
	if p.Home != HomeIgnore {
		st, err := os.Stat(a.home)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) || p.Home == HomeStop {
				return account{}, false, &Pw2uError{"unable to stat " + a.home}
			}
			return account{}, false, nil
		}
		if owner(st) != uid {
			return account{}, false, nil
		}
	}
	return a, true, nil
}

// subusers writes users/subusers' "sub:user:pre:" lines: sub is
// delivered as user's extension pre.
func (p *Pw2u) subusers(w *bufio.Writer, all map[string]string) error {
	for _, line := range bytes.SplitAfter(p.Subusers, []byte("\n")) {
		f := strings.SplitN(strings.TrimSuffix(string(line), "\n"), ":", 4)
		if len(f) < 4 {
			continue
		}
		sub, user, pre := f[0], f[1], f[2]
		uugh, ok := all[strings.ToLower(user)]
		if !ok {
			return &Pw2uError{"unable to find " + user + " user for subuser"}
		}
		fmt.Fprintf(w, "=%s%s%s%s:\n", sub, uugh, p.DashColon, pre)
		if p.Break != "" {
			fmt.Fprintf(w, "+%s%s%s%s%s-:\n", sub, p.Break, uugh, p.DashColon, pre)
		}
	}
	return nil
}

// QmailPw2u is qmail-pw2u(8).
func QmailPw2u(inv *cli.Invocation) int {
	p := &Pw2u{DashColon: "-:", Home: HomeSkipBad, Break: string(Break), Alias: AliasUser}
	g := getopt.New(inv.Args, "/ohHuUc:C")
	for {
		c, arg, ok, err := g.Next()
		if err != nil {
			return inv.Usage("[ -/ohHuUC ] [ -c break ]")
		}
		if !ok {
			break
		}
		switch c {
		case '/':
			p.DashColon = "-/:"
		case 'o':
			p.Home = HomeSkipBad
		case 'h':
			p.Home = HomeStop
		case 'H':
			p.Home = HomeIgnore
		case 'u':
			p.AllowUpper = true
		case 'U':
			p.AllowUpper = false
		case 'c':
			p.Break = arg[:min(1, len(arg))]
		case 'C':
			p.Break = ""
		}
	}
	if err := p.load(qmailhome.Dir(inv.Getenv)); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read controls: %v", err)
	}
	if err := p.Convert(inv.Stdin, inv.Stdout); err != nil {
		return inv.Fatal(cli.ExitTemporary, "%v", err)
	}
	return 0
}

// load reads users/include, users/exclude, users/mailnames (control-file
// lists: blank and '#' lines skipped), users/subusers and users/append.
func (p *Pw2u) load(home string) error {
	dir := control.Dir{Path: filepath.Join(home, "users")}
	list := func(name string) ([]string, bool, error) {
		if _, err := os.Stat(filepath.Join(dir.Path, name)); errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil
		}
		l, err := dir.Lines(name)
		return l, err == nil, err
	}
	set := func(name string) (map[string]bool, error) {
		l, ok, err := list(name)
		if !ok || err != nil {
			return nil, err
		}
		m := map[string]bool{}
		for _, s := range l {
			m[strings.ToLower(s)] = true
		}
		return m, nil
	}
	var err error
	if p.Include, err = set("include"); err != nil {
		return err
	}
	if p.Exclude, err = set("exclude"); err != nil {
		return err
	}
	l, ok, err := list("mailnames")
	if err != nil {
		return err
	}
	if ok {
		p.MailNames = map[string][]string{}
		for _, s := range l {
			user, names, found := strings.Cut(s, ":")
			if !found {
				continue // qmail's constmap skips lines without a colon
			}
			p.MailNames[strings.ToLower(user)] = strings.Split(names, ":")
		}
	}
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{{"subusers", &p.Subusers}, {"append", &p.Append}} {
		b, err := os.ReadFile(filepath.Join(dir.Path, f.name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err == nil {
			*f.dst = b
		}
	}
	return nil
}
