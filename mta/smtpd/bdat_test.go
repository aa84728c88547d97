package smtpd

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// bdat is "BDAT n[ LAST]\r\n" and the chunk.
func bdat(chunk string, last bool) string {
	cmd := "BDAT " + strconv.Itoa(len(chunk))
	if last {
		cmd += " LAST"
	}
	return cmd + "\r\n" + chunk
}

const receivedTest = "Received: from client.test (127.0.0.9)\n  by mx.test with ESMTP; 22 Nov 2026 03:04:05 -0000\n"

// TestBdatDialog: a message in three chunks, the middle one split inside
// a CR LF, with every reply, the stored message, its envelope and the
// log line compared whole.
func TestBdatDialog(t *testing.T) {
	prog, dir := fakeQueue(t)
	in := "EHLO client.test\r\nMAIL FROM:<a@remote.test> BODY=BINARYMIME\r\nRCPT TO:<u@test>\r\n" +
		bdat("Subject: hi\r\n\r\nline one\r", false) + bdat("\n.not stuffed\r\n", false) + bdat("no final line end", true) + "QUIT\r\n"
	out, log := dialog(t, testConfig(prog), []string{"QDIR=" + dir}, in)
	want := "220 mx.test ESMTP\r\n" +
		"250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250 BINARYMIME\r\n" +
		"250 2.1.0 ok\r\n250 2.1.5 ok\r\n" +
		"250 2.0.0 ok 24 octets\r\n250 2.0.0 ok 15 octets\r\n250 2.0.0 ok 1795316645 qp 4242\r\n" +
		"221 2.0.0 mx.test\r\n"
	if out != want {
		t.Errorf("replies:\n%s\nwant:\n%s", out, want)
	}
	msg, _ := os.ReadFile(filepath.Join(dir, "msg0"))
	if wantMsg := receivedTest + "Subject: hi\n\nline one\n.not stuffed\nno final line end\n"; string(msg) != wantMsg {
		t.Errorf("message %q\nwant %q", msg, wantMsg)
	}
	env, _ := os.ReadFile(filepath.Join(dir, "env0"))
	if string(env) != "Fa@remote.test\x00Tu@test\x00\x00" {
		t.Errorf("envelope %q", env)
	}
	wantLog := "qmail-smtpd: Accept::RCPT::Rcpthosts: P:ESMTP S:127.0.0.9:client.test H:client.test F:a@remote.test T:u@test\n" +
		"qmail-smtpd: Accept::DATA::Queued: P:ESMTP S:127.0.0.9:client.test H:client.test F:a@remote.test T: R:1 size:53 bdat:3 qp:4242\n"
	if log != wantLog {
		t.Errorf("log:\n%s\nwant:\n%s", log, wantLog)
	}
}

// TestBdatStoresWhatDataStores: the same octets sent by DATA (dot-stuffed)
// and by BDAT, in one chunk or one octet a chunk, are the same stored
// message with the same bare CR and LF counts; docs/smtpd.md promises
// DATA's line-end handling for both.
func TestBdatStoresWhatDataStores(t *testing.T) {
	bodies := []struct{ why, body string }{
		{"plain lines", "a\r\nb\r\n"},
		{"no final CR LF", "a\r\nb"},
		{"empty", ""},
		{"bare LF inside and at the end", "a\nb\n"},
		{"bare CR inside and at the end", "a\rb\r"},
		{"CR CR LF", "a\r\r\n"},
		{"what DATA would end on", "a\r\n.\r\nMAIL FROM:<evil@b>\r\n"},
		{"dots at line starts", ".\r\n..x\r\n"},
		{"NUL and 8-bit octets", "\x00\xff\r\n"},
	}
	for _, b := range bodies {
		viaData, dataRes := storeByData(t, b.body)
		for _, size := range []int{len(b.body) + 1, 1} {
			got, res := storeByBdat(t, b.body, size)
			if got != viaData || res != dataRes {
				t.Errorf("%s, chunks of %d: BDAT stored %q %+v, DATA %q %+v", b.why, size, got, res, viaData, dataRes)
			}
		}
	}
}

func storeByData(t testing.TB, body string) (string, DataResult) {
	var out bytes.Buffer
	res, err := ReadData(bufio.NewReader(strings.NewReader(dataForm(body))), &out, -1)
	if err != nil {
		t.Fatalf("DATA of %q: %v", body, err)
	}
	return out.String(), res
}

