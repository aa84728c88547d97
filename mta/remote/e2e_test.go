package remote

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

// instance is a qmail home with control files, and the DNS the runs see.
type instance struct {
	home string
	env  []string
	dns  *dnstest.Server
}

func newInstance(t *testing.T, zone string, controls map[string]string) *instance {
	t.Helper()
	home := t.TempDir()
	for _, d := range []string{"control", "queue/lock"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := controls["me"]; !ok {
		controls["me"] = "quail.test"
	}
	for name, body := range controls {
		if err := os.WriteFile(filepath.Join(home, "control", name), []byte(body+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var lines []string
	for _, l := range strings.Split(zone, "\n") {
		lines = append(lines, strings.TrimSpace(l)) // a leading blank means "same owner"
	}
	srv := dnstest.Start(t, strings.Join(lines, "\n"))
	return &instance{home: home, env: []string{"QMAILHOME=" + home, "DNSCACHEIP=" + srv.Addr, "PATH=/usr/bin:/bin"}, dns: srv}
}

// run runs qmail-remote and returns its reports, each letter and text.
func (in *instance) run(t *testing.T, message string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, "qmail-remote"), args...)
	cmd.Env = in.env
	cmd.Stdin = strings.NewReader(message)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("qmail-remote %v: %v (stderr %q)", args, err, stderr.String())
	}
	if len(out) == 0 || out[len(out)-1] != 0 {
		t.Fatalf("output does not end in NUL: %q", out)
	}
	return strings.Split(string(out[:len(out)-1]), "\x00")
}

// letters gives the first letter of each report, "rrK" for example.
func letters(reports []string) string {
	var b strings.Builder
	for _, r := range reports {
		if r != "" {
			b.WriteByte(r[0])
		}
	}
	return b.String()
}

func last(reports []string) string { return reports[len(reports)-1] }

const testMessage = "From: a@quail.test\nSubject: test\n\nfirst line\n.leading dot\n.\nlast line\n"

// waitListening polls until something accepts on addr.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	if !testbin.Eventually(10*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("nothing listens on %s", addr)
	}
}

func freePort(t *testing.T, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}

