package chain_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// What ps shows is /proc/PID/cmdline. Both readproctitles get the same
// arguments and input; their cmdlines must end the same way.
func TestReadproctitleTitleMatchesDebian(t *testing.T) {
	dots := strings.Repeat(".", 40)
	input := "readproctitle: first error\n\x00second\x00 error\n"
	shown := dots[3:] + strings.ReplaceAll(input, "\x00", "")
	want := "service errors: " + dots[:3] + shown[len(shown)-len(dots)+3:]
	for _, prog := range []string{testbin.Path(t, "readproctitle"), testbin.Peer(t, "readproctitle")} {
		inR, inW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(prog, "service", "errors:", dots)
		cmd.Stdin = inR
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		inR.Close()
		if _, err := inW.WriteString(input); err != nil {
			t.Fatal(err)
		}
		cmdline := "/proc/" + itoa(cmd.Process.Pid) + "/cmdline"
		var last string
		defer func() { t.Logf("%s shows %q", prog, last) }()
		waitFor(t, prog+" to show its input", func() bool {
			b, _ := os.ReadFile(cmdline)
			args := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
			last = strings.Join(args[1:], " ")
			return last == want
		})
		inW.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("%s at end of input: %v", prog, err)
		}
	}
}

func TestReadproctitleExitCodesMatchDebian(t *testing.T) {
	ours := testbin.Path(t, "readproctitle")
	theirs := testbin.Peer(t, "readproctitle")
	for _, tc := range []struct {
		why   string
		args  []string
		stdin string
	}{
		{"no arguments", nil, ""},
		{"a last argument under 5 bytes", []string{"service", "abcd"}, "x"},
		{"exactly 5 bytes is enough", []string{"abcde"}, "some input"},
		{"end of input", []string{"x", "....................."}, strings.Repeat("line\n", 1000)},
	} {
		got := run(t, nil, tc.stdin, append([]string{ours}, tc.args...)...)
		want := run(t, nil, tc.stdin, append([]string{theirs}, tc.args...)...)
		if got.code != want.code || got.stderr != want.stderr || got.stdout != "" {
			t.Errorf("%s: exit %d %q; Debian's %d %q", tc.why, got.code, got.stderr, want.code, want.stderr)
		}
	}
	// An unreadable standard input: a directory.
	for _, prog := range []string{ours, theirs} {
		dir, err := os.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(prog, "abcdef")
		cmd.Stdin = dir
		err = cmd.Run()
		dir.Close()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 111 {
			t.Errorf("%s reading a directory: %v, want exit 111", prog, err)
		}
	}
}
