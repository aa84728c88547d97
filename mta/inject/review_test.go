package inject

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// qmail-inject(8): -A is the default made explicit (the arguments, or
// the header when there are none); -H is arguments and header.
func TestRecipientOptions(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "control"), 0755)
	os.WriteFile(filepath.Join(home, "control", "me"), []byte("mx.example\n"), 0644)
	inject := testbin.Path(t, "qmail-inject")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-n", "-A", "arg@x.example"}, "recipient: arg@x.example\n"},
		{[]string{"-n", "-A"}, "recipient: hdr@x.example\n"},
		{[]string{"-n", "-H", "arg@x.example"}, "recipient: arg@x.example\nrecipient: hdr@x.example\n"},
	}
	for _, c := range cases {
		cmd := exec.Command(inject, c.args...)
		cmd.Env = []string{"QMAILHOME=" + home, "USER=joe"}
		cmd.Stdin = strings.NewReader("To: hdr@x.example\n\nbody\n")
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		var got strings.Builder
		for _, l := range strings.SplitAfter(string(b), "\n") {
			if strings.HasPrefix(l, "recipient: ") {
				got.WriteString(l)
			}
		}
		if got.String() != c.want {
			t.Errorf("%v: %q, want %q", c.args, got.String(), c.want)
		}
	}
}

// qmail-inject(8): with QMAILMFTFILE, a message to one of the listed
// mailing lists (To or Cc, any case) gets a Mail-Followup-To naming all
// its To and Cc addresses, unless it has one already.
func TestMailFollowupTo(t *testing.T) {
	now := time.Date(2026, 11, 22, 3, 4, 5, 0, time.UTC)
	cases := []struct{ why, header, want string }{
		{"a list among the recipients", "To: bob@x.example\nCc: List@Lists.example\n", "bob@x.example,\n  List@Lists.example"},
		{"no list among the recipients", "To: bob@x.example\n", ""},
		{"one already there", "To: list@lists.example\nMail-Followup-To: me@x.example\n", "keep"},
	}
	for _, c := range cases {
		fields, err := ReadHeader(bufio.NewReader(strings.NewReader(c.header + "\n")))
		if err != nil {
			t.Fatal(err)
		}
		s := settings()
		s.MFT = []string{"list@lists.example"}
		m := s.Prepare(fields, now, 1)
		var got []string
		for _, f := range m.Fields {
			if strings.EqualFold(f.Name, "Mail-Followup-To") {
				got = append(got, strings.TrimPrefix(f.Value, " "))
			}
		}
		switch c.want {
		case "":
			if len(got) != 0 {
				t.Errorf("%s: added %q", c.why, got)
			}
		case "keep":
			if len(got) != 1 || got[0] != "me@x.example" {
				t.Errorf("%s: %q", c.why, got)
			}
		default:
			if len(got) != 1 || got[0] != c.want {
				t.Errorf("%s: %q, want %q", c.why, got, c.want)
			}
		}
	}
}
