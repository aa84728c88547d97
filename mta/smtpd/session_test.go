package smtpd

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/qqueue"
	"github.com/quail-mta/quail/mta/rcpthosts"
)

// fakeQueue names an in-process stand-in for qmail-queue (standInQueue,
// which testConfig installs): message N of a test goes to dir/msgN, its
// envelope to dir/envN, and the verdict is qqueue.Explain($QCODE), 0
// when unset. No program is started per dialogue.
func fakeQueue(t testing.TB) (prog, dir string) {
	t.Helper()
	dir = t.TempDir()
	return filepath.Join(dir, "qq"), dir
}

// standInQueue is a Queuer for fakeQueue's program: the files go to
// $QDIR, else to the program's directory; a program in a directory that
// does not exist cannot start.
func standInQueue(prog string, env []string) (qqueue.Queue, error) {
	if _, err := os.Stat(filepath.Dir(prog)); err != nil {
		return nil, err
	}
	dir, ok := cli.Lookup(env, "QDIR")
	if !ok {
		dir = filepath.Dir(prog)
	}
	code := 0
	if v, ok := cli.Lookup(env, "QCODE"); ok {
		code, _ = strconv.Atoi(v)
	}
	msgs, _ := filepath.Glob(filepath.Join(dir, "msg*"))
	return &fileQueue{dir: dir, n: len(msgs), result: qqueue.Explain(code)}, nil
}

// fileQueue is one stand-in run: what a shell qmail-queue doing
// "cat > msgN; cat <&1 > envN; exit $QCODE" would leave.
type fileQueue struct {
	dir    string
	n      int
	msg    bytes.Buffer
	result qqueue.Result
}

func (q *fileQueue) Write(p []byte) (int, error) { return q.msg.Write(p) }
func (q *fileQueue) Abort()                      {}
func (q *fileQueue) Pid() int                    { return 4242 }
func (q *fileQueue) Close(sender string, rcpts []string) qqueue.Result {
	n := strconv.Itoa(q.n)
	os.WriteFile(filepath.Join(q.dir, "msg"+n), q.msg.Bytes(), 0o644)
	os.WriteFile(filepath.Join(q.dir, "env"+n), qqueue.Envelope(sender, rcpts), 0o644)
	return q.result
}

func testConfig(prog string) *Config {
	return &Config{
		Me: "mx.test", Greeting: "mx.test", LocalHost: "mx.test", LocalIP: "127.0.0.1",
		Timeout: 0, Rcpthosts: rcpthosts.New([]string{"test", ".example.test"}),
		QueueProgram: prog, StartQueue: standInQueue,
		RemoteIP: "127.0.0.9", RemoteHost: "client.test", MaxCommandLine: 4096,
	}
}

// dialog runs a session over in and returns the replies and the log.
func dialog(t *testing.T, cfg *Config, env []string, in string) (string, string) {
	t.Helper()
	var out, log bytes.Buffer
	s := NewSession(cfg, strings.NewReader(in), &out, &log, env)
	s.now = func() time.Time { return time.Date(2026, 11, 22, 3, 4, 5, 0, time.UTC) }
	s.Run()
	return out.String(), log.String()
}

func replyCodes(out string) string {
	var codes []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(l) >= 4 && l[3] == '-' {
			continue
		}
		codes = append(codes, l[:3])
	}
	return strings.Join(codes, " ")
}

