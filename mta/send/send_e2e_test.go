package send

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

var allDirs = []string{"pid", "intd", "todo", "info", "local", "remote", "bounce", "mess"}

// TestDeliverAndBounce follows one message with a local and a refused
// remote recipient through the log lines of qmail-log(5), the Maildir
// and the bounce, and checks the queue is empty afterwards.
func TestDeliverAndBounce(t *testing.T) {
	in := newInstance(t, nil)
	in.start()
	in.waitLog(`status: local 0/10 remote 0/20\n`)
	if code := in.inject("Subject: one\n\nbody\n", "sender@localhost", "joe@localhost", "x@fail.example"); code != 0 {
		t.Fatalf("qmail-queue exit %d", code)
	}
	m := in.waitLog(`new msg (\d+)\n`)
	id := m[1]
	in.waitLog(`info msg ` + id + `: bytes \d+ from <sender@localhost> qp \d+ uid \d+\n`)
	in.waitLog(`starting delivery (\d+): msg ` + id + ` to local joe@localhost\n`)
	in.waitLog(`starting delivery (\d+): msg ` + id + ` to remote x@fail.example\n`)
	in.waitLog(`delivery \d+: success: `)
	in.waitLog(`delivery \d+: failure: Sorry,_fail.example_refuses_x@fail.example./Giving_up./\n`)
	in.waitLog(`bounce msg ` + id + ` qp \d+\n`)
	in.waitLog(`end msg ` + id + `\n`)
	mail := in.waitMail(2)
	var bounce string
	for _, msg := range mail {
		if strings.Contains(msg, "Subject: failure notice") {
			bounce = msg
		}
	}
	for _, want := range []string{
		"Return-Path: <>\n",
		"From: MAILER-DAEMON@localhost\n",
		"To: sender@localhost\n",
		"\nHi. This is the qmail-send program at localhost.\n",
		"\n<x@fail.example>:\nSorry, fail.example refuses x@fail.example.\nGiving up.\n\n--- Below this line is a copy of the message.\n\nReturn-Path: <sender@localhost>\nReceived: (qmail ",
		"Subject: one\n\nbody\n",
	} {
		if !strings.Contains(bounce, want) {
			t.Errorf("bounce lacks %q:\n%s", want, bounce)
		}
	}
	in.waitLog(`end msg \d+\n(.|\n)*end msg \d+\n`) // the bounce's own end
	if err := in.stop(); err != nil {
		t.Errorf("qmail-send exit after SIGTERM: %v", err)
	}
	if !strings.HasSuffix(in.log(), "status: exiting\n") {
		t.Errorf("log does not end with status: exiting:\n%s", in.log())
	}
	if f := in.queueFiles(allDirs...); len(f) != 0 {
		t.Errorf("queue not empty: %v", f)
	}
	// Delivery numbers are unique across channels, and each start has
	// exactly one outcome with its number.
	starts := regexp.MustCompile(`starting delivery (\d+):`).FindAllStringSubmatch(in.log(), -1)
	seen := map[string]bool{}
	for _, m := range starts {
		if seen[m[1]] {
			t.Errorf("delivery number %s used twice", m[1])
		}
		seen[m[1]] = true
		if n := len(regexp.MustCompile(`(?m)^delivery `+m[1]+`: `).FindAllString(in.log(), -1)); n != 1 {
			t.Errorf("delivery %s has %d outcomes", m[1], n)
		}
	}
	// Every line is one of qmail-log(5)'s.
	known := regexp.MustCompile(`^(status: local \d+/\d+ remote \d+/\d+|status: exiting|new msg \d+|info msg \d+: bytes \d+ from <[^>]*> qp \d+ uid \d+|starting delivery \d+: msg \d+ to (local|remote) \S+|delivery \d+: (success|failure|deferral): .*|bounce msg \d+ qp \d+|end msg \d+)$`)
	for _, l := range strings.Split(strings.TrimSuffix(in.log(), "\n"), "\n") {
		if !known.MatchString(l) {
			t.Errorf("log line not in qmail-log(5) form: %q", l)
		}
	}
}

