package testbin

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// QueueStandIn is a qmail-queue for tests: a script that keeps the
// message and the envelope of each run in a directory of its own under
// Dir (q.XXXXXX/message and q.XXXXXX/envelope) and exits with the number
// in Dir/code, 0 without it.
type QueueStandIn struct {
	Path string // the script, named qmail-queue
	Dir  string
}

// StandInQueue writes the stand-in as dir/qmail-queue, with a fresh
// directory for what it keeps.
func StandInQueue(t testing.TB, dir string) *QueueStandIn {
	t.Helper()
	q := &QueueStandIn{Path: filepath.Join(dir, "qmail-queue"), Dir: t.TempDir()}
	script := fmt.Sprintf(`#!/bin/sh
d=$(mktemp -d '%[1]s/q.XXXXXX') || exit 53
cat > "$d/message" || exit 54
cat <&1 > "$d/envelope" || exit 54
code=$(cat '%[1]s/code' 2>/dev/null || echo 0)
exit $code
`, q.Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(q.Path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return q
}

// SetCode makes the following runs exit with code.
func (q *QueueStandIn) SetCode(t testing.TB, code int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(q.Dir, "code"), []byte(strconv.Itoa(code)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Queued is "message|envelope" for each run so far, sorted; a run still
// writing shows what it has written.
func (q *QueueStandIn) Queued(t testing.TB) []string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(q.Dir, "q.*"))
	var out []string
	for _, d := range dirs {
		m, _ := os.ReadFile(filepath.Join(d, "message"))
		e, _ := os.ReadFile(filepath.Join(d, "envelope"))
		out = append(out, string(m)+"|"+string(e))
	}
	sort.Strings(out)
	return out
}

// SMTPHome makes a qmail home for qmail-smtpd (or qmail-qmtpd) in a fresh
// directory: control/me is me, control/rcpthosts lists rcpthosts, and
// bin/qmail-queue, where the servers look when $QMAILQUEUE is unset, is a
// QueueStandIn.
func SMTPHome(t testing.TB, me string, rcpthosts ...string) (home string, q *QueueStandIn) {
	t.Helper()
	home = t.TempDir()
	ctl := filepath.Join(home, "control")
	if err := os.MkdirAll(ctl, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"me": me + "\n", "rcpthosts": strings.Join(rcpthosts, "\n") + "\n"} {
		if err := os.WriteFile(filepath.Join(ctl, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return home, StandInQueue(t, filepath.Join(home, "bin"))
}

// WriteFiles writes each file (a path relative to dir, directories made
// as needed) with its text, mode 0644.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
