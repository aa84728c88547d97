package rblsmtpd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/quail-mta/quail/internal/cli"
)

type runResult struct {
	code   int
	stdout string
	stderr string
	execd  []string // argv handed to exec; nil when nothing was run
	env    []string
}

// runWith runs the program in-process on a regular file as the client's
// input (so the session never waits) and records what it would exec.
func runWith(t *testing.T, env []string, input string, args ...string) runResult {
	t.Helper()
	dir := t.TempDir()
	inPath, outPath := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	os.WriteFile(inPath, []byte(input), 0o600)
	in, _ := os.Open(inPath)
	out, _ := os.Create(outPath)
	defer in.Close()
	defer out.Close()
	var stderr bytes.Buffer
	var res runResult
	inv := &cli.Invocation{Name: "rblsmtpd", Args: append([]string{"rblsmtpd"}, args...), Env: env,
		Stdin: in, Stdout: out, Stderr: &stderr}
	res.code = run(inv, func(argv, env []string) (int, error) {
		res.execd, res.env = argv, env
		return 0, &os.PathError{Op: "exec", Path: argv[0], Err: syscall.ENOENT}
	})
	b, _ := os.ReadFile(outPath)
	res.stdout, res.stderr = string(b), stderr.String()
	return res
}

var pidRE = regexp.MustCompile(` pid [0-9]+: `)

func TestRun(t *testing.T) {
	srv := startDNS(t)
	dns := "DNSCACHEIP=" + srv.Addr
	session := "HELO x\r\nRCPT TO:<a>\r\nQUIT\r\n"
	tests := []struct {
		why    string
		env    []string
		args   []string
		code   int
		stdout string
		stderr string
		execd  []string
	}{
		{"listed: dialogue and one log line", []string{dns, "TCPREMOTEIP=127.0.0.2"}, []string{"-r", "bl.test", "qmail-smtpd"}, 0,
			greeting + okReply + "451 listed: see http://bl.test/?127.0.0.2\r\n" + byeReply,
			"rblsmtpd: 127.0.0.2 pid N: 451 listed: see http://bl.test/?127.0.0.2\n", nil},
		{"not listed: the program runs with its arguments", []string{dns, "TCPREMOTEIP=127.0.0.9"}, []string{"-r", "bl.test", "qmail-smtpd", "-x", "y"}, 111,
			"", "rblsmtpd: fatal: unable to run qmail-smtpd: file does not exist\n", []string{"qmail-smtpd", "-x", "y"}},
		{"no lists: the program runs", []string{"TCPREMOTEIP=127.0.0.2"}, []string{"qmail-smtpd"}, 111,
			"", "rblsmtpd: fatal: unable to run qmail-smtpd: file does not exist\n", []string{"qmail-smtpd"}},
		{"-t0 sends the reply alone", []string{"RBLSMTPD=later", "TCPREMOTEIP=127.0.0.9"}, []string{"-t0", "qmail-smtpd"}, 0,
			"451 later\r\n", "rblsmtpd: 127.0.0.9 pid N: 451 later\n", nil},
		{"-t with garbage is -t0, as scan_ulong reads it", []string{"RBLSMTPD=later", "TCPREMOTEIP=127.0.0.9"}, []string{"-tx", "qmail-smtpd"}, 0,
			"451 later\r\n", "rblsmtpd: 127.0.0.9 pid N: 451 later\n", nil},
		{"options after the program belong to it", []string{dns, "TCPREMOTEIP=127.0.0.2"}, []string{"qmail-smtpd", "-r", "bl.test"}, 111,
			"", "rblsmtpd: fatal: unable to run qmail-smtpd: file does not exist\n", []string{"qmail-smtpd", "-r", "bl.test"}},
		{"no program", []string{"RBLSMTPD=later"}, []string{"-r", "bl.test"}, 100,
			"", "rblsmtpd: usage: rblsmtpd " + synopsis + "\n", nil},
		{"unknown option", nil, []string{"-R", "qmail-smtpd"}, 100,
			"", "rblsmtpd: illegal option -- R\nrblsmtpd: usage: rblsmtpd " + synopsis + "\n", nil},
		{"missing option argument", nil, []string{"-r"}, 100,
			"", "rblsmtpd: option requires an argument -- r\nrblsmtpd: usage: rblsmtpd " + synopsis + "\n", nil},
		{"bad DNSCACHEIP is a temporary failure", []string{"DNSCACHEIP=nonsense", "TCPREMOTEIP=127.0.0.2"}, []string{"-r", "bl.test", "qmail-smtpd"}, 111,
			"", "rblsmtpd: fatal: unable to read DNS configuration: DNSCACHEIP: not an address or address:port: \"nonsense\"\n", nil},
		{"bad DNSCACHEIP does not matter when RBLSMTPD decides", []string{"DNSCACHEIP=nonsense", "RBLSMTPD=", "TCPREMOTEIP=127.0.0.2"}, []string{"-r", "bl.test", "qmail-smtpd"}, 111,
			"", "rblsmtpd: fatal: unable to run qmail-smtpd: file does not exist\n", []string{"qmail-smtpd"}},
		{"-w after a decision does not wait", []string{"RBLSMTPD=", "TCPREMOTEIP=127.0.0.2"}, []string{"-w", "1000000", "qmail-smtpd"}, 111,
			"", "rblsmtpd: fatal: unable to run qmail-smtpd: file does not exist\n", []string{"qmail-smtpd"}},
		{"-w 0 does not wait", []string{"TCPREMOTEIP=127.0.0.2"}, []string{"-w0", "qmail-smtpd"}, 111,
			"", "rblsmtpd: fatal: unable to run qmail-smtpd: file does not exist\n", []string{"qmail-smtpd"}},
	}
	for _, tc := range tests {
		res := runWith(t, tc.env, session, tc.args...)
		stderr := pidRE.ReplaceAllString(res.stderr, " pid N: ")
		if res.code != tc.code || res.stdout != tc.stdout || stderr != tc.stderr || !slices.Equal(res.execd, tc.execd) {
			t.Errorf("%s:\n got %d %q %q %q\nwant %d %q %q %q", tc.why, res.code, res.stdout, stderr, res.execd,
				tc.code, tc.stdout, tc.stderr, tc.execd)
		}
		if res.execd != nil && !slices.Equal(res.env, tc.env) {
			t.Errorf("%s: environment changed: %q", tc.why, res.env)
		}
	}
}

// Input that is there before the delay starts is a client talking first.
func TestPregreetFromFile(t *testing.T) {
	res := runWith(t, []string{"TCPREMOTEIP=192.0.2.7"}, "EHLO early\r\n", "-w", "30", "qmail-smtpd")
	want := runResult{code: 0, stdout: "554 SMTP protocol violation\r\n"}
	if res.code != want.code || res.stdout != want.stdout || res.execd != nil ||
		pidRE.ReplaceAllString(res.stderr, " pid N: ") != "rblsmtpd: 192.0.2.7 pid N: 554 SMTP protocol violation\n" {
		t.Errorf("got %+v", res)
	}
	// An empty file reads as a client that hung up.
	res = runWith(t, []string{"TCPREMOTEIP=192.0.2.7", "GREETDELAY=30"}, "", "-W", "qmail-smtpd")
	if res.code != 0 || res.stdout != "" || res.execd != nil || res.stderr != "" {
		t.Errorf("hang-up: got %+v", res)
	}
}

func Example_logLine() {
	fmt.Print(strings.Replace(logLine("192.0.2.1", 1234, replyLine(451, "listed")), "1234", "PID", 1))
	// Output: rblsmtpd: 192.0.2.1 pid PID: 451 listed
}
