package send

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/spawn"
)

var update = flag.Bool("update", false, "rewrite testdata/qmail-send.log from the programs' log")

// TestSafe pins qsutil.c's logsafe: '\n' to '/'; '%', bytes below 33
// and above 126 to '_'.
func TestSafe(t *testing.T) {
	for _, c := range []struct{ why, in, want string }{
		{"a report's lines", "did 1+0+0\nqp 123\n", "did_1+0+0/qp_123/"},
		{"spaces and tabs", "a b\tc", "a_b_c"},
		{"control characters and DEL", "a\x01b\rc\x7f", "a_b_c_"},
		{"'%', which qmail calls unsafe on principle", "u%v@w", "u_v@w"},
		{"every byte of 128 and above, one by one", "caf\xc3\xa9\xff", "caf___"},
		{"the printable rest is kept", "!\"#$&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~", "!\"#$&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~"},
		{"empty", "", ""},
	} {
		if got := Safe(c.in); got != c.want {
			t.Errorf("%s: Safe(%q) = %q, want %q", c.why, c.in, got, c.want)
		}
	}
}

// TestLogLines pins every line qmail-send writes against qmail 1.03's
// own (qmail-send.c, the function each case names; qmail-log(5)).
func TestLogLines(t *testing.T) {
	for _, c := range []struct{ why, got, want string }{
		{"todo_do", lineNewMsg(123), "new msg 123"},
		{"todo_do: fmt_ulong of st_size, logsafe of the sender, the p and u records",
			lineInfoMsg(123, 4567, "a b@c.example", "8910", "1001"), "info msg 123: bytes 4567 from <a_b@c.example> qp 8910 uid 1001"},
		{"todo_do: the null sender", lineInfoMsg(5, 1, "", "7", "0"), "info msg 5: bytes 1 from <> qp 7 uid 0"},
		{"todo_do: scan_ulong reads the leading digits; none is 0", lineInfoMsg(5, 1, "s@d", "007x", ""), "info msg 5: bytes 1 from <s@d> qp 7 uid 0"},
		{"del_start: logsafe of the recipient", lineStarting(1, 123, Local, "joe@localhost"), "starting delivery 1: msg 123 to local joe@localhost"},
		{"del_start: remote", lineStarting(22, 9, Remote, "a b@far.example"), "starting delivery 22: msg 9 to remote a_b@far.example"},
		{"del_dochan K: qmail-local's report", lineDelivery(1, spawn.Success, "did 1+0+0\n"), "delivery 1: success: did_1+0+0/"},
		{"del_dochan K: a forward", lineDelivery(2, spawn.Success, "did 0+1+0\nqp 4242\n"), "delivery 2: success: did_0+1+0/qp_4242/"},
		{"del_dochan K: qmail-remote's report",
			lineDelivery(3, spawn.Success, "127.0.0.1 accepted message.\nRemote host said: 250 ok 1234567890 qp 5678\n"),
			"delivery 3: success: 127.0.0.1_accepted_message./Remote_host_said:_250_ok_1234567890_qp_5678/"},
		{"del_dochan D: a refused recipient and qmail-remote giving up",
			lineDelivery(4, spawn.Failure, "127.0.0.1 does not like recipient.\nRemote host said: 550 no such user\nGiving up on 127.0.0.1.\n"),
			"delivery 4: failure: 127.0.0.1_does_not_like_recipient./Remote_host_said:_550_no_such_user/Giving_up_on_127.0.0.1./"},
		{"del_dochan Z", lineDelivery(5, spawn.Deferral, "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"),
			"delivery 5: deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/"},
		{"del_dochan: a deferral past queuelifetime", lineDelivery(6, spawn.Failure, "Try again.\n"+giveUpText),
			"delivery 6: failure: Try_again./I'm_not_going_to_try_again;_this_message_has_been_in_the_queue_too_long./"},
		{"del_status", lineStatus(1, 10, 2, 20, false), "status: local 1/10 remote 2/20"},
		{"del_status after SIGTERM", lineStatus(0, 10, 3, 20, true), "status: local 0/10 remote 3/20 exitasap"},
		{"main", lineExiting, "status: exiting"},
		{"injectbounce", lineBounceMsg(123, 4567), "bounce msg 123 qp 4567"},
		{"injectbounce: a double bounce's bounce", lineTripleBounce(123), "triple bounce: discarding bounce/123"},
		{"messdone", lineEndMsg(123), "end msg 123"},
		{"injectbounce, with the doublebounce-trim patch", lineDoubleBounce(123), "double bounce: discarding bounce/123"},
		{"pqfinish", warnUtime("remote/3/123"), "warning: unable to utime remote/3/123; message will be retried too soon"},
		{"markdone", warnMarking("local/3/123"), "warning: trouble marking local/3/123; message will be delivered twice!"},
		{"messdone, cleanup_do", warnCleanUp("foop/123"), "warning: qmail-clean unable to clean up foop/123"},
		{"todo_do", warnCleanUp("todo/123"), "warning: qmail-clean unable to clean up todo/123"},
		{"injectbounce", warnUnlink("bounce/123"), "warning: unable to unlink bounce/123"},
		{"pqadd", warnStatLater("info/3/123"), "warning: unable to stat info/3/123; will try again later"},
		{"pass_dochan", warnReadingLater("remote/3/123"), "warning: trouble reading remote/3/123; will try again later"},
		{"todo_do", warnTodo("unable to open", "todo/123"), "warning: unable to open todo/123"},
		{"todo_do", warnTodo("unable to stat", "mess/3/123"), "warning: unable to stat mess/3/123"},
		{"todo_do", warnTodo("unable to create", "info/3/123"), "warning: unable to create info/3/123"},
		{"todo_do", warnTodo("trouble writing to", "local/3/123"), "warning: trouble writing to local/3/123"},
		{"todo_do", warnTodo("trouble fsyncing", "remote/3/123"), "warning: trouble fsyncing remote/3/123"},
		{"todo_do", warnTodo("trouble reading", "todo/123"), "warning: trouble reading todo/123"},
		{"injectbounce", warnInjectBounce, "warning: trouble injecting bounce message, will try later"},
		{"injectbounce", warnStartQueue, "warning: unable to start qmail-queue, will try later"},
		{"del_dochan", warnReportRange, "warning: internal error: delivery report out of range"},
		{"spawndied", alertLostSpawn, "alert: oh no! lost spawn connection! dying..."},
		{"cleandied", alertLostClean, "alert: oh no! lost qmail-clean connection! dying..."},
		{"pausedir", alertOpendirTodo, "alert: unable to opendir todo, sleeping..."},
		{"regetcontrols", "alert: unable to reread " + "control/locals", "alert: unable to reread control/locals"},
		{"main", alertCannotStart + startControls, "alert: cannot start: unable to read controls"},
		{"main", alertCannotStart + startQueueDir, "alert: cannot start: unable to switch to queue directory"},
		{"main", alertCannotStart + startMutex, "alert: cannot start: unable to open mutex"},
		{"main", alertCannotStart + startRunning, "alert: cannot start: qmail-send is already running"},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.why, c.got, c.want)
		}
	}
}

