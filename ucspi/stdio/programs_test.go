package stdio

import (
	"fmt"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

func TestRecordioProgram(t *testing.T) {
	bin := testbin.Path(t, "recordio")
	// The program replaces recordio, so the pid it prints is the one in
	// the records, and its exit code is recordio's.
	out, log, code := run(t, bin, []string{"sh", "-c", `echo $$; cat; exit 9`}, []byte("in\n"))
	if code != 9 {
		t.Errorf("exit %d, want the program's 9", code)
	}
	pid := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	for _, want := range []string{pid + " > " + pid + " \n", pid + " < in \n", pid + " < [EOF]\n", pid + " > in \n", pid + " > [EOF]\n"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("log %q lacks %q", log, want)
		}
	}

	tests := []struct {
		why    string
		args   []string
		code   int
		stderr string
	}{
		{"usage", nil, 100, "recordio: usage: recordio program [ arg ... ]\n"},
		{"missing program", []string{"/nonexistent/prog"}, 111, "recordio: fatal: unable to run /nonexistent/prog: file does not exist\n"},
	}
	for _, tc := range tests {
		_, stderr, code := run(t, bin, tc.args, nil)
		if code != tc.code || !strings.Contains(string(stderr), tc.stderr) {
			t.Errorf("%s: exit %d stderr %q, want %d %q", tc.why, code, stderr, tc.code, tc.stderr)
		}
	}
}

func TestSmallProgramsUsage(t *testing.T) {
	tests := []struct {
		prog   string
		args   []string
		code   int
		stderr string
	}{
		{"fixcrio", nil, 100, "fixcrio: usage: fixcrio program [ arg ... ]\n"},
		{"fixcrio", []string{"/nonexistent/prog"}, 111, "fixcrio: fatal: unable to run /nonexistent/prog: "},
		{"argv0", []string{"sh"}, 100, "argv0: usage: argv0 realname program [ arg ... ]\n"},
		{"argv0", []string{"/nonexistent/prog", "x"}, 111, "argv0: fatal: unable to run /nonexistent/prog: file does not exist\n"},
		{"addcr", []string{"ignored", "args"}, 0, ""},
	}
	for _, tc := range tests {
		_, stderr, code := run(t, testbin.Path(t, tc.prog), tc.args, nil)
		if code != tc.code || !strings.HasPrefix(string(stderr), tc.stderr) {
			t.Errorf("%s %q: exit %d stderr %q, want %d %q", tc.prog, tc.args, code, stderr, tc.code, tc.stderr)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	// Debian's addcr and delcr exit 111 silently; ours say why.
	for _, prog := range []string{"addcr", "delcr"} {
		bin := testbin.Path(t, prog)
		cmd := testCommand(bin)
		stdin, err := openDir(t)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdin = stdin
		stderr, code := runCmd(t, cmd)
		if code != 111 || !strings.HasPrefix(stderr, fmt.Sprintf("%s: fatal: unable to read input: ", prog)) {
			t.Errorf("%s reading a directory: exit %d stderr %q", prog, code, stderr)
		}
		cmd = testCommand(bin)
		cmd.Stdin = strings.NewReader("x\n")
		full, err := openFull()
		if err != nil {
			t.Skipf("no /dev/full: %v", err)
		}
		cmd.Stdout = full
		stderr, code = runCmd(t, cmd)
		full.Close()
		if code != 111 || !strings.HasPrefix(stderr, fmt.Sprintf("%s: fatal: unable to write output: ", prog)) {
			t.Errorf("%s writing to /dev/full: exit %d stderr %q", prog, code, stderr)
		}
	}
}
