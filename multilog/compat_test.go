package multilog

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// mixedInput has lines of many lengths: empty, short, around 512 (0.76's
// buffer), around 1000 (the longest line kept whole), and longer than a
// small current, and ends without a newline.
func mixedInput(seed int64, lines int) []byte {
	r := rand.New(rand.NewSource(seed))
	lengths := []int{0, 1, 7, 50, 100, 300, 511, 512, 513, 973, 974, 999, 1000, 1001, 1500, 3000, 5000}
	var b bytes.Buffer
	for i := 0; i < lines; i++ {
		n := lengths[r.Intn(len(lengths))]
		head := fmt.Sprintf("%d %s:", i, []string{"info", "warn", "fatal", "debug"}[r.Intn(4)])
		line := head + strings.Repeat(string(rune('a'+i%26)), max(n-len(head), 0))
		b.WriteString(line[:min(len(line), max(n, len(head)))])
		b.WriteByte('\n')
	}
	b.WriteString("no newline at the end")
	return b.Bytes()
}

// compare runs Debian's multilog and ours with the same script on the
// same input, each in its own directory, and returns both directories.
func compare(t *testing.T, input []byte, prepare func(dir string), args ...string) (theirs, mine string, theirErr, myErr string) {
	t.Helper()
	peer := testbin.Peer(t, "multilog")
	theirs, mine = t.TempDir(), t.TempDir()
	if prepare != nil {
		prepare(theirs)
		prepare(mine)
	}
	var code1, code2 int
	theirErr, code1 = runOn(t, peer, theirs, input, args...)
	myErr, code2 = runOn(t, ours(t), mine, input, args...)
	if code1 != 0 || code2 != 0 {
		t.Fatalf("exit codes: Debian %d, ours %d; stderr %q / %q", code1, code2, theirErr, myErr)
	}
	return
}

func TestCompatSameFiles(t *testing.T) {
	input := mixedInput(1, 400)
	tests := []struct {
		name string
		args []string
	}{
		{"defaults", []string{"./main"}},
		{"small current rotates at 0.76's points", []string{"s4096", "n100", "./main"}},
		{"n keeps n-1 archives", []string{"s4096", "n3", "./main"}},
		{"two directories with their own settings", []string{"s5000", "./a", "-*fatal*", "s8000", "n5", "./b"}},
		{"selection, status file and alerts", []string{"-*", "+* fatal:*", "e", "=status", "+*warn*", "./main", "-*", "=last"}},
		{"deselect then select back", []string{"-*:*", "+1*", "+2*", "s4096", "n50", "./main"}},
		{"processor with state on fd 4 and 5", []string{"s4096", "n5", "!tr a-z A-Z; cat <&4; echo rotated >&5", "./main"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			theirs, mine, e1, e2 := compare(t, input, nil, tc.args...)
			if e1 != e2 {
				t.Errorf("stderr differs:\nDebian %q\nours   %q", e1, e2)
			}
			for _, a := range tc.args {
				var p string
				switch a[0] {
				case '.':
					p = a
				case '=':
					p = a[1:]
				default:
					continue
				}
				if a[0] == '=' {
					b1, _ := os.ReadFile(filepath.Join(theirs, p))
					b2, _ := os.ReadFile(filepath.Join(mine, p))
					if !bytes.Equal(b1, b2) || (len(b2) != 1001 && len(b2) != 0) {
						t.Errorf("%s: Debian %d bytes %q, ours %d bytes %q", p, len(b1), b1[:min(40, len(b1))], len(b2), b2[:min(40, len(b2))])
					}
					continue
				}
				s1, s2 := readLog(t, filepath.Join(theirs, p)), readLog(t, filepath.Join(mine, p))
				if !s1.equal(s2) {
					t.Errorf("%s differs:\nDebian %v\nours   %v", p, s1, s2)
				}
			}
		})
	}
}

