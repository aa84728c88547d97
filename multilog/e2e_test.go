package multilog

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		why  string
	}{
		{[]string{"S10k", "./main"}, "quail's S takes digits only"},
		{[]string{"a", "./main"}, "quail's a needs seconds"},
		{[]string{"=", "./main"}, "a status file without a name"},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		stderr, code := runOn(t, ours(t), dir, []byte("x\n"), tc.args...)
		if code != 100 || !strings.HasSuffix(stderr, "multilog: usage: multilog script\n") {
			t.Errorf("%q (%s): exit %d, stderr %q", tc.args, tc.why, code, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "main")); err == nil {
			t.Errorf("%q: created the directory before refusing the script", tc.args)
		}
	}
}

func TestEndOfInputClosesCleanly(t *testing.T) {
	dir := t.TempDir()
	stderr, code := runOn(t, ours(t), dir, []byte("one\ntwo"), "./main")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	s := readLog(t, filepath.Join(dir, "main"))
	if s.current != "one\ntwo\n" || s.currentMode != 0744 || strings.Join(s.others, " ") != "lock:-rw-------" {
		t.Fatalf("got %v %q", s, s.current)
	}
	fi, _ := os.Stat(filepath.Join(dir, "main"))
	if fi.Mode().Perm() != 0700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
	}
	// A second run resumes the clean current.
	runOn(t, ours(t), dir, []byte("three\n"), "./main")
	if s := readLog(t, filepath.Join(dir, "main")); s.current != "one\ntwo\nthree\n" || len(s.archives) != 0 {
		t.Fatalf("after resuming: %v %q", s, s.current)
	}
}

func TestLockHeld(t *testing.T) {
	dir := t.TempDir()
	first := startOn(t, ours(t), dir, "./main")
	current := filepath.Join(dir, "main", "current")
	io.WriteString(first.stdin, "held\n")
	waitFor(t, "the first multilog to log", fileIs(current, "held\n"))
	progs := []string{ours(t)}
	if _, err := os.Stat("/usr/bin/multilog"); err == nil {
		progs = append(progs, "/usr/bin/multilog")
	}
	for _, p := range progs {
		stderr, code := runOn(t, p, dir, nil, "./main")
		if code != 111 || !strings.Contains(stderr, "unable to lock directory ./main") {
			t.Errorf("%s on a locked directory: exit %d, %q", p, code, stderr)
		}
	}
	first.stdin.Close()
	if code := first.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestAlarmRotates(t *testing.T) {
	dir := t.TempDir()
	m := startOn(t, ours(t), dir, "./main")
	current := filepath.Join(dir, "main", "current")
	io.WriteString(m.stdin, "one\ntwo\n")
	waitFor(t, "two lines in current", fileIs(current, "one\ntwo\n"))
	m.Cmd.Process.Signal(syscall.SIGALRM)
	waitFor(t, "an archive", func() bool { return len(archivesIn(t, filepath.Join(dir, "main"))) == 1 })
	a := archivesIn(t, filepath.Join(dir, "main"))[0]
	if !strings.HasSuffix(a, ".s") || !fileIs(a, "one\ntwo\n")() || !fileIs(current, "")() {
		t.Fatalf("archive %s, current not emptied", a)
	}
	if fi, _ := os.Stat(a); fi.Mode().Perm() != 0744 {
		t.Errorf("archive mode %v, want 0744", fi.Mode().Perm())
	}
	io.WriteString(m.stdin, "three\n")
	m.stdin.Close()
	if code := m.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if s := readLog(t, filepath.Join(dir, "main")); s.current != "three\n" || len(s.archives) != 1 {
		t.Fatalf("%v", s)
	}
}

// SIGTERM ends the input at the next newline, and what multilog has not
// taken stays in the pipe: nothing is lost or logged twice.
func TestTermLosesNothing(t *testing.T) {
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	cmd := exec.Command(ours(t), "./main")
	cmd.Dir = dir
	cmd.Stdin = r
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	current := filepath.Join(dir, "main", "current")
	io.WriteString(w, "a\nb\npartial")
	waitFor(t, "two lines in current", fileIs(current, "a\nb\n"))
	cmd.Process.Signal(syscall.SIGTERM)
	io.WriteString(w, " end\nnext\nlast\n")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("multilog: %v", err)
	}
	w.Close()
	rest, _ := io.ReadAll(r)
	logged, _ := os.ReadFile(current)
	if !bytes.HasPrefix(logged, []byte("a\nb\npartial end\n")) {
		t.Errorf("the line in progress was not finished: %q", logged)
	}
	if got := string(logged) + string(rest); got != "a\nb\npartial end\nnext\nlast\n" {
		t.Errorf("logged %q, left %q", logged, rest)
	}
	if fi, _ := os.Stat(current); fi.Mode().Perm() != 0744 {
		t.Errorf("current mode %v after SIGTERM", fi.Mode().Perm())
	}
}

