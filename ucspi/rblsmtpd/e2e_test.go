package rblsmtpd_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

// proc is a running rblsmtpd with its client side on pipes.
type proc struct {
	*testbin.Proc
	stdin  io.WriteCloser
	stdout *bufio.Reader
}

func start(t *testing.T, bin string, env []string, preload string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// A pipe of our own, not StdoutPipe: testbin.Start waits for the
	// program at once, and Wait closes a StdoutPipe as soon as the program
	// has exited, which under load can be before its last reply is read.
	out, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	cmd.Stdout = outW
	if preload != "" {
		// Written before the program starts, so it is there before any
		// greeting could be: a client that talks first, with no race.
		go io.WriteString(stdin, preload)
	}
	p := testbin.Start(t, cmd)
	outW.Close()
	return &proc{Proc: p, stdin: stdin, stdout: bufio.NewReader(out)}
}

// line reads one line of output, failing the test if none comes in time.
func (p *proc) line(t *testing.T) string {
	t.Helper()
	got := make(chan string, 1)
	go func() { s, _ := p.stdout.ReadString('\n'); got <- s }()
	select {
	case s := <-got:
		return s
	case <-time.After(20 * time.Second):
		t.Fatal("no output line in 20 s")
		return ""
	}
}

// exit waits for the program to end and returns its exit code.
func (p *proc) exit(t *testing.T) int {
	t.Helper()
	return p.Exit(t, 20*time.Second)
}

func TestBlockedSessionOverPipes(t *testing.T) {
	srv := dnstest.Start(t, `2.0.0.127.bl.test. TXT "listed"`)
	p := start(t, testbin.Path(t, "rblsmtpd"), []string{"DNSCACHEIP=" + srv.Addr, "TCPREMOTEIP=127.0.0.2"}, "", "-r", "bl.test", "cat")
	if l := p.line(t); l != "220 rblsmtpd.local\r\n" {
		t.Fatalf("greeting %q", l)
	}
	for _, step := range []struct{ send, want string }{
		{"EHLO x\r\n", "250 rblsmtpd.local\r\n"},
		{"RCPT TO:<a>\r\n", "451 listed\r\n"},
		{"QUIT\r\n", "221 rblsmtpd.local\r\n"},
	} {
		io.WriteString(p.stdin, step.send)
		if l := p.line(t); l != step.want {
			t.Errorf("after %q got %q, want %q", step.send, l, step.want)
		}
	}
	if code := p.exit(t); code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestSessionTimeout(t *testing.T) {
	// A client that never speaks is dropped after -t seconds even though
	// its end of the pipe stays open.
	p := start(t, testbin.Path(t, "rblsmtpd"), []string{"RBLSMTPD=later", "TCPREMOTEIP=127.0.0.2"}, "", "-t1", "cat")
	if l := p.line(t); l != "220 rblsmtpd.local\r\n" {
		t.Fatalf("greeting %q", l)
	}
	if code := p.exit(t); code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestAcceptedKeepsEnvironment(t *testing.T) {
	srv := dnstest.Start(t, `2.0.0.127.bl.test. TXT "listed"`)
	env := []string{"DNSCACHEIP=" + srv.Addr, "TCPREMOTEIP=127.0.0.9", "TCPREMOTEHOST=client.example", "RBLSMTPD_OTHER=x"}
	p := start(t, testbin.Path(t, "rblsmtpd"), env, "", "-r", "bl.test", "env")
	out, _ := io.ReadAll(p.stdout)
	want := strings.Join(append([]string{"PATH=/usr/bin:/bin"}, env...), "\n") + "\n"
	if string(out) != want {
		t.Errorf("environment seen by the program:\n%s\nwant:\n%s", out, want)
	}
	if code := p.exit(t); code != 0 {
		t.Errorf("exit %d", code)
	}
	if q := srv.Queries(); len(q) != 1 || q[0].Name != "9.0.0.127.bl.test" || q[0].Type != "TXT" {
		t.Errorf("queries %v", q)
	}
}

func TestIPv6Nibbles(t *testing.T) {
	srv := dnstest.Start(t, `1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test. TXT "v6 listed"`)
	p := start(t, testbin.Path(t, "rblsmtpd"), []string{"DNSCACHEIP=" + srv.Addr, "TCPREMOTEIP=2001:db8::1"}, "", "-t0", "-r", "bl.test", "cat")
	if l := p.line(t); l != "451 v6 listed\r\n" {
		t.Errorf("got %q", l)
	}
	p.exit(t)
}

func TestGreetDelayQuietClient(t *testing.T) {
	// The program run after the delay greets; the client then talks, and
	// every byte it sends reaches the program.
	p := start(t, testbin.Path(t, "rblsmtpd"), []string{"TCPREMOTEIP=127.0.0.2"}, "",
		"-w", "1", "sh", "-c", "echo 220 smtpd; exec cat")
	if l := p.line(t); l != "220 smtpd\n" {
		t.Fatalf("got %q", l)
	}
	io.WriteString(p.stdin, "EHLO client\r\n")
	if l := p.line(t); l != "EHLO client\r\n" {
		t.Errorf("the program got %q", l)
	}
	p.stdin.Close()
	if code := p.exit(t); code != 0 {
		t.Errorf("exit %d", code)
	}
	if p.Stderr.String() != "" {
		t.Errorf("stderr %q", p.Stderr.String())
	}
}

func TestGreetDelayPregreet(t *testing.T) {
	for _, args := range [][]string{{"-w", "60"}, {"-W"}} {
		p := start(t, testbin.Path(t, "rblsmtpd"), []string{"TCPREMOTEIP=127.0.0.2", "GREETDELAY=60"}, "EHLO early\r\n",
			append(args, "sh", "-c", "echo 220 smtpd")...)
		if l := p.line(t); l != "554 SMTP protocol violation\r\n" {
			t.Errorf("%v: got %q", args, l)
		}
		if code := p.exit(t); code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		if !strings.HasPrefix(p.Stderr.String(), "rblsmtpd: 127.0.0.2 pid ") || !strings.HasSuffix(p.Stderr.String(), ": 554 SMTP protocol violation\n") {
			t.Errorf("%v: log %q", args, p.Stderr.String())
		}
	}
}

func TestGreetDelayAfterAllowList(t *testing.T) {
	// A client on the allow list does not wait: -w 1000000 would hold the
	// test past its deadline.
	srv := dnstest.Start(t, `2.0.0.127.allow.test. A 127.0.0.2`)
	p := start(t, testbin.Path(t, "rblsmtpd"), []string{"DNSCACHEIP=" + srv.Addr, "TCPREMOTEIP=127.0.0.2"}, "",
		"-a", "allow.test", "-w", "1000000", "sh", "-c", "echo 220 smtpd")
	if l := p.line(t); l != "220 smtpd\n" {
		t.Errorf("got %q", l)
	}
	p.exit(t)
}