func TestDialogQueuesAMessage(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	in := "EHLO client.test\r\nMAIL FROM:<a@remote.test> SIZE=100 BODY=8BITMIME\r\nRCPT TO:<u@test>\r\nRCPT TO:<v@sub.example.test>\r\nDATA\r\nSubject: hi\r\n\r\n..dot\r\n.\r\nQUIT\r\n"
	out, log := dialog(t, cfg, []string{"QDIR=" + dir, "PATH=/bin:/usr/bin"}, in)
	if got := replyCodes(out); got != "220 250 250 250 250 354 250 221" {
		t.Fatalf("codes %s\n%s", got, out)
	}
	if !strings.Contains(out, "250-PIPELINING\r\n") || !strings.Contains(out, "250 2.0.0 ok 1795316645 qp ") {
		t.Errorf("replies:\n%s", out)
	}
	msg, _ := os.ReadFile(filepath.Join(dir, "msg0"))
	want := "Received: from client.test (127.0.0.9)\n  by mx.test with ESMTP; 22 Nov 2026 03:04:05 -0000\nSubject: hi\n\n.dot\n"
	if string(msg) != want {
		t.Errorf("message %q\nwant %q", msg, want)
	}
	env, _ := os.ReadFile(filepath.Join(dir, "env0"))
	if string(env) != "Fa@remote.test\x00Tu@test\x00Tv@sub.example.test\x00\x00" {
		t.Errorf("envelope %q", env)
	}
	if !strings.Contains(log, "qmail-smtpd: Accept::DATA::Queued: P:ESMTP S:127.0.0.9:client.test H:client.test F:a@remote.test T: R:2 size:") {
		t.Errorf("log:\n%s", log)
	}
}

func TestRelayRefused(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	tricks := []string{
		"<victim@elsewhere.test.invalid>",
		"<victim%elsewhere.invalid@test>",
		"<elsewhere.invalid!victim@test>",
		"<\"victim@elsewhere.invalid\"@test>",
		"<@test:victim@elsewhere.invalid>",
		"<victim@[192.0.2.1]>",
		"<victim@test.elsewhere.invalid>",
		"<victim@TEST.>",
		"victim@elsewhere.invalid",
	}
	for _, tr := range tricks {
		in := "HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:" + tr + "\r\nDATA\r\n.\r\nQUIT\r\n"
		out, _ := dialog(t, cfg, []string{"QDIR=" + dir}, in)
		if got := replyCodes(out); got != "220 250 250 553 503 502 221" && got != "220 250 250 553 503 221" {
			t.Errorf("relay trick %s: %s\n%s", tr, got, out)
		}
	}
	if ents, _ := filepath.Glob(filepath.Join(dir, "msg*")); len(ents) != 0 {
		t.Fatalf("a relay attempt reached the queue: %v", ents)
	}
}

func TestRelayClientAppends(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	rc := ""
	cfg.RelayClient = &rc
	out, _ := dialog(t, cfg, []string{"QDIR=" + dir}, "HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<r@far.invalid>\r\nDATA\r\nx\r\n.\r\n")
	if got := replyCodes(out); got != "220 250 250 250 354 250" {
		t.Fatalf("%s\n%s", got, out)
	}
	env, _ := os.ReadFile(filepath.Join(dir, "env0"))
	if string(env) != "Fa@b\x00Tr@far.invalid\x00\x00" {
		t.Errorf("envelope %q", env)
	}
}

func TestSmugglingLeavesOneMessage(t *testing.T) {
	variants := []string{"\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r", "\r\n.\r", "\r.\r\n"}
	for _, v := range variants {
		prog, dir := fakeQueue(t)
		cfg := testConfig(prog)
		in := "HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nDATA\r\nhello" + v +
			"MAIL FROM:<evil@b>\r\nRCPT TO:<u@test>\r\nDATA\r\nsmuggled\r\n.\r\nQUIT\r\n"
		out, _ := dialog(t, cfg, []string{"QDIR=" + dir}, in)
		msgs, _ := filepath.Glob(filepath.Join(dir, "msg*"))
		if len(msgs) != 1 {
			t.Errorf("variant %q: %d messages queued\n%s", v, len(msgs), out)
			continue
		}
		b, _ := os.ReadFile(msgs[0])
		if !strings.Contains(string(b), "smuggled") || !strings.Contains(string(b), "evil@b") {
			t.Errorf("variant %q: smuggled text not inside the message: %q", v, b)
		}
	}
}