func TestTermAtLineBoundaryExits(t *testing.T) {
	dir := t.TempDir()
	m := startOn(t, ours(t), dir, "./main")
	io.WriteString(m.stdin, "x\n")
	waitFor(t, "the line", fileIs(filepath.Join(dir, "main", "current"), "x\n"))
	m.Cmd.Process.Signal(syscall.SIGTERM)
	if code := m.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestProcessorRetried(t *testing.T) {
	dir := t.TempDir()
	// Fails twice, then succeeds; fd 4 and fd 5 are the state files.
	proc := `n=$(cat ../count 2>/dev/null || echo 0); echo $((n+1)) > ../count; [ $n -ge 2 ] || exit 1; tr a-z A-Z; cat <&4; echo seen >&5`
	var in bytes.Buffer
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&in, "line %02d %s\n", i, strings.Repeat("x", 90))
	}
	stderr, code := runOn(t, ours(t), dir, in.Bytes(), "r20", "s4096", "!"+proc, "./main")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(stderr, "processor failed in ./main"); n != 2 {
		t.Errorf("%d failures reported: %q", n, stderr)
	}
	s := readLog(t, filepath.Join(dir, "main"))
	if len(s.archives) != 1 || s.state != "seen\n" {
		t.Fatalf("%v", s)
	}
	archived := strings.TrimPrefix(s.archives[0], "s:-rwxr--r--:")
	if strings.ToLower(archived)+s.current != in.String() || archived != strings.ToUpper(archived) {
		t.Errorf("archive %q + current %q is not the input", archived, s.current)
	}
	if c, _ := os.ReadFile(filepath.Join(dir, "count")); string(c) != "3\n" {
		t.Errorf("processor ran %q times", c)
	}
}

func TestTotalSizeCap(t *testing.T) {
	dir := t.TempDir()
	var in bytes.Buffer
	for i := 0; in.Len() < 100000; i++ {
		fmt.Fprintf(&in, "%06d %s\n", i, strings.Repeat("y", 93))
	}
	if _, code := runOn(t, ours(t), dir, in.Bytes(), "s4096", "n1000", "S10000", "./main"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	s := readLog(t, filepath.Join(dir, "main"))
	total := 0
	var kept strings.Builder
	for _, a := range s.archives {
		body := archiveBody(a)
		total += len(body)
		kept.WriteString(body)
	}
	if total > 10000 || len(s.archives) < 2 {
		t.Errorf("%d archives of %d bytes in all, cap 10000", len(s.archives), total)
	}
	if !strings.HasSuffix(in.String(), kept.String()+s.current) {
		t.Errorf("what is kept is not the end of the input")
	}
}

func TestAgeRotates(t *testing.T) {
	dir := t.TempDir()
	m := startOn(t, ours(t), dir, "a1", "./main")
	io.WriteString(m.stdin, "old\n")
	waitFor(t, "an archive by age", func() bool { return len(archivesIn(t, filepath.Join(dir, "main"))) == 1 })
	a := archivesIn(t, filepath.Join(dir, "main"))[0]
	if !fileIs(a, "old\n")() || !fileIs(filepath.Join(dir, "main", "current"), "")() {
		t.Fatalf("archive %s", a)
	}
}

// A multilog killed in the middle leaves a current (mode 0644) that the
// next one, ours or Debian's, archives as .u.
func TestKilledLeavesUnsafe(t *testing.T) {
	progs := []string{ours(t)}
	if _, err := os.Stat("/usr/bin/multilog"); err == nil {
		progs = append(progs, "/usr/bin/multilog")
	}
	for _, next := range progs {
		dir := t.TempDir()
		m := startOn(t, ours(t), dir, "./main")
		current := filepath.Join(dir, "main", "current")
		io.WriteString(m.stdin, "before\nthe kill\n")
		waitFor(t, "two lines", fileIs(current, "before\nthe kill\n"))
		m.Cmd.Process.Kill()
		m.wait(t)
		if fi, _ := os.Stat(current); fi.Mode().Perm() != 0644 {
			t.Fatalf("current mode %v after SIGKILL", fi.Mode().Perm())
		}
		if _, code := runOn(t, next, dir, []byte("after\n"), "./main"); code != 0 {
			t.Fatalf("%s: exit %d", next, code)
		}
		s := readLog(t, filepath.Join(dir, "main"))
		if len(s.archives) != 1 || s.archives[0] != "u:-rw-r--r--:before\nthe kill\n" || s.current != "after\n" {
			t.Errorf("%s after the kill: %v", next, s)
		}
	}
}

// A full disk pauses multilog; once space is back every line is there, in
// order, across rotations.
func TestFullDiskLosesNothing(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "mnt")
	os.Mkdir(mnt, 0755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs for the full disk (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, 48<<10), 0644); err != nil {
		t.Fatal(err)
	}
	m := startOn(t, ours(t), mnt, "r20", "s4096", "n1000", "./log")
	var in bytes.Buffer
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&in, "%04d %s\n", i, strings.Repeat("z", 95))
	}
	go func() {
		m.stdin.Write(in.Bytes())
		m.stdin.Close()
	}()
	waitFor(t, "multilog to pause on the full disk", func() bool { return strings.Contains(m.stderrText(), "pausing: out of disk space") })
	os.Remove(filler)
	if code := m.wait(t); code != 0 {
		t.Fatalf("exit %d: %s", code, m.stderrText())
	}
	s := readLog(t, filepath.Join(mnt, "log"))
	var all strings.Builder
	for _, a := range s.archives {
		all.WriteString(archiveBody(a))
	}
	all.WriteString(s.current)
	if all.String() != in.String() {
		t.Errorf("logged %d bytes of %d, or out of order", all.Len(), in.Len())
	}
}