func storeByBdat(t testing.TB, body string, size int) (string, DataResult) {
	var out bytes.Buffer
	c := NewChunkBody(&out, -1)
	r := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(body)), 16)
	for rest := len(body); rest > 0; rest -= size {
		n := min(size, rest)
		if err := c.Chunk(r, int64(n)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := c.End()
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), res
}

// dataForm is body as a DATA client sends it: a dot before each dot that
// starts a line (after CR LF), a CR LF at the end when it has none, and
// the closing "." CR LF.
func dataForm(body string) string {
	var b strings.Builder
	bol := true
	for i := 0; i < len(body); i++ {
		if bol && body[i] == '.' {
			b.WriteByte('.')
		}
		b.WriteByte(body[i])
		bol = body[i] == '\n' && i > 0 && body[i-1] == '\r'
	}
	if body != "" && !strings.HasSuffix(body, "\r\n") {
		b.WriteString("\r\n")
	}
	return b.String() + ".\r\n"
}

// TestBdatSequence: BDAT out of order, malformed, over the limits or
// after a failure: the octets are always read (never taken for
// commands), and each reply is the one given.
func TestBdatSequence(t *testing.T) {
	cases := []struct{ why, in, want string }{
		{"BDAT before MAIL: its octets are skipped", "HELO x\r\n" + bdat("NOOP\r\n", true) + "NOOP\r\n",
			"250 mx.test\r\n503 MAIL first (#5.5.1)\r\n250 ok\r\n"},
		{"BDAT before RCPT", "MAIL FROM:<a@b>\r\n" + bdat("RSET\r\n", false) + "RCPT TO:<u@test>\r\n",
			"250 ok\r\n503 RCPT first (#5.5.1)\r\n250 ok\r\n"},
		{"DATA and RCPT after BDAT", "MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\n" + bdat("x", false) + "DATA\r\nRCPT TO:<v@test>\r\n" + bdat("y\r\n", true),
			"250 ok\r\n250 ok\r\n250 ok 1 octets\r\n503 DATA after BDAT (#5.5.1)\r\n503 RCPT after BDAT (#5.5.1)\r\n250 ok 1795316645 qp 4242\r\n"},
		{"BINARYMIME with DATA", "EHLO x\r\nMAIL FROM:<a@b> BODY=BINARYMIME\r\nRCPT TO:<u@test>\r\nDATA\r\nRSET\r\n",
			"250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 14\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250 BINARYMIME\r\n250 2.1.0 ok\r\n250 2.1.5 ok\r\n503 5.5.1 BODY=BINARYMIME needs BDAT, not DATA (#5.5.1)\r\n250 2.0.0 flushed\r\n"},
		{"a count that is not a number ends the session", "MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nBDAT x\r\nNOOP\r\n",
			"250 ok\r\n250 ok\r\n421 syntax error in BDAT, closing connection (#4.5.4)\r\n"},
		{"an unknown end marker ends the session", "MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nBDAT 1 FIRST\r\nx",
			"250 ok\r\n250 ok\r\n421 syntax error in BDAT, closing connection (#4.5.4)\r\n"},
		{"two spaces end the session", "MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nBDAT  1\r\nx",
			"250 ok\r\n250 ok\r\n421 syntax error in BDAT, closing connection (#4.5.4)\r\n"},
		{"past databytes: 552 at that chunk, the rest of the transaction skipped, the next one queued",
			"MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\n" + bdat("0123456789", false) + bdat("abcde\r\n", false) + bdat("NOOP\r\n", true) +
				"MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\n" + bdat("ok\r\n", true),
			"250 ok\r\n250 ok\r\n250 ok 10 octets\r\n552 sorry, that message size exceeds my databytes limit (#5.3.4)\r\n503 MAIL first (#5.5.1)\r\n" +
				"250 ok\r\n250 ok\r\n250 ok 1795316645 qp 4242\r\n"},
		{"end of input inside a chunk: no reply, nothing queued", "MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nBDAT 100 LAST\r\nshort",
			"250 ok\r\n250 ok\r\n"},
		{"BDAT 0 LAST queues an empty message", "MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nBDAT 0 LAST\r\n",
			"250 ok\r\n250 ok\r\n250 ok 1795316645 qp 4242\r\n"},
		{"RSET ends a BDAT transaction", "MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\n" + bdat("x", false) + "RSET\r\n" + bdat("y", true),
			"250 ok\r\n250 ok\r\n250 ok 1 octets\r\n250 flushed\r\n503 MAIL first (#5.5.1)\r\n"},
	}
	for _, c := range cases {
		prog, dir := fakeQueue(t)
		cfg := testConfig(prog)
		cfg.Databytes = 14
		out, _ := dialog(t, cfg, []string{"QDIR=" + dir}, c.in)
		out = out[strings.Index(out, "\r\n")+2:] // the greeting
		if out != c.want {
			t.Errorf("%s:\n%s\nwant:\n%s", c.why, out, c.want)
		}
		msgs, _ := filepath.Glob(filepath.Join(dir, "msg*"))
		if queued := strings.Count(c.want, " qp 4242"); len(msgs) != queued {
			t.Errorf("%s: %d messages queued, want %d", c.why, len(msgs), queued)
		}
	}
}

