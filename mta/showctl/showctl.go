// Package showctl is qmail-showctl (qmail-showctl(8)): it prints the
// build-time settings and then every control file qmail-control(5) and
// quail's programs read, with its value or, when the file is absent, the
// default the programs use; then every other file of the control
// directory, which nothing reads.
package showctl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/control"
)

// Main is qmail-showctl. It exits 0 after printing everything, 111 when
// the control directory or control/me cannot be read.
func Main(inv *cli.Invocation) int {
	w := bufio.NewWriter(inv.Stdout)
	code := Show(w, qmailhome.Dir(inv.Getenv))
	if err := w.Flush(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to write output: %v", err)
	}
	return code
}

// Show writes the listing for the qmail home and returns the exit code.
func Show(w io.Writer, home string) int {
	fmt.Fprintf(w, "qmail home directory: %s.\n", home)
	fmt.Fprintf(w, "user-ext delimiter: -.\n")
	fmt.Fprintf(w, "user ids: %s.\n", ids(user.Lookup, "alias", "qmaild", "qmaill", "root", "qmailp", "qmailq", "qmailr", "qmails"))
	fmt.Fprintf(w, "group ids: %s.\n", ids(func(n string) (*user.User, error) {
		g, err := user.LookupGroup(n)
		if err != nil {
			return nil, err
		}
		return &user.User{Uid: g.Gid}, nil
	}, "nofiles", "qmail"))
	ctl := control.Open(home)
	names, err := os.ReadDir(ctl.Path)
	if err != nil {
		fmt.Fprintf(w, "Oops! Unable to open %s.\n", ctl.Path)
		return cli.ExitTemporary
	}
	me, meOK, err := ctl.Line("me", "")
	if err != nil {
		fmt.Fprintf(w, "Oops! Trouble reading control/me.\n")
		return cli.ExitTemporary
	}
	for _, e := range controls {
		if e.name == "rcpthosts" {
			relayControls(w, ctl)
			continue
		}
		show(w, ctl, e, me, meOK)
	}
	for _, d := range names {
		if !known(d.Name()) {
			fmt.Fprintf(w, "\n%s: I have no idea what this file does.\n", safe(d.Name()))
		}
	}
	return 0
}

func ids(lookup func(string) (*user.User, error), names ...string) string {
	var out []string
	for _, n := range names {
		u, err := lookup(n)
		if err != nil {
			out = append(out, "none")
			continue
		}
		out = append(out, u.Uid)
	}
	return strings.Join(out, ", ")
}

// show prints one control file the way qmail-showctl's do_int, do_str and
// do_lst do.
func show(w io.Writer, ctl control.Dir, e entry, me string, meOK bool) bool {
	fmt.Fprintf(w, "\n%s: ", e.name)
	if e.kind == exists {
		_, err := os.Stat(filepath.Join(ctl.Path, e.name))
		switch {
		case err == nil:
			fmt.Fprintf(w, "%s\n", e.pre)
			return true
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(w, "(Default.) %s\n", e.def)
		default:
			fmt.Fprintf(w, "Oops! Trouble reading this file.\n")
		}
		return false
	}
	value, present, err := ctl.Line(e.name, "")
	if err != nil {
		fmt.Fprintf(w, "Oops! Trouble reading this file.\n")
		return false
	}
	switch e.kind {
	case number:
		if !present {
			fmt.Fprintf(w, "(Default.) %s%s%s.\n", e.pre, e.def, e.post)
			return false
		}
		n, err := control.ParseInt(value)
		if err != nil {
			fmt.Fprintf(w, "Oops! Trouble reading this file.\n")
			return true
		}
		fmt.Fprintf(w, "%s%s%s.\n", e.pre, strconv.Itoa(n), e.post)
	case line:
		if !present {
			value = e.def
			if e.fromMe && meOK {
				value = me
			}
			fmt.Fprintf(w, "(Default.) ")
		}
		fmt.Fprintf(w, "%s%s.\n", e.pre, safe(value))
	case list:
		if !present {
			fmt.Fprintf(w, "(Default.) %s\n", e.def)
			return false
		}
		lines, err := ctl.Lines(e.name)
		if err != nil {
			fmt.Fprintf(w, "Oops! Trouble reading this file.\n")
			return true
		}
		fmt.Fprintf(w, "\n")
		for _, l := range lines {
			fmt.Fprintf(w, "%s%s%s\n", e.pre, safe(l), e.post)
		}
	}
	return present
}

// relayControls prints rcpthosts, morercpthosts and whether
// morercpthosts.cdb is up to date, as qmail-showctl does.
func relayControls(w io.Writer, ctl control.Dir) {
	rcpt := entry{name: "rcpthosts", kind: list, def: "SMTP clients may send messages to any recipient.",
		pre: "SMTP clients may send messages to recipients at ", post: "."}
	more := entry{name: "morercpthosts", kind: list, def: "No effect.",
		pre: "SMTP clients may send messages to recipients at ", post: "."}
	if !show(w, ctl, rcpt, "", false) {
		more.def = "No rcpthosts; morercpthosts is irrelevant."
		more.pre, more.post = "No rcpthosts; doesn't matter that morercpthosts has ", "."
	}
	show(w, ctl, more, "", false)
	fmt.Fprintf(w, "\nmorercpthosts.cdb: ")
	src, srcErr := os.Stat(filepath.Join(ctl.Path, "morercpthosts"))
	db, dbErr := os.Stat(filepath.Join(ctl.Path, "morercpthosts.cdb"))
	switch {
	case srcErr != nil && dbErr != nil:
		fmt.Fprintf(w, "(Default.) No effect.\n")
	case srcErr != nil:
		fmt.Fprintf(w, "Oops! morercpthosts.cdb exists but morercpthosts doesn't.\n")
	case dbErr != nil:
		fmt.Fprintf(w, "Oops! morercpthosts exists but morercpthosts.cdb doesn't.\n")
	case src.ModTime().After(db.ModTime()):
		fmt.Fprintf(w, "Oops! morercpthosts.cdb is older than morercpthosts.\n")
	default:
		fmt.Fprintf(w, "Modified recently enough; hopefully up to date.\n")
	}
}

// safe shows a control value with unprintable bytes as '?', as
// qmail-showctl does.
func safe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 32 || c > 126 {
			b[i] = '?'
		}
	}
	return string(b)
}

func init() {
	sort.SliceStable(controls, func(i, j int) bool { return controls[i].name < controls[j].name })
}