// As a user other than root, a directory made read-only blocks the
// rotation until it is writable again.
func TestUnwritableDirectoryPauses(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes through permissions; the full-disk test covers pausing")
	}
	dir := t.TempDir()
	m := startOn(t, ours(t), dir, "r20", "./main")
	log := filepath.Join(dir, "main")
	io.WriteString(m.stdin, "one\n")
	waitFor(t, "the line", fileIs(filepath.Join(log, "current"), "one\n"))
	os.Chmod(log, 0500)
	m.Cmd.Process.Signal(syscall.SIGALRM)
	waitFor(t, "a pause", func() bool { return strings.Contains(m.stderrText(), "pausing") })
	os.Chmod(log, 0700)
	io.WriteString(m.stdin, "two\n")
	m.stdin.Close()
	if code := m.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if s := readLog(t, log); len(s.archives) != 1 || archiveBody(s.archives[0]) != "one\n" || s.current != "two\n" {
		t.Errorf("%v", s)
	}
}

func TestSetupFailures(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"./missing/main"}, "multilog: fatal: unable to open directory ./missing/main: "},
		{[]string{"=missing/status", "./main"}, "multilog: fatal: unable to create missing/status: "},
	}
	for _, tc := range tests {
		stderr, code := runOn(t, ours(t), t.TempDir(), []byte("x\n"), tc.args...)
		if code != 111 || !strings.HasPrefix(stderr, tc.want) {
			t.Errorf("%q: exit %d, %q", tc.args, code, stderr)
		}
	}
}

// Killed while lines stream in, multilog leaves in current a prefix of
// its input, which the next run archives as .u.
func TestKilledWhileStreaming(t *testing.T) {
	dir := t.TempDir()
	m := startOn(t, ours(t), dir, "s16777215", "./main")
	var in bytes.Buffer
	for i := 0; i < 40000; i++ {
		fmt.Fprintf(&in, "%06d %s\n", i, strings.Repeat("k", 93))
	}
	go m.stdin.Write(in.Bytes())
	current := filepath.Join(dir, "main", "current")
	waitFor(t, "200 KB in current", func() bool {
		fi, err := os.Stat(current)
		return err == nil && fi.Size() > 200000
	})
	m.Cmd.Process.Kill()
	m.wait(t)
	m.stdin.Close()
	if _, code := runOn(t, ours(t), dir, []byte("after\n"), "./main"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	s := readLog(t, filepath.Join(dir, "main"))
	if len(s.archives) != 1 || !strings.HasPrefix(s.archives[0], "u:") || s.current != "after\n" {
		t.Fatalf("%v", s)
	}
	body := archiveBody(s.archives[0])
	if len(body) < 200000 || !strings.HasPrefix(in.String(), body) {
		t.Errorf("the .u archive (%d bytes) is not a prefix of the input", len(body))
	}
}