// TestBdatQueueStartFails: the chunk is skipped, 451 answers it and the
// transaction is over.
func TestBdatQueueStartFails(t *testing.T) {
	cfg := testConfig("/nonexistent/qq")
	out, log := dialog(t, cfg, nil, "MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\n"+bdat("NOOP\r\n", false)+bdat("x", true))
	want := "220 mx.test ESMTP\r\n250 ok\r\n250 ok\r\n451 qq temporary problem (#4.3.0)\r\n503 MAIL first (#5.5.1)\r\n"
	if out != want {
		t.Errorf("replies:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(log, "qmail-smtpd: Defer::DATA::Queue_start: ") {
		t.Errorf("log:\n%s", log)
	}
}

// TestBdatSmugglingStaysInside: DATA's end and the commands of a second
// transaction inside a chunk are octets of the one message.
func TestBdatSmugglingStaysInside(t *testing.T) {
	for _, v := range []string{"\r\n.\r\n", "\n.\n", "\r.\r"} {
		prog, dir := fakeQueue(t)
		in := "HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\n" +
			bdat("hello"+v+"MAIL FROM:<evil@b>\r\nRCPT TO:<u@test>\r\nDATA\r\nsmuggled\r\n.\r\n", true) + "QUIT\r\n"
		dialog(t, testConfig(prog), []string{"QDIR=" + dir}, in)
		msgs, _ := filepath.Glob(filepath.Join(dir, "msg*"))
		if len(msgs) != 1 {
			t.Fatalf("variant %q: %d messages", v, len(msgs))
		}
		b, _ := os.ReadFile(msgs[0])
		if !strings.Contains(string(b), "evil@b") || !strings.Contains(string(b), "smuggled") {
			t.Errorf("variant %q: %q", v, b)
		}
	}
}

// FuzzChunkBody: whatever the octets and however they are cut into
// chunks and read, BDAT stores what DATA stores for them.
func FuzzChunkBody(f *testing.F) {
	f.Add([]byte("Received: x\r\n\r\nbody\r\n.\r\n"), []byte{3, 1, 7})
	f.Add([]byte("a\rb\nc\r\r\n.\r\n"), []byte{1})
	f.Add([]byte("\r"), []byte{0, 1})
	f.Add([]byte("x\r\n\r\nDelivered-To: y\r\n"), []byte{13})
	f.Fuzz(func(t *testing.T, body []byte, cuts []byte) {
		want, wantRes := storeByData(t, string(body))
		var out bytes.Buffer
		c := NewChunkBody(&out, -1)
		r := bufio.NewReaderSize(iotest.HalfReader(bytes.NewReader(body)), 16)
		rest := len(body)
		for i := 0; rest > 0; i++ {
			n := rest
			if i < len(cuts) {
				n = min(int(cuts[i]), rest)
			}
			if err := c.Chunk(r, int64(n)); err != nil {
				t.Fatal(err)
			}
			rest -= n
		}
		got, err := c.End()
		if err != nil || out.String() != want || got != wantRes {
			t.Fatalf("body %q cuts %v: BDAT %q %+v %v, DATA %q %+v", body, cuts, out.String(), got, err, want, wantRes)
		}
	})
}

func FuzzParseBdat(f *testing.F) {
	f.Add("10 LAST")
	f.Add("0")
	f.Add("99999999999999999999")
	f.Add("1 last ")
	f.Fuzz(func(t *testing.T, arg string) {
		n, last, ok := parseBdat(arg)
		if !ok {
			return
		}
		if n < 0 {
			t.Fatalf("%q: negative count %d", arg, n)
		}
		want := strconv.FormatInt(n, 10)
		if last {
			want += " LAST"
		}
		if !strings.EqualFold(strings.TrimLeft(arg, "0"), strings.TrimLeft(want, "0")) && !(n == 0 && strings.Trim(strings.Fields(arg)[0], "0") == "") {
			t.Fatalf("%q read as %d last=%v", arg, n, last)
		}
	})
}