func TestErrorReplies(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	cfg.Databytes = 10
	cfg.BadMailFrom = NewPatternList([]string{"spam@bad.test", "@worse.test"})
	cases := []struct{ why, in, codes string }{
		{"RCPT before MAIL", "RCPT TO:<u@test>\r\n", "220 503"},
		{"DATA before RCPT", "MAIL FROM:<>\r\nDATA\r\n", "220 250 503"},
		{"nested MAIL", "MAIL FROM:<>\r\nMAIL FROM:<>\r\n", "220 250 503"},
		{"BDAT before MAIL, its octets skipped", "BDAT 3\r\nabcNOOP\r\n", "220 503 250"},
		{"SIZE over databytes", "EHLO x\r\nMAIL FROM:<a@b> SIZE=11\r\n", "220 250 552"},
		{"message over databytes", "MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nDATA\r\n0123456789ab\r\n.\r\nNOOP\r\n", "220 250 250 354 552 250"},
		{"badmailfrom address", "MAIL FROM:<SPAM@bad.test>\r\n", "220 553"},
		{"badmailfrom domain", "MAIL FROM:<x@worse.test>\r\n", "220 553"},
		{"bare LF ends the session with qmail's 451", "NOOP\n NOOP\r\n", "220 451"},
		{"unknown MAIL parameter", "MAIL FROM:<a@b> FOO=1\r\n", "220 555"},
		{"RSET clears the transaction", "MAIL FROM:<a@b>\r\nRSET\r\nRCPT TO:<u@test>\r\n", "220 250 250 503"},
		{"broken path", "MAIL FROM:<a@b\r\n", "220 555"},
	}
	for _, c := range cases {
		out, _ := dialog(t, cfg, []string{"QDIR=" + dir}, c.in)
		if got := replyCodes(out); got != c.codes {
			t.Errorf("%s: %s, want %s\n%s", c.why, got, c.codes, out)
		}
	}
}

func TestTooManyErrors(t *testing.T) {
	prog, _ := fakeQueue(t)
	out, _ := dialog(t, testConfig(prog), nil, strings.Repeat("XXXX\r\n", 100))
	if !strings.HasSuffix(out, "421 too many errors, closing connection (#4.7.0)\r\n") {
		t.Fatalf("%s", out)
	}
}

func TestQueueFailureIsReported(t *testing.T) {
	prog, dir := fakeQueue(t)
	in := "MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nDATA\r\nx\r\n.\r\n"
	out, _ := dialog(t, testConfig(prog), []string{"QDIR=" + dir, "QCODE=53", "PATH=/bin:/usr/bin"}, in)
	if !strings.Contains(out, "451 qq write error or disk full (#4.3.0)\r\n") {
		t.Fatalf("%s", out)
	}
	out, _ = dialog(t, testConfig(prog), []string{"QDIR=" + dir, "QCODE=31", "PATH=/bin:/usr/bin"}, in)
	if !strings.Contains(out, "554 mail server permanently rejected message (#5.3.0)\r\n") {
		t.Fatalf("%s", out)
	}
}

func FuzzSession(f *testing.F) {
	f.Add("EHLO x\r\nMAIL FROM:<a@b> SIZE=1\r\nRCPT TO:<u@test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n")
	f.Add("HELO\r\nRCPT TO:<\"a\\\"b\"@test>\r\nVRFY\r\n")
	f.Add("MAIL FROM:<@a,@b:c@d>\r\nRCPT TO:<x%y@test>\r\n")
	f.Add("EHLO x\r\nMAIL FROM:<a@b> BODY=BINARYMIME\r\nRCPT TO:<u@test>\r\nBDAT 3\r\nx\r\nBDAT 2 LAST\r\n\ny")
	f.Fuzz(func(t *testing.T, in string) {
		cfg := testConfig("/nonexistent/qq")
		var out bytes.Buffer
		s := NewSession(cfg, strings.NewReader(in), &out, nil, nil)
		s.Run()
	})
}

func FuzzParsePath(f *testing.F) {
	f.Add("FROM:<a@b> SIZE=10")
	f.Add("to:<@r1,@r2:\"q\\\"x\"@d>")
	f.Add("from: a@b")
	f.Add("FROM:<\"a\\\x00b\"@c>")
	f.Fuzz(func(t *testing.T, arg string) {
		addr, _, quoted, err := ParsePath(arg, "from:")
		if err != nil {
			return
		}
		if len(addr) > MaxAddressLength {
			t.Fatalf("address longer than the limit")
		}
		if hasControl(addr) {
			t.Fatalf("address %q holds a control byte (the envelope would split)", addr)
		}
		_ = relayTrick(addr, quoted)
	})
}
