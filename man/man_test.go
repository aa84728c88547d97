// Package man holds quail's manual pages, in mdoc. Its tests keep the
// manual whole: every page renders without a warning from mandoc(1), every
// program has a page, and every page's NAME and title are its file name.
package man

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// pageName matches a manual page's file name: name.section.
var pageName = regexp.MustCompile(`^(.+)\.([1-9])$`)

// pages returns the file names of every page in this directory, sorted.
func pages(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() && pageName.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	if len(out) == 0 {
		t.Fatal("no manual pages found")
	}
	sort.Strings(out)
	return out
}

// TestMandocLint runs mandoc's checker over every page, as
// `cd man && mandoc -Tlint -W warning ./*.[0-9]`: a page that draws a
// warning or an error renders wrongly somewhere (a macro eaten, an item
// lost, a section out of place).
func TestMandocLint(t *testing.T) {
	mandoc := testbin.Peer(t, "mandoc")
	args := []string{"-Tlint", "-W", "warning"}
	for _, p := range pages(t) {
		args = append(args, "./"+p)
	}
	cmd := exec.Command(mandoc, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("mandoc -Tlint -W warning: %v\n%s", err, out)
	}
}

// programs returns every program quail installs: a directory under cmd/
// for each Go program, a file in scripts/bin for each script.
func programs(t *testing.T) []string {
	t.Helper()
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, dir := range []string{"cmd", "scripts/bin"} {
		ents, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if dir == "cmd" && e.IsDir() || dir != "cmd" && e.Type().IsRegular() {
				out = append(out, e.Name())
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no programs found")
	}
	return out
}

// interfaces are the pages of sections 1 and 8 that describe an interface
// rather than a program of their own, as qmail's manual has them.
var interfaces = map[string]bool{
	"qmail-command": true, // what qmail-local runs for a |command line
}

// TestEveryProgramHasAPage: a program without a page is undocumented, and
// a program page without a program documents something quail no longer
// has.
func TestEveryProgramHasAPage(t *testing.T) {
	have := map[string]bool{}
	commands := map[string]bool{} // pages of sections 1 and 8
	for _, p := range pages(t) {
		m := pageName.FindStringSubmatch(p)
		have[m[1]] = true
		if m[2] == "1" || m[2] == "8" {
			commands[m[1]] = true
		}
	}
	progs := map[string]bool{}
	for _, p := range programs(t) {
		progs[p] = true
		if !have[p] {
			t.Errorf("program %s has no page in man/", p)
		}
	}
	for p := range commands {
		if !progs[p] && !interfaces[p] {
			t.Errorf("man/%s.[18] documents a program that is neither in cmd/ nor in scripts/bin/", p)
		}
	}
}

// TestPageNamesItsFile: man(1) finds a page by its file name and shows its
// title, and apropos(1) indexes its NAME; the three must agree. The first
// .Nm of NAME is the file's name, and .Dt gives it in capitals with the
// file's section.
func TestPageNamesItsFile(t *testing.T) {
	for _, p := range pages(t) {
		m := pageName.FindStringSubmatch(p)
		name, section := m[1], m[2]
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dt, nm := pageHead(b)
		if want := strings.ToUpper(name) + " " + section; dt != want {
			t.Errorf("%s: .Dt is %q, want %q", p, dt, want)
		}
		if nm != name {
			t.Errorf("%s: NAME starts with %q, want %q", p, nm, name)
		}
	}
}

// pageHead returns the arguments of a page's .Dt and the first name of
// its NAME section.
func pageHead(page []byte) (dt, name string) {
	sc := bufio.NewScanner(bytes.NewReader(page))
	inName := false
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, ".Dt "):
			dt = strings.TrimSpace(l[len(".Dt "):])
		case strings.HasPrefix(l, ".Sh "):
			inName = strings.TrimSpace(l[len(".Sh "):]) == "NAME"
		case inName && strings.HasPrefix(l, ".Nm "):
			if f := strings.Fields(l); name == "" && len(f) > 1 {
				name = f[1]
			}
		}
	}
	return dt, name
}

// xref matches a cross-reference of mdoc, "Xr name section", wherever it
// stands on a macro line.
var xref = regexp.MustCompile(`(?m)(?:^\.|\s)Xr (\S+) ([1-9])\b`)

// TestOverviewNamesEveryPage: qmail(7) is where the manual starts, as in
// qmail; a page it does not point to is a page nobody finds. A new page
// needs a line in qmail.7.
func TestOverviewNamesEveryPage(t *testing.T) {
	b, err := os.ReadFile("qmail.7")
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{"qmail.7": true}
	for _, m := range xref.FindAllStringSubmatch(string(b), -1) {
		named[m[1]+"."+m[2]] = true
	}
	for _, p := range pages(t) {
		if !named[p] {
			t.Errorf("qmail(7) does not point to %s: add it where it belongs in man/qmail.7", p)
		}
	}
}
