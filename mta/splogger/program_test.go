package splogger_test

import (
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// sploggerAt builds a splogger whose syslog socket is path (DevLog is
// fixed at build time, like the qmail home).
func sploggerAt(t *testing.T, path string) string {
	return testbin.BuildWith(t, "splogger", "github.com/quail-mta/quail/mta/splogger.DevLog="+path)
}

func listen(t *testing.T, path string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// datagrams reads n datagrams.
func datagrams(t *testing.T, c *net.UnixConn, n int) []string {
	t.Helper()
	var out []string
	buf := make([]byte, 4096)
	for len(out) < n {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		k, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after %d of %d datagrams: %v (%q)", len(out), n, err, out)
		}
		out = append(out, string(buf[:k]))
	}
	return out
}

// syslogTime is the "%h %e %T" time of a record, which differs between
// two programs' records of the same text.
var syslogTime = regexp.MustCompile(`^(<\d+>)[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d `)

// Debian's logger (util-linux), writing to a local socket, lays a record
// out as glibc's syslog(3) does ("<PRI>Mmm dd hh:mm:ss TAG: TEXT", no host
// name, no pid). splogger's records of several lines, tags and facilities
// are compared with logger's records of the same texts, byte for byte but
// for the time, which the two programs take at different moments.
func TestSploggerMatchesLogger(t *testing.T) {
	logger := testbin.Peer(t, "logger")
	dir := t.TempDir()
	sock := filepath.Join(dir, "log")
	c := listen(t, sock)
	prog := sploggerAt(t, sock)
	facName := map[int]string{1: "user", 2: "mail", 3: "daemon", 16: "local0", 23: "local7"}
	priName := map[int]string{1: "alert", 4: "warning", 6: "info"}
	input := "new msg 123\nwarning: trouble talking to 192.0.2.1\n\nalert: oh no\n" + strings.Repeat("y", 900) + "\n"
	for _, tt := range []struct {
		args []string
		tag  string
		fac  int
	}{
		{nil, "splogger", 2},
		{[]string{"qmail"}, "qmail", 2},
		{[]string{"smtpd", "3"}, "smtpd", 3},
		{[]string{"q", "16"}, "q", 16},
		{[]string{"q", "23"}, "q", 23},
		{[]string{"q", "1"}, "q", 1},
	} {
		cmd := exec.Command(prog, tt.args...)
		cmd.Stdin = strings.NewReader(input)
		out, errs, code := testbin.Run(t, cmd)
		if code != 0 || out != "" || errs != "" {
			t.Fatalf("splogger %q: exit %d, stdout %q, stderr %q", tt.args, code, out, errs)
		}
		ours := datagrams(t, c, 5)
		for _, d := range ours {
			m := syslogTime.FindStringSubmatch(d)
			if m == nil {
				t.Fatalf("splogger %q: record %q has no syslog header", tt.args, d)
			}
			var pri int
			for p := range priName {
				if m[1] == "<"+strconv.Itoa(tt.fac<<3|p)+">" {
					pri = p
				}
			}
			if pri == 0 {
				t.Fatalf("splogger %q: record %q has priority %s, not facility %d", tt.args, d, m[1], tt.fac)
			}
			text := strings.TrimPrefix(d[len(m[0]):], tt.tag+": ")
			lc := exec.Command(logger, "--socket", sock, "-t", tt.tag, "-p", facName[tt.fac]+"."+priName[pri], "--", text)
			if msg, err := lc.CombinedOutput(); err != nil {
				t.Fatalf("logger: %v: %s", err, msg)
			}
			theirs := datagrams(t, c, 1)[0]
			if a, b := syslogTime.ReplaceAllString(d, "${1}TIME "), syslogTime.ReplaceAllString(theirs, "${1}TIME "); a != b {
				t.Errorf("splogger %q: record\n %q\nlogger's:\n %q", tt.args, a, b)
			}
		}
	}
}

// What splogger makes of qmail-send's kind of log, as records: the stamp,
// the priority rules, folding, and the default tag and facility.
func TestSploggerRecords(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "log")
	c := listen(t, sock)
	prog := sploggerAt(t, sock)
	cmd := exec.Command(prog, "qmail")
	cmd.Stdin = strings.NewReader("status: local 0/10 remote 0/20\nwarning: x\x01y\n" + strings.Repeat("z", 801) + "\nlast")
	if _, errs, code := testbin.Run(t, cmd); code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	got := datagrams(t, c, 5)
	rec := regexp.MustCompile(`^<(\d+)>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d qmail: (\d+\.\d{6})([ +])(.*)$`)
	want := []struct{ pri, sep, text string }{
		{"22", " ", "status: local 0/10 remote 0/20"},
		{"20", " ", "warning: x?y"},
		{"22", " ", strings.Repeat("z", 799)},
		{"22", "+", "zz"},
		{"22", " ", "last"},
	}
	var stamps []string
	for i, d := range got {
		m := rec.FindStringSubmatch(d)
		if m == nil || m[1] != want[i].pri || m[3] != want[i].sep || m[4] != want[i].text {
			t.Errorf("record %d: %q, want priority %s and %q%s", i, d, want[i].pri, want[i].sep, want[i].text)
			continue
		}
		stamps = append(stamps, m[2])
	}
	if len(stamps) == 5 && stamps[2] != stamps[3] {
		t.Errorf("a continuation has stamp %s, its first piece %s", stamps[3], stamps[2])
	}
}
