package rblsmtpd_test

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

// compatZone is the DNS both programs see. 127.0.0.5 fails temporarily.
var compatZone = `
2.0.0.127.bl.test.    TXT "listed: see http://bl.test/?127.0.0.2"
3.0.0.127.bl.test.    TXT "a" "b"
3.0.0.127.bl.test.    TXT "c"
4.0.0.127.bl.test.    TXT "tab\009and 8-bit \195\169 and \"quotes\""
7.0.0.127.bl.test.    TXT "` + strings.Repeat("x", 150) + `" "` + strings.Repeat("z", 150) + `"
6.0.0.127.bl.test.    TXT ""
2.0.0.127.allow.test. A   127.0.0.2
2.0.0.127.bl2.test.   TXT "second list"
`

// compatDNS starts the test DNS server where Debian's rblsmtpd can ask it.
func compatDNS(t *testing.T) *dnstest.Server {
	srv := dnstest.StartForPeers(t, compatZone)
	srv.Fail("5.0.0.127.bl.test", dnstest.ServFail)
	return srv
}

type outcome struct {
	code           int
	stdout, stderr string
}

var pidField = regexp.MustCompile(` pid [0-9]+: `)

func runOnce(t *testing.T, bin string, env []string, input string, args []string) outcome {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(input)
	out, errb, code := testbin.Run(t, cmd)
	return outcome{code, out, pidField.ReplaceAllString(errb, " pid N: ")}
}

// session is a blocked client's side: every verb, odd line endings, a NUL,
// a verb that only Unicode folding would accept, text after QUIT.
const session = "HELO x\r\nehlo\r\nMAIL FROM:<a>\r\nrcpt to:<b>\r\nHELO\x00\r\nnoop\nrset  \r\n" +
	"Foo\r\n \r\nhelo\r\r\n\r\nHELO\tx\r\nr\xc5\xbfet\r\nDATA\r\nquit now\r\nhelo\r\n"

func TestCompatWithDebian(t *testing.T) {
	peer := testbin.Peer(t, "rblsmtpd")
	srv := compatDNS(t)
	ours := testbin.Path(t, "rblsmtpd")
	base := []string{"PATH=/usr/bin:/bin", "DNSCACHEIP=" + srv.IP}
	tests := []struct {
		why   string
		env   []string
		input string
		args  []string
	}{
		{"listed address", []string{"TCPREMOTEIP=127.0.0.2"}, session, []string{"-r", "bl.test", "env"}},
		{"listed with several TXT records and strings", []string{"TCPREMOTEIP=127.0.0.3"}, session, []string{"-r", "bl.test", "env"}},
		{"listed with control and 8-bit bytes in the text", []string{"TCPREMOTEIP=127.0.0.4"}, "RCPT TO:<x>\r\n", []string{"-r", "bl.test", "env"}},
		{"listed with a text over 200 bytes", []string{"TCPREMOTEIP=127.0.0.7"}, "RCPT TO:<x>\r\n", []string{"-r", "bl.test", "env"}},
		{"unlisted address runs the program, environment unchanged", []string{"TCPREMOTEIP=127.0.0.9", "TCPREMOTEHOST=x.example"}, session, []string{"-r", "bl.test", "env"}},
		{"empty TXT is not listed", []string{"TCPREMOTEIP=127.0.0.6"}, session, []string{"-r", "bl.test", "env"}},
		{"no lists at all", []string{"TCPREMOTEIP=127.0.0.2"}, session, []string{"env"}},
		{"-b: 553", []string{"TCPREMOTEIP=127.0.0.2"}, session, []string{"-b", "-r", "bl.test", "env"}},
		{"-b -B: 451", []string{"TCPREMOTEIP=127.0.0.2"}, session, []string{"-bB", "-r", "bl.test", "env"}},
		{"allow list before the block list", []string{"TCPREMOTEIP=127.0.0.2"}, session, []string{"-a", "allow.test", "-r", "bl.test", "env"}},
		{"block list before the allow list", []string{"TCPREMOTEIP=127.0.0.2"}, session, []string{"-r", "bl.test", "-a", "allow.test", "env"}},
		{"first list gives the text", []string{"TCPREMOTEIP=127.0.0.2"}, session, []string{"-r", "bl2.test", "-r", "bl.test", "env"}},
		{"RBLSMTPD empty accepts", []string{"TCPREMOTEIP=127.0.0.2", "RBLSMTPD="}, session, []string{"-r", "bl.test", "env"}},
		{"RBLSMTPD with a dash: 553, odd bytes made ?", []string{"TCPREMOTEIP=127.0.0.9", "RBLSMTPD=-go away\x01\xc3\xa9"}, session, []string{"-r", "bl.test", "env"}},
		{"RBLSMTPD: 451", []string{"TCPREMOTEIP=127.0.0.9", "RBLSMTPD=try later"}, session, []string{"-r", "bl.test", "env"}},
		{"RBLSMTPD over 200 bytes", []string{"TCPREMOTEIP=127.0.0.9", "RBLSMTPD=" + strings.Repeat("y", 250)}, "NOOP\r\nDATA\r\n", []string{"env"}},
		{"-t0: the reply alone", []string{"TCPREMOTEIP=127.0.0.2"}, session, []string{"-t0", "-r", "bl.test", "env"}},
		{"end of input without QUIT, partial last line", []string{"TCPREMOTEIP=127.0.0.2"}, "HELO x\r\nRCPT TO:<y>\r\nNOOP", []string{"-r", "bl.test", "env"}},
		{"temporary failure with -c", []string{"TCPREMOTEIP=127.0.0.5"}, session, []string{"-c", "-r", "bl.test", "env"}},
	}
	for _, tc := range tests {
		env := append(append([]string(nil), base...), tc.env...)
		want := runOnce(t, peer, env, tc.input, tc.args)
		got := runOnce(t, ours, env, tc.input, tc.args)
		if got != want {
			t.Errorf("%s:\n ours   %d %q %q\n Debian %d %q %q", tc.why, got.code, got.stdout, got.stderr, want.code, want.stdout, want.stderr)
		}
	}
}