// Delivery to Postfix's smtp-sink through an smtproutes relay.
func TestSmtpSink(t *testing.T) {
	sink := testbin.Peer(t, "smtp-sink")
	dump := filepath.Join(t.TempDir(), "dump")
	user := os.Getenv("USER")
	if user == "" {
		out, _ := exec.Command("id", "-un").Output()
		user = strings.TrimSpace(string(out))
	}
	cases := []struct {
		why   string
		flags []string
		want  string
		text  string
	}{
		{"accepted", nil, "rrK", "K127.0.0.1 accepted message.\nRemote host said: 250"},
		{"RCPT refused for good: h, then D", []string{"-f", "rcpt"}, "hhD", "DGiving up on 127.0.0.1.\n"},
		{"RCPT refused for now: s, then D", []string{"-r", "rcpt"}, "ssD", "DGiving up on 127.0.0.1.\n"},
		{"4xx after the message: Z", []string{"-r", "."}, "rrZ", "Z127.0.0.1 failed after I sent the message.\nRemote host said: 450"},
		{"5xx after the message: D", []string{"-f", "."}, "rrD", "D127.0.0.1 failed after I sent the message.\nRemote host said: 5"},
		{"sender refused: D alone", []string{"-f", "mail"}, "D", "DConnected to 127.0.0.1 but sender was rejected.\nRemote host said: 5"},
	}
	for _, c := range cases {
		t.Run(c.why, func(t *testing.T) {
			os.Remove(dump)
			port := freePort(t, "127.0.0.1")
			args := append([]string{"-u", user, "-D", dump}, c.flags...)
			args = append(args, "127.0.0.1:"+port, "10")
			cmd := exec.Command(sink, args...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			waitListening(t, "127.0.0.1:"+port)
			in := newInstance(t, "", map[string]string{"smtproutes": "sink.test:127.0.0.1:" + port})
			rep := in.run(t, testMessage, "sink.test", "a@quail.test", "x@sink.test", "y@sink.test")
			if letters(rep) != c.want || !strings.HasPrefix(last(rep), c.text) {
				t.Fatalf("reports %q", rep)
			}
			if c.want == "rrK" {
				b, _ := os.ReadFile(dump)
				got := string(b)
				for _, want := range []string{"X-Rcpt-Args: <x@sink.test>", "X-Rcpt-Args: <y@sink.test>", "X-Mail-Args: <a@quail.test>", "\n.leading dot\n", "\n.\nlast line\n"} {
					if !strings.Contains(strings.ReplaceAll(got, "\r\n", "\n"), want) {
						t.Errorf("dump lacks %q:\n%s", want, got)
					}
				}
			}
		})
	}
}

// Per-recipient and per-message mapping of reply codes, with a scripted
// server.
func TestReplyMapping(t *testing.T) {
	cases := []struct {
		why  string
		data string
		want string
		text string
	}{
		{"2xx after data", "250 queued", "rhsK", "K127.0.0.1 accepted message.\nRemote host said: 250 queued\n"},
		{"4xx after data", "452 disk full", "rhsZ", "Z127.0.0.1 failed after I sent the message.\nRemote host said: 452 disk full\n"},
		{"5xx after data", "554 spam", "rhsD", "D127.0.0.1 failed after I sent the message.\nRemote host said: 554 spam\n"},
	}
	for _, c := range cases {
		t.Run(c.why, func(t *testing.T) {
			srv := startFake(t, "127.0.0.1:0", func(s *fakeSMTP) {
				s.data = c.data
				s.rcpt = func(a string) string {
					switch {
					case strings.HasPrefix(a, "bad@"):
						return "550-no such user\r\n550 really"
					case strings.HasPrefix(a, "later@"):
						return "451 try later"
					}
					return "250 ok"
				}
			})
			in := newInstance(t, "", map[string]string{"smtproutes": ":127.0.0.1:" + srv.Port()})
			rep := in.run(t, testMessage, "fake.test", "a@quail.test", "ok@fake.test", "bad@fake.test", "later@fake.test")
			if letters(rep) != c.want || last(rep) != c.text {
				t.Fatalf("reports %q", rep)
			}
			if rep[1] != "h127.0.0.1 does not like recipient.\nRemote host said: 550-no such user\n550 really\n" {
				t.Errorf("refusal text %q", rep[1])
			}
			if rep[2] != "s127.0.0.1 does not like recipient.\nRemote host said: 451 try later\n" {
				t.Errorf("deferral text %q", rep[2])
			}
		})
	}
}

// The envelope and message on the wire: pipelined group, SIZE, BODY,
// dot-stuffing, CR LF; HELO when EHLO is refused; the server's SIZE limit.
func TestWireForm(t *testing.T) {
	eight := "Subject: body\n\ncaf\xc3\xa9\n" // 8-bit body, ASCII header: no SMTPUTF8 needed
	t.Run("ESMTP with 8-bit message", func(t *testing.T) {
		srv := startFake(t, "127.0.0.1:0", nil)
		in := newInstance(t, "", map[string]string{"smtproutes": ":127.0.0.1:" + srv.Port(), "helohost": "helo.quail.test"})
		rep := in.run(t, eight, "fake.test", "a b@quail.test", "x@fake.test")
		if letters(rep) != "rK" {
			t.Fatalf("reports %q", rep)
		}
		lines := srv.Dialogue()
		want := []string{"EHLO helo.quail.test", `MAIL FROM:<"a b"@quail.test> SIZE=24 BODY=8BITMIME`, "RCPT TO:<x@fake.test>", "DATA", "QUIT"}
		if strings.Join(lines, "|") != strings.Join(want, "|") {
			t.Fatalf("dialogue %q, want %q", lines, want)
		}
		if msgs := srv.Messages(); len(msgs) != 1 || msgs[0] != strings.ReplaceAll(eight, "\n", "\r\n") {
			t.Fatalf("messages %q", msgs)
		}
	})
	t.Run("dot-stuffing", func(t *testing.T) {
		srv := startFake(t, "127.0.0.1:0", nil)
		in := newInstance(t, "", map[string]string{"smtproutes": ":127.0.0.1:" + srv.Port()})
		in.run(t, testMessage, "fake.test", "a@quail.test", "x@fake.test")
		want := "From: a@quail.test\r\nSubject: test\r\n\r\nfirst line\r\n..leading dot\r\n..\r\nlast line\r\n"
		if msgs := srv.Messages(); len(msgs) != 1 || msgs[0] != want {
			t.Fatalf("messages %q", msgs)
		}
	})
	t.Run("HELO fallback, no parameters", func(t *testing.T) {
		srv := startFake(t, "127.0.0.1:0", func(s *fakeSMTP) { s.noEHLO = true })
		in := newInstance(t, "", map[string]string{"smtproutes": ":127.0.0.1:" + srv.Port()})
		rep := in.run(t, eight, "fake.test", "a@quail.test", "x@fake.test", "y@fake.test")
		if letters(rep) != "rrK" {
			t.Fatalf("reports %q", rep)
		}
		want := "EHLO quail.test|HELO quail.test|MAIL FROM:<a@quail.test>|RCPT TO:<x@fake.test>|RCPT TO:<y@fake.test>|DATA|QUIT"
		if got := strings.Join(srv.Dialogue(), "|"); got != want {
			t.Fatalf("dialogue %q", got)
		}
	})
	t.Run("message over the server's SIZE", func(t *testing.T) {
		srv := startFake(t, "127.0.0.1:0", func(s *fakeSMTP) { s.ext = []string{"SIZE 10"} })
		in := newInstance(t, "", map[string]string{"smtproutes": ":127.0.0.1:" + srv.Port()})
		rep := in.run(t, testMessage, "fake.test", "a@quail.test", "x@fake.test")
		if len(rep) != 1 || !strings.HasPrefix(rep[0], "DConnected to 127.0.0.1 but the message is larger than it accepts") {
			t.Fatalf("reports %q", rep)
		}
	})
}

// A message that holds bare CRs, CR LF pairs and bare-CR dot lines (the
// "SMTP smuggling" of a second message behind "CR . CR") reaches the next
// hop with every line end as CR LF over SMTP, as LF over QMTP: it stays
// one message there, whichever line end that host believes in.
func TestBareCROnwards(t *testing.T) {
	const msg = "Subject: one\r\n\nbody\r.\rMAIL FROM:<evil@x.test>\rRCPT TO:<victim@sink.test>\rDATA\r\nSubject: two\n\r\n.\r\nend\n"
	t.Run("SMTP", func(t *testing.T) {
		sink := testbin.StartSMTPSink(t)
		in := newInstance(t, "", map[string]string{"smtproutes": ":127.0.0.1:" + sink.Port()})
		if rep := in.run(t, msg, "sink.test", "a@quail.test", "x@sink.test"); letters(rep) != "rK" {
			t.Fatalf("reports %q", rep)
		}
		want := "Subject: one\r\n\r\nbody\r\n..\r\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@sink.test>\r\nDATA\r\nSubject: two\r\n\r\n..\r\nend\r\n"
		if got := sink.Messages(); len(got) != 1 || got[0] != want {
			t.Fatalf("the sink got %q\nwant %q", got, want)
		}
	})
	t.Run("QMTP", func(t *testing.T) {
		srv := startQMTP(t)
		_, port, _ := net.SplitHostPort(srv.addr)
		in := newInstance(t, "", map[string]string{"qmtproutes": ":127.0.0.1:" + port})
		if rep := in.run(t, msg, "q.test", "a@quail.test", "x@q.test"); letters(rep) != "rK" {
			t.Fatalf("reports %q", rep)
		}
		want := "Subject: one\n\nbody\n.\nMAIL FROM:<evil@x.test>\nRCPT TO:<victim@sink.test>\nDATA\nSubject: two\n\n.\nend\n"
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if string(srv.msg) != want {
			t.Fatalf("the server got %q\nwant %q", srv.msg, want)
		}
	})
}

func TestLocalFailures(t *testing.T) {
	in := newInstance(t, "", map[string]string{"smtproutes": ":127.0.0.1:1"})
	cases := []struct {
		why  string
		msg  string
		args []string
		want string
	}{
		{"too few arguments", testMessage, []string{"host", "sender"}, "DI (qmail-remote) was invoked improperly. (#5.3.5)\n"},
		{"partial last line", "no newline", []string{"x.test", "a@b", "c@x.test"}, "DSMTP cannot transfer messages with partial final lines. (#5.6.2)\n"},
		{"CR LF in an address", testMessage, []string{"x.test", "a@b", "c\r\nRSET@x.test"}, "DI (qmail-remote) was invoked improperly. (#5.3.5)\n"},
		{"nobody listening", testMessage, []string{"x.test", "a@b", "c@x.test"}, "ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"},
	}
	for _, c := range cases {
		if rep := in.run(t, c.msg, c.args...); len(rep) != 1 || rep[0] != c.want {
			t.Errorf("%s: reports %q", c.why, rep)
		}
	}
	bad := &instance{home: in.home, env: []string{"QMAILHOME=" + filepath.Join(in.home, "missing")}}
	if rep := bad.run(t, testMessage, "x.test", "a@b", "c@x.test"); rep[0] != "ZUnable to switch to home directory. (#4.3.0)\n" {
		t.Errorf("missing home: %q", rep)
	}
	os.WriteFile(filepath.Join(in.home, "control", "timeoutremote"), []byte("soon\n"), 0o644)
	if rep := in.run(t, testMessage, "x.test", "a@b", "c@x.test"); rep[0] != "ZUnable to read control files. (#4.3.0)\n" {
		t.Errorf("bad control file: %q", rep)
	}
}
