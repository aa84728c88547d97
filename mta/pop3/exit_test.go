package pop3

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// TestProgramExitCodes pins the exit status of the built programs and
// what qmail-popup hands the checkpassword program on descriptor 3.
func TestProgramExitCodes(t *testing.T) {
	dir := t.TempDir()
	fd3 := filepath.Join(dir, "fd3")
	cp := filepath.Join(dir, "checkpassword")
	// Records descriptor 3, then behaves as $CP says.
	os.WriteFile(cp, []byte(`#!/bin/sh
cat <&3 > `+fd3+`
case "$CP" in
good) exec "$@";;
crash) kill -9 $$;;
*) exit "$CP";;
esac
`), 0o755)
	popup := testbin.Path(t, "qmail-popup")
	cases := []struct {
		cp, in string
		args   []string
		code   int
		out    string
		log    string
		why    string
	}{
		{"1", "QUIT\r\n", []string{"pop.test", cp, "true"}, 0, `\+OK \r\n$`, "", "QUIT"},
		{"1", "", []string{"pop.test", cp, "true"}, 0, `^\+OK <\d+\.\d+@pop\.test>\r\n$`, "", "end of input"},
		{"1", "USER u\r\nPASS p\r\n", []string{"pop.test", cp, "true"}, 1, `-ERR authorization failed\r\n$`, "login failed user=u", "bad login"},
		{"111", "USER u\r\nPASS p\r\n", []string{"pop.test", cp, "true"}, 1, `-ERR authorization failed\r\n$`, "login deferred user=u", "temporary failure"},
		{"crash", "USER u\r\nPASS p\r\n", []string{"pop.test", cp, "true"}, 1, `-ERR aack, child crashed\r\n$`, "login deferred", "crashed checkpassword"},
		{"good", "USER u\r\nPASS p\r\nSTAT\r\n", []string{"pop.test", cp, "sh", "-c", "read l; echo \"+OK got $l\""}, 0, "\\+OK \r\n\\+OK got STAT\r\n$", "login ok user=u", "good login runs the subprogram on the connection"},
		{"1", "", []string{"pop.test"}, 100, "^-ERR usage: popup hostname subprogram\r\n$", "usage:", "no checkpassword program"},
	}
	for _, c := range cases {
		os.Remove(fd3)
		cmd := exec.Command(popup, c.args...)
		cmd.Env = []string{"PATH=/bin:/usr/bin", "CP=" + c.cp, "TCPREMOTEIP=127.0.0.7"}
		cmd.Stdin = strings.NewReader(c.in)
		var out, log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &log
		code := testbin.ExitCode(t, cmd.Run())
		if code != c.code || !regexp.MustCompile(c.out).MatchString(out.String()) || !strings.Contains(log.String(), c.log) {
			t.Errorf("%s: exit %d, output %q, log %q; want %d, /%s/, %q", c.why, code, out.String(), log.String(), c.code, c.out, c.log)
		}
		if strings.Contains(c.in, "PASS") {
			b, _ := os.ReadFile(fd3)
			if !regexp.MustCompile(`^u\x00p\x00<\d+\.\d+@pop\.test>\x00$`).Match(b) {
				t.Errorf("%s: descriptor 3 carried %q", c.why, b)
			}
		}
	}

	pop3d := testbin.Path(t, "qmail-pop3d")
	md := testMaildir(t, []string{"a\n"}, nil)
	for _, c := range []struct {
		args []string
		code int
		out  string
		why  string
	}{
		{nil, 100, "-ERR this user has no $HOME/Maildir\r\n", "no maildir name"},
		{[]string{filepath.Join(dir, "none")}, 0, "-ERR this user has no $HOME/Maildir\r\n", "missing Maildir: told to the client, exit 0"},
		{[]string{md}, 0, "+OK \r\n+OK 1 2\r\n+OK \r\n", "session"},
	} {
		cmd := exec.Command(pop3d, c.args...)
		cmd.Stdin = strings.NewReader("STAT\r\nQUIT\r\n")
		var out bytes.Buffer
		cmd.Stdout = &out
		if code := testbin.ExitCode(t, cmd.Run()); code != c.code || out.String() != c.out {
			t.Errorf("qmail-pop3d %s: exit %d, output %q", c.why, code, out.String())
		}
	}
}
