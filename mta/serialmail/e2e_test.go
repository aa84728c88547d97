package serialmail

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

const prefix = "alias-dialup-"

// fillMaildir makes a Maildir holding n messages as qmail-local leaves
// them for a dial-up host reached through virtualdomains: Return-Path,
// then Delivered-To with the prefix, older than the current second.
func fillMaildir(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "Maildir")
	for _, sub := range []string{"tmp", "new", "cur"} {
		testbin.Must(t, os.MkdirAll(filepath.Join(dir, sub), 0o700))
	}
	base := time.Now().Add(-time.Hour)
	for i := 0; i < n; i++ {
		msg := fmt.Sprintf("Return-Path: <sender%d@origin.test>\nDelivered-To: %suser%d@dialup.test\nSubject: message %d\n\n.a line with a leading dot\nbody of message %d\nmarker-%d\n", i, prefix, i, i, i, i)
		p := filepath.Join(dir, "new", fmt.Sprintf("%d.M%dP1.host", base.Unix()+int64(i), i))
		testbin.Must(t, os.WriteFile(p, []byte(msg), 0o600))
		mt := base.Add(time.Duration(i) * time.Millisecond)
		testbin.Must(t, os.Chtimes(p, mt, mt))
	}
	return dir
}

func remaining(t *testing.T, dir string) int {
	n := 0
	for _, sub := range []string{"new", "cur"} {
		ents, _ := os.ReadDir(filepath.Join(dir, sub))
		n += len(ents)
	}
	return n
}

// cutProxy relays connections to target. The first connection is cut in
// the middle of the message holding marker: the client's bytes up to it
// are passed on, then the server sees the connection end (as when a
// dial-up line drops), what the server still says is passed back, and
// the client's side is closed. Later connections are relayed whole.
type cutProxy struct {
	ln     net.Listener
	target string
	marker []byte
	mu     sync.Mutex
	conns  int
	cut    bool
}

func startCutProxy(t *testing.T, listen, target, marker string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	testbin.Must(t, err)
	p := &cutProxy{ln: ln, target: target, marker: []byte(marker)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns++
			first := p.conns == 1
			p.mu.Unlock()
			go p.relay(c, first)
		}
	}()
	return p
}

func (p *cutProxy) relay(client net.Conn, cut bool) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	back := make(chan struct{})
	go func() {
		io.Copy(client, server)
		close(back)
	}()
	var seen []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := client.Read(buf)
		chunk := buf[:n]
		if cut {
			seen = append(seen, chunk...)
			if i := bytes.Index(seen, p.marker); i >= 0 {
				// Pass on what came before the marker, then end the
				// server's input.
				keep := len(chunk) - (len(seen) - i)
				if keep > 0 {
					server.Write(chunk[:keep])
				}
				p.mu.Lock()
				p.cut = true
				p.mu.Unlock()
				server.(*net.TCPConn).CloseWrite()
				<-back
				return
			}
			if len(seen) > 1<<20 {
				seen = seen[len(seen)-64:]
			}
		}
		if n > 0 {
			if _, werr := server.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			server.(*net.TCPConn).CloseWrite()
			<-back
			return
		}
	}
}

var deliveredLog = regexp.MustCompile(`maildirserial: info: (new|cur)/\S+ succeeded: `)