// A log/run script written for 0.76 with what 0.76 passes over or reads
// in part (an unknown letter, an empty argument, a late t, s100k, ex)
// gives the same files as Debian's multilog; ours adds only its warning
// lines on standard error.
func TestCompatOldScripts(t *testing.T) {
	input := mixedInput(3, 300)
	tests := [][]string{
		{"s100k", "n3", "./main"},
		{"x", "", "T", "./main", "t"},
		{"s6000junk", "n", "./main"},
		{"-*", "+*fatal*", "ex", "./main"},
	}
	for _, args := range tests {
		theirs, mine, e1, e2 := compare(t, input, nil, args...)
		var kept []string
		warned := 0
		for _, l := range strings.SplitAfter(e2, "\n") {
			if strings.HasPrefix(l, "multilog: warning: ") {
				warned++
				continue
			}
			kept = append(kept, l)
		}
		if e1 != strings.Join(kept, "") || warned == 0 {
			t.Errorf("%q: stderr Debian %q, ours %q (%d warnings)", args, e1, e2, warned)
		}
		if s1, s2 := readLog(t, filepath.Join(theirs, "main")), readLog(t, filepath.Join(mine, "main")); !s1.equal(s2) {
			t.Errorf("%q: main differs:\nDebian %v\nours   %v", args, s1, s2)
		}
	}
}

// A directory an earlier run left behind: a current that was being
// written (mode 0644) and a previous whose processor never finished.
func TestCompatRestartRecovery(t *testing.T) {
	crashed := func(dir string) {
		d := filepath.Join(dir, "main")
		os.Mkdir(d, 0700)
		os.WriteFile(filepath.Join(d, "current"), []byte("before the crash\n"), 0644)
		os.WriteFile(filepath.Join(d, "previous"), []byte("being processed\n"), 0744)
		os.WriteFile(filepath.Join(d, "processed"), []byte("half"), 0644)
	}
	resumed := func(dir string) {
		d := filepath.Join(dir, "main")
		os.Mkdir(d, 0700)
		os.WriteFile(filepath.Join(d, "current"), []byte("closed cleanly\n"), 0744)
		os.WriteFile(filepath.Join(d, "state"), []byte("kept"), 0644)
	}
	processed := func(dir string) {
		d := filepath.Join(dir, "main")
		os.Mkdir(d, 0700)
		os.WriteFile(filepath.Join(d, "previous"), []byte("raw\n"), 0744)
		os.WriteFile(filepath.Join(d, "processed"), []byte("RAW\n"), 0744)
	}
	for name, prep := range map[string]func(string){"crashed": crashed, "resumed": resumed, "processor finished": processed} {
		t.Run(name, func(t *testing.T) {
			theirs, mine, _, _ := compare(t, []byte("after\n"), prep, "./main")
			s1, s2 := readLog(t, filepath.Join(theirs, "main")), readLog(t, filepath.Join(mine, "main"))
			if !s1.equal(s2) {
				t.Errorf("differs:\nDebian %v\nours   %v", s1, s2)
			}
		})
	}
}

var stampRE = regexp.MustCompile(`^@[0-9a-f]{24} `)

// With t, both stamp every line; the stamps differ, the rest must not,
// and Debian's tai64nlocal must read ours as the time of the run.
func TestCompatTimestamps(t *testing.T) {
	tailocal := testbin.Peer(t, "tai64nlocal")
	input := mixedInput(2, 300)
	before := time.Now().Add(-time.Second)
	args := []string{"t", "-* debug:*", "=status", "s16777215", "./main"}
	theirs, mine, _, _ := compare(t, input, nil, args...)
	after := time.Now().Add(time.Second)
	c1, _ := os.ReadFile(filepath.Join(theirs, "main", "current"))
	c2, _ := os.ReadFile(filepath.Join(mine, "main", "current"))
	l1, l2 := strings.Split(string(c1), "\n"), strings.Split(string(c2), "\n")
	if len(l1) != len(l2) || len(l1) < 100 {
		t.Fatalf("Debian logged %d lines, ours %d", len(l1), len(l2))
	}
	for i := range l1[:len(l1)-1] {
		if !stampRE.MatchString(l1[i]) || !stampRE.MatchString(l2[i]) || l1[i][26:] != l2[i][26:] {
			t.Fatalf("line %d:\nDebian %.80q\nours   %.80q", i, l1[i], l2[i])
		}
	}
	st1, _ := os.ReadFile(filepath.Join(theirs, "status"))
	st2, _ := os.ReadFile(filepath.Join(mine, "status"))
	if len(st2) != 1001 || !bytes.Equal(st1[26:], st2[26:]) {
		t.Errorf("status files differ after the stamp")
	}

	cmd := exec.Command(tailocal)
	cmd.Stdin = bytes.NewReader(c2)
	cmd.Env = []string{"TZ=UTC"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	var last time.Time
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if len(line) < 30 {
			t.Fatalf("tai64nlocal line %q", line)
		}
		ts, err := time.Parse("2006-01-02 15:04:05.000000000", line[:29])
		if err != nil {
			t.Fatalf("tai64nlocal wrote %q: %v", line[:29], err)
		}
		if ts.Before(before) || ts.After(after) || ts.Before(last) {
			t.Fatalf("stamp %v outside [%v, %v] or before %v", ts, before, after, last)
		}
		if ts.Nanosecond()%1000 != 500 {
			t.Fatalf("stamp %v does not end in 500 ns as daemontools' do", ts)
		}
		last = ts
		n++
	}
	if n != len(l2)-1 {
		t.Errorf("tai64nlocal read %d lines of %d", n, len(l2)-1)
	}
}

