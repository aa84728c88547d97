// Package ezmlmtest runs the ezmlm programs' code in the test process
// on a list made for the test, with a stand-in qmail-queue that keeps
// what it is given. Only _test.go files import it.
package ezmlmtest

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/ezmlm/mklist"
)

// List is a list directory for one test: joe-sos@example.org in
// Dir, its .qmail files beside it, qmail-queue a stand-in.
type List struct {
	T     testing.TB
	Dir   string
	Dot   string
	Home  string // the qmail home
	Queue *testbin.QueueStandIn
}

// New makes the list with ezmlm-make's switches (letters, as "d" or
// "mF").
func New(t testing.TB, flags string) *List {
	t.Helper()
	root := t.TempDir()
	l := &List{T: t, Dir: filepath.Join(root, "sos"), Dot: filepath.Join(root, ".qmail-sos"), Home: filepath.Join(root, "qmail")}
	l.Queue = testbin.StandInQueue(t, filepath.Join(l.Home, "bin"))
	o := &mklist.Options{Dir: l.Dir, Dot: l.Dot, Local: "joe-sos", Host: "example.org", Code: "code", Bin: "/usr/local/bin/ezmlm"}
	o.Flags['a'-'a'], o.Flags['p'-'a'] = true, true
	for _, c := range flags {
		switch {
		case c >= 'a' && c <= 'z':
			o.Flags[c-'a'] = true
		case c >= 'A' && c <= 'Z':
			o.Flags[c-'A'] = false
		}
	}
	if err := mklist.Make(o); err != nil {
		t.Fatal(err)
	}
	return l
}

// Run runs a program's Main with the message msg on its input and the
// qmail-local variables in env ("SENDER=...", "DEFAULT=..."), and
// returns its exit code and what it printed on stderr.
func (l *List) Run(main func(*cli.Invocation) int, name, msg string, env []string, args ...string) (int, string) {
	l.T.Helper()
	f, err := os.CreateTemp(l.T.TempDir(), "msg")
	if err != nil {
		l.T.Fatal(err)
	}
	f.WriteString(msg)
	f.Seek(0, 0)
	defer f.Close()
	var stderr bytes.Buffer
	inv := &cli.Invocation{
		Name:   name,
		Args:   append([]string{name}, args...),
		Env:    append([]string{"QMAILHOME=" + l.Home, "QMAILQUEUE=" + l.Queue.Path, "PATH=/usr/bin:/bin"}, env...),
		Stdin:  f,
		Stdout: os.Stdout,
		Stderr: &stderr,
	}
	return main(inv), stderr.String()
}

// Queued is one message the stand-in qmail-queue got.
type Queued struct {
	Message string
	Sender  string
	Recips  []string
}

// Queued returns what the stand-in got so far, in the order it got
// them (by its directory names, which sort by creation only by chance:
// tests that queue more than one message compare sets).
func (l *List) Queued() []Queued {
	var out []Queued
	for _, s := range l.Queue.Queued(l.T) {
		msg, env, _ := strings.Cut(s, "|")
		q := Queued{Message: msg}
		parts := strings.Split(strings.TrimSuffix(env, "\x00\x00"), "\x00")
		for i, p := range parts {
			if i == 0 {
				q.Sender = strings.TrimPrefix(p, "F")
				continue
			}
			if p != "" {
				q.Recips = append(q.Recips, strings.TrimPrefix(p, "T"))
			}
		}
		sort.Strings(q.Recips)
		out = append(out, q)
	}
	return out
}

// One returns the only message queued; anything else fails the test.
func (l *List) One() Queued {
	l.T.Helper()
	q := l.Queued()
	if len(q) != 1 {
		l.T.Fatalf("%d messages queued, want 1: %+v", len(q), q)
	}
	return q[0]
}

// Reset forgets what was queued.
func (l *List) Reset() {
	dirs, _ := filepath.Glob(filepath.Join(l.Queue.Dir, "q.*"))
	for _, d := range dirs {
		os.RemoveAll(d)
	}
}

var volatile = []struct {
	rx   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?m)^Date: .*$`), "Date: DATE"},
	{regexp.MustCompile(`<\d+\.\d+\.ezmlm@`), "<TIME.PID.ezmlm@"},
	{regexp.MustCompile(`\b[a-p]{20}\b`), "COOKIE"},
	{regexp.MustCompile(`\b(sc|uc|tc|vc|rc|wc)\.\d{9,}`), "${1}.TIME"},
	{regexp.MustCompile(`\b(warn|probe)-\d{9,}`), "${1}-TIME"},
	{regexp.MustCompile(`-(accept|reject)-\d+\.\d+\.`), "-${1}-TIME.PID."},
}

// Stable replaces what changes from run to run (dates, message ids,
// times and the cookies made from them, MIME boundaries) with fixed
// words, so that a message can be compared whole.
func Stable(s string) string {
	for _, v := range volatile {
		s = v.rx.ReplaceAllString(s, v.with)
	}
	return s
}
