package smtpd

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/mta/checkpw"
	"github.com/quail-mta/quail/mta/recipients"
)

// A NUL in an envelope address would end the field in qmail-queue's
// envelope and let the client add recipients of its own choosing after
// the relay checks: "Fa\0Tvictim@far\0" is a sender plus a recipient.
func TestControlBytesInAddressesRefused(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	cases := []struct{ mail, rcpt, why string }{
		{"<a\x00Tvictim@far.invalid>", "<u@test>", "NUL in the sender adds a recipient"},
		{"<a@b>", "<u\x00Tvictim@test>", "NUL in a recipient splits it in two"},
		{"<a\r@b>", "<u@test>", "a CR is not part of any address"},
		{"<a@b>", "<u\x01@test>", "control bytes are not in qtextSMTP"},
	}
	for _, c := range cases {
		in := "HELO x\r\nMAIL FROM:" + c.mail + "\r\nRCPT TO:" + c.rcpt + "\r\nDATA\r\nx\r\n.\r\nQUIT\r\n"
		out, _ := dialog(t, cfg, []string{"QDIR=" + dir}, in)
		if strings.Contains(out, "354 ") {
			t.Errorf("%s: a message was accepted:\n%s", c.why, out)
		}
	}
	if ents, _ := filepath.Glob(filepath.Join(dir, "env*")); len(ents) != 0 {
		b, _ := os.ReadFile(ents[0])
		t.Fatalf("an address with control bytes reached the queue: %q", b)
	}
}

// A LOGIN or CRAM-MD5 user name is base64 and may carry any byte; one
// with a NUL is malformed (it cannot pass the checkpassword interface)
// and what follows the NUL, possibly a password, must not be logged.
func TestAuthUserWithNULIsMalformed(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	cfg.CheckPassword = []string{checkpasswordScript(t), "true"}
	cfg.AuthCapable = checkpw.Password | checkpw.CRAMMD5
	cfg.Auth = AuthMode{BeforeTLS: true}
	cases := []struct{ why, in, codes string }{
		{"LOGIN user carrying the password", "EHLO x\r\nAUTH LOGIN " + b64("demo\x00s3cr3t") + "\r\n" + b64("x") + "\r\n", "220 250 334 501"},
		{"CRAM-MD5 user carrying an old challenge", "EHLO x\r\nAUTH CRAM-MD5\r\n" + b64("cram\x00s3cr3t\x00<1@x> 0123456789abcdef0123456789abcdef") + "\r\n", "220 250 334 501"},
	}
	for _, c := range cases {
		var out, log bytes.Buffer
		s := NewSession(cfg, strings.NewReader(c.in), &out, &log, []string{"QDIR=" + dir, "PATH=/bin:/usr/bin"})
		s.sleep = func(time.Duration) {}
		s.Run()
		if got := replyCodes(out.String()); got != c.codes {
			t.Errorf("%s: %s, want %s\n%s", c.why, got, c.codes, out.String())
		}
		if strings.Contains(log.String(), "s3cr3t") {
			t.Errorf("%s: log shows what followed the NUL:\n%s", c.why, log.String())
		}
	}
}

// RFC 3207 4.2: after the handshake the server forgets what the client
// told it before, and a login made in the clear is such knowledge (it
// may have been injected by a man in the middle before TLS).
func TestStartTLSForgetsAuth(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	cfg.CheckPassword = []string{checkpasswordScript(t), "true"}
	cfg.Auth = AuthMode{BeforeTLS: true}
	cfg.TLSMode = TLSOffer
	var secure bytes.Buffer
	cfg.TLS = &fakeTLS{after: "EHLO again\r\nMAIL FROM:<a@b>\r\nRCPT TO:<r@far.invalid>\r\nQUIT\r\n", sink: &secure}
	clear, _ := dialog(t, cfg, []string{"QDIR=" + dir, "PATH=/bin:/usr/bin"}, "EHLO x\r\nAUTH PLAIN "+b64("\x00demo\x00demo")+"\r\nSTARTTLS\r\n")
	if got := replyCodes(clear); got != "220 250 235 220" {
		t.Fatalf("cleartext part: %s\n%s", got, clear)
	}
	if got := replyCodes(secure.String()); got != "250 250 553 221" {
		t.Errorf("TLS part: %s, want the relay refused\n%s", got, secure.String())
	}
	if !strings.Contains(secure.String(), "AUTH ") {
		t.Errorf("AUTH not offered again after STARTTLS:\n%s", secure.String())
	}
}

