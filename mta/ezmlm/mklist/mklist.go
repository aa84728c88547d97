// Package mklist is ezmlm-make(1): it makes a list directory and the
// .qmail files that deliver to it, in the layout ezmlm-idx 7's
// ezmlm-make gives a list with its default ezmlmrc (the files, their
// names and contents, the links, the flags file), so that ezmlm-idx's
// programs can work on a list quail made and the other way round.
//
// The layout is built in, not read from an ezmlmrc template; texts are
// written into dir/text (as ezmlm 0.53 and ezmlm-idx before 7 did),
// where every version looks first.
package mklist

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
)

const usage = "[-+] [ -a..zA..Z03..9 ] dir dot local host [digestcode]"

// defaultFlags are the switches on unless turned off: archived, public.
const defaultFlags = "ap"

// Options is what the command line asked for.
type Options struct {
	Flags  [26]bool
	Params [10]string // -0, -3 ... -9
	Edit   bool       // -e: change an existing list
	Dir    string
	Dot    string
	Local  string
	Host   string
	Code   string // the digest code
	Bin    string // where the ezmlm programs are, for the .qmail lines
}

func (o *Options) on(c byte) bool { return o.Flags[c-'a'] }

// FlagString is the flags file's content: '-' and the 26 letters, lower
// case for a switch that is on.
func (o *Options) FlagString() string {
	b := []byte{'-'}
	for i, on := range o.Flags {
		if on {
			b = append(b, byte('a'+i))
		} else {
			b = append(b, byte('A'+i))
		}
	}
	return string(b)
}

// Main is ezmlm-make.
func Main(inv *cli.Invocation) int {
	o, code, ok := parse(inv)
	if !ok {
		return code
	}
	exe, err := os.Executable()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to find the ezmlm programs: %s", djberr.Text(err))
	}
	o.Bin = filepath.Dir(exe)
	if err := Make(o); err != nil {
		if pe, ok := err.(*permanent); ok {
			return inv.Fatal(cli.ExitPermanent, "%s", pe.msg)
		}
		return inv.Fatal(cli.ExitTemporary, "%s", err)
	}
	return cli.ExitOK
}

// paramFiles are the files holding what -0 and -3 ... -9 set, which
// -+ reads back.
var paramFiles = [10]string{0: "sublist", 3: "fromheader", 4: "tstdigopts", 7: "modpost", 8: "modsub", 9: "remote"}

type permanent struct{ msg string }

func (p *permanent) Error() string { return p.msg }

func parse(inv *cli.Invocation) (*Options, int, bool) {
	o := &Options{}
	var set, unset [26]bool
	plus := false
	p := getopt.New(inv.Args, "+aAbBcC:dDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ0:3:4:5:6:7:8:9:")
	for {
		c, arg, more, err := p.Next()
		if err != nil {
			return nil, inv.Usage(usage), false
		}
		if !more {
			break
		}
		switch {
		case c == '+':
			plus = true
			set['e'-'a'] = true
		case c == 'C':
			// an ezmlmrc template: quail's layout is built in
		case c == 'v' || c == 'V':
			fmt.Fprintln(inv.Stderr, "ezmlm-make version: quail")
			return nil, cli.ExitOK, false
		case c >= 'a' && c <= 'z':
			set[c-'a'] = true
		case c >= 'A' && c <= 'Z':
			unset[c-'A'] = true
		case c >= '0' && c <= '9':
			o.Params[c-'0'] = arg
		}
	}
	rest := p.Rest()
	if len(rest) < 1 {
		return nil, inv.Usage(usage), false
	}
	o.Dir = rest[0]
	o.Edit = set['e'-'a']
	var old string
	if o.Edit {
		l := &listdir.List{Dir: o.Dir}
		old, _, _ = l.Line("flags")
		if len(rest) < 2 {
			o.Dot, _, _ = l.Line("dot")
		}
		if len(rest) < 3 {
			o.Local, _, _ = l.Line("outlocal")
		}
		if len(rest) < 4 {
			o.Host, _, _ = l.Line("outhost")
		}
		if len(rest) < 5 {
			o.Code, _, _ = l.Line("digestcode")
		}
		if plus {
			for i, name := range paramFiles {
				if name != "" && o.Params[i] == "" {
					o.Params[i], _, _ = l.Line(name)
				}
			}
		}
	}
	for i, v := range rest[1:] {
		switch i {
		case 0:
			o.Dot = v
		case 1:
			o.Local = v
		case 2:
			o.Host = v
		case 3:
			o.Code = v
		}
	}
	if o.Dot == "" || o.Local == "" || o.Host == "" {
		return nil, inv.Usage(usage), false
	}
	base := defaultFlags
	if plus {
		base = old
	}
	for _, c := range []byte(base) {
		if c >= 'a' && c <= 'z' {
			o.Flags[c-'a'] = true
		}
	}
	for i := range o.Flags {
		if set[i] {
			o.Flags[i] = true
		}
		if unset[i] {
			o.Flags[i] = false
		}
	}
	o.Flags['e'-'a'] = false
	o.Flags['c'-'a'] = false
	o.Flags['v'-'a'] = false
	return o, 0, true
}