// TestRetryOnAlarm: a deferred delivery waits for its retry time; SIGALRM
// makes qmail-send try it at once.
func TestRetryOnAlarm(t *testing.T) {
	in := newInstance(t, nil)
	in.start()
	if code := in.inject("Subject: two\n\n", "s@localhost", "a@defer.example"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	in.waitLog(`delivery \d+: deferral: Try_again_later./deferred/\n`)
	os.WriteFile(filepath.Join(in.home, "ok"), nil, 0o644)
	in.signal(syscall.SIGALRM)
	in.waitLog(`delivery \d+: success: accepted_by_defer.example/\n`)
	in.waitLog(`end msg \d+\n`)
}

// TestRestartKeepsRetrySchedule: qmail-start stopped with SIGTERM (what
// svc -t does) and started again does not retry a deferred remote
// delivery before its time, 400 s after the message's birth: the
// remote/N file's modification time holds it, as in qmail 1.03. A
// message queued after the restart is delivered meanwhile.
func TestRestartKeepsRetrySchedule(t *testing.T) {
	in := newInstance(t, nil)
	in.start()
	if code := in.inject("Subject: later\n\n", "s@localhost", "a@defer.example"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	id := in.waitLog(`starting delivery \d+: msg (\d+) to remote a@defer.example\n`)[1]
	in.waitLog(`delivery \d+: deferral: Try_again_later./deferred/\n`)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	remote := in.queueFiles("remote")
	info := in.queueFiles("info")
	if len(remote) != 1 || len(info) != 1 {
		t.Fatalf("queue holds remote %v, info %v", remote, info)
	}
	stat := func(f string) time.Time {
		fi, err := os.Stat(filepath.Join(in.home, "queue", f))
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime()
	}
	birth := stat(info[0])
	if got, want := stat(remote[0]), time.Unix(birth.Unix()+400, 0); !got.Equal(want) {
		t.Errorf("%s has time %v, want the retry at birth + 400 s, %v", remote[0], got, want)
	}
	before := len(in.log())
	in.start()
	in.inject("Subject: now\n\n", "s@localhost", "joe@localhost")
	in.waitMail(1)
	in.waitLog(`end msg \d+\n`)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	if again := in.log()[before:]; strings.Contains(again, "msg "+id+" to remote") {
		t.Errorf("retried at once after the restart:\n%s", again)
	}
}

// TestLifetimeAndTripleBounce: with queuelifetime 0 a deferral is final;
// the bounce of a message from #@[] is discarded.
func TestLifetimeAndTripleBounce(t *testing.T) {
	in := newInstance(t, map[string]string{"queuelifetime": "0"})
	in.start()
	in.inject("Subject: three\n\n", "#@[]", "a@defer.example")
	in.waitLog(`delivery \d+: failure: Try_again_later./deferred/I'm_not_going_to_try_again;_this_message_has_been_in_the_queue_too_long./\n`)
	m := in.waitLog(`triple bounce: discarding bounce/(\d+)\n`)
	in.waitLog(`end msg ` + m[1] + `\n`)
	if n := len(in.mail()); n != 0 {
		t.Errorf("%d messages delivered, want none", n)
	}
}

// TestHupRereadsControls: concurrencylocal changes on SIGHUP, and
// virtualdomains too.
func TestHupRereadsControls(t *testing.T) {
	in := newInstance(t, nil)
	in.start()
	in.waitLog(`status: local 0/10 remote 0/20\n`)
	in.control("concurrencylocal", "3")
	in.control("virtualdomains", "virt.example:pre")
	in.signal(syscall.SIGHUP)
	// The next status line shows the new limit; a message for the
	// virtual domain is delivered locally with the prepended address.
	deadline := 0
	for deadline < 200 && !strings.Contains(in.log(), "local 0/3") {
		in.inject("Subject: v\n\n", "s@localhost", "mike@virt.example")
		in.waitLog(`end msg \d+\n`)
		deadline++
	}
	in.waitLog(`starting delivery \d+: msg \d+ to local pre-mike@virt.example\n`)
	in.waitLog(`status: local \d/3 remote 0/20\n`)
	mail := in.waitMail(1)
	if !strings.Contains(mail[0], "Delivered-To: pre-mike@virt.example\n") {
		t.Errorf("delivered without the prepended address:\n%s", mail[0])
	}
}

// TestSendMutex: a second qmail-send on the same queue refuses to start.
func TestSendMutex(t *testing.T) {
	in := newInstance(t, nil)
	in.start()
	in.waitLog(`status: local 0/10 remote 0/20\n`)
	second := newInstanceSameHome(t, in)
	second.start()
	select {
	case err := <-second.waited:
		second.cmd = nil
		if err == nil {
			t.Error("second qmail-send exited 0")
		}
	case <-timeout(t):
		t.Fatal("second qmail-send still runs")
	}
	if !strings.Contains(second.log(), "alert: cannot start: qmail-send is already running") {
		t.Errorf("no alert in log: %q", second.log())
	}
}

// TestStartWithLogger: qmail-start's extra arguments name a logger that
// reads qmail-send's log on its standard input.
func TestStartWithLogger(t *testing.T) {
	in := newInstance(t, nil)
	logged := filepath.Join(t.TempDir(), "logger-out")
	logf, err := os.Create(in.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(testbin.Path(t, "qmail-start"), "./Maildir/", "sh", "-c", "exec cat > "+logged)
	cmd.Env = in.env()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	in.inject("Subject: l\n\n", "s@localhost", "joe@localhost")
	in.waitMail(1)
	if !testbin.Eventually(30*time.Second, func() bool {
		b, _ := os.ReadFile(logged)
		return strings.Contains(string(b), "end msg ")
	}) {
		b, _ := os.ReadFile(logged)
		t.Fatalf("logger got %q", b)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	if out := in.log(); out != "" {
		t.Errorf("standard output got %q; the log belongs to the logger", out)
	}
}

// TestTriggerSurvivesGarbage: lock/trigger is writable by anyone; a long
// write without any structure must not stop qmail-send from hearing later
// triggers (the next todo/ scan without one is 25 minutes away).
func TestTriggerSurvivesGarbage(t *testing.T) {
	in := newInstance(t, nil)
	in.start()
	in.waitLog(`status: local 0/10 remote 0/20\n`)
	f, err := os.OpenFile(filepath.Join(in.home, "queue", "lock", "trigger"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(strings.Repeat("garbage without newline ", 8000)))
	f.Close()
	for i := 0; i < 3; i++ {
		in.inject("Subject: g\n\n", "s@localhost", "joe@localhost")
		in.waitMail(i + 1)
	}
}

// TestStartPrivilegedNeedsUsers: root outside a single-user instance runs
// each daemon as its qmail user; without those users qmail-start refuses.
func TestStartPrivilegedNeedsUsers(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("the privileged setup is root's")
	}
	if _, err := user.Lookup("qmails"); err == nil {
		t.Skip("this machine has the qmail users")
	}
	in := newInstance(t, nil)
	os.Remove(filepath.Join(in.home, "control", "singleuser"))
	out, code := in.run("qmail-start", "./Maildir/")
	if code != 111 || !strings.Contains(out, "qmail-start: fatal: unable to find user qmails") {
		t.Errorf("exit %d, %q", code, out)
	}
}

// TestLastTryAtLifetime: the retry that would come after queuelifetime is
// moved to the moment the message reaches it; that try's deferral is
// final.
func TestLastTryAtLifetime(t *testing.T) {
	in := newInstance(t, map[string]string{"queuelifetime": "2"})
	in.start()
	in.inject("Subject: life\n\n", "s@localhost", "a@defer.example")
	in.waitLog(`delivery \d+: deferral: Try_again_later./deferred/\n`)
	in.waitLog(`delivery \d+: failure: Try_again_later./deferred/I'm_not_going_to_try_again;_this_message_has_been_in_the_queue_too_long./\n`)
	in.waitLog(`bounce msg \d+ qp \d+\n`)
	in.waitMail(1)
}

// TestCannotStartWithoutMe: control/me is required.
func TestCannotStartWithoutMe(t *testing.T) {
	in := newInstance(t, nil)
	os.Remove(filepath.Join(in.home, "control", "me"))
	in.start()
	select {
	case err := <-in.waited:
		in.cmd = nil
		if err == nil {
			t.Error("qmail-send exited 0 without control/me")
		}
	case <-timeout(t):
		t.Fatal("qmail-send runs without control/me")
	}
	if in.log() != "alert: cannot start: unable to read controls\n" {
		t.Errorf("log: %q", in.log())
	}
}