// A client that sends commands but never reads the replies must not hold
// the session forever: qmail-smtpd's writes time out like its reads.
func TestClientNotReadingIsCutOff(t *testing.T) {
	prog, _ := fakeQueue(t)
	cfg := testConfig(prog)
	cfg.Timeout = 50 * time.Millisecond
	server, client := net.Pipe()
	defer client.Close()
	go func() {
		for {
			if _, err := client.Write([]byte("NOOP\r\n")); err != nil {
				return
			}
		}
	}()
	done := make(chan error, 1)
	go func() {
		s := NewSession(cfg, server, server, nil, nil)
		done <- s.Run()
		server.Close()
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("Run returned nil for a stalled client")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the session still waits on a client that reads nothing")
	}
}

// RFC 5321 4.5.1: "RCPT TO:<Postmaster>" without a domain must be
// accepted (qmail's rcpthosts check passes an address without '@'; the
// queue then appends envnoathost, a local domain).
func TestPostmasterWithoutDomain(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	for _, rcpt := range []string{"<Postmaster>", "<postmaster>"} {
		out, _ := dialog(t, cfg, []string{"QDIR=" + dir}, "HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:"+rcpt+"\r\nQUIT\r\n")
		if got := replyCodes(out); got != "220 250 250 250 221" {
			t.Errorf("RCPT TO:%s: %s\n%s", rcpt, got, out)
		}
	}
}

// The Received-SPF field (RFC 7208 9.1) is key=value pairs; a HELO name
// or sender holding spaces, ';' or '"' must not add keys of the client's
// choosing, nor break the quoted envelope-from.
func TestReceivedSPFKeysNotInjectable(t *testing.T) {
	srv := dnstest.Start(t, filterZone)
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	cfg.Filters.SPFBehavior = 1
	cfg.Filters.DNS = dnsclient.New([]string{srv.Addr})
	in := "HELO x; client-ip=192.0.2.1; receiver=forged\r\nMAIL FROM:<\"a\\\\\"@fail.test>\r\nRCPT TO:<u@test>\r\nDATA\r\nx\r\n.\r\n"
	out, _ := dialog(t, cfg, []string{"QDIR=" + dir, "PATH=/bin:/usr/bin"}, in)
	if got := replyCodes(out); got != "220 250 250 250 354 250" {
		t.Fatalf("%s\n%s", got, out)
	}
	msg, _ := os.ReadFile(filepath.Join(dir, "msg0"))
	field, _, _ := strings.Cut(string(msg), "\n")
	_, pairs, _ := strings.Cut(field, ") ")
	if bare := unquoted(pairs); strings.Count(bare, "client-ip=") != 1 || strings.Count(bare, "receiver=") > 1 || strings.Contains(bare, "forged") {
		t.Errorf("client-made keys in %q", field)
	}
	if !strings.Contains(pairs, `envelope-from="a\\@fail.test";`) {
		t.Errorf("envelope-from not a proper quoted-string in %q", field)
	}
}

