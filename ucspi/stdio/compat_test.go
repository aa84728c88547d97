package stdio

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// run runs bin with stdin from a regular file (so reads come in fixed sizes)
// and a bounded time, in an environment holding only PATH.
func run(t *testing.T, bin string, args []string, stdin []byte) (stdout, stderr []byte, code int) {
	t.Helper()
	in := filepath.Join(t.TempDir(), "stdin")
	if err := os.WriteFile(in, stdin, 0644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Stdin = f
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not finish", bin, args)
	}
	return o.Bytes(), e.Bytes(), testbin.ExitCode(t, err)
}

// trickyInputs are byte streams where CR and LF handling can go wrong.
var trickyInputs = []string{
	"", "\n", "\r", "\r\n", "\n\r", "\r\r\n", "\r\r", "a\r\nb\nc\rd\r",
	"end with CR\r", "end with LF\n", "\x00\r\x00\n\xff\r\n", strings.Repeat("x\r", 5000) + "\n",
	strings.Repeat("line\r\n", 3000), strings.Repeat("\r", 8191) + "\n",
}

func TestCompatFilters(t *testing.T) {
	for _, tool := range []string{"addcr", "delcr"} {
		ours, theirs := testbin.Path(t, tool), testbin.Peer(t, tool)
		for _, in := range trickyInputs {
			o1, _, c1 := run(t, theirs, nil, []byte(in))
			o2, e2, c2 := run(t, ours, nil, []byte(in))
			if c1 != c2 || !bytes.Equal(o1, o2) {
				t.Errorf("%s %q: Debian %q (exit %d), ours %q (exit %d, %s)", tool, trunc(in), trunc(string(o1)), c1, trunc(string(o2)), c2, e2)
			}
		}
	}
}

func trunc(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// TestCompatFixcrio runs a program that saves what it receives and then
// sends back tricky bytes, under both tools.
func TestCompatFixcrio(t *testing.T) {
	ours, theirs := testbin.Path(t, "fixcrio"), testbin.Peer(t, "fixcrio")
	for i, in := range trickyInputs {
		reply := trickyInputs[(i+3)%len(trickyInputs)]
		var got [2][]byte
		var codes [2]int
		var seen [2][]byte
		for j, bin := range []string{theirs, ours} {
			dir := t.TempDir()
			replyFile := filepath.Join(dir, "reply")
			os.WriteFile(replyFile, []byte(reply), 0644)
			script := "cat > " + dir + "/seen; cat " + replyFile + "; exit 7"
			got[j], _, codes[j] = run(t, bin, []string{"sh", "-c", script}, []byte(in))
			seen[j], _ = os.ReadFile(filepath.Join(dir, "seen"))
		}
		if codes[0] != codes[1] || !bytes.Equal(got[0], got[1]) || !bytes.Equal(seen[0], seen[1]) {
			t.Errorf("fixcrio input %q reply %q: Debian sent %q got %q exit %d; ours sent %q got %q exit %d",
				trunc(in), trunc(reply), trunc(string(seen[0])), trunc(string(got[0])), codes[0],
				trunc(string(seen[1])), trunc(string(got[1])), codes[1])
		}
		if codes[1] != 7 {
			t.Errorf("fixcrio: exit %d, want the program's 7", codes[1])
		}
	}
}

var pidPrefix = regexp.MustCompile(`(?m)^[0-9]+ `)

// records splits recordio's log by direction with the pid replaced, since
// the two directions interleave in whatever order the copies happen.
func records(log []byte) (in, out string) {
	for _, line := range strings.SplitAfter(string(pidPrefix.ReplaceAll(log, []byte("PID "))), "\n") {
		switch {
		case strings.HasPrefix(line, "PID < "):
			in += line
		case strings.HasPrefix(line, "PID > "):
			out += line
		}
	}
	return in, out
}

func TestCompatRecordio(t *testing.T) {
	ours, theirs := testbin.Path(t, "recordio"), testbin.Peer(t, "recordio")
	inputs := []string{
		"", "hello\nworld\npartial", "\n\n\n", "a\r\n\x00b\n", strings.Repeat("y", 700) + "\nz\n",
		strings.Repeat("0123456789abcde\n", 200),
	}
	for _, in := range inputs {
		var logs [2][2]string
		var outs [2][]byte
		var codes [2]int
		for j, bin := range []string{theirs, ours} {
			var log []byte
			outs[j], log, codes[j] = run(t, bin, []string{"cat"}, []byte(in))
			logs[j][0], logs[j][1] = records(log)
		}
		if codes[0] != codes[1] || !bytes.Equal(outs[0], outs[1]) || logs[0] != logs[1] {
			t.Errorf("recordio cat with %q:\nDebian exit %d log\n%s%s\nours exit %d log\n%s%s", trunc(in), codes[0], logs[0][0], logs[0][1], codes[1], logs[1][0], logs[1][1])
		}
	}
}

func TestCompatArgv0(t *testing.T) {
	ours, theirs := testbin.Path(t, "argv0"), testbin.Peer(t, "argv0")
	cases := [][]string{
		{"sh", "NAME", "-c", `echo "$0" "$@"`, "x", "y z"},
		{"/bin/sh", "-sh", "-c", `echo "$0"`},
		{"no-such-program-quail"},
		{"no-such-program-quail", "x"},
		{},
	}
	for _, args := range cases {
		o1, _, c1 := run(t, theirs, args, nil)
		o2, _, c2 := run(t, ours, args, nil)
		if c1 != c2 || !bytes.Equal(o1, o2) {
			t.Errorf("argv0 %q: Debian %q exit %d, ours %q exit %d", args, o1, c1, o2, c2)
		}
	}
}