// TestMaildirSMTPToSmtpSinkAcrossACut flushes 1,000 messages through
// maildirsmtp (maildirserial, tcpclient, serialsmtp) to Postfix's
// smtp-sink, the first connection cut in the middle of message 500:
// maildirserial runs the client again for what is left, and every
// message reaches the sink exactly once, the Maildir ending empty.
func TestMaildirSMTPToSmtpSinkAcrossACut(t *testing.T) {
	sink := testbin.Peer(t, "smtp-sink")
	maildirsmtp := testbin.Path(t, "maildirsmtp")
	testbin.Dir(t, "maildirserial", "serialsmtp", "tcpclient", "maildirsmtp")
	dir := fillMaildir(t, 1000)
	dumps := t.TempDir()
	sinkAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(sink, "-u", "root", "-d", filepath.Join(dumps, "m"), sinkAddr, "100")
	testbin.Must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitListening(t, sinkAddr)
	ip := testbin.SpareLoopback(t, 25)
	proxy := startCutProxy(t, ip+":25", sinkAddr, "marker-500\r\n")

	home := t.TempDir()
	testbin.WriteFiles(t, home, map[string]string{"control/me": "serial.test\n"})
	q := testbin.StandInQueue(t, filepath.Join(home, "bin"))
	run := exec.Command(maildirsmtp, dir, prefix, ip, "serial.test")
	run.Env = []string{"PATH=/usr/bin:/bin", "QMAILHOME=" + home}
	_, stderr, code := testbin.Run(t, run)
	if code != 0 {
		t.Fatalf("maildirsmtp exit %d:\n%s", code, tail(stderr))
	}
	if !proxy.cut || proxy.conns < 2 {
		t.Fatalf("the connection was not cut and made again (cut %v, %d connections)", proxy.cut, proxy.conns)
	}
	if !strings.Contains(stderr, "serialsmtp: fatal: network") {
		t.Errorf("no word of the cut from serialsmtp:\n%s", tail(stderr))
	}
	if n := len(deliveredLog.FindAllString(stderr, -1)); n != 1000 {
		t.Errorf("%d messages reported delivered, want 1000", n)
	}
	if n := remaining(t, dir); n != 0 {
		t.Errorf("%d messages left in the Maildir", n)
	}
	if len(q.Queued(t)) != 0 {
		t.Errorf("bounces sent: %q", q.Queued(t))
	}
	// Every message in the sink's dumps exactly once, its envelope
	// taken from the Return-Path and Delivered-To lines, which are gone.
	count := map[string]int{}
	files, _ := filepath.Glob(filepath.Join(dumps, "m*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		s := strings.ReplaceAll(string(b), "\r\n", "\n")
		m := regexp.MustCompile(`(?m)^Subject: message (\d+)$`).FindStringSubmatch(s)
		if m == nil {
			continue
		}
		count[m[1]]++
		i := m[1]
		for _, want := range []string{"X-Mail-Args: <sender" + i + "@origin.test>", "X-Rcpt-Args: <user" + i + "@dialup.test>", "\n.a line with a leading dot\n"} {
			if !strings.Contains(s, want) {
				t.Errorf("message %s lacks %q:\n%s", i, want, s)
			}
		}
		if strings.Contains(s, "Delivered-To:") || strings.Contains(s, "Return-Path:") {
			t.Errorf("message %s kept its envelope lines", i)
		}
	}
	for i := 0; i < 1000; i++ {
		if c := count[fmt.Sprint(i)]; c != 1 {
			t.Errorf("message %d reached the sink %d times", i, c)
		}
	}
}

// TestMaildirQMTPToQmtpdAcrossACut does the same through maildirqmtp
// (serialqmtp) to quail's qmail-qmtpd under tcpserver, whose qmail-queue
// is a stand-in that keeps each message and envelope.
func TestMaildirQMTPToQmtpdAcrossACut(t *testing.T) {
	maildirqmtp := testbin.Path(t, "maildirqmtp")
	testbin.Dir(t, "maildirserial", "serialqmtp", "tcpclient", "maildirqmtp")
	dir := fillMaildir(t, 1000)
	qhome, q := testbin.SMTPHome(t, "qmtp.test", "dialup.test")
	srv := testbin.StartServer(t, testbin.Path(t, "tcpserver"), []string{"PATH=/usr/bin:/bin", "QMAILHOME=" + qhome},
		"-R", "-H", "127.0.0.1", "0", testbin.Path(t, "qmail-qmtpd"))
	ip := testbin.SpareLoopback(t, 209)
	proxy := startCutProxy(t, ip+":209", srv.Addr("127.0.0.1"), "marker-500\n")

	home := t.TempDir()
	testbin.WriteFiles(t, home, map[string]string{"control/me": "serial.test\n"})
	bounces := testbin.StandInQueue(t, filepath.Join(home, "bin"))
	run := exec.Command(maildirqmtp, dir, prefix, ip)
	run.Env = []string{"PATH=/usr/bin:/bin", "QMAILHOME=" + home}
	_, stderr, code := testbin.Run(t, run)
	if code != 0 {
		t.Fatalf("maildirqmtp exit %d:\n%s", code, tail(stderr))
	}
	if !proxy.cut || proxy.conns < 2 {
		t.Fatalf("the connection was not cut and made again (cut %v, %d connections)", proxy.cut, proxy.conns)
	}
	if n := len(deliveredLog.FindAllString(stderr, -1)); n != 1000 {
		t.Errorf("%d messages reported delivered, want 1000:\n%s", n, tail(stderr))
	}
	if n := remaining(t, dir); n != 0 {
		t.Errorf("%d messages left in the Maildir", n)
	}
	if len(bounces.Queued(t)) != 0 {
		t.Errorf("bounces sent: %q", bounces.Queued(t))
	}
	count := map[string]int{}
	for _, got := range q.Queued(t) {
		if strings.HasSuffix(got, "|") {
			// The message cut short: qmail-qmtpd gave qmail-queue no
			// envelope, and a real qmail-queue queues nothing then.
			continue
		}
		m := regexp.MustCompile(`(?m)^Subject: message (\d+)$`).FindStringSubmatch(got)
		if m == nil {
			t.Errorf("queued something else: %q", got)
			continue
		}
		count[m[1]]++
		i := m[1]
		if !strings.Contains(got, "|Fsender"+i+"@origin.test\x00Tuser"+i+"@dialup.test\x00\x00") || strings.Contains(got, "Delivered-To: "+prefix) {
			t.Errorf("message %s: %q", i, got)
		}
	}
	for i := 0; i < 1000; i++ {
		if c := count[fmt.Sprint(i)]; c != 1 {
			t.Errorf("message %d queued %d times", i, c)
		}
	}
}

func tail(s string) string {
	if len(s) > 3000 {
		return "..." + s[len(s)-3000:]
	}
	return s
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testbin.Must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitListening(t *testing.T, addr string) {
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

func mustTime(t *testing.T, s string) time.Time {
	tm, err := time.Parse(time.RFC3339, s)
	testbin.Must(t, err)
	return tm
}

func nowMinus(sec int) time.Time { return time.Now().Add(-time.Duration(sec) * time.Second) }
