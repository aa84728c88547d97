package stats

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// quail's tcpserver -v, rblsmtpd and qmail-smtpd, logging through
// multilog t, are what qmail-stats reads: one client gets a message
// through and a relay attempt refused, one is refused by rblsmtpd, one by
// tcpserver's rules.
func TestRealSMTPServiceLog(t *testing.T) {
	dir := t.TempDir()
	home, _ := testbin.SMTPHome(t, "mx.smtpd.test", "smtpd.test")
	logDir := filepath.Join(dir, "log")

	rulesText := "127.0.0.2:allow,RBLSMTPD=\"listed here\"\n127.0.0.3:deny\n:allow\n"
	rules := filepath.Join(dir, "rules.cdb")
	mk := exec.Command(testbin.Path(t, "tcprules"), rules, rules+".tmp")
	mk.Stdin = strings.NewReader(rulesText)
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("tcprules: %v %s", err, out)
	}

	server := exec.Command(testbin.Path(t, "tcpserver"), "-1", "-v", "-R", "-H", "-l", "mx.smtpd.test", "-x", rules,
		"127.0.0.1", "0", testbin.Path(t, "rblsmtpd"), testbin.Path(t, "qmail-smtpd"))
	server.Env = []string{"QMAILHOME=" + home, "PATH=/usr/bin:/bin"}
	portOut, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stop := runLogged(t, server, logDir)
	port, err := bufio.NewReader(portOut).ReadString('\n')
	if err != nil {
		t.Fatalf("tcpserver did not print its port: %v", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strings.TrimSpace(port))

	dialog(t, "127.0.0.1", addr, []string{
		"EHLO client.example", "MAIL FROM:<a@sender.example>", "RCPT TO:<u@smtpd.test>",
		"RCPT TO:<v@elsewhere.example>", "DATA", "Subject: x\r\n\r\nbody\r\n.", "QUIT",
	})
	dialog(t, "127.0.0.2", addr, []string{"HELO listed.example", "QUIT"})
	dialog(t, "127.0.0.3", addr, nil)

	current := filepath.Join(logDir, "current")
	rx := regexp.MustCompile(`tcpserver: end \d+ status`)
	if !testbin.Eventually(30*time.Second, func() bool {
		b, _ := os.ReadFile(current)
		return len(rx.FindAll(b, -1)) >= 2 && strings.Contains(string(b), "tcpserver: deny ")
	}) {
		b, _ := os.ReadFile(current)
		t.Fatalf("log never showed both sessions end and the deny:\n%s", b)
	}
	stop()

	checkFigures(t, logDir, []string{
		`quail_stats_lines_total{class="unknown"} 0`,
		`quail_smtpd_transactions_total{result="Accept",stage="RCPT",reason="Rcpthosts"} 1`,
		`quail_smtpd_transactions_total{result="Reject",stage="RCPT",reason="Rcpthosts"} 1`,
		`quail_smtpd_transactions_total{result="Accept",stage="DATA",reason="Queued"} 1`,
		`quail_smtpd_messages_queued_total 1`,
		`quail_rblsmtpd_refused_total{kind="temporary"} 1`,
		`quail_tcpserver_connections_total{server="tcpserver",log="log"} 2`,
		`quail_tcpserver_denied_total{server="tcpserver",log="log",reason="rules"} 1`,
		`quail_tcpserver_concurrency_limit{server="tcpserver",log="log"} 40`,
	})
}

// dialog connects from the loopback address from, sends each command
// after reading the reply before it, and reads to the end.
func dialog(t *testing.T, from, addr string, cmds []string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	reply := func() {
		for {
			line, err := r.ReadString('\n')
			if err != nil || len(line) < 4 || line[3] != '-' {
				return
			}
		}
	}
	reply()
	for _, cmd := range cmds {
		c.Write([]byte(cmd + "\r\n"))
		reply()
	}
	r.ReadString(0) // to EOF: the session is over when the server closes
}
