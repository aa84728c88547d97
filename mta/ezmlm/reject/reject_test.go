package reject

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/quail-mta/quail/mta/ezmlm/ezmlmtest"
)

func TestReject(t *testing.T) {
	l := ezmlmtest.New(t, "")
	os.WriteFile(filepath.Join(l.Dir, "msgsize"), []byte("100:5\n"), 0o644)
	os.WriteFile(filepath.Join(l.Dir, "mimereject"), []byte("application/x-evil\n"), 0o644)
	os.WriteFile(filepath.Join(l.Dir, "headerreject"), []byte("X-Spam\n"), 0o644)
	to := "To: Joe's list <JOE-SOS@Example.Org>\n"
	for _, c := range []struct {
		why, msg string
		args     []string
		code     int
		line     string
	}{
		{"a good post", to + "Subject: hello\n\nsome words\n", nil, 0, ""},
		{"the list in Cc", "To: x@y\nCc: joe-sos@example.org\nSubject: hello\n\nsome words\n", nil, 0, ""},
		{"no subject", to + "\nsome words\n", nil, 100, "ezmlm-reject: fatal: Sorry, I don't accept messages with an empty Subject (#5.7.0)\n"},
		{"(no subject)", to + "Subject: (no subject)\n\nsome words\n", nil, 100, "ezmlm-reject: fatal: Sorry, I don't accept messages with an empty Subject (#5.7.0)\n"},
		{"a command subject", to + "Subject: unsubscribe\n\nplease\n", nil, 100, "ezmlm-reject: fatal: Sorry, commands in the Subject are not accepted here: write to the -help address of the Mailing-List header for them (#5.7.0)\n"},
		{"a command subject with -C", to + "Subject: help\n\nplease\n", []string{"-C"}, 0, ""},
		{"not addressed to the list", "To: other@example.org\nSubject: hello\n\nsome words\n", nil, 100, "ezmlm-reject: fatal: List address must be in To: or Cc: (#5.7.0)\n"},
		{"not addressed, -q", "To: other@example.org\nSubject: hello\n\nsome words\n", []string{"-q"}, 99, "ezmlm-reject: info: List address must be in To: or Cc: (#5.7.0)\n"},
		{"not addressed, -T", "To: other@example.org\nSubject: hello\n\nsome words\n", []string{"-T"}, 0, ""},
		{"bulk", to + "Subject: hello\nPrecedence: bulk\n\nsome words\n", nil, 99, "ezmlm-reject: info: Precedence: bulk - message ignored\n"},
		{"too large", to + "Subject: hello\n\n" + string(make([]byte, 120)) + "\n", nil, 100, "ezmlm-reject: fatal: Sorry, I don't accept messages larger than 100 bytes (#5.2.3)\n"},
		{"too small", to + "Subject: hello\n\nhi\n", nil, 100, "ezmlm-reject: fatal: Sorry, I don't accept messages shorter than 5 bytes (#5.2.3)\n"},
		{"a refused type", to + "Subject: hello\nContent-Type: application/x-evil\n\nsome words\n", nil, 100, "ezmlm-reject: fatal: Sorry, I don't accept messages of MIME Content-Type 'application/x-evil' (#5.2.3)\n"},
		{"a refused part", to + "Subject: hello\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: application/x-evil\n\nxxxxxx\n--B--\n", nil, 100, "ezmlm-reject: fatal: Sorry, a message part has an unacceptable MIME Content-Type: 'application/x-evil' (#5.2.3)\n"},
		{"a refused field", to + "Subject: hello\nX-Spam: yes\n\nsome words\n", nil, 100, "ezmlm-reject: fatal: message already has a Mailing-List header (maybe I should be a sublist) (#5.7.2)\n"},
	} {
		code, stderr := l.Run(Main, "ezmlm-reject", c.msg, []string{"SENDER=ann@example.net"}, append(c.args, l.Dir)...)
		if code != c.code || stderr != c.line {
			t.Errorf("%s: exit %d, %q; want %d, %q", c.why, code, stderr, c.code, c.line)
		}
	}
	if code, stderr := l.Run(Main, "ezmlm-reject", "Subject: x\n\n", []string{"SENDER="}, l.Dir); code != 100 || stderr != "ezmlm-reject: fatal: I do not distribute bounce messages (#5.7.2)\n" {
		t.Errorf("a bounce: %d %q", code, stderr)
	}
	// Without dir only the subject counts.
	if code, _ := l.Run(Main, "ezmlm-reject", "To: other@example.org\nSubject: hello\n\nx\n", []string{"SENDER=a@b"}); code != 0 {
		t.Errorf("without dir: exit %d", code)
	}
}
