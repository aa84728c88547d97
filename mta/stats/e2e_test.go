package stats

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/users"
)

// runBuilt runs the built qmail-stats with stdin from a file (or none) in
// an empty environment.
func runBuilt(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, "qmail-stats"), args...)
	cmd.Env = []string{}
	if stdin != "" {
		f, err := os.Open(stdin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdin = f
	}
	out, diag, code := testbin.Run(t, cmd)
	return code, out, diag
}

// The built program, as cron would run it: the figures from a pipe, and
// its exit codes.
func TestBuiltProgram(t *testing.T) {
	code, out, diag := runBuilt(t, "testdata/send.log", "-p")
	if code != 0 || diag != "" {
		t.Fatalf("exit %d, %q", code, diag)
	}
	compareGolden(t, "send.prom", out)
	if code, out, diag := runBuilt(t, "", "-z"); code != 100 || out != "" || !strings.HasPrefix(diag, "qmail-stats: usage: ") {
		t.Errorf("unknown option: exit %d, %q, %q", code, out, diag)
	}
	missing := filepath.Join(t.TempDir(), "none")
	if code, out, diag := runBuilt(t, "", "testdata/send.log", missing); code != 111 || out != "" ||
		diag != "qmail-stats: fatal: unable to stat "+missing+": no such file or directory\n" {
		t.Errorf("missing log: exit %d, %q, %q", code, out, diag)
	}
}

// remoteStandIn is qmail-remote for the real qmail-send below:
// fail.example refuses every recipient, any other domain accepts.
const remoteStandIn = `#!/bin/sh
cat >/dev/null
case "$1" in
fail.example) printf 'hSorry, %s refuses %s.\0DGiving up.\0' "$1" "$3" ;;
*) printf 'rOK\0Kaccepted by %s\0' "$1" ;;
esac
`

// quail's own qmail-send, logging through quail's multilog t, is what
// qmail-stats reads: a message to a local and a refused remote recipient
// (a bounce), a bounce refused (a double bounce), a double bounce refused
// (a triple bounce), and a remote success. Every line must be understood
// and every figure follow.
func TestRealQmailSendLog(t *testing.T) {
	for _, p := range []string{"qmail-start", "qmail-send", "qmail-lspawn", "qmail-rspawn", "qmail-clean", "qmail-queue", "qmail-local", "multilog", "qmail-stats"} {
		testbin.Path(t, p)
	}
	dir := t.TempDir()
	home, maildir, logDir := filepath.Join(dir, "qmail"), filepath.Join(dir, "user", "Maildir"), filepath.Join(dir, "log")
	for _, d := range []string{filepath.Join(home, "control"), filepath.Join(home, "bin"), filepath.Join(home, "users"),
		filepath.Join(maildir, "new"), filepath.Join(maildir, "cur"), filepath.Join(maildir, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for name, v := range map[string]string{"me": "localhost", "singleuser": ""} {
		os.WriteFile(filepath.Join(home, "control", name), []byte(v+"\n"), 0o644)
	}
	if _, err := queue.Create(home, 23, queue.Self); err != nil {
		t.Fatal(err)
	}
	ents, err := users.ParseAssign([]byte(fmt.Sprintf("+:tester:%d:%d:%s:::\n.\n", os.Getuid(), os.Getgid(), filepath.Dir(maildir))))
	if err != nil {
		t.Fatal(err)
	}
	if err := users.WriteCDB(filepath.Join(home, "users", "cdb"), ents); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "bin", "qmail-remote"), []byte(remoteStandIn), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"QMAILHOME=" + home, "PATH=/usr/bin:/bin"}

	send := exec.Command(testbin.Path(t, "qmail-start"), "./Maildir/")
	send.Env, send.Dir = env, home
	stop := runLogged(t, send, logDir)

	current := filepath.Join(logDir, "current")
	waitFor := func(re string, n int) {
		t.Helper()
		rx := regexp.MustCompile(re)
		if !testbin.Eventually(30*time.Second, func() bool {
			b, _ := os.ReadFile(current)
			return len(rx.FindAll(b, -1)) >= n
		}) {
			b, _ := os.ReadFile(current)
			t.Fatalf("log never had %d of %q:\n%s", n, re, b)
		}
	}
	waitFor(`status: local 0/10 remote 0/20\n`, 1)
	for _, m := range []struct{ from, to string }{
		{"sender@localhost", "joe@localhost x@fail.example"},
		{"", "y@fail.example"},
		{"#@[]", "z@fail.example"},
		{"a@remote.example", "b@ok.example"},
	} {
		if err := inject(t, env, m.from, strings.Fields(m.to)); err != nil {
			t.Fatal(err)
		}
	}
	// Four messages, the bounce of the first and the double bounce of the
	// second: six ends, and the third's bounce discarded.
	waitFor(`end msg \d+\n`, 6)
	waitFor(`triple bounce: discarding bounce/\d+\n`, 1)
	stop()

	checkFigures(t, logDir, []string{
		`quail_stats_lines_total{class="unknown"} 0`,
		`quail_stats_lines_total{class="bad_stamp"} 0`,
		`quail_send_messages_total 6`,
		`quail_send_messages_completed_total 6`,
		`quail_send_deliveries_started_total{channel="local"} 3`,
		`quail_send_deliveries_started_total{channel="remote"} 4`,
		`quail_send_deliveries_total{channel="local",result="success"} 3`,
		`quail_send_deliveries_total{channel="remote",result="success"} 1`,
		`quail_send_deliveries_total{channel="remote",result="failure"} 3`,
		`quail_send_bounces_total{kind="single"} 1`,
		`quail_send_bounces_total{kind="double"} 1`,
		`quail_send_bounces_total{kind="unknown"} 0`,
		`quail_send_triple_bounces_total 1`,
		`quail_send_delivery_delay_seconds_count{channel="local"} 3`,
		`quail_send_delivery_attempt_seconds_count{channel="remote"} 4`,
		`quail_send_queue_seconds_count 6`,
		`quail_send_results_without_new_msg_total 0`,
		`quail_send_exits_total 1`,
		`quail_send_recipient_domain_deliveries_total{domain="fail.example",result="failure"} 3`,
		`quail_send_recipient_domain_deliveries_total{domain="localhost",result="success"} 3`,
		`quail_send_sender_domain_messages_total{domain="(null)"} 2`, // the second message and the first one's bounce
		`quail_send_sender_domain_messages_total{domain="[]"} 2`,
		`quail_stats_state_dropped_total{what="result_unmatched"} 0`,
		`quail_stats_state_dropped_total{what="delivery_lost_at_exit"} 0`,
	})
}

// inject queues a message with the built qmail-queue: the message on
// descriptor 0, the envelope on descriptor 1.
func inject(t *testing.T, env []string, from string, to []string) error {
	er, ew, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(testbin.Path(t, "qmail-queue"))
	cmd.Env = env
	cmd.Stdin = strings.NewReader("Subject: figures\n\nbody\n")
	cmd.Stdout = er
	if err := cmd.Start(); err != nil {
		er.Close()
		ew.Close()
		return err
	}
	er.Close()
	envelope := "F" + from + "\x00"
	for _, r := range to {
		envelope += "T" + r + "\x00"
	}
	ew.Write([]byte(envelope + "\x00"))
	ew.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("qmail-queue: %w", err)
	}
	return nil
}