// unquoted drops the quoted-strings of a header value, what is left is
// the keys and bare values a parser sees.
func unquoted(v string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Warlord must not be blinded by what a mail reader ignores: header
// fields before Content-Transfer-Encoding that fill the kept header
// block, base64 lines shorter than a key, or blanks a decoder skips.
func TestWarlordNotBypassed(t *testing.T) {
	cfg := WarlordConfig{MimeTypes: keys("TVqQAAMAA"), Loaders: keys("Mi5kb"), LoaderLetters: "M"}
	padding := strings.Repeat("X-Pad: "+strings.Repeat("a", 900)+"\n", 80)
	short := func(s string) string {
		out := ""
		for i := 0; i < len(s); i += 4 {
			out += s[i:min(i+4, len(s))] + "\n"
		}
		return strings.TrimSuffix(out, "\n")
	}
	cases := []struct{ why, msg string }{
		{"64 KiB of header fields before the encoding", "Content-Type: multipart/mixed; boundary=a\n\n--a\n" + padding + "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" + exe + "\n--a--\n"},
		{"type in lines of four characters", mimeMessage("application/octet-stream", short(exe))},
		{"loader in lines of four characters", mimeMessage("application/octet-stream", short(loader))},
		{"type with blanks inside", mimeMessage("application/octet-stream", "TVq QAAMAA"+exe[9:])},
	}
	for _, c := range cases {
		w := NewWarlord(cfg, false)
		w.Write([]byte(c.msg))
		if w.Hit() == "" {
			t.Errorf("%s: not found", c.why)
		}
	}
}

// RFC 4954 6: AUTH that is refused only because the connection is not
// encrypted is answered 538, so the client knows STARTTLS would help.
func TestAuthBeforeStartTLSIs538(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	cfg.CheckPassword = []string{checkpasswordScript(t), "true"}
	cfg.TLSMode = TLSOffer
	cfg.TLS = &fakeTLS{sink: &bytes.Buffer{}}
	out, _ := dialog(t, cfg, []string{"QDIR=" + dir, "PATH=/bin:/usr/bin"}, "EHLO x\r\nAUTH PLAIN "+b64("\x00demo\x00demo")+"\r\n")
	if got := replyCodes(out); got != "220 250 538" || !strings.Contains(out, "538 5.7.11 ") {
		t.Errorf("%s\n%s", replyCodes(out), out)
	}
}

// Without MAXRECIPIENTS a client could make the recipient list, and so
// the session's memory, grow without end; RFC 5321 4.5.3.1.8 asks for
// 100 at least, and a ceiling far above that only stops abuse.
func TestRecipientCeiling(t *testing.T) {
	prog, _ := fakeQueue(t)
	cfg := testConfig(prog)
	var in strings.Builder
	in.WriteString("HELO x\r\nMAIL FROM:<a@b>\r\n")
	for i := 0; i < 10000+5; i++ {
		in.WriteString("RCPT TO:<u@test>\r\n")
	}
	s := NewSession(cfg, strings.NewReader(in.String()), io.Discard, nil, nil)
	s.Run()
	if len(s.rcpts) != 10000 {
		t.Fatalf("%d recipients kept", len(s.rcpts))
	}
}

// RFC 5321 4.1.1.11: parameters the server does not know get 555; RCPT
// has only DSN's (ignored, as on MAIL), and BODY only the values
// 8BITMIME announces (RFC 6152).
func TestUnknownParametersRefused(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	cases := []struct{ why, mail, rcpt, codes string }{
		{"an unknown RCPT parameter", "<a@b>", "<u@test> XFOO=1", "220 250 250 555 221"},
		{"DSN parameters are ignored on RCPT as on MAIL", "<a@b>", "<u@test> NOTIFY=NEVER ORCPT=rfc822;u@test", "220 250 250 250 221"},
		{"a second path after the first is not a parameter", "<a@b>", "<v@far.invalid> <u@test>", "220 250 250 555 221"},
		{"BINARYMIME is announced (RFC 3030)", "<a@b> BODY=BINARYMIME", "<u@test>", "220 250 250 250 221"},
		{"an unknown BODY", "<a@b> BODY=9BIT", "<u@test>", "220 250 555 503 221"},
		{"announced parameters pass", "<a@b> BODY=7bit SMTPUTF8 SIZE=10", "<u@test>", "220 250 250 250 221"},
	}
	for _, c := range cases {
		out, _ := dialog(t, cfg, []string{"QDIR=" + dir}, "EHLO x\r\nMAIL FROM:"+c.mail+"\r\nRCPT TO:"+c.rcpt+"\r\nQUIT\r\n")
		if got := replyCodes(out); got != c.codes {
			t.Errorf("%s: %s, want %s\n%s", c.why, got, c.codes, out)
		}
	}
}

// deadlineCounter is a client connection that counts how often the
// session renews its read deadline.
type deadlineCounter struct {
	io.Reader
	renewals int
}

func (d *deadlineCounter) SetReadDeadline(time.Time) error { d.renewals++; return nil }

// A message beyond databytes is still read to its end (to answer 552);
// the bytes that are discarded are progress too, so the deadline must be
// renewed while they stream in, not only while bytes are kept; else a
// large message on a slow line ends in "451 timeout", which the client
// retries for ever, instead of the permanent 552.
func TestDeadlineRenewedWhileDiscarding(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	cfg.Timeout = time.Hour
	cfg.Databytes = 1000
	body := strings.Repeat(strings.Repeat("x", 99)+"\r\n", 4000) // 400 KB
	conn := &deadlineCounter{Reader: strings.NewReader("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nDATA\r\n" + body + ".\r\nQUIT\r\n")}
	var out bytes.Buffer
	s := NewSession(cfg, conn, &out, nil, []string{"QDIR=" + dir, "PATH=/bin:/usr/bin"})
	s.Run()
	if got := replyCodes(out.String()); got != "220 250 250 250 354 552 221" {
		t.Fatalf("%s\n%s", got, out.String())
	}
	// Five command lines, plus one renewal per 16 KiB at the least.
	if conn.renewals < 5+400000/(64<<10) {
		t.Errorf("deadline renewed %d times while 400 KB arrived", conn.renewals)
	}
}

// RFC 7208 9.1 lists receiver and identity among the keys a verifier
// should give, so a later reader can check the result.
func TestReceivedSPFNamesReceiverAndIdentity(t *testing.T) {
	srv := dnstest.Start(t, filterZone)
	prog, dir := fakeQueue(t)
	cases := []struct{ sender, want string }{
		{"a@pass.test", "receiver=mx.test; identity=mailfrom;"},
		{"", "receiver=mx.test; identity=helo;"},
	}
	for _, c := range cases {
		cfg := testConfig(prog)
		cfg.Filters.SPFBehavior = 1
		cfg.Filters.DNS = dnsclient.New([]string{srv.Addr})
		os.Remove(filepath.Join(dir, "msg0"))
		dialog(t, cfg, []string{"QDIR=" + dir, "PATH=/bin:/usr/bin"}, "HELO good.helo.test\r\nMAIL FROM:<"+c.sender+">\r\nRCPT TO:<u@test>\r\nDATA\r\nx\r\n.\r\n")
		msg, _ := os.ReadFile(filepath.Join(dir, "msg0"))
		field, _, _ := strings.Cut(string(msg), "\n")
		if !strings.HasPrefix(field, "Received-SPF: ") || !strings.Contains(field, c.want) {
			t.Errorf("sender %q: %q lacks %q", c.sender, field, c.want)
		}
	}
}

// After EHLO every final reply carries an RFC 3463 code (RFC 2034), the
// bare-LF refusal too; after HELO it is qmail's text alone.
func TestBareLFReplyEnhancedAfterEHLO(t *testing.T) {
	prog, _ := fakeQueue(t)
	cfg := testConfig(prog)
	for _, c := range []struct{ in, want string }{
		{"EHLO x\r\nNOOP\n", "451 4.5.0 See https://cr.yp.to/docs/smtplf.html.\r\n"},
		{"HELO x\r\nNOOP\n", "451 See https://cr.yp.to/docs/smtplf.html.\r\n"},
	} {
		out, _ := dialog(t, cfg, nil, c.in)
		if !strings.HasSuffix(out, c.want) {
			t.Errorf("%q: replies end %q, want %q", c.in, out[strings.LastIndex(strings.TrimSuffix(out, "\r\n"), "\r\n")+2:], c.want)
		}
	}
}

// An AUTH answer ending in a bare LF is treated as a command would be:
// the session ends with qmail's 451, and the answer is not used.
func TestBareLFInAuthAnswer(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	cfg.CheckPassword = []string{checkpasswordScript(t), "true"}
	cfg.Auth = AuthMode{BeforeTLS: true}
	out, _ := dialog(t, cfg, []string{"QDIR=" + dir, "PATH=/bin:/usr/bin"}, "EHLO x\r\nAUTH LOGIN\r\n"+b64("demo")+"\n"+b64("demo")+"\r\nMAIL FROM:<a@b>\r\n")
	if got := replyCodes(out); got != "220 250 334 451" {
		t.Errorf("%s, want the session ended at the bare LF\n%s", got, out)
	}
}

// The relay decision comes before the recipient check (as package
// recipients assumes: "rcpthosts has already said the domain is ours"),
// so a client that may not relay cannot make qmail-smtpd start a
// checker program for every foreign address it tries.
func TestRelayRefusedBeforeRecipientCheck(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	ran := filepath.Join(t.TempDir(), "ran")
	checker := filepath.Join(t.TempDir(), "checker")
	os.WriteFile(checker, []byte("#!/bin/sh\necho x >> \""+ran+"\"\nexit 2\n"), 0755)
	cfg.Recipients = []recipients.Source{{Program: []string{checker}}}
	out, _ := dialog(t, cfg, []string{"QDIR=" + dir, "PATH=/bin:/usr/bin"},
		"HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<v@far.invalid>\r\nRCPT TO:<v%far.invalid@test>\r\nRCPT TO:<u@test>\r\nQUIT\r\n")
	if got := replyCodes(out); got != "220 250 250 553 553 250 221" {
		t.Fatalf("%s\n%s", got, out)
	}
	b, _ := os.ReadFile(ran)
	if n := strings.Count(string(b), "x"); n != 1 {
		t.Errorf("checker ran %d times, want once (for u@test only)", n)
	}
}

// With RECIPIENTS450 an unknown recipient gets 450; that must still count
// as a client error, or a harvester could try addresses without end
// (with 550 it is disconnected after MaxErrors).
func TestRecipients450CountsAsError(t *testing.T) {
	cfg, dir := recipientsConfig(t, "u@test")
	cfg.Recipients450 = true
	in := "HELO x\r\nMAIL FROM:<a@b>\r\n" + strings.Repeat("RCPT TO:<guess@test>\r\n", MaxErrors+5)
	out, _ := dialog(t, cfg, []string{"QDIR=" + dir}, in)
	if n := strings.Count(out, "450 "); n != MaxErrors || !strings.Contains(out, "421 ") {
		t.Errorf("%d guesses answered, no 421:\n%s", n, out)
	}
}