// Make builds the list o describes.
func Make(o *Options) error {
	for _, s := range []string{o.Dir, o.Dot} {
		if !strings.HasPrefix(s, "/") {
			return &permanent{"dir and dot must start with slash"}
		}
	}
	for _, s := range []string{o.Dir, o.Dot, o.Local, o.Host} {
		if strings.ContainsAny(s, "\n") {
			return &permanent{"newlines not allowed in dir"}
		}
	}
	if strings.ContainsRune(o.Dir, '\'') {
		return &permanent{"quotes not allowed in dir"}
	}
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	m := &maker{o: o}
	if err := os.Mkdir(o.Dir, 0o755); err != nil && !(o.Edit && os.IsExist(err)) {
		return djberr.Wrap("unable to create "+o.Dir, err)
	}
	m.layout()
	if m.err != nil {
		return m.err
	}
	if !o.Edit || !fileExists(filepath.Join(o.Dir, "key")) {
		key := make([]byte, 64)
		if _, err := rand.Read(key); err != nil {
			return djberr.Wrap("unable to make the key", err)
		}
		if err := listdir.WriteAtomic(filepath.Join(o.Dir, "key"), filepath.Join(o.Dir, "keyn"), key, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

type maker struct {
	o   *Options
	err error
}

func (m *maker) path(name string) string { return filepath.Join(m.o.Dir, name) }

func (m *maker) dir(name string) {
	if m.err != nil {
		return
	}
	if err := os.Mkdir(m.path(name), 0o755); err != nil && !os.IsExist(err) {
		m.err = djberr.Wrap("unable to create "+m.path(name), err)
	}
}

func (m *maker) file(name, content string) {
	if m.err != nil {
		return
	}
	m.err = listdir.WriteAtomic(m.path(name), m.path(name)+".tmp", []byte(content), 0o600)
}

func (m *maker) remove(name string) {
	if m.err != nil {
		return
	}
	if err := os.Remove(m.path(name)); err != nil && !os.IsNotExist(err) {
		m.err = djberr.Wrap("unable to delete "+m.path(name), err)
	}
}

// link makes dot+ext a symbolic link to dir/target, as ezmlm-make's
// </:ext/target/> (an existing link is replaced in edit mode only).
func (m *maker) link(ext, target string) {
	if m.err != nil {
		return
	}
	dot := m.o.Dot + ext
	if m.o.Edit {
		if err := os.Remove(dot); err != nil && !os.IsNotExist(err) {
			m.err = djberr.Wrap("unable to delete "+dot, err)
			return
		}
	}
	if err := os.Symlink(m.path(target), dot); err != nil {
		m.err = djberr.Wrap("unable to create "+dot, err)
	}
}

// prog is a .qmail program line running one of the ezmlm programs.
func (m *maker) prog(name, args string) string {
	if args != "" {
		args = " " + args
	}
	return "|" + filepath.Join(m.o.Bin, name) + args + "\n"
}
