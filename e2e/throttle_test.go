package e2e

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/throttle"
)

// countingChecker is a checkpassword program that notes each login it
// is handed in $COUNT and lets in only the password "right".
func countingChecker(t *testing.T) (prog, count string) {
	t.Helper()
	dir := t.TempDir()
	prog, count = filepath.Join(dir, "checker"), filepath.Join(dir, "count")
	script := "#!/bin/sh\necho x >> \"$COUNT\"\npw=$(tr '\\0' '\\n' <&3 | sed -n 2p)\n[ \"$pw\" = right ] && exec \"$@\"\nexit 1\n"
	if err := os.WriteFile(prog, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return prog, count
}

func lineCount(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n")
}

// smtpAuth connects from local (an address of the loopback network),
// logs in with AUTH PLAIN and returns the reply.
func smtpAuth(addr, local, user, pass string) (string, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReader(c)
	reply := func() (string, error) {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return "", err
			}
			if len(l) < 4 || l[3] != '-' {
				return strings.TrimRight(l, "\r\n"), nil
			}
		}
	}
	if _, err := reply(); err != nil {
		return "", err
	}
	fmt.Fprintf(c, "EHLO client.test\r\n")
	if _, err := reply(); err != nil {
		return "", err
	}
	fmt.Fprintf(c, "AUTH PLAIN %s\r\n", base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+pass)))
	return reply()
}

// TestParallelGuessingIsThrottled: 30 clients of one address guess in
// parallel, a new connection for each guess, as fast as the server
// answers. Each session's own backoff does not see the others, so
// without the throttle they make about 30 guesses a second; with it the
// address is refused after its tenth failure, and the guesses already
// under way when that happened are all that get checked. The refusals
// are logged, refused logins never reach the checkpassword program (the
// right password is refused too), and a client from another address
// still logs in.
func TestParallelGuessingIsThrottled(t *testing.T) {
	in := makeInstance(t)
	if err := os.Mkdir(filepath.Join(in.Home, throttle.Dir), 0o700); err != nil {
		t.Fatal(err)
	}
	checker, count := countingChecker(t)
	srv := testbin.StartServer(t, filepath.Join(in.Bin, "tcpserver"),
		append(append([]string{}, in.Env...), "SMTPAUTH=+", "COUNT="+count),
		"-R", "-H", "-l", "mx.test", "-c", "100", "127.0.0.1", "0", "qmail-smtpd", checker, "true")
	addr := srv.Addr("127.0.0.1")
	const workers = 30
	// Long enough for the slowest first guess (a failure waits up to
	// throttle.MaxDelay) to come back and be refused.
	deadline := time.Now().Add(20 * time.Second)
	var mu sync.Mutex
	replies := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				got, err := smtpAuth(addr, "127.0.0.1", "demo", fmt.Sprintf("guess%d-%d", w, i))
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				mu.Lock()
				replies[got[:3]]++
				mu.Unlock()
				if strings.HasPrefix(got, "454 ") {
					return // refused: this guesser gives up
				}
			}
		}(w)
	}
	wg.Wait()
	checked := lineCount(count)
	t.Logf("%d guesses checked, replies %v", checked, replies)
	if checked > throttle.AddressPolicy.Free+workers {
		t.Errorf("%d guesses were checked, more than %d failures and %d in flight", checked, throttle.AddressPolicy.Free, workers)
	}
	if replies["454"] != workers || replies["535"] != checked {
		t.Errorf("replies %v for %d checked guesses, want a 535 for each and a 454 for each of the %d clients", replies, checked, workers)
	}
	got, _ := smtpAuth(addr, "127.0.0.1", "demo", "right")
	if got != "454 4.7.0 too many failed logins, try again later (#4.7.0)" || lineCount(count) != checked {
		t.Errorf("the right password from the throttled address: %q, checked %d times", got, lineCount(count)-checked)
	}
	if got, _ := smtpAuth(addr, "127.0.0.2", "demo", "right"); got != "235 2.7.0 ok, go ahead (#2.0.0)" {
		t.Errorf("another address: %q", got)
	}
	log := srv.Stderr.String()
	for _, want := range []string{
		"qmail-smtpd: Reject::AUTH::PLAIN: P:ESMTP S:127.0.0.1:unknown H:client.test F: T: A:demo failures:1 throttle:address:60\n",
		"qmail-smtpd: Reject::AUTH::Throttled: P:ESMTP S:127.0.0.1:unknown H:client.test F: T: A:demo mech:PLAIN throttle:address:",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// TestPOP3Throttled: failures another process recorded for an address
// (here the test itself, through the same files) make qmail-popup refuse
// its next login without running the checkpassword program, and say so
// in the log; another address is still served. Python's poplib is the
// client.
func TestPOP3Throttled(t *testing.T) {
	python := testbin.Peer(t, "python3")
	in := makeInstance(t)
	if err := os.Mkdir(filepath.Join(in.Home, throttle.Dir), 0o700); err != nil {
		t.Fatal(err)
	}
	th := throttle.New(in.Home, time.Now)
	for i := 0; i < throttle.AddressPolicy.Free; i++ {
		if _, err := th.Failed("127.0.0.1", fmt.Sprintf("user%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"qmail-popup", "qmail-pop3d"} {
		os.Symlink(testbin.Path(t, p), filepath.Join(in.Bin, p))
	}
	checker, count := countingChecker(t)
	srv := testbin.StartServer(t, filepath.Join(in.Bin, "tcpserver"),
		append(append([]string{}, in.Env...), "COUNT="+count),
		"-R", "-H", "-l", "mx.test", "-c", "100", "127.0.0.1", "0", "qmail-popup", "mx.test", checker, "qmail-pop3d", in.Maildir)
	script := `
import poplib, sys, socket
class POP3(poplib.POP3):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(sys.argv[2], 0))
p = POP3("127.0.0.1", int(sys.argv[1]))
p.user("demo")
try:
    p.pass_("right")
    print("logged in")
except poplib.error_proto as e:
    print(e.args[0].decode())
`
	for _, c := range []struct{ from, want string }{
		{"127.0.0.1", "-ERR too many failed logins, try again later"},
		{"127.0.0.2", "logged in"},
	} {
		out, _ := exec.Command(python, "-c", script, fmt.Sprint(srv.Port), c.from).CombinedOutput()
		if strings.TrimSpace(string(out)) != c.want {
			t.Errorf("from %s: %q, want %q", c.from, out, c.want)
		}
	}
	if n := lineCount(count); n != 1 {
		t.Errorf("the checkpassword program ran %d times, want once (for 127.0.0.2)", n)
	}
	if log := srv.Stderr.String(); !strings.Contains(log, "qmail-popup: login throttled user=demo ip=127.0.0.1 method=USER throttle=address:") {
		t.Errorf("log:\n%s", log)
	}
}