// logFilter makes a log comparable across runs: message ids become N1,
// N2 ... as each new msg line brings one (an id is an inode number, which
// a later message can get again), and the numbers that come from pids,
// uids and message sizes (the Received line holds a pid and a date)
// become P, U and B.
func logFilter(log string) string {
	ids := map[string]string{}
	n := 0
	rx := regexp.MustCompile(`(msg |bounce/)(\d+)|(bytes |qp |qp_|uid )(\d+)`)
	lines := strings.SplitAfter(log, "\n")
	for i, l := range lines {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "new" && f[1] == "msg" {
			n++
			ids[f[2]] = "N" + strconv.Itoa(n)
		}
		lines[i] = rx.ReplaceAllStringFunc(l, func(m string) string {
			s := rx.FindStringSubmatch(m)
			if s[1] != "" {
				if id, ok := ids[s[2]]; ok {
					return s[1] + id
				}
				return s[1] + "N?"
			}
			return s[3] + map[string]string{"bytes ": "B", "qp ": "P", "qp_": "P", "uid ": "U"}[s[3]]
		})
	}
	return strings.Join(lines, "")
}

// useReal puts quail's programs into the instance's bin/ in place of
// the stand-ins.
func (in *instance) useReal(progs ...string) {
	in.t.Helper()
	for _, p := range progs {
		link := filepath.Join(in.home, "bin", p)
		os.Remove(link)
		if err := os.Symlink(testbin.Path(in.t, p), link); err != nil {
			in.t.Fatal(err)
		}
	}
}

