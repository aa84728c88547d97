package setup

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/ucspi/rules"
)

// runSetup runs the quail-setup program and returns its output and exit
// code.
func runSetup(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, "quail-setup"), args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	t.Fatal(err)
	return "", 0
}

// TestCommand pins the exit codes of quail-setup(8): 100 for usage, 1 for
// problems found by -c, 0 otherwise; and -r as the one rebuild command.
func TestCommand(t *testing.T) {
	dir := t.TempDir()
	bin := fakeBin(t, allPrograms()...)
	base := []string{"-d", filepath.Join(dir, "qmail"), "-s", filepath.Join(dir, "service"),
		"-l", filepath.Join(dir, "log"), "-b", bin, "-h", "localhost"}
	with := func(extra ...string) []string { return append(append([]string{}, extra...), base...) }

	for _, tc := range []struct {
		args []string
		why  string
	}{
		{[]string{"-x"}, "an unknown option"},
		{[]string{"-p", "smtp=25"}, "a service that does not exist"},
		{[]string{"-S", "0"}, "a split of zero"},
		{[]string{"extra"}, "an argument after the options"},
	} {
		out, code := runSetup(t, tc.args...)
		if code != 100 || !strings.Contains(out, "quail-setup: usage: quail-setup ") {
			t.Errorf("%s (%v): exit %d, output %q; want 100 and the usage", tc.why, tc.args, code, out)
		}
	}

	if out, code := runSetup(t, with("-c")...); code != 1 || !strings.Contains(out, "quail-setup: problem: ") {
		t.Errorf("-c before any setup: exit %d, want 1 with problems:\n%s", code, out)
	}
	if out, code := runSetup(t, with("-u", "-D", filepath.Join(dir, "demo"))...); code != 0 {
		t.Fatalf("-u: exit %d:\n%s", code, out)
	}
	if out, code := runSetup(t, with("-c")...); code != 0 || !strings.Contains(out, "no problems found") {
		t.Errorf("-c after setup: exit %d, want 0:\n%s", code, out)
	}

	// An edited rules file takes effect with -r.
	smtp := filepath.Join(dir, "qmail", "tcp", "smtp")
	write(t, smtp, "10.1.2.3:deny\n:allow\n")
	if out, code := runSetup(t, with("-r")...); code != 0 || !strings.Contains(out, "compiled "+smtp+".cdb") {
		t.Errorf("-r: exit %d:\n%s", code, out)
	}
	d, err := rules.LookupFile(smtp+".cdb", rules.Query{IP: "10.1.2.3"})
	if err != nil || !d.Deny {
		t.Errorf("after -r, 10.1.2.3 is not denied: %+v %v", d, err)
	}
	if _, err := os.Stat(smtp + ".cdb.tmp"); err == nil {
		t.Errorf("-r left its temporary file")
	}
}