// Many patterns over the same lines select the same lines in both.
func TestCompatPatterns(t *testing.T) {
	lines := []string{"", "a", "abc", "a*b", "xxab", "ab", "*", "abcabc", "foo bar baz", "named[135]: Cleaned cache of 3121 RRs", "fatal: x", " fatal: y"}
	input := []byte(strings.Join(lines, "\n") + "\n")
	patterns := []string{"*", "a*", "*b", "**", "*c", "a*c", "*a*", "", "*bar*", "foo*baz", "ab*c", "named[*]: Cleaned cache *", "* fatal: *", "*:*", "a**"}
	args := []string{}
	for i, p := range patterns {
		args = append(args, "-*", "+"+p, fmt.Sprintf("./d%d", i))
	}
	theirs, mine, _, _ := compare(t, input, nil, args...)
	for i, p := range patterns {
		d := fmt.Sprintf("d%d", i)
		b1, _ := os.ReadFile(filepath.Join(theirs, d, "current"))
		b2, _ := os.ReadFile(filepath.Join(mine, d, "current"))
		if !bytes.Equal(b1, b2) {
			t.Errorf("pattern %q: Debian selected %q, ours %q", p, b1, b2)
		}
	}
}

// SIGALRM rotates a non-empty current in both. 0.76 lets signals in only
// around its read(2), and one that arrives just before the read is acted
// on only after the next line, so the signal goes to Debian's once it
// sleeps in that read. (Whether a signal or a line comes first cannot be
// told apart from outside, which is why the empty current is tested in
// TestForceRotateEmpty.)
func TestCompatAlarm(t *testing.T) {
	peer := testbin.Peer(t, "multilog")
	var states []logState
	for _, prog := range []string{peer, ours(t)} {
		dir := t.TempDir()
		m := startOn(t, prog, dir, "./main")
		alarm := func() {
			if prog == peer {
				waitFor(t, "Debian's multilog to wait in read", func() bool {
					b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", m.Cmd.Process.Pid))
					return strings.Contains(string(b), "pipe_read") // anon_pipe_read on newer kernels
				})
			}
			m.Cmd.Process.Signal(syscall.SIGALRM)
		}
		log := filepath.Join(dir, "main")
		current := filepath.Join(log, "current")
		io.WriteString(m.stdin, "one\ntwo\n")
		waitFor(t, "two lines", fileIs(current, "one\ntwo\n"))
		alarm()
		waitFor(t, "a rotation", func() bool { return len(archivesIn(t, log)) == 1 })
		io.WriteString(m.stdin, "three\n")
		waitFor(t, "the third line", fileIs(current, "three\n"))
		m.stdin.Close()
		if code := m.wait(t); code != 0 {
			t.Fatalf("%s: exit %d", prog, code)
		}
		states = append(states, readLog(t, log))
	}
	if !states[0].equal(states[1]) {
		t.Errorf("after SIGALRM:\nDebian %v\nours   %v", states[0], states[1])
	}
}