// TestLogGolden runs qmail-start with the real qmail-lspawn, qmail-local,
// qmail-rspawn and qmail-remote (through smtproutes to a recording SMTP
// sink, or to a closed port), one message at a time for every kind of
// delivery result: local success, local failure (a .qmail program that
// exits 100) and its bounce, remote success, a recipient the remote host
// refuses and the bounce, a remote deferral, a triple bounce; then
// SIGTERM. The log, filtered of pids, sizes and message ids, must be
// testdata/qmail-send.log, which is in qmail 1.03's form line by line.
func TestLogGolden(t *testing.T) {
	sink := testbin.StartSMTPSink(t)
	in := newInstance(t, map[string]string{"smtproutes": "far.example:127.0.0.1:" + sink.Port() + "\nclosed.example:127.0.0.1:1"})
	in.useReal("qmail-remote", "qmail-queue")
	if err := os.WriteFile(filepath.Join(filepath.Dir(in.maildir), ".qmailbad"), []byte("|echo No such box here, sorry.; exit 100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in.start()
	in.waitLog(`^status: local 0/10 remote 0/20\n`)
	ends := 0
	send := func(sender, recip string, messages int) {
		t.Helper()
		if code := in.inject("Subject: golden\n\nbody\n", sender, recip); code != 0 {
			t.Fatalf("qmail-queue exit %d", code)
		}
		ends += messages
		if !testbin.Eventually(30*time.Second, func() bool { return strings.Count(in.log(), "\nend msg ") >= ends }) {
			t.Fatalf("to %s: %d messages ended, want %d; log:\n%s", recip, strings.Count(in.log(), "\nend msg "), ends, in.log())
		}
	}
	send("s@localhost", "joe@localhost", 1)
	send("s@localhost", "bad@localhost", 2)
	send("s@localhost", "a@far.example", 1)
	send("s@localhost", "refuse@far.example", 2)
	send("#@[]", "refuse@far.example", 1)
	if code := in.inject("Subject: golden\n\nbody\n", "s@localhost", "x@closed.example"); code != 0 {
		t.Fatalf("qmail-queue exit %d", code)
	}
	in.waitLog(`delivery \d+: deferral: .*\nstatus: local 0/10 remote 0/20\n`)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	log := in.log()
	// The qp of each bounce, in its bounce msg line, is the one its
	// info msg line gives.
	for _, m := range regexp.MustCompile(`bounce msg \d+ qp (\d+)\nend msg \d+\nnew msg (\d+)\ninfo msg (\d+): bytes \d+ from <> qp (\d+) `).FindAllStringSubmatch(log, -1) {
		if m[1] != m[4] || m[2] != m[3] {
			t.Errorf("bounce queued with qp %s, info msg %s says qp %s", m[1], m[3], m[4])
		}
	}
	got := logFilter(log)
	golden := filepath.Join("testdata", "qmail-send.log")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("log differs from %s:\n%s\nwant:\n%s", golden, got, want)
	}
}

// TestForwardReport: qmail-local's report of a forward, "did 0+1+0" and
// "qp N", ends up in the log as qmail's "did_0+1+0/qp_N/", and N is the
// qp the forwarded message's own info msg line gives: a message can be
// followed from one to the other.
func TestForwardReport(t *testing.T) {
	in := newInstance(t, nil)
	in.useReal("qmail-queue")
	if err := os.WriteFile(filepath.Join(filepath.Dir(in.maildir), ".qmailfwd"), []byte("&joe@localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in.start()
	in.inject("Subject: fwd\n\n", "s@localhost", "fwd@localhost")
	qp := in.waitLog(`delivery \d+: success: did_0\+1\+0/qp_(\d+)/\n`)[1]
	in.waitLog(`info msg \d+: bytes \d+ from <s@localhost> qp ` + qp + ` uid \d+\n`)
	in.waitMail(1)
}

// TestExitasap: after SIGTERM the status lines end in " exitasap", as
// qmail's del_status writes them, while the deliveries under way finish.
func TestExitasap(t *testing.T) {
	h := newHarness(t)
	h.gate = make(chan struct{})
	id := h.inject("Fs@x.example\x00Twait@localhost\x00\x00")
	// Unbuffered: once the send returns, the main loop has the signal,
	// and it takes it before the report the gate lets out.
	sigs := make(chan os.Signal)
	done := h.run(stepNone, sigs)
	if !testbin.Eventually(30*time.Second, func() bool {
		return strings.Contains(h.log.String(), "status: local 1/10 remote 0/20\n")
	}) {
		t.Fatalf("no delivery started; log:\n%s", h.log.String())
	}
	sigs <- syscall.SIGTERM
	close(h.gate)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("qmail-send did not stop; log:\n%s", h.log.String())
	}
	log := h.log.String()
	want := "starting delivery 1: msg " + id.String() + " to local wait@localhost\nstatus: local 1/10 remote 0/20\n" +
		"delivery 1: success: ok/\nstatus: local 0/10 remote 0/20 exitasap\nend msg " + id.String() + "\nstatus: exiting\n"
	if !strings.HasSuffix(log, want) {
		t.Errorf("log:\n%s\nwant it to end:\n%s", log, want)
	}
}

// TestLostSpawnAlert: a spawn daemon that goes away ends qmail-send with
// qmail's alert.
func TestLostSpawnAlert(t *testing.T) {
	h := newHarness(t)
	rpR, rpW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rpR.Close()
	s := &Sender{Q: h.q, Home: h.home}
	done := make(chan error, 1)
	go func() {
		done <- s.Run(testConfig(), Links{Log: &h.log, LspawnW: io.Discard, LspawnR: blockingReader{}, RspawnW: io.Discard, RspawnR: rpR,
			CleanW: io.Discard, CleanR: blockingReader{}})
	}()
	rpW.Close() // qmail-rspawn exits
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Run ended without an error")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("qmail-send did not notice that qmail-rspawn went away")
	}
	if !strings.HasSuffix(h.log.String(), "\nalert: oh no! lost spawn connection! dying...\n") {
		t.Errorf("log:\n%s", h.log.String())
	}
}

// TestDoubleBounceDiscarded: with an empty doublebounceto the bounce of a
// bounce is thrown away with the doublebounce-trim patch's line.
func TestDoubleBounceDiscarded(t *testing.T) {
	in := newInstance(t, map[string]string{"doublebounceto": ""})
	in.start()
	in.inject("Subject: b\n\n", "", "x@fail.example")
	id := in.waitLog(`double bounce: discarding bounce/(\d+)\n`)[1]
	in.waitLog(`end msg ` + id + `\n`)
	if strings.Contains(in.log(), "triple bounce") || len(in.mail()) != 0 {
		t.Errorf("log:\n%s", in.log())
	}
}
