package inject

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
